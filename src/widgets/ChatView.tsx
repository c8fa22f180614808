import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { createPortal } from 'react-dom';

import { ICodeBlock } from '../codeblocks';
import { IDiffLine } from '../diff';
import { FixSession, IFixCauseState, IFixRound, IFixState } from '../fix';
import { ChatModel, IChatEntry } from '../model';
import { CodeToolbar, IToolbarAnchor, placeToolbars } from './CodeActions';
import { MarkdownView } from './MarkdownView';
import { TaskEntry } from './TaskView';

/**
 * Props shared by the views of the panel.
 */
export interface IChatViewProps {
  model: ChatModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

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
          {model.error !== null && <ErrorBanner {...props} />}
          <MessageList {...props} />
          <Composer {...props} />
        </div>
      )}
    </UseSignal>
  );
}

/**
 * The model's name and state, load progress, speed of the last answer and
 * the Clear button.
 */
function Header(props: IChatViewProps): JSX.Element {
  const { model, trans } = props;
  const status = model.status;
  const state = status?.state ?? 'absent';
  const connection = model.connectionState;
  const progress =
    status?.state === 'loading' && typeof status.progress === 'number'
      ? Math.round(Math.min(1, Math.max(0, status.progress)) * 100)
      : null;

  let label: string;
  if (!status) {
    label =
      connection === 'connected'
        ? trans.__('Waiting…')
        : trans.__('Connecting…');
  } else if (state === 'loading') {
    const what = status.message || trans.__('Loading');
    label = progress === null ? `${what}…` : `${what}… ${progress}%`;
  } else if (state === 'ready') {
    label = trans.__('Ready');
  } else if (state === 'error') {
    label = trans.__('Error: %1', status.message || trans.__('unknown'));
  } else {
    label = trans.__('Not loaded');
  }
  const reconnecting = status !== null && connection !== 'connected';

  return (
    <div className="jp-oci-header">
      <div
        className="jp-oci-status"
        data-state={state}
        data-connection={connection}
        role="status"
        aria-live="polite"
      >
        <span className="jp-oci-status-model" title={status?.model}>
          {status?.model || trans.__('Local model')}
        </span>
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
            aria-label={trans.__('Model loading progress')}
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
          className="jp-Button jp-mod-minimal jp-oci-clear"
          aria-label={trans.__('Clear conversation')}
          title={trans.__('Clear conversation')}
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
            {trans.__(
              'Ask the local model to write, explain or fix Python code. Enter sends, Shift+Enter adds a new line.'
            )}
          </div>
        ) : (
          model.messages.map(entry => (
            <Message
              key={entry.id}
              entry={entry}
              model={model}
              running={model.running}
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

interface IMessageProps {
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
const Message = React.memo(function Message(props: IMessageProps): JSX.Element {
  const { entry, trans } = props;
  if (entry.kind === 'fix' && entry.fix) {
    return <FixEntry {...props} fix={entry.fix} />;
  }
  if (entry.kind === 'task' && entry.task) {
    return (
      <TaskEntry
        entryId={entry.id}
        task={entry.task}
        model={props.model}
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
        <div className="jp-oci-typing" aria-label={trans.__('Generating')}>
          <span />
          <span />
          <span />
        </div>
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
            model={model}
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
              model={model}
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
            onClick={() => model.interruptRun()}
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

/**
 * The fix loop of a failing cell: each round's explanation, diff and run,
 * the buttons for the proposal, and the outcome.
 */
function FixEntry(props: IMessageProps & { fix: IFixState }): JSX.Element {
  const { entry, model, fix, trans } = props;
  const session = model.fixSession(entry.id);
  const active = !['fixed', 'failed', 'cancelled'].includes(fix.status);
  const headline =
    fix.status === 'fixed'
      ? trans._n(
          'Fixed %2 in %1 round',
          'Fixed %2 in %1 rounds',
          fix.outcome?.rounds ?? fix.round,
          fix.label
        )
      : fix.status === 'failed'
        ? trans.__('Not fixed: %1', fix.label)
        : fix.status === 'cancelled'
          ? trans.__('Fix of %1 ended', fix.label)
          : trans.__('Fixing %1 (round %2)', fix.label, fix.round);
  return (
    <div
      className="jp-oci-fix"
      data-state={fix.status}
      data-round={fix.round}
      data-applied={fix.applied ? 'true' : 'false'}
      aria-label={trans.__('Fix of %1', fix.label)}
    >
      <div className="jp-oci-fix-header">
        <span className="jp-oci-fix-title">{headline}</span>
        {active && (
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-oci-fix-stop"
            aria-label={trans.__('Stop the fix')}
            title={trans.__('Stop the fix')}
            onClick={() => session?.stop()}
          >
            {trans.__('Stop')}
          </button>
        )}
      </div>
      {fix.error && <div className="jp-oci-fix-error">{fix.error}</div>}
      {fix.rounds.map(round => (
        <FixRoundView
          key={round.round}
          round={round}
          current={round.round === fix.round}
          fix={fix}
          trans={trans}
        />
      ))}
      {fix.status === 'proposed' && (
        <div className="jp-oci-fix-actions">
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-accept jp-oci-fix-apply-run"
            aria-label={trans.__('Apply the fix and run the cell')}
            title={trans.__('Apply the fix and run the cell')}
            onClick={() => void session?.applyAndRun()}
          >
            {trans.__('Apply & run')}
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-oci-fix-apply"
            aria-label={trans.__(
              'Apply the fix to the cell without running it'
            )}
            title={trans.__('Apply the fix to the cell without running it')}
            onClick={() => session?.apply()}
          >
            {trans.__('Apply')}
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject jp-oci-fix-discard"
            aria-label={trans.__('Discard the fix')}
            title={trans.__('Discard the fix')}
            onClick={() => session?.discard()}
          >
            {trans.__('Discard')}
          </button>
        </div>
      )}
      {!active && (
        <div className="jp-oci-fix-outcome" role="status">
          {fix.message ??
            (fix.status === 'fixed'
              ? trans.__('The cell runs without error.')
              : '')}
        </div>
      )}
      {fix.status === 'fixed' && fix.cause && (
        <FixCauseNote cause={fix.cause} session={session} trans={trans} />
      )}
      {fix.applied && !active && (
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-minimal jp-oci-fix-undo"
          aria-label={trans.__('Restore the original source of the cell')}
          title={trans.__('Restore the original source of the cell')}
          onClick={() => session?.undo()}
        >
          {trans.__('Undo')}
        </button>
      )}
    </div>
  );
}

/**
 * Where the cause of a fixed failure probably lay (an earlier cell whose
 * definitions the fix changed), with a button that shows that cell in the
 * notebook; no button once the cell is gone.
 */
function FixCauseNote(props: {
  cause: IFixCauseState;
  session: FixSession | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { cause, session, trans } = props;
  const names = cause.names.join(', ');
  const where = cause.cell;
  const text =
    where === null
      ? trans.__(
          'The cause was probably in an earlier cell, which defines %1: the fix repairs it in this cell.',
          names
        )
      : trans.__(
          'The cause was probably in cell %1, which defines %2: the fix repairs it in this cell.',
          where,
          names
        );
  return (
    <div className="jp-oci-fix-cause" data-cell={where ?? ''}>
      <span className="jp-oci-fix-cause-text">{text}</span>
      {where !== null && session && (
        <button
          type="button"
          className="jp-oci-fix-cause-link"
          aria-label={trans.__('Go to cell %1 in the notebook', where)}
          title={trans.__(
            'Make cell %1 the active cell and scroll it into view',
            where
          )}
          onClick={() => session.revealCause()}
        >
          {trans.__('Go to cell %1', where)}
        </button>
      )}
    </div>
  );
}

/**
 * One round: the streamed answer (then the proposal's explanation), the
 * diff, and the run's result.
 */
function FixRoundView(props: {
  round: IFixRound;
  current: boolean;
  fix: IFixState;
  trans: TranslationBundle;
}): JSX.Element {
  const { round, fix, trans } = props;
  const streaming =
    round.code === undefined && props.current && fix.status === 'streaming';
  // Once the proposal came: its explanation, else the answer's prose (the
  // code is in the diff).
  const text =
    round.code !== undefined
      ? (round.explanation ?? '').trim() ||
        round.text.replace(/```[^\n]*\n[\s\S]*?(?:```|$)/g, '').trim() ||
        trans.__('The proposed change:')
      : round.text;
  return (
    <div
      className="jp-oci-fix-round"
      data-round={round.round}
      data-result={round.result?.status ?? ''}
    >
      <div className="jp-oci-fix-round-title">
        {trans.__('Round %1', round.round)}
      </div>
      {text !== '' ? (
        <div className="jp-oci-fix-explanation">{text}</div>
      ) : (
        streaming && (
          <div className="jp-oci-typing" aria-label={trans.__('Generating')}>
            <span />
            <span />
            <span />
          </div>
        )
      )}
      {round.code === undefined && !props.current && (
        <div className="jp-oci-fix-note">
          {trans.__('No usable code in this answer; asked again.')}
        </div>
      )}
      {round.diff && <DiffView lines={round.diff} />}
      {round.result && (
        <div className="jp-oci-fix-result" data-status={round.result.status}>
          {round.result.status === 'running'
            ? trans.__('Running the cell…')
            : round.result.status === 'ok'
              ? trans.__('Ran without error. %1', round.result.text)
              : trans.__('Still failing: %1', round.result.text)}
        </div>
      )}
    </div>
  );
}

/**
 * A line diff: removed and added lines marked.
 */
function DiffView(props: { lines: ReadonlyArray<IDiffLine> }): JSX.Element {
  return (
    <pre className="jp-oci-diff">
      {props.lines.map((line, i) => (
        <div
          key={i}
          className={
            line.kind === 'del'
              ? 'jp-oci-diff-line jp-oci-diff-del'
              : line.kind === 'add'
                ? 'jp-oci-diff-line jp-oci-diff-add'
                : 'jp-oci-diff-line'
          }
        >
          {(line.kind === 'del' ? '- ' : line.kind === 'add' ? '+ ' : '  ') +
            line.text}
        </div>
      ))}
    </pre>
  );
}

/**
 * The notebook context the next message will carry, with a button to leave
 * it out.
 */
function PendingContext(props: IChatViewProps): JSX.Element | null {
  const { model, trans } = props;
  const context = model.pendingContext;
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
        onClick={() => model.dismissContext()}
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
  const taskMode = model.taskMode && model.canRunTasks;

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
      const asTask = (event.ctrlKey || event.metaKey) && model.canRunTasks;
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
        {model.canRunTasks && (
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
