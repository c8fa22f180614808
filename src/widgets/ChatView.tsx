/**
 * The panel's view: the header (Header), the error, the conversation and the
 * composer. Each message is drawn by MessageView (fixes by FixView, tasks by
 * TaskView). Views render the chat model and call it; no logic lives here.
 */
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Header } from './Header';
import type { IChatViewProps } from './props';

export type { IChatViewProps } from './props';
import { Message } from './MessageView';
import { ModelPicker } from './ModelPicker';

/**
 * The whole panel: status line, conversation, composer.
 * It re-renders on `model.changed` and holds no logic of its own.
 */
export function ChatView(props: IChatViewProps): JSX.Element {
  const { model } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="jp-oci-chat">
          <Header {...props} />
          {props.picker && (
            <ModelPicker picker={props.picker} trans={props.trans} />
          )}
          {model.error !== null && <ErrorBanner {...props} />}
          <MessageList {...props} />
          <Composer {...props} />
        </div>
      )}
    </UseSignal>
  );
}

/**
 * An error not tied to one answer.
 */
function ErrorBanner(props: IChatViewProps): JSX.Element {
  const { model, trans } = props;
  return (
    <div className="jp-oci-error" role="alert">
      <span className="jp-oci-error-text">{model.error}</span>
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-oci-error-dismiss"
        aria-label={trans.__('Dismiss error')}
        title={trans.__('Dismiss error')}
        onClick={() => model.dismissError()}
      >
        ×
      </button>
    </div>
  );
}

/**
 * The conversation. Keeps the newest message in view while the user has not
 * scrolled up.
 */
function MessageList(props: IChatViewProps): JSX.Element {
  const { model, rendermime, trans } = props;
  const scroller = React.useRef<HTMLDivElement>(null);
  const content = React.useRef<HTMLDivElement>(null);
  const stick = React.useRef(true);

  const scrollToEnd = React.useCallback(() => {
    const node = scroller.current;
    if (node && stick.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, []);

  React.useLayoutEffect(scrollToEnd);

  // Bring the entry the model asks for into view, once a request: at the
  // top, or its end when it is taller than the view (a fix's diff and
  // buttons are at its bottom).
  const revealed = model.revealed;
  const done = React.useRef(0);
  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (!node || !revealed || revealed.request === done.current) {
      return;
    }
    const entry = Array.from(
      node.querySelectorAll<HTMLElement>('[data-entry-id]')
    ).find(e => e.dataset.entryId === revealed.id);
    if (!entry) {
      return;
    }
    done.current = revealed.request;
    const view = node.getBoundingClientRect();
    const box = entry.getBoundingClientRect();
    const top = node.scrollTop + box.top - view.top;
    node.scrollTop =
      box.height > node.clientHeight
        ? top + box.height - node.clientHeight
        : top;
    stick.current = node.scrollHeight - node.scrollTop - node.clientHeight < 40;
  });

  React.useEffect(() => {
    // Markdown renders asynchronously: follow the content's height too.
    const node = content.current;
    if (!node || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(scrollToEnd);
    observer.observe(node);
    return () => observer.disconnect();
  }, [scrollToEnd]);

  const onScroll = (): void => {
    const node = scroller.current;
    if (node) {
      stick.current =
        node.scrollHeight - node.scrollTop - node.clientHeight < 40;
    }
  };

  return (
    <div
      className="jp-oci-messages"
      ref={scroller}
      onScroll={onScroll}
      role="log"
      aria-label={trans.__('Conversation')}
      aria-busy={model.busy}
    >
      <div className="jp-oci-messages-content" ref={content}>
        {model.messages.length === 0 ? (
          <div className="jp-oci-empty">
            {model.status?.source === 'remote'
              ? trans.__(
                  'Ask the model to write, explain or fix Python code. Enter sends, Shift+Enter adds a new line.'
                )
              : trans.__(
                  'Ask the local model to write, explain or fix Python code. Enter sends, Shift+Enter adds a new line.'
                )}
          </div>
        ) : (
          model.messages.map(entry => (
            <Message
              key={entry.id}
              entry={entry}
              model={model}
              running={model.runner.running}
              busy={model.busy}
              rendermime={rendermime}
              trans={props.trans}
            />
          ))
        )}
      </div>
    </div>
  );
}

/**
 * The notebook context the next message will carry, with a button to leave
 * it out.
 */
function PendingContext(props: IChatViewProps): JSX.Element | null {
  const { model, trans } = props;
  const context = model.context.pending;
  if (!context) {
    return null;
  }
  return (
    <div
      className="jp-oci-context"
      data-pinned={context.pinned ? 'true' : 'false'}
    >
      <span className="jp-oci-context-label">
        {context.pinned
          ? trans.__('Asking about %1', context.label)
          : trans.__('Context: %1', context.label)}
      </span>
      <button
        type="button"
        className="jp-Button jp-mod-minimal jp-oci-context-dismiss"
        aria-label={trans.__('Leave %1 out of the next message', context.label)}
        title={trans.__('Leave the cell out of the next message')}
        onClick={() => model.context.dismiss()}
      >
        ×
      </button>
    </div>
  );
}

/**
 * The input box with Send and Stop, and the "Run as task" switch. Enter
 * sends (as a task when the switch is on), Ctrl/Cmd+Enter runs as a task,
 * Shift+Enter adds a line.
 */
function Composer(props: IChatViewProps): JSX.Element {
  const { model, trans } = props;
  const [draft, setDraft] = React.useState('');
  const taskMode = model.taskMode && model.tasks.available;

  const submit = (asTask = taskMode): void => {
    if (asTask ? model.sendTask(draft) : model.send(draft)) {
      setDraft('');
    }
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>): void => {
    if (
      event.key === 'Enter' &&
      !event.shiftKey &&
      !event.nativeEvent.isComposing
    ) {
      event.preventDefault();
      const asTask = (event.ctrlKey || event.metaKey) && model.tasks.available;
      submit(asTask || taskMode);
    }
  };

  return (
    <div className="jp-oci-composer">
      <div className="jp-oci-notice" role="status" aria-live="polite">
        {model.notice ?? ''}
      </div>
      <PendingContext {...props} />
      <textarea
        className="jp-oci-input"
        aria-label={trans.__('Message to the assistant')}
        placeholder={
          taskMode
            ? trans.__('Describe a task to run in the notebook… (Enter to run)')
            : trans.__('Ask about code… (Enter to send)')
        }
        rows={3}
        value={draft}
        onChange={event => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="jp-oci-composer-actions">
        {model.tasks.available && (
          <label
            className="jp-oci-task-toggle"
            title={trans.__(
              'Run as task: the assistant writes cells in the notebook, runs them and reads their outputs until it can answer (Ctrl+Enter runs one message as a task)'
            )}
          >
            <input
              type="checkbox"
              className="jp-oci-task-toggle-input"
              checked={taskMode}
              onChange={event => model.setTaskMode(event.target.checked)}
            />
            {trans.__('Run as task')}
          </label>
        )}
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject jp-oci-stop"
          aria-label={
            model.busy && model.taskRunning
              ? trans.__('Stop the task')
              : trans.__('Stop generating')
          }
          title={
            model.busy && model.taskRunning
              ? trans.__('Stop the task')
              : trans.__('Stop generating')
          }
          disabled={!model.busy}
          onClick={() => model.cancel()}
        >
          {trans.__('Stop')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept jp-oci-send"
          aria-label={
            taskMode ? trans.__('Run as task') : trans.__('Send message')
          }
          title={
            taskMode
              ? trans.__('Run the message as a task in the notebook (Enter)')
              : trans.__('Send message (Enter)')
          }
          disabled={model.busy || draft.trim() === ''}
          onClick={() => submit()}
        >
          {taskMode ? trans.__('Run task') : trans.__('Send')}
        </button>
      </div>
    </div>
  );
}
