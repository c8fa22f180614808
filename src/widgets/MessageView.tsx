/**
 * One message of the conversation: a question (with its context chip), an
 * answer (markdown with a toolbar under each code block), the outcome of
 * code run from the panel; fixes and tasks are drawn by FixView and
 * TaskView.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { createPortal } from 'react-dom';

import type { ICodeBlock } from '../chat/codeblocks';
import type { IChatEntry } from '../chat/conversation';
import type { ChatModel } from '../chat/model';
import { CodeToolbar, IToolbarAnchor, placeToolbars } from './CodeActions';
import { Typing } from './common';
import { FixView } from './FixView';
import { MarkdownView } from './MarkdownView';
import { TaskView } from './TaskView';

export interface IMessageProps {
  entry: IChatEntry;
  model: ChatModel;
  /** Whether code from the panel is running. */
  running: boolean;
  /** Whether an answer is being generated. */
  busy: boolean;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

/**
 * One message. Entries are immutable, so unchanged messages skip rendering.
 */
export const Message = React.memo(function Message(
  props: IMessageProps
): JSX.Element {
  const { entry, trans } = props;
  if (entry.kind === 'fix' && entry.fix) {
    return (
      <FixView
        fix={entry.fix}
        entryId={entry.id}
        session={props.model.fixes.get(entry.id)}
        trans={trans}
      />
    );
  }
  if (entry.kind === 'task' && entry.task) {
    return (
      <TaskView
        task={entry.task}
        session={props.model.tasks.get(entry.id)}
        rendermime={props.rendermime}
        trans={trans}
      />
    );
  }
  const author =
    entry.kind === 'execution'
      ? trans.__('Execution result')
      : entry.role === 'user'
        ? trans.__('You')
        : trans.__('Assistant');
  return (
    <div
      className={`jp-oci-message jp-oci-message-${entry.role}`}
      data-entry-id={entry.id}
      data-role={entry.role}
      data-state={entry.state}
      aria-label={author}
    >
      <div className="jp-oci-message-author">{author}</div>
      {entry.kind === 'execution' ? (
        <OutputSummary {...props} />
      ) : entry.role === 'user' ? (
        <>
          {entry.context && (
            <div
              className="jp-oci-context-chip"
              title={trans.__(
                'Sent with the source of %1',
                entry.context.label
              )}
            >
              {trans.__('With %1', entry.context.label)}
            </div>
          )}
          <div className="jp-oci-message-text">{entry.content}</div>
        </>
      ) : entry.content === '' && entry.state === 'streaming' ? (
        <Typing trans={trans} />
      ) : (
        <Answer {...props} />
      )}
      {entry.state === 'cancelled' && (
        <div className="jp-oci-message-note">{trans.__('Stopped.')}</div>
      )}
      {entry.state === 'error' && (
        <div className="jp-oci-message-error" role="alert">
          {entry.error ?? trans.__('The answer failed.')}
        </div>
      )}
      {entry.tokensPerSecond !== undefined && (
        <div className="jp-oci-message-meta">
          {trans.__('%1 tok/s', entry.tokensPerSecond.toFixed(1))}
        </div>
      )}
    </div>
  );
});

const NO_BLOCKS: ReadonlyArray<ICodeBlock> = [];

/**
 * An answer. Once it is finished, each of its code blocks gets a toolbar
 * (Insert below, Replace cell, Run, Copy) placed right after the block when
 * the markdown is rendered; blocks that could not be placed get theirs after
 * the answer. The markdown view stays the same while the answer streams and
 * when it ends, so the answer is not rendered anew.
 */
function Answer(props: IMessageProps): JSX.Element {
  const { entry, model, running, rendermime, trans } = props;
  const blocks = entry.codeBlocks ?? NO_BLOCKS;
  const [placement, setPlacement] = React.useState<{
    anchors: IToolbarAnchor[];
    unplaced: ReadonlyArray<ICodeBlock>;
  }>({ anchors: [], unplaced: [] });
  const place = React.useCallback(
    (node: HTMLElement) => setPlacement(placeToolbars(node, blocks)),
    [blocks]
  );
  return (
    <>
      <MarkdownView
        source={entry.content}
        rendermime={rendermime}
        onRendered={blocks.length > 0 ? place : undefined}
      />
      {placement.anchors.map(anchor =>
        createPortal(
          <CodeToolbar
            block={anchor.block}
            runner={model.runner}
            trans={trans}
            running={running}
          />,
          anchor.host,
          `block-${anchor.block.index}`
        )
      )}
      {placement.unplaced.length > 0 && (
        <div className="jp-oci-code-toolbars">
          {placement.unplaced.map(block => (
            <CodeToolbar
              key={block.index}
              block={block}
              runner={model.runner}
              trans={trans}
              running={running}
            />
          ))}
        </div>
      )}
    </>
  );
}

/**
 * The outcome of code run from the panel, in short; the text sent to the
 * model unfolds below it.
 */
function OutputSummary(props: IMessageProps): JSX.Element {
  const { entry, model, trans } = props;
  const execution = entry.execution;
  const status = execution?.status ?? 'ok';
  const count =
    typeof execution?.executionCount === 'number'
      ? ` [${execution.executionCount}]`
      : '';
  const where = execution?.label ?? '';
  const headline =
    status === 'running'
      ? where
        ? trans.__('Running in %1…', where)
        : trans.__('Running…')
      : trans.__('Ran in %1%2: %3', where, count, execution?.text ?? '');
  return (
    <div className="jp-oci-output-summary" data-status={status}>
      {status === 'running' ? (
        <div className="jp-oci-output-running">
          <span className="jp-oci-output-headline">{headline}</span>
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-oci-output-interrupt"
            aria-label={trans.__('Interrupt the kernel')}
            title={trans.__('Interrupt the kernel')}
            onClick={() => model.runner.interrupt()}
          >
            {trans.__('Interrupt')}
          </button>
        </div>
      ) : (
        <details>
          <summary className="jp-oci-output-headline">{headline}</summary>
          <pre className="jp-oci-output-text">{entry.content}</pre>
        </details>
      )}
      {status === 'error' && (
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-minimal jp-oci-output-fix"
          aria-label={trans.__('Ask the assistant to fix this error')}
          title={trans.__('Ask the assistant to fix this error')}
          disabled={model.busy}
          onClick={() => model.askForFix(entry.id)}
        >
          {trans.__('Ask for a fix')}
        </button>
      )}
    </div>
  );
}
