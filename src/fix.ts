/**
 * The fix loop of a failing cell: the server proposes a fix, the client
 * applies it, runs the cell in the live kernel and answers with the outputs,
 * round after round until the cell passes. The state lives here; the panel
 * renders it.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  AssistantClient,
  ChatError,
  ChatStream,
  FixStream,
  LoopStream
} from './client';
import { IDiffLine, diffLines } from './diff';
import { summarizeOutputs } from './outputs';
import {
  ExecutionStatus,
  IDoneMessage,
  IFixOutcome,
  IProposalMessage,
  isFixCause,
  isFixOutcome
} from './protocol';
import { appendRoundText, ensureRound, updateRound } from './rounds';

/**
 * The most characters of the variables summary sent with a fix.
 */
export const MAX_FIX_VARIABLES_CHARS = 2000;

/**
 * How a run of a proposal in the cell ended.
 */
export interface IFixRunResult {
  status: ExecutionStatus;
  outputs: nbformat.IOutput[];
  /** Why it could not run (status `dead`). */
  message?: string;
}

/**
 * An earlier cell of the notebook (one of a fix target's `context`), kept
 * as the cell itself, wherever it moves.
 */
export interface IFixContextCell extends IDisposable {
  /**
   * Emits when the cell may have moved or gone (cells of its notebook
   * inserted, moved or deleted, the notebook closed).
   */
  readonly changed: ISignal<IFixContextCell, void>;
  /** The cell's 1-based position in its notebook now; null when gone. */
  position(): number | null;
  /**
   * Make the cell the active one and scroll it into view, its notebook in
   * front; false when it is gone.
   */
  reveal(): boolean;
}

/**
 * The failing cell a fix works on. `NotebookBridge` makes them from notebook
 * cells; tests use fakes.
 */
export interface IFixTarget extends IDisposable {
  /** Identifies the cell (one fix per cell at a time). */
  readonly key: string;
  /** e.g. `cell 3 of analysis.ipynb`. */
  readonly label: string;
  /** The cell's source now. */
  readonly source: string;
  /** The outputs of the failing run. */
  readonly outputs: nbformat.IOutput[];
  /** Sources of the code cells above the cell, in order. */
  readonly context: string[];
  /**
   * The cell of `context[index]`, as it was when the target was made; null
   * when there is none. Optional: a target may not know its cells.
   */
  contextCell?(index: number): IFixContextCell | null;
  /** The kernel's language (`python`). */
  readonly language: string;
  /**
   * Emits when the user edits or re-runs the cell (not for the target's own
   * `setSource` and `run`).
   */
  readonly edited: ISignal<IFixTarget, void>;
  /**
   * Emits, with the reason, when the cell or its notebook is gone.
   */
  readonly lost: ISignal<IFixTarget, string>;
  /** Why the cell cannot be written or run now, or null. */
  problem(): string | null;
  /** A summary of the kernel's variables, or null. */
  readVariables(): Promise<string | null>;
  /** Replace the cell's source; throws when the cell is gone. */
  setSource(source: string): void;
  /** Run the cell in the live kernel; resolves with its outputs. */
  run(): Promise<IFixRunResult>;
}

/**
 * Where a fix stands.
 */
export type FixStatus =
  'streaming' | 'proposed' | 'running' | 'fixed' | 'failed' | 'cancelled';

/**
 * One round of a fix.
 */
export interface IFixRound {
  readonly round: number;
  /** The streamed answer. */
  readonly text: string;
  /** The proposal's explanation, once it came. */
  readonly explanation?: string;
  /** The proposed cell source, once it came. */
  readonly code?: string;
  /** Original → proposed, once the proposal came. */
  readonly diff?: ReadonlyArray<IDiffLine>;
  /** The run of the proposal. */
  readonly result?: {
    readonly status: 'running' | ExecutionStatus;
    readonly text: string;
  };
}

/**
 * Where the cause of a fixed failure probably lay: an earlier cell whose
 * definitions the fix changed (the server's `cause`).
 */
export interface IFixCauseState {
  /** The index of the cell in the target's `context`. */
  readonly index: number;
  /** The names the fix changed that the cell defines. */
  readonly names: ReadonlyArray<string>;
  /**
   * The cell's 1-based position in its notebook now; null when it was
   * deleted, its notebook closed, or the target does not know it.
   */
  readonly cell: number | null;
}

/**
 * What the panel shows of a fix. Immutable: each change makes a new one.
 */
export interface IFixState {
  readonly status: FixStatus;
  /** The cell, e.g. `cell 3 of analysis.ipynb`. */
  readonly label: string;
  /** The source of the failing cell, kept for Undo. */
  readonly original: string;
  /** What the failing run raised, e.g. `NameError: …`. */
  readonly error: string;
  readonly rounds: ReadonlyArray<IFixRound>;
  /** The round in progress or the last one. */
  readonly round: number;
  /** Whether the cell holds a proposal (Undo can restore the original). */
  readonly applied: boolean;
  /** The server's outcome, once done. */
  readonly outcome?: IFixOutcome;
  /** Where the cause probably lay, when the fix passed and the server said. */
  readonly cause?: IFixCauseState;
  /** Why it stopped, failed, or what was done at the end. */
  readonly message?: string;
}

/**
 * The fix loop of one cell.
 */
export class FixSession implements IDisposable {
  constructor(options: FixSession.IOptions) {
    this.id = options.id;
    this._client = options.client;
    this._target = options.target;
    this._maxRounds = options.maxRounds;
    const summary = summarizeOutputs(this._target.outputs);
    this._state = {
      status: 'streaming',
      label: this._target.label,
      original: this._target.source,
      error: summary.text,
      rounds: [{ round: 1, text: '' }],
      round: 1,
      applied: false
    };
    this._target.edited.connect(this._onEdited, this);
    this._target.lost.connect(this._onLost, this);
  }

  /** The id of the conversation entry showing it. */
  readonly id: string;

  /**
   * The cell being fixed.
   */
  get target(): IFixTarget {
    return this._target;
  }

  get state(): IFixState {
    return this._state;
  }

  /**
   * Emits after each change of `state`.
   */
  get changed(): ISignal<this, IFixState> {
    return this._changed;
  }

  /**
   * Whether the loop still runs (not fixed, failed or cancelled).
   */
  get active(): boolean {
    return !TERMINAL.includes(this._state.status);
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
   * Read the variables and send the `fix` request.
   */
  async start(): Promise<void> {
    let variables: string | null = null;
    try {
      variables = await this._target.readVariables();
    } catch {
      variables = null;
    }
    if (this._isDisposed || !this.active || this._stream) {
      return;
    }
    if (variables && variables.length > MAX_FIX_VARIABLES_CHARS) {
      variables = variables.slice(0, MAX_FIX_VARIABLES_CHARS) + '\n...';
    }
    let stream: FixStream;
    try {
      stream = this._client.fix({
        cell: { source: this._state.original, outputs: this._target.outputs },
        context: this._target.context,
        variables,
        language: this._target.language,
        maxRounds: this._maxRounds
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
   * Put the proposal in the cell and end the loop (a `cancel`).
   */
  apply(): boolean {
    const code = this._proposedCode();
    if (this._state.status !== 'proposed' || code === undefined) {
      return false;
    }
    if (!this._write(code)) {
      return false;
    }
    this._stream?.cancel();
    this._finish('cancelled', 'Applied to the cell without running it.', {
      applied: true
    });
    return true;
  }

  /**
   * Put the proposal in the cell, run it and send the outcome; the next
   * rounds' proposals are then applied and run as they come.
   */
  async applyAndRun(): Promise<boolean> {
    const code = this._proposedCode();
    if (this._state.status !== 'proposed' || code === undefined) {
      return false;
    }
    this._autoRun = true;
    return this._runRound(this._state.round, code);
  }

  /**
   * Drop the proposal and end the loop (a `cancel`).
   */
  discard(): void {
    if (!this.active) {
      return;
    }
    this._stream?.cancel();
    this._finish('cancelled', 'Discarded.');
  }

  /**
   * Stop the loop at any time (a `cancel`); the cell keeps what it holds.
   */
  stop(): void {
    if (!this.active) {
      return;
    }
    this._stream?.cancel();
    this._finish('cancelled', 'Stopped.');
  }

  /**
   * Show the cell where the cause probably lay: active, in view, its
   * notebook in front. False when there is none or it is gone.
   */
  revealCause(): boolean {
    const cell = this._causeCell;
    if (!cell || cell.isDisposed) {
      return false;
    }
    let shown = false;
    try {
      shown = cell.reveal();
    } catch {
      shown = false;
    }
    this._onCauseChanged();
    return shown;
  }

  /**
   * Put the original source back in the cell.
   */
  undo(): boolean {
    if (!this._state.applied) {
      return false;
    }
    if (!this._write(this._state.original)) {
      return false;
    }
    this._setState({ ...this._state, applied: false });
    return true;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    if (this.active) {
      this._stream?.cancel();
    }
    this._causeCell?.dispose();
    this._causeCell = null;
    this._isDisposed = true;
    Signal.disconnectReceiver(this);
    Signal.clearData(this);
  }

  private async _runRound(round: number, code: string): Promise<boolean> {
    const problem = this._target.problem();
    if (problem) {
      this._abort(problem);
      return false;
    }
    if (!this._write(code)) {
      return false;
    }
    this._setState({
      ...this._state,
      status: 'running',
      applied: true,
      rounds: updateRound(this._state.rounds, round, r => ({
        ...r,
        result: { status: 'running', text: '' }
      }))
    });
    let result: IFixRunResult;
    try {
      result = await this._target.run();
    } catch (reason) {
      result = { status: 'dead', outputs: [], message: describe(reason) };
    }
    if (this._isDisposed || this._state.status !== 'running') {
      return false;
    }
    if (result.status === 'dead') {
      // The loop cannot go on: say why, and put the original back.
      this._stream?.sendResult({
        round,
        status: 'dead',
        outputs: [],
        message: result.message
      });
      this._abort(result.message ?? 'The cell could not run.');
      return false;
    }
    const summary = summarizeOutputs(result.outputs);
    this._stream?.sendResult({
      round,
      status: result.status,
      outputs: result.outputs
    });
    this._setState({
      ...this._state,
      status: 'streaming',
      rounds: updateRound(this._state.rounds, round, r => ({
        ...r,
        result: {
          status: result.status,
          text:
            result.status === 'timeout'
              ? `Timed out. ${summary.text}`
              : summary.text
        }
      }))
    });
    return true;
  }

  private _onToken(stream: ChatStream, text: string): void {
    const fix = this._stream;
    if (!fix || stream !== fix || !this.active) {
      return;
    }
    const round = fix.round;
    const rounds = appendRoundText(this._state.rounds, round, text);
    this._setState({ ...this._state, round, rounds });
  }

  private _onProposal(stream: LoopStream, proposal: IProposalMessage): void {
    if (stream !== this._stream || !this.active) {
      return;
    }
    const round = proposal.round;
    const base = ensureRound(this._state.rounds, round);
    const before =
      round > 1
        ? (this._state.rounds.find(r => r.round === round - 1)?.code ??
          this._state.original)
        : this._state.original;
    const rounds = base.map(r =>
      r.round === round
        ? {
            ...r,
            code: proposal.code,
            explanation: proposal.explanation,
            diff: diffLines(before, proposal.code)
          }
        : r
    );
    this._setState({ ...this._state, status: 'proposed', round, rounds });
    if (this._autoRun) {
      void this._runRound(round, proposal.code);
    }
  }

  private _onDone(done: IDoneMessage): void {
    if (this._isDisposed || !this.active) {
      return;
    }
    const outcome = isFixOutcome(done.outcome) ? done.outcome : undefined;
    if (done.cancelled || !outcome) {
      this._finish('cancelled', done.cancelled ? 'Stopped.' : undefined);
      return;
    }
    const status = outcome.status === 'fixed' ? 'fixed' : 'failed';
    const cause =
      status === 'fixed' && isFixCause(outcome.cause)
        ? this._resolveCause(outcome.cause.cell, outcome.cause.names)
        : undefined;
    this._finish(status, outcome.message || undefined, {
      outcome,
      ...(cause ? { cause } : {})
    });
  }

  /**
   * The cause's cell, found among the target's context cells; the session
   * follows it (moved, deleted) from then on.
   */
  private _resolveCause(index: number, names: string[]): IFixCauseState {
    let cell: IFixContextCell | null = null;
    try {
      cell = this._target.contextCell?.(index) ?? null;
    } catch {
      cell = null;
    }
    this._causeCell = cell;
    cell?.changed.connect(this._onCauseChanged, this);
    return { index, names: [...names], cell: cell?.position() ?? null };
  }

  private _onCauseChanged(): void {
    const cause = this._state.cause;
    if (!cause || this._isDisposed) {
      return;
    }
    const position =
      this._causeCell && !this._causeCell.isDisposed
        ? this._causeCell.position()
        : null;
    if (position !== cause.cell) {
      this._setState({ ...this._state, cause: { ...cause, cell: position } });
    }
  }

  private _onFailed(error: unknown): void {
    if (this._isDisposed || !this.active) {
      return;
    }
    this._finish('failed', describe(error));
  }

  private _onEdited(): void {
    if (!this.active) {
      return;
    }
    this._stream?.cancel();
    this._finish('cancelled', 'Cancelled: the cell was edited or run again.');
  }

  private _onLost(_: IFixTarget, reason: string): void {
    if (!this.active) {
      return;
    }
    this._stream?.cancel();
    this._finish('cancelled', `Cancelled: ${reason}`, { applied: false });
  }

  /**
   * End the loop because the cell cannot be written or run: cancel, and put
   * the original back when the cell is still there.
   */
  private _abort(reason: string): void {
    this._stream?.cancel();
    let applied = this._state.applied;
    if (applied && this._target.problem() === null) {
      applied = !this._write(this._state.original, false);
    }
    this._finish('cancelled', `Cancelled: ${reason}`, { applied });
  }

  private _write(source: string, report = true): boolean {
    try {
      this._target.setSource(source);
      return true;
    } catch (reason) {
      if (report && this.active) {
        this._stream?.cancel();
        this._finish('cancelled', `Cancelled: ${describe(reason)}`, {
          applied: false
        });
      }
      return false;
    }
  }

  private _proposedCode(): string | undefined {
    return this._state.rounds.find(r => r.round === this._state.round)?.code;
  }

  private _finish(
    status: FixStatus,
    message?: string,
    extra: Partial<IFixState> = {}
  ): void {
    const rounds = this._state.rounds.map(r =>
      r.result?.status === 'running'
        ? { ...r, result: { status: 'dead' as const, text: 'Not finished.' } }
        : r
    );
    this._setState({
      ...this._state,
      rounds,
      ...extra,
      status,
      ...(message !== undefined ? { message } : {})
    });
  }

  private _setState(state: IFixState): void {
    this._state = state;
    if (!this._isDisposed) {
      this._changed.emit(state);
    }
  }

  private _client: AssistantClient;
  private _target: IFixTarget;
  private _maxRounds: number | undefined;
  private _stream: FixStream | null = null;
  private _causeCell: IFixContextCell | null = null;
  private _autoRun = false;
  private _state: IFixState;
  private _isDisposed = false;
  private _changed = new Signal<this, IFixState>(this);
}

export namespace FixSession {
  export interface IOptions {
    id: string;
    client: AssistantClient;
    target: IFixTarget;
    maxRounds?: number;
  }
}

const TERMINAL: ReadonlyArray<FixStatus> = ['fixed', 'failed', 'cancelled'];

function describe(reason: unknown): string {
  if (reason instanceof ChatError || reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}
