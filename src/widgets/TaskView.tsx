import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  ITaskState,
  ITaskStep,
  ITaskStepCell,
  TASK_STATUSES,
  TaskSession,
  TaskStepStatus,
  cellsRun,
  isAnswered
} from '../loop/task';
import { noteText } from '../loop/rounds';
import { LoopHeader, LoopRound } from './common';
import { MarkdownView } from './MarkdownView';

/**
 * Props of {@link TaskView}.
 */
export interface ITaskViewProps {
  task: ITaskState;
  /** The session of the task; null once the conversation forgot it. */
  session: TaskSession | null;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

/**
 * A task in the conversation: each round's answer, then its cell (a link to it in the notebook),
 * the cell's status and outputs in short, with Run and Skip while the cell
 * waits for consent; Stop while it runs; how it ended.
 */
export function TaskView(props: ITaskViewProps): JSX.Element {
  const { task, session, trans } = props;
  const active = TASK_STATUSES.active.includes(task.status);
  const ran = cellsRun(task);
  let headline: string;
  switch (task.status) {
    case 'done':
      headline = isAnswered(task.outcome)
        ? trans._n(
            'Task done in %2 with %1 cell run',
            'Task done in %2 with %1 cells run',
            ran,
            task.notebook
          )
        : trans.__('Task in %1 ended unfinished', task.notebook);
      break;
    case 'stopped':
      headline = trans.__('Task in %1 stopped', task.notebook);
      break;
    case 'failed':
      headline = trans.__('Task in %1 failed', task.notebook);
      break;
    case 'interrupted':
      headline = trans.__('Task in %1 interrupted', task.notebook);
      break;
    default:
      // Without a rounds setting, the server's default bounds the task.
      headline =
        task.maxRounds === null
          ? trans.__('Task in %1: round %2', task.notebook, task.round)
          : trans.__(
              'Task in %1: round %2 of at most %3',
              task.notebook,
              task.round,
              task.maxRounds
            );
  }
  return (
    <div
      className="jp-oci-task"
      data-state={task.status}
      data-round={task.round}
      aria-label={trans.__('Task in %1', task.notebook)}
    >
      <LoopHeader
        prefix="jp-oci-task"
        headline={headline}
        active={active}
        stopLabel={trans.__('Stop the task')}
        stopTitle={trans.__(
          'Stop the task (a running cell finishes in the kernel)'
        )}
        onStop={() => session?.stop()}
        trans={trans}
      />
      {task.steps.map((step, i) => (
        <TaskStepView
          key={step.round}
          step={step}
          current={active && step.round === task.round}
          last={i === task.steps.length - 1}
          task={task}
          session={session}
          rendermime={props.rendermime}
          trans={trans}
        />
      ))}
      {!active && task.message && (
        <div className="jp-oci-task-outcome" role="status">
          {task.message}
        </div>
      )}
    </div>
  );
}

/**
 * One round: the answer as markdown, then its cell.
 */
function TaskStepView(props: {
  step: ITaskStep;
  current: boolean;
  last: boolean;
  task: ITaskState;
  session: TaskSession | null;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { step, task, session, trans } = props;
  const streaming = props.current && task.status === 'streaming';
  const note = noteText(step.note);
  return (
    <LoopRound
      className="jp-oci-task-step"
      round={step.round}
      attributes={{ 'data-status': step.cell?.status ?? '' }}
      text={step.text}
      renderText={text => (
        <MarkdownView source={text} rendermime={props.rendermime} />
      )}
      streaming={streaming}
      trans={trans}
    >
      {step.cell ? (
        <TaskCellView
          cell={step.cell}
          round={step.round}
          waiting={props.current && task.status === 'waiting'}
          session={session}
          trans={trans}
        />
      ) : (
        step.code === undefined &&
        !streaming &&
        (!props.last || task.outcome?.status === 'repeated') && (
          <div className="jp-oci-task-note">
            {trans.__('Not run: the same code as the cell that had just run.')}
          </div>
        )
      )}
      {note && <div className="jp-oci-task-note">{note}</div>}
    </LoopRound>
  );
}

/**
 * The cell of a step: a link that shows it in the notebook, its status, its
 * outputs in short (unfolding to the outputs as text), and Run / Skip
 * while it waits for consent.
 */
function TaskCellView(props: {
  cell: ITaskStepCell;
  round: number;
  waiting: boolean;
  session: TaskSession | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { cell, round, session, trans } = props;
  const label = cell.label || trans.__('the cell');
  return (
    <div className="jp-oci-task-cell" data-status={cell.status}>
      <div className="jp-oci-task-cell-line">
        <button
          type="button"
          className="jp-oci-task-cell-link"
          title={trans.__('Show %1 in the notebook', label)}
          onClick={() => session?.reveal(round)}
        >
          {label}
        </button>
        <span className="jp-oci-task-cell-status">
          {statusLabel(cell.status, trans)}
        </span>
      </div>
      {cell.summary !== '' &&
        (cell.output !== '' && cell.output !== cell.summary ? (
          <details className="jp-oci-task-output">
            <summary className="jp-oci-task-summary">{cell.summary}</summary>
            <pre className="jp-oci-task-output-text">{cell.output}</pre>
          </details>
        ) : (
          <div className="jp-oci-task-summary">{cell.summary}</div>
        ))}
      {props.waiting && cell.status === 'pending' && (
        <div className="jp-oci-task-actions">
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-accept jp-oci-task-run"
            aria-label={trans.__('Run %1 in the kernel', label)}
            title={trans.__('Run the cell in the notebook’s kernel')}
            onClick={() => void session?.approve()}
          >
            {trans.__('Run')}
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject jp-oci-task-skip"
            aria-label={trans.__('Skip %1 and stop the task', label)}
            title={trans.__(
              'Do not run the cell and stop the task; the cell stays in the notebook'
            )}
            onClick={() => session?.skip()}
          >
            {trans.__('Skip')}
          </button>
        </div>
      )}
    </div>
  );
}

function statusLabel(status: TaskStepStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'pending':
      return trans.__('Waiting for approval');
    case 'running':
      return trans.__('Running…');
    case 'ok':
      return trans.__('Ran');
    case 'error':
      return trans.__('Error');
    case 'timeout':
      return trans.__('Timed out');
    case 'dead':
      return trans.__('Could not run');
    case 'skipped':
      return trans.__('Not run (skipped)');
    case 'not-run':
      return trans.__('Not run');
  }
}
