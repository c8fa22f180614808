/**
 * Task mode, the OpenCodeInterpreter loop in the notebook: the server answers
 * a message round after round; each round with code is put in a new cell,
 * run in the live kernel (after the user's consent, or at once) and its
 * outputs go back to the model, until it answers without code. The state
 * lives here; the panel renders it.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  AssistantClient,
  ChatError,
  ChatStream,
  LoopStream,
  TaskStream
} from './client';
import { IFixRunResult } from './fix';
import {
  formatExecutionResult,
  formatOutputs,
  summarizeOutputs
} from './outputs';
import {
  ExecutionStatus,
  IChatMessage,
  IDoneMessage,
  IProposalMessage,
  ITaskOutcome,
  isTaskOutcome
} from './protocol';
import { appendRoundText, ensureRound, updateRound } from './rounds';

/**
 * Whether each proposed cell waits for the user's Run (`ask`) or runs at
 * once (`auto`).
 */
export type TaskConsent = 'ask' | 'auto';

/**
 * The most rounds of a task the server accepts.
 */
export const MAX_TASK_ROUNDS = 20;

/**
 * A code cell a task inserted. `NotebookBridge` makes them; tests use fakes.
 */
export interface ITaskCell extends IDisposable {
  /** Identifies the cell. */
  readonly key: string;
  /**
   * Emits, with the reason, when the cell or its notebook is gone or the
   * kernel died.
   */
  readonly lost: ISignal<ITaskCell, string>;
  /** Where the cell is now, e.g. `cell 4 of analysis.ipynb`. */
  label(): string;
  /** Why the cell cannot run now, or null. */
  problem(): string | null;
  /** Run the cell in the live kernel; resolves with its outputs. */
  run(): Promise<IFixRunResult>;
  /** Show the cell: its notebook in front, the cell active and in view. */
  reveal(): void;
}

/**
 * The notebook a task works in: the current one when it starts, for the
 * whole task.
 */
export interface ITaskNotebook extends IDisposable {
  /** e.g. `analysis.ipynb`. */
  readonly name: string;
  /** The kernel's language (`python`). */
  readonly language: string;
  /** Emits, with the reason, when the notebook is closed or its kernel died. */
  readonly lost: ISignal<ITaskNotebook, string>;
  /** Why code cannot run in the notebook now, or null. */
  problem(): string | null;
  /**
   * Insert a code cell holding `code` below `after`, or when null below the
   * active cell (at the end when none is active), and make it active.
   * Throws when the notebook is gone.
   */
  insert(code: string, after: ITaskCell | null): ITaskCell;
}

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
 * One round of a task.
 */
export interface ITaskStep {
  readonly round: number;
  /** The streamed answer (markdown). */
  readonly text: string;
  /** The proposed code, once the proposal came. */
  readonly code?: string;
  readonly explanation?: string;
  /** The cell it went into, once inserted. */
  readonly cell?: ITaskStepCell;
  /** The `Execution result:` turn sent back to the model. */
  readonly feedback?: string;
}

/**
 * What the panel shows of a task. Immutable: each change makes a new one.
 */
export interface ITaskState {
  readonly status: TaskStatus;
  /** The notebook's name. */
  readonly notebook: string;
  readonly consent: TaskConsent;
  readonly maxRounds: number;
  /** The rounds shown as steps (the final answer is not one). */
  readonly steps: ReadonlyArray<ITaskStep>;
  /** The round in progress or the last one. */
  readonly round: number;
  /** The server's outcome, once done. */
  readonly outcome?: ITaskOutcome;
  /** The final answer (an answer without code), once done. */
  readonly answer?: string;
  /** Why it stopped or failed, or the outcome's message. */
  readonly message?: string;
  /** Generation speed, when the server reported it. */
  readonly tokensPerSecond?: number;
}

/**
 * One task: its request, its cells and its state.
 */
export class TaskSession implements IDisposable {
  constructor(options: TaskSession.IOptions) {
    this.id = options.id;
    this._client = options.client;
    this._notebook = options.notebook;
    this._request = {
      messages: options.messages,
      maxRounds: options.maxRounds,
      maxTokens: options.maxTokens,
      temperature: options.temperature
    };
    this._state = {
      status: 'streaming',
      notebook: this._notebook.name,
      consent: options.consent,
      maxRounds: options.maxRounds,
      steps: [{ round: 1, text: '' }],
      round: 1
    };
    this._notebook.lost.connect(this._onNotebookLost, this);
  }

  /** The id of the conversation entry showing it. */
  readonly id: string;

  get state(): ITaskState {
    return this._state;
  }

  /**
   * Emits after each change of `state`.
   */
  get changed(): ISignal<this, ITaskState> {
    return this._changed;
  }

  /**
   * Whether the task still runs.
   */
  get active(): boolean {
    return ACTIVE.includes(this._state.status);
  }

  /**
   * The request id, once sent.
   */
  get requestId(): string | null {
    return this._stream?.id ?? null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Send the `task` request.
   */
  start(): void {
    if (this._stream || !this.active || this._isDisposed) {
      return;
    }
    let stream: TaskStream;
    try {
      stream = this._client.task({
        ...this._request,
        language: this._notebook.language
      });
    } catch (reason) {
      this._finish('failed', describe(reason));
      return;
    }
    this._stream = stream;
    stream.tokenReceived.connect(this._onToken, this);
    stream.proposalReceived.connect(this._onProposal, this);
    stream.finished.then(
      done => this._onDone(done),
      (error: unknown) => this._onFailed(error)
    );
  }

  /**
   * Run the cell waiting for consent; the next cells then wait again (`ask`).
   */
  async approve(): Promise<boolean> {
    const waiting = this._waiting;
    if (this._state.status !== 'waiting' || !waiting) {
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
    if (this._state.status !== 'waiting' || !waiting) {
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
   * Stop at any time (a `cancel`). A running cell is not interrupted: it
   * finishes in the kernel and its step shows how it ended.
   */
  stop(): void {
    if (!this.active) {
      return;
    }
    this._stream?.cancel();
    this._finish('stopped', 'Stopped.');
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

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    if (this.active) {
      this._stream?.cancel();
    }
    this._isDisposed = true;
    this._release();
    Signal.clearData(this);
  }

  private _onToken(stream: ChatStream, text: string): void {
    const task = this._stream;
    if (!task || stream !== task || !this.active) {
      return;
    }
    const round = task.round;
    const steps = appendRoundText(this._state.steps, round, text);
    this._setState({ ...this._state, round, steps });
  }

  private _onProposal(stream: LoopStream, proposal: IProposalMessage): void {
    if (stream !== this._stream || !this.active) {
      return;
    }
    const round = proposal.round;
    const base = ensureRound(this._state.steps, round);
    this._setState({
      ...this._state,
      round,
      steps: base.map(s =>
        s.round === round
          ? { ...s, code: proposal.code, explanation: proposal.explanation }
          : s
      )
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
      this._abort(round, describe(reason));
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
    if (this._state.consent === 'auto') {
      void this._run(round, cell);
    } else {
      this._waiting = { round, cell };
      this._setState({ ...this._state, status: 'waiting' });
    }
  }

  private async _run(round: number, cell: ITaskCell): Promise<boolean> {
    this._waiting = null;
    const problem = cell.problem();
    if (problem) {
      this._abort(round, problem);
      return false;
    }
    this._running = { round, cell };
    this._updateCell(round, { status: 'running', ...labelOf(cell) });
    this._setState({ ...this._state, status: 'running' });
    let result: IFixRunResult;
    try {
      result = await cell.run();
    } catch (reason) {
      result = { status: 'dead', outputs: [], message: describe(reason) };
    }
    this._running = null;
    if (this._isDisposed) {
      return false;
    }
    const current = this._state.status === 'running';
    if (result.status === 'dead') {
      const reason = result.message ?? 'The cell could not run.';
      this._updateCell(round, { status: 'dead', summary: reason });
      if (current) {
        this._abort(round, reason);
      } else {
        this._releaseIfIdle();
      }
      return false;
    }
    const summary = summarizeOutputs(result.outputs);
    this._updateCell(round, {
      status: result.status,
      ...labelOf(cell),
      summary:
        result.status === 'timeout'
          ? `Timed out. ${summary.text}`
          : summary.text,
      output: formatOutputs(result.outputs)
    });
    if (!current) {
      // Stopped while the cell ran: its step shows how it ended, no more.
      this._releaseIfIdle();
      return false;
    }
    this._stream?.sendResult({
      round,
      status: result.status,
      outputs: result.outputs
    });
    this._setState({
      ...this._state,
      status: 'streaming',
      steps: updateRound(this._state.steps, round, s => ({
        ...s,
        feedback: formatExecutionResult(result.outputs)
      }))
    });
    return true;
  }

  private _onDone(done: IDoneMessage): void {
    if (this._isDisposed || !this.active) {
      return;
    }
    const speed = done.timings?.tokens_per_second;
    const tokensPerSecond =
      typeof speed === 'number' && Number.isFinite(speed) && speed > 0
        ? { tokensPerSecond: speed }
        : {};
    const outcome = isTaskOutcome(done.outcome) ? done.outcome : undefined;
    if (done.cancelled || !outcome) {
      this._finish('stopped', done.cancelled ? 'Stopped.' : undefined, {
        ...tokensPerSecond
      });
      return;
    }
    // The last round, without code, is the final answer, not a step.
    const answered =
      outcome.status === 'answered' || outcome.status === 'no_code';
    const steps = this._state.steps;
    const last = steps[steps.length - 1];
    const final = answered && last?.code === undefined ? last : undefined;
    const answer = answered
      ? (typeof outcome.answer === 'string' ? outcome.answer.trim() : '') ||
        (final?.text.trim() ?? '')
      : '';
    this._finish('done', outcome.message || undefined, {
      ...tokensPerSecond,
      steps: final ? steps.slice(0, -1) : steps,
      outcome,
      ...(answer ? { answer } : {})
    });
  }

  private _onFailed(error: unknown): void {
    if (this._isDisposed || !this.active) {
      return;
    }
    if (error instanceof ChatError && error.kind === 'connection') {
      this._finish(
        'interrupted',
        'Interrupted: the connection to the assistant server was lost.'
      );
      return;
    }
    this._finish('failed', describe(error));
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
   * End the task because the notebook cannot go on: answer the round the
   * server waits for with `dead` (when one does), cancel, and say why.
   */
  private _abort(round: number | null, reason: string): void {
    if (round !== null) {
      this._stream?.sendResult({
        round,
        status: 'dead',
        outputs: [],
        message: reason
      });
      const status = this._state.steps.find(s => s.round === round)?.cell
        ?.status;
      if (status === 'pending') {
        this._updateCell(round, { status: 'not-run' });
      } else if (status === 'running') {
        // Its run may never report back; say why it ended now.
        this._updateCell(round, { status: 'dead', summary: reason });
      }
    }
    this._stream?.cancel();
    this._finish('failed', reason);
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
      ...this._state,
      steps: updateRound(this._state.steps, round, s => ({
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

  private _finish(
    status: TaskStatus,
    message?: string,
    extra: Partial<ITaskState> = {}
  ): void {
    this._waiting = null;
    const steps = (extra.steps ?? this._state.steps).map(s =>
      s.cell?.status === 'pending'
        ? { ...s, cell: { ...s.cell, status: 'not-run' as const } }
        : s
    );
    this._setState({
      ...this._state,
      ...extra,
      steps,
      status,
      ...(message !== undefined ? { message } : {})
    });
    this._releaseIfIdle();
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

  private _setState(state: ITaskState): void {
    this._state = state;
    if (!this._isDisposed) {
      this._changed.emit(state);
    }
  }

  private _client: AssistantClient;
  private _notebook: ITaskNotebook;
  private _request: Omit<AssistantClient.ITaskOptions, 'language'>;
  private _stream: TaskStream | null = null;
  private _cells = new Map<number, ITaskCell>();
  private _waiting: { round: number; cell: ITaskCell } | null = null;
  private _running: { round: number; cell: ITaskCell } | null = null;
  private _state: ITaskState;
  private _isDisposed = false;
  private _changed = new Signal<this, ITaskState>(this);
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
    maxRounds: number;
    consent: TaskConsent;
    maxTokens?: number;
    temperature?: number;
  }
}

/**
 * The conversation turns of a task, for later requests: each step's answer,
 * and the execution result sent back after it.
 */
export function taskTranscript(state: ITaskState): IChatMessage[] {
  const result: IChatMessage[] = [];
  for (const step of state.steps) {
    if (step.text.trim()) {
      result.push({ role: 'assistant', content: step.text });
    }
    if (step.feedback) {
      result.push({ role: 'user', content: step.feedback });
    }
  }
  return result;
}

const ACTIVE: ReadonlyArray<TaskStatus> = ['streaming', 'waiting', 'running'];

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

function describe(reason: unknown): string {
  if (reason instanceof ChatError || reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}
