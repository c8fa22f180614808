/**
 * The panel's header: the status line (the model's name or picker button,
 * its state, load progress), the notebook whose conversation is shown, the
 * speed of the last answer, and Export and Clear. `describeHeader` puts the
 * status line in words.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { AssistantClient } from '../api/client';
import { IStatusLine, describeStatus } from '../chat/status';
import type { IStatus } from '../protocol';
import type { IChatViewProps } from './props';
import { ModelPickerButton } from './ModelPicker';

/**
 * What the status line shows: the model's name, its tooltip and the state's
 * label, with the status line's data.
 */
export interface IHeaderText extends IStatusLine {
  /** The model's name to show, shortened for a remote engine. */
  readonly name: string;
  /** Its tooltip: the full name (and for a remote engine, the server's URL). */
  readonly title: string | undefined;
  /** The state's label ("Ready", "Ready · gpu-box:8000", "Error: …"). */
  readonly label: string;
}

/**
 * The words of the status line for a status and a connection state.
 *
 * The local engine shows the model's display name and its state; a remote
 * engine shows the short name of the served model (the full name and the
 * server's URL in the tooltip) and, once ready, the server's host and port.
 */
export function describeHeader(
  status: IStatus | null,
  connection: AssistantClient.ConnectionState,
  trans: TranslationBundle
): IHeaderText {
  const line = describeStatus(status, connection);
  const { phase, progress, remote, endpoint, host } = line;
  let label: string;
  switch (phase) {
    case 'connecting':
      label = trans.__('Connecting…');
      break;
    case 'waiting':
      label = trans.__('Waiting…');
      break;
    case 'loading': {
      const what =
        status?.message ||
        (remote
          ? endpoint
            ? trans.__('Connecting to %1', endpoint)
            : trans.__('Connecting to the model server')
          : trans.__('Loading'));
      label = progress === null ? `${what}…` : `${what}… ${progress}%`;
      break;
    }
    case 'ready':
      label = remote
        ? host
          ? trans.__('Ready · %1', host)
          : trans.__('Ready · remote server')
        : trans.__('Ready');
      break;
    case 'error':
      label = trans.__('Error: %1', status?.message || trans.__('unknown'));
      break;
    default:
      label = remote ? trans.__('Not connected') : trans.__('Not loaded');
  }

  let name: string;
  let title: string | undefined;
  if (remote) {
    // Until the server names its model, the engine names it by its URL.
    const model = line.model === '' ? '' : (status?.model ?? '').trim();
    name = line.model || trans.__('Remote model');
    title = model
      ? endpoint
        ? trans.__('%1 on %2', model, endpoint)
        : model
      : endpoint
        ? trans.__('Remote model on %1', endpoint)
        : undefined;
  } else {
    name = status?.model || trans.__('Local model');
    title = status?.model;
  }
  return { ...line, name, title, label };
}

/**
 * The model's name and state, load progress, speed of the last answer and
 * the Clear button.
 */
export function Header(props: IChatViewProps): JSX.Element {
  const { model, trans } = props;
  const status = model.status;
  const connection = model.connectionState;
  const { state, progress, reconnecting, remote, source, name, title, label } =
    describeHeader(status, connection, trans);

  return (
    <div className="jp-oci-header">
      <div
        className="jp-oci-status"
        data-state={state}
        data-connection={connection}
        data-source={source ?? undefined}
        role="status"
        aria-live="polite"
      >
        {props.picker ? (
          <ModelPickerButton
            picker={props.picker}
            trans={trans}
            name={name}
            title={title}
          />
        ) : (
          <span className="jp-oci-status-model" title={title}>
            {name}
          </span>
        )}
        <span className="jp-oci-status-label">{label}</span>
        {reconnecting && (
          <span className="jp-oci-status-connection">
            {trans.__('Reconnecting…')}
          </span>
        )}
        {state === 'loading' && (
          <div
            className="jp-oci-progress"
            role="progressbar"
            aria-label={
              remote
                ? trans.__('Connecting to the model server')
                : trans.__('Model loading progress')
            }
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress ?? undefined}
            data-indeterminate={progress === null ? 'true' : 'false'}
          >
            <div
              className="jp-oci-progress-bar"
              style={progress === null ? undefined : { width: `${progress}%` }}
            />
          </div>
        )}
      </div>
      <div className="jp-oci-header-actions">
        {model.conversationPath !== null && (
          <span
            className="jp-oci-conversation-name"
            title={trans.__(
              'The conversation of %1, kept for it in your Jupyter data (not in the notebook)',
              model.conversationPath
            )}
          >
            {model.conversationPath.split('/').pop()}
          </span>
        )}
        {model.lastTokensPerSecond !== null && (
          <span
            className="jp-oci-speed"
            title={trans.__('Generation speed of the last answer')}
          >
            {trans.__('%1 tok/s', model.lastTokensPerSecond.toFixed(1))}
          </span>
        )}
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-oci-export"
          aria-label={trans.__('Export conversation as Markdown')}
          title={trans.__('Export the conversation as a Markdown file')}
          disabled={model.messages.length === 0}
          onClick={() => {
            const { name, text } = model.exportMarkdown();
            downloadText(name, text, 'text/markdown');
          }}
        >
          {trans.__('Export')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-minimal jp-oci-clear"
          aria-label={trans.__('Clear conversation')}
          title={trans.__(
            'Clear the conversation and start a new one (Export keeps a copy)'
          )}
          disabled={model.messages.length === 0}
          onClick={() => model.clear()}
        >
          {trans.__('Clear')}
        </button>
      </div>
    </div>
  );
}

/**
 * Save `text` as a download named `name`.
 */
function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
