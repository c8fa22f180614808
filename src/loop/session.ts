/**
 * What a fix and a task have in common: one `fix` or `task` request of the
 * server's loop, followed round by round. The server streams a round's
 * answer, proposes code, the client runs it in the live kernel and answers
 * with an `execution_result`, until the server ends the request with `done`.
 * This class is that cycle, written once; `FixSession` and `TaskSession` say
 * what a proposal does (a diff in the failing cell, a new cell) and how the
 * panel shows each step. State is immutable: each change makes a new one.
 */
import { IObservableDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from '../api/errors';
import { ChatStream, LoopStream } from '../api/streams';
import { summarizeOutputs } from '../notebook/outputs';
import { IDoneMessage, IProposalMessage } from '../protocol';
import {
  IRoundEntry,
  appendRoundText,
  ensureRound,
  updateRound
} from './rounds';
import { ICellRunResult, IRunnableCell } from './targets';

/**
 * The one-line outcome of a run, e.g. `NameError: …`, `Timed out. 3 lines
 * of output`.
 */
export function runSummary(result: ICellRunResult): string {
  const text = summarizeOutputs(result.outputs).text;
  return result.status === 'timeout' ? `Timed out. ${text}` : text;
}

const STREAMING: LoopSession.CommonStatus = 'streaming';
const RUNNING: LoopSession.CommonStatus = 'running';
const FAILED: LoopSession.CommonStatus = 'failed';

/**
 * One loop request and its state.
 */
export abstract class LoopSession<
  S extends LoopSession.IState,
  R extends IRoundEntry
> implements IObservableDisposable {
  constructor(options: LoopSession.IOptions<S, R>) {
    this.id = options.id;
    this._state = options.state;
    this._statuses = options.statuses;
    this._roundsKey = options.rounds;
  }

  /** The id of the conversation entry showing it. */
  readonly id: string;

  get state(): S {
    return this._state;
  }

  /**
   * Emits after each change of `state`.
   */
  get changed(): ISignal<this, S> {
    return this._changed;
  }

  /**
   * Whether the loop still runs.
   */
  get active(): boolean {
    return this._statuses.active.includes(this._state.status);
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
   * Emits once, when the session is disposed (the conversation forgot it).
   */
  get disposed(): ISignal<this, void> {
    return this._disposed;
  }

  /**
   * Stop at any time (a `cancel`). A running cell is not interrupted.
   */
  stop(): void {
    if (!this.active) {
      return;
    }
    this._stream?.cancel();
    this._finish(this._statuses.stopped, 'Stopped.');
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    if (this.active) {
      this._stream?.cancel();
    }
    this._isDisposed = true;
    this._onDisposed();
    this._disposed.emit(undefined);
    Signal.disconnectReceiver(this);
    Signal.clearData(this);
  }

  /**
   * The server proposed code for a round (the session is active).
   */
  protected abstract _onProposal(proposal: IProposalMessage): void;

  /**
   * The server ended the request with `done` (the session is active).
   */
  protected abstract _onDone(done: IDoneMessage): void;

  /**
   * Record a round's run in the state: `current` is false when the loop
   * ended (or moved on) while the cell ran.
   */
  protected abstract _onRan(
    round: number,
    result: ICellRunResult,
    current: boolean
  ): void;

  /**
   * What a round shows once its result went back to the server (the loop
   * then streams the next round).
   */
  protected abstract _resultFields(result: ICellRunResult): Partial<R>;

  /**
   * Show how the loop ended after `_abort` (the request is cancelled).
   */
  protected abstract _onAborted(round: number | null, reason: string): void;

  /**
   * The state as it ends: whatever was still pending marked as not done.
   */
  protected abstract _settle(state: S): S;

  /**
   * Called once the loop ended (after the last state change).
   */
  protected _onFinished(): void {
    // Nothing by default.
  }

  /**
   * Called when the session is disposed.
   */
  protected _onDisposed(): void {
    // Nothing by default.
  }

  /**
   * The request failed (an `error`, the socket dropped, the watchdog).
   */
  protected _onFailed(error: unknown): void {
    this._finish(FAILED as S['status'], errorMessage(error));
  }

  /**
   * Send the request made by `request` and follow its stream; a request
   * that cannot be sent ends the loop as failed. Once only.
   */
  protected _open(request: () => LoopStream): void {
    if (this._isDisposed || !this.active || this._stream) {
      return;
    }
    let stream: LoopStream;
    try {
      stream = request();
    } catch (reason) {
      this._finish(FAILED as S['status'], errorMessage(reason));
      return;
    }
    this._stream = stream;
    stream.tokenReceived.connect(this._onToken, this);
    stream.proposalReceived.connect(this._onProposalReceived, this);
    stream.finished.then(
      done => {
        if (!this._isDisposed && this.active) {
          this._onDone(done);
        }
      },
      (error: unknown) => {
        if (!this._isDisposed && this.active) {
          this._onFailed(error);
        }
      }
    );
  }

  /**
   * The rounds with a proposal's code and explanation (and `extra`) in its
   * round.
   */
  protected _proposedRounds(
    proposal: IProposalMessage,
    extra: Partial<R> = {}
  ): R[] {
    const rounds = ensureRound(this._rounds(this._state), proposal.round);
    return updateRound(rounds, proposal.round, r => ({
      ...r,
      code: proposal.code,
      explanation: proposal.explanation,
      ...extra
    }));
  }

  /**
   * Run a round's cell and answer the server with the outcome: a run that
   * could not happen ends the loop (`_abort`); else the result goes back and
   * the loop streams the next round. The caller has set the state to the
   * `running` status. Resolves to whether the result went back.
   */
  protected async _runRound(
    round: number,
    cell: IRunnableCell
  ): Promise<boolean> {
    this._running = { round, cell };
    let result: ICellRunResult;
    try {
      result = await cell.run();
    } catch (reason) {
      result = { status: 'dead', outputs: [], message: errorMessage(reason) };
    }
    this._running = null;
    if (this._isDisposed) {
      return false;
    }
    const current = this._state.status === RUNNING;
    this._onRan(round, result, current);
    if (!current) {
      return false;
    }
    if (result.status === 'dead') {
      this._abort(round, result.message ?? 'The cell could not run.');
      return false;
    }
    this._stream?.sendResult({
      round,
      status: result.status,
      outputs: result.outputs
    });
    const fields = this._resultFields(result);
    const rounds = updateRound(this._rounds(this._state), round, r => ({
      ...r,
      ...fields
    }));
    this._setState(
      this._withRounds(
        { ...this._state, status: STREAMING as S['status'] },
        rounds
      )
    );
    return true;
  }

  /**
   * End the loop because the notebook cannot go on: answer the round the
   * server waits for with `dead` (when `round` is given), cancel, and show
   * why.
   */
  protected _abort(round: number | null, reason: string): void {
    if (round !== null) {
      this._stream?.sendResult({
        round,
        status: 'dead',
        outputs: [],
        message: reason
      });
    }
    this._stream?.cancel();
    this._onAborted(round, reason);
  }

  /**
   * End the loop with `status` (and `message`, and other changes).
   */
  protected _finish(
    status: S['status'],
    message?: string,
    extra: Partial<S> = {}
  ): void {
    const state = this._settle({ ...this._state, ...extra });
    this._setState({
      ...state,
      status,
      ...(message !== undefined ? { message } : {})
    });
    this._onFinished();
  }

  protected _setState(state: S): void {
    this._state = state;
    if (!this._isDisposed) {
      this._changed.emit(state);
    }
  }

  /** The stream of the request, once sent. */
  protected _stream: LoopStream | null = null;
  /** The round whose cell runs now, and its cell. */
  protected _running: { round: number; cell: IRunnableCell } | null = null;

  private _onToken(stream: ChatStream, text: string): void {
    const loop = this._stream;
    if (!loop || stream !== loop || !this.active) {
      return;
    }
    const round = loop.round;
    const rounds = appendRoundText(this._rounds(this._state), round, text);
    this._setState(this._withRounds({ ...this._state, round }, rounds));
  }

  private _onProposalReceived(
    stream: LoopStream,
    proposal: IProposalMessage
  ): void {
    if (stream === this._stream && this.active) {
      this._onProposal(proposal);
    }
  }

  /**
   * The rounds of a state.
   */
  private _rounds(state: S): ReadonlyArray<R> {
    return state[this._roundsKey] as unknown as ReadonlyArray<R>;
  }

  /**
   * `state` with these rounds.
   */
  private _withRounds(state: S, rounds: ReadonlyArray<R>): S {
    return { ...state, [this._roundsKey]: rounds };
  }

  private _state: S;
  private _statuses: LoopSession.IStatuses<S['status']>;
  private _roundsKey: keyof S;
  private _isDisposed = false;
  private _changed = new Signal<this, S>(this);
  private _disposed = new Signal<this, void>(this);
}

export namespace LoopSession {
  /**
   * What every loop state has.
   */
  export interface IState {
    /** One of the kind's statuses; they include every `CommonStatus`. */
    readonly status: string;
    /** The round in progress or the last one. */
    readonly round: number;
    /** Why it stopped or failed, or how it ended. */
    readonly message?: string;
  }

  /**
   * The statuses every loop has: generating a round's answer
   * (`streaming`), running a round's cell (`running`), ended by an error
   * (`failed`).
   */
  export type CommonStatus = 'streaming' | 'running' | 'failed';

  /**
   * The statuses of one kind of loop, besides the common ones.
   */
  export interface IStatuses<T extends string> {
    /** The statuses of a loop that still runs. */
    readonly active: ReadonlyArray<T>;
    /** Stopped by the user (`stop`). */
    readonly stopped: T;
  }

  /**
   * The field of a state that holds its rounds.
   */
  export type RoundsKey<S, R> = {
    [K in keyof S]: S[K] extends ReadonlyArray<R> ? K : never;
  }[keyof S];

  export interface IOptions<S extends IState, R extends IRoundEntry> {
    /** The id of the conversation entry showing it. */
    id: string;
    /** The first state. */
    state: S;
    /** Which field of the state holds the rounds (a task calls them steps). */
    rounds: RoundsKey<S, R>;
    statuses: IStatuses<S['status']>;
  }
}
