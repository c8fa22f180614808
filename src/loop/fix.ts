/**
 * The fix loop of a failing cell: the server proposes a fix, the client
 * applies it, runs the cell in the live kernel and answers with the outputs,
 * round after round until the cell passes (and the server accepts the
 * run). The state lives here; the panel renders it. Once fixed, the cells it
 * names (the cause's, the regressions below) are followed by `FixCells`,
 * and the repair made in the cause's cell instead is `CauseRepair`'s.
 */
import { AssistantClient } from '../api/client';
import { errorMessage } from '../api/errors';
import { summarizeOutputs } from '../notebook/outputs';
import {
  IDoneMessage,
  IFixCause,
  IProposalMessage,
  isFixCause,
  isFixOutcome
} from '../protocol';
import { CauseRepair, orNull, withCellDiff } from './causerepair';
import type {
  FixStatus,
  IFixCauseState,
  IFixRound,
  IFixState
} from './fixstate';
import { diffLines } from './diff';
import { FixCells } from './fixcells';
import { updateRound } from './rounds';
import { LoopSession, runSummary } from './session';
import { ICellRunResult, IFixTarget } from './targets';

export type {
  FixStatus,
  IFixCauseRepair,
  IFixCauseState,
  IFixRound,
  IFixState
} from './fixstate';
export type { IFixRegression } from './fixcells';

/**
 * The most characters of the variables summary sent with a fix.
 */
export const MAX_FIX_VARIABLES_CHARS = 2000;

/**
 * The statuses of a fix by their role in the loop: those of a fix
 * that still runs, and the one Stop ends it with.
 */
export const FIX_STATUSES: LoopSession.IStatuses<FixStatus> = {
  active: ['streaming', 'proposed', 'running'],
  stopped: 'cancelled'
};

/**
 * The fix loop of one cell.
 */
export class FixSession extends LoopSession<IFixState, IFixRound> {
  constructor(options: FixSession.IOptions) {
    const target = options.target;
    super({
      id: options.id,
      rounds: 'rounds',
      state: {
        status: 'streaming',
        label: target.label,
        original: target.source,
        error: summarizeOutputs(target.outputs).text,
        rounds: [{ round: 1, text: '' }],
        round: 1,
        applied: false
      },
      statuses: FIX_STATUSES
    });
    this._client = options.client;
    this._target = target;
    this._maxRounds = options.maxRounds;
    this._candidates = options.candidates;
    this._target.edited.connect(this._onEdited, this);
    this._target.lost.connect(this._onLost, this);
    this._repair = new CauseRepair({
      target,
      state: () => this.state,
      setState: state => this._setState(state),
      causeCell: () => this._cells.causeCell(),
      written: () => this._written,
      write: source => this._write(source, false),
      wrote: source => {
        this._written = source;
      },
      stopWatching: () => this._cells.stopWatching()
    });
  }

  /**
   * The cell being fixed.
   */
  get target(): IFixTarget {
    return this._target;
  }

  /**
   * The most rounds asked for; null: the server's default (not known here).
   */
  get maxRounds(): number | null {
    return this._maxRounds ?? null;
  }

  /**
   * Read the variables and send the `fix` request, with the kernel's id: the
   * server reads the kernel itself when it can, the variables summary is its
   * fallback.
   */
  async start(): Promise<void> {
    let variables: string | null = null;
    try {
      variables = await this._target.readVariables();
    } catch {
      variables = null;
    }
    if (variables && variables.length > MAX_FIX_VARIABLES_CHARS) {
      variables = variables.slice(0, MAX_FIX_VARIABLES_CHARS) + '\n...';
    }
    this._open(() =>
      this._client.fix({
        cell: { source: this.state.original, outputs: this._target.outputs },
        context: this._target.context,
        variables,
        language: this._target.language,
        maxRounds: this._maxRounds,
        candidates: this._candidates,
        kernelId: this._target.kernelId()
      })
    );
  }

  /**
   * Put the proposal in the cell and end the loop (a `cancel`).
   */
  apply(): boolean {
    const code = this._proposedCode();
    if (code === undefined || !this._write(code)) {
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
    if (code === undefined) {
      return false;
    }
    this._autoRun = true;
    return this._applyAndRun(this.state.round, code);
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
   * Show the cell where the cause probably lay: active, in view, its
   * notebook in front. False when there is none or it is gone.
   */
  revealCause(): boolean {
    const shown = this._cells.revealCause();
    this._onCellsChanged();
    return shown;
  }

  /**
   * Show the cell of `state.regressions[index]`: active, in view, its
   * notebook in front. False when there is none or it is gone.
   */
  revealRegression(index: number): boolean {
    const shown = this._cells.revealRegression(index);
    this._onCellsChanged();
    return shown;
  }

  /**
   * Put the original source back in the cell. The fix is no longer in it:
   * the cells below are no longer watched, nor named.
   */
  undo(): boolean {
    const repair = this.state.cause?.repair;
    if (repair?.status === 'running') {
      return false;
    }
    if (repair?.status === 'applied') {
      return this._repair.undo();
    }
    if (!this.state.applied || !this._write(this.state.original)) {
      return false;
    }
    this._cells.stopWatching();
    this._setState({
      ...this.state,
      applied: false,
      regressions: undefined,
      cause: withCellDiff(this.state.cause, this._target)
    });
    return true;
  }

  /**
   * Make the fix in the cell where the cause lay instead (the server's
   * `cause_source`): see `CauseRepair.apply`. Resolves true when both cells
   * ran without error.
   */
  applyInCause(): Promise<boolean> {
    return this._repair.apply();
  }

  protected _onProposal(proposal: IProposalMessage): void {
    const round = proposal.round;
    const state = this.state;
    const before =
      round > 1
        ? (state.rounds.find(r => r.round === round - 1)?.code ??
          state.original)
        : state.original;
    const rounds = this._proposedRounds(proposal, {
      diff: diffLines(before, proposal.code),
      tried: proposal.tried,
      preview: proposal.preview
    });
    this._setState({ ...state, status: 'proposed', round, rounds });
    if (this._autoRun) {
      void this._applyAndRun(round, proposal.code);
    }
  }

  protected _onDone(done: IDoneMessage): void {
    const outcome = isFixOutcome(done.outcome) ? done.outcome : undefined;
    if (done.cancelled || !outcome) {
      this._finish('cancelled', done.cancelled ? 'Stopped.' : undefined);
      return;
    }
    const status = outcome.status === 'fixed' ? 'fixed' : 'failed';
    const cause =
      status === 'fixed' && isFixCause(outcome.cause)
        ? this._resolveCause(outcome.cause)
        : undefined;
    if (status === 'fixed' && this.state.applied) {
      // The fix passed in its cell: watch the cells below that had passed
      // before it (their outputs are still those of their last run).
      this._cells.watch(orNull(() => this._target.watchBelow?.() ?? null));
    }
    this._finish(status, outcome.message || undefined, {
      outcome,
      ...(cause ? { cause } : {})
    });
  }

  protected _onRan(): void {
    // The round's result is shown once it went back (`_resultFields`); a run
    // that ended after the loop stays marked as not finished.
  }

  protected _resultFields(result: ICellRunResult): Partial<IFixRound> {
    return { result: { status: result.status, text: runSummary(result) } };
  }

  /**
   * The cell cannot be written or run: put the original back when the cell
   * is still there.
   */
  protected _onAborted(_: number | null, reason: string): void {
    let applied = this.state.applied;
    if (applied && this._target.problem() === null) {
      applied = !this._write(this.state.original, false);
    }
    this._finish('cancelled', `Cancelled: ${reason}`, { applied });
  }

  protected _settle(state: IFixState): IFixState {
    return {
      ...state,
      rounds: state.rounds.map(r =>
        r.result?.status === 'running'
          ? { ...r, result: { status: 'dead', text: 'Not finished.' } }
          : r
      )
    };
  }

  protected _onDisposed(): void {
    this._cells.dispose();
  }

  private async _applyAndRun(round: number, code: string): Promise<boolean> {
    const problem = this._target.problem();
    if (problem) {
      this._abort(null, problem);
      return false;
    }
    if (!this._write(code)) {
      return false;
    }
    this._setState({
      ...this.state,
      status: 'running',
      applied: true,
      rounds: updateRound(this.state.rounds, round, r => ({
        ...r,
        result: { status: 'running', text: '' }
      }))
    });
    return this._runRound(round, this._target);
  }

  /**
   * The cause's cell, found among the target's context cells; the session
   * follows it (moved, deleted) from then on. Its repair is offered when the
   * server placed one there.
   */
  private _resolveCause(cause: IFixCause): IFixCauseState {
    const index = cause.cell;
    this._cells.setCause(
      orNull(() => this._target.contextCell?.(index) ?? null)
    );
    const state: IFixCauseState = {
      index,
      names: [...cause.names],
      cell: this._cells.causePosition()
    };
    return this._repair.offer(state, cause);
  }

  /**
   * Show where the named cells are now (they moved, went, failed or
   * passed again).
   */
  private _onCellsChanged(): void {
    if (this.isDisposed) {
      return;
    }
    let state = this.state;
    const cause = state.cause;
    const position = this._cells.causePosition();
    if (cause && position !== cause.cell) {
      state = { ...state, cause: { ...cause, cell: position } };
    }
    const regressions = this._cells.regressions();
    const before = state.regressions ?? [];
    if (
      before.length !== regressions.length ||
      before.some((r, i) => r.cell !== regressions[i].cell)
    ) {
      state = { ...state, regressions };
    }
    if (state !== this.state) {
      this._setState(state);
    }
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

  private _write(source: string, report = true): boolean {
    try {
      this._target.setSource(source);
      this._written = source;
      return true;
    } catch (reason) {
      if (report && this.active) {
        this._stream?.cancel();
        this._finish('cancelled', `Cancelled: ${errorMessage(reason)}`, {
          applied: false
        });
      }
      return false;
    }
  }

  /**
   * The code of the proposal waiting for Apply, if any.
   */
  private _proposedCode(): string | undefined {
    const state = this.state;
    return state.status === 'proposed'
      ? state.rounds.find(r => r.round === state.round)?.code
      : undefined;
  }

  private _client: AssistantClient;
  private _target: IFixTarget;
  private _maxRounds: number | null | undefined;
  private _candidates: number | null | undefined;
  /** The cells the fix names: the cause's, its regressions. */
  private _cells = new FixCells(() => this._onCellsChanged());
  private _autoRun = false;
  /** What the session last wrote to the failing cell. */
  private _written: string | null = null;
  /** The repair made in the cause's cell instead. */
  private _repair: CauseRepair;
}

export namespace FixSession {
  export interface IOptions {
    /** The id of the conversation entry showing it. */
    id: string;
    client: AssistantClient;
    target: IFixTarget;
    /** Null or left out: the server's default. */
    maxRounds?: number | null;
    /** Fixes tried per round in a copy of the kernel; null: the server's. */
    candidates?: number | null;
  }
}
