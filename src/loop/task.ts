/**
 * Task mode, the OpenCodeInterpreter loop in the notebook: the server answers
 * a message round after round; each round with code is put in a new cell,
 * run in the live kernel (after the user's consent, or at once) and its
 * outputs go back to the model, until it answers without code. The state
 * lives here; the panel renders it.
 */
import { AssistantClient } from '../api/client';
import { ChatError, errorMessage } from '../api/errors';
import { tokensPerSecond } from '../api/streams';
import { formatOutputs } from '../notebook/outputs';
import {
  ExecutionStatus,
  IChatMessage,
  IDoneMessage,
  IProposalMessage,
  ITaskOutcome,
  isTaskOutcome
} from '../protocol';
import { IRoundEntry, updateRound } from './rounds';
import { LoopSession, runSummary } from './session';
import { ICellRunResult, ITaskCell, ITaskNotebook } from './targets';

/**
 * Whether each proposed cell waits for the user's Run (`ask`) or runs at
 * once (`auto`).
 */
export type TaskConsent = 'ask' | 'auto';

/**
 * Where a task stands: generating (`streaming`), a cell waiting for Run
 * (`waiting`), a cell running (`running`); then `done` (the server's
 * outcome), `stopped` (Stop, Skip, or the server cancelled), `failed` (an
 * error, or the notebook could not run the cell) or `interrupted` (the
 * connection dropped).
 */
export type TaskStatus =
  | 'streaming'
  | 'waiting'
  | 'running'
  | 'done'
  | 'stopped'
  | 'failed'
  | 'interrupted';

/**
 * The statuses of a task by their role in the loop: those of a task
 * that still runs, and the one Stop ends it with.
 */
export const TASK_STATUSES: LoopSession.IStatuses<TaskStatus> = {
  active: ['streaming', 'waiting', 'running'],
  stopped: 'stopped'
};

/**
 * Where the cell of one step stands: waiting for Run, running, ran (how it
 * ended), declined (`skipped`) or not run because the task ended first.
 */
export type TaskStepStatus =
  'pending' | 'running' | ExecutionStatus | 'skipped' | 'not-run';

/**
 * The cell of one step and its run.
 */
export interface ITaskStepCell {
  /** e.g. `cell 4 of analysis.ipynb`. */
  readonly label: string;
  readonly status: TaskStepStatus;
  /** The outcome in one line, e.g. `NameError: …`, `2 lines of output`. */
  readonly summary: string;
  /** The outputs as text (rich outputs named with type and size). */
  readonly output: string;
}

/**
 * One round of a task: its streamed answer (markdown), then
 * (`IRoundEntry`) its proposal's code and explanation.
 */
export interface ITaskStep extends IRoundEntry {
  /** The cell it went into, once inserted. */
  readonly cell?: ITaskStepCell;
}

/**
 * What the panel shows of a task. Immutable: each change makes a new one.
 */
export interface ITaskState {
  readonly status: TaskStatus;
  /** The notebook's name. */
  readonly notebook: string;
  readonly consent: TaskConsent;
  /** The most rounds asked for; null: the server's default. */
  readonly maxRounds: number | null;
  /** The rounds shown as steps (the final answer is not one). */
  readonly steps: ReadonlyArray<ITaskStep>;
  /** The round in progress or the last one. */
  readonly round: number;
  /**
   * The server's outcome, once done; its `transcript` is what the model saw,
   * which the next request of the conversation replays.
   */
  readonly outcome?: ITaskOutcome;
  /** The final answer (an answer without code), once done. */
  readonly answer?: string;
  /** Why it stopped or failed, or the outcome's message. */
  readonly message?: string;
  /** Generation speed, when the server reported it. */
  readonly tokensPerSecond?: number;
}

/**
 * The statuses of a step's cell that did not run (yet).
 */
export const UNRUN_CELL_STATUSES: ReadonlyArray<TaskStepStatus> = [
  'pending',
  'skipped',
  'not-run'
];

/**
 * How many cells of a task ran (or run now).
 */
export function cellsRun(state: ITaskState): number {
  return state.steps.filter(
    s => s.cell && !UNRUN_CELL_STATUSES.includes(s.cell.status)
  ).length;
}

/**
 * Whether a finished task ended with its final answer.
 */
export function isAnswered(outcome: ITaskOutcome | undefined): boolean {
  return outcome?.status === 'answered';
}

/**
 * One task: its request, its cells and its state.
 */
export class TaskSession extends LoopSession<ITaskState, ITaskStep> {
  constructor(options: TaskSession.IOptions) {
    super({
      id: options.id,
      rounds: 'steps',
      state: {
        status: 'streaming',
        notebook: options.notebook.name,
        consent: options.consent,
        maxRounds: options.maxRounds,
        steps: [{ round: 1, text: '' }],
        round: 1
      },
      statuses: TASK_STATUSES
    });
    this._client = options.client;
    this._notebook = options.notebook;
    this._request = {
      messages: options.messages,
      maxRounds: options.maxRounds,
      maxTokens: options.maxTokens,
      temperature: options.temperature
    };
    this._notebook.lost.connect(this._onNotebookLost, this);
  }

  /**
   * Send the `task` request.
   */
  start(): void {
    this._open(() =>
      this._client.task({
        ...this._request,
        language: this._notebook.language
      })
    );
  }

  /**
   * Run the cell waiting for consent; the next cells then wait again (`ask`).
   */
  async approve(): Promise<boolean> {
    const waiting = this._waiting;
    if (this.state.status !== 'waiting' || !waiting) {
      return false;
    }
    return this._run(waiting.round, waiting.cell);
  }

  /**
   * Decline the cell waiting for consent: it stays in the notebook, not run,
   * and the task stops (a `cancel`).
   */
  skip(): void {
    const waiting = this._waiting;
    if (this.state.status !== 'waiting' || !waiting) {
      return;
    }
    this._updateCell(waiting.round, { status: 'skipped' });
    this._stream?.cancel();
    this._finish(
      'stopped',
      'Stopped: the proposed cell was not run; it stays in the notebook.'
    );
  }

  /**
   * Show the cell of a step in the notebook.
   */
  reveal(round: number): boolean {
    const cell = this._cells.get(round);
    if (!cell) {
      return false;
    }
    try {
      cell.reveal();
      return true;
    } catch {
      return false;
    }
  }

  protected _onProposal(proposal: IProposalMessage): void {
    const round = proposal.round;
    this._setState({
      ...this.state,
      round,
      steps: this._proposedRounds(proposal)
    });
    const problem = this._notebook.problem();
    if (problem) {
      this._abort(round, problem);
      return;
    }
    let cell: ITaskCell;
    try {
      cell = this._notebook.insert(proposal.code, this._previousCell(round));
    } catch (reason) {
      this._abort(round, errorMessage(reason));
      return;
    }
    this._cells.set(round, cell);
    cell.lost.connect(this._onCellLost, this);
    this._updateCell(round, {
      ...labelOf(cell),
      status: 'pending',
      summary: '',
      output: ''
    });
    if (this.state.consent === 'auto') {
      void this._run(round, cell);
    } else {
      this._waiting = { round, cell };
      this._setState({ ...this.state, status: 'waiting' });
    }
  }

  protected _onDone(done: IDoneMessage): void {
    const speed = tokensPerSecond(done);
    const timing = speed !== undefined ? { tokensPerSecond: speed } : {};
    const outcome = isTaskOutcome(done.outcome) ? done.outcome : undefined;
    if (done.cancelled || !outcome) {
      this._finish('stopped', done.cancelled ? 'Stopped.' : undefined, timing);
      return;
    }
    // The last round, without code, is the final answer, not a step.
    const answered = isAnswered(outcome);
    const steps = this.state.steps;
    const last = steps[steps.length - 1];
    const final = answered && last?.code === undefined ? last : undefined;
    const answer = answered
      ? outcome.answer.trim() || (final?.text.trim() ?? '')
      : '';
    this._finish('done', outcome.message || undefined, {
      ...timing,
      steps: final ? steps.slice(0, -1) : steps,
      outcome,
      ...(answer ? { answer } : {})
    });
  }

  protected _onFailed(error: unknown): void {
    if (error instanceof ChatError && error.kind === 'connection') {
      this._finish(
        'interrupted',
        'Interrupted: the connection to the assistant server was lost.'
      );
      return;
    }
    super._onFailed(error);
  }

  protected _onRan(
    round: number,
    result: ICellRunResult,
    current: boolean
  ): void {
    const cell = this._cells.get(round);
    if (result.status === 'dead') {
      const reason = result.message ?? 'The cell could not run.';
      this._updateCell(round, { status: 'dead', summary: reason });
    } else {
      this._updateCell(round, {
        status: result.status,
        ...(cell ? labelOf(cell) : {}),
        summary: runSummary(result),
        output: formatOutputs(result.outputs)
      });
    }
    if (!current) {
      // Stopped while the cell ran: its step shows how it ended, no more.
      this._releaseIfIdle();
    }
  }

  protected _resultFields(): Partial<ITaskStep> {
    // What the model is told of the run is the server's to word: it comes
    // back in the outcome's transcript.
    return {};
  }

  /**
   * The notebook cannot go on: the round's cell shows why, and the task
   * failed.
   */
  protected _onAborted(round: number | null, reason: string): void {
    if (round !== null) {
      const status = this.state.steps.find(s => s.round === round)?.cell
        ?.status;
      if (status === 'pending') {
        this._updateCell(round, { status: 'not-run' });
      } else if (status === 'running') {
        // Its run may never report back; say why it ended now.
        this._updateCell(round, { status: 'dead', summary: reason });
      }
    }
    this._finish('failed', reason);
  }

  protected _settle(state: ITaskState): ITaskState {
    this._waiting = null;
    return {
      ...state,
      steps: state.steps.map(s =>
        s.cell?.status === 'pending'
          ? { ...s, cell: { ...s.cell, status: 'not-run' as const } }
          : s
      )
    };
  }

  protected _onFinished(): void {
    this._releaseIfIdle();
  }

  protected _onDisposed(): void {
    this._release();
  }

  private async _run(round: number, cell: ITaskCell): Promise<boolean> {
    this._waiting = null;
    const problem = cell.problem();
    if (problem) {
      this._abort(round, problem);
      return false;
    }
    this._updateCell(round, { status: 'running', ...labelOf(cell) });
    this._setState({ ...this.state, status: 'running' });
    return this._runRound(round, cell);
  }

  private _onNotebookLost(_: ITaskNotebook, reason: string): void {
    if (this.active) {
      const round = this._waiting?.round ?? this._running?.round ?? null;
      this._abort(round, `The task ended: ${reason}`);
    }
  }

  private _onCellLost(cell: ITaskCell, reason: string): void {
    // Only the cell waiting for Run or running matters: older ones ran.
    const pending = this._waiting ?? this._running;
    if (this.active && pending?.cell === cell) {
      this._abort(pending.round, `The task ended: ${reason}`);
    }
  }

  /**
   * The cell the next one goes below: the latest step's that is still in the
   * notebook, else none (below the active cell).
   */
  private _previousCell(round: number): ITaskCell | null {
    const rounds = [...this._cells.keys()]
      .filter(r => r < round)
      .sort((a, b) => b - a);
    for (const r of rounds) {
      const cell = this._cells.get(r)!;
      if (cell.problem() === null) {
        return cell;
      }
    }
    return null;
  }

  private _updateCell(round: number, change: Partial<ITaskStepCell>): void {
    this._setState({
      ...this.state,
      steps: updateRound(this.state.steps, round, s => ({
        ...s,
        cell: {
          label: '',
          status: 'pending',
          summary: '',
          output: '',
          ...s.cell,
          ...change
        }
      }))
    });
  }

  /**
   * Stop listening to the notebook once the task ended and no cell of it
   * runs (the cells stay known for `reveal`).
   */
  private _releaseIfIdle(): void {
    if (!this.active && this._running === null) {
      this._release();
    }
  }

  private _release(): void {
    this._notebook.lost.disconnect(this._onNotebookLost, this);
    this._notebook.dispose();
    for (const cell of this._cells.values()) {
      cell.lost.disconnect(this._onCellLost, this);
      cell.dispose();
    }
  }

  private _client: AssistantClient;
  private _notebook: ITaskNotebook;
  private _request: Omit<AssistantClient.ITaskOptions, 'language'>;
  private _cells = new Map<number, ITaskCell>();
  private _waiting: { round: number; cell: ITaskCell } | null = null;
}

export namespace TaskSession {
  export interface IOptions {
    /** The id of the conversation entry showing it. */
    id: string;
    client: AssistantClient;
    /** Where its cells go and run; the session disposes it. */
    notebook: ITaskNotebook;
    /** The conversation; its last user message is the task. */
    messages: IChatMessage[];
    /** Null: the server's default. */
    maxRounds: number | null;
    consent: TaskConsent;
    /** Null: the server's default. */
    maxTokens?: number | null;
    /** Null: the server's default. */
    temperature?: number | null;
  }
}

/**
 * `{ label }` where the cell is now, or nothing when it is gone.
 */
function labelOf(cell: ITaskCell): { label?: string } {
  try {
    return { label: cell.label() };
  } catch {
    return {};
  }
}
