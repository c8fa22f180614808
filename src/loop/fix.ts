/**
 * The fix loop of a failing cell: the server proposes a fix, the client
 * applies it, runs the cell in the live kernel and answers with the outputs,
 * round after round until the cell passes (and the server accepts the
 * run). The state lives here; the panel renders it. Once fixed, the cells it
 * names (the cause's, the regressions below) are followed by `FixCells`.
 */
import { AssistantClient } from '../api/client';
import { errorMessage } from '../api/errors';
import { summarizeOutputs } from '../notebook/outputs';
import {
  ExecutionStatus,
  IDoneMessage,
  IFixCause,
  IFixOutcome,
  IProposalMessage,
  isFixCause,
  isFixOutcome
} from '../protocol';
import { IDiffLine, diffLines } from './diff';
import { FixCells, IFixRegression } from './fixcells';
import { IRoundEntry, noteText, updateRound } from './rounds';
import { LoopSession, runSummary } from './session';
import { ICellRunResult, IFixCauseCell, IFixTarget } from './targets';

export type { IFixRegression } from './fixcells';

/**
 * The most characters of the variables summary sent with a fix.
 */
export const MAX_FIX_VARIABLES_CHARS = 2000;

/**
 * Where a fix stands.
 */
export type FixStatus =
  'streaming' | 'proposed' | 'running' | 'fixed' | 'failed' | 'cancelled';

/**
 * The statuses of a fix by their role in the loop: those of a fix
 * that still runs, and the one Stop ends it with.
 */
export const FIX_STATUSES: LoopSession.IStatuses<FixStatus> = {
  active: ['streaming', 'proposed', 'running'],
  stopped: 'cancelled'
};

/**
 * One round of a fix: its streamed answer, then (`IRoundEntry`) its
 * proposal's code and explanation, and the server's note on its run.
 */
export interface IFixRound extends IRoundEntry {
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
  /**
   * The fix made in that cell instead, when the server could place it
   * there (its `cause_source`).
   */
  readonly repair?: IFixCauseRepair;
}

/**
 * The fix made where the cause lay: the cause's cell with the fix's repair
 * in place, and the failing cell to go with it (usually its original).
 */
export interface IFixCauseRepair {
  /** The cause's cell with the repair in place. */
  readonly source: string;
  /**
   * The failing cell's source to go with it; null: the cell keeps the
   * source it has.
   */
  readonly cellSource: string | null;
  /** The cause's cell as the fix saw it → `source`. */
  readonly diff: ReadonlyArray<IDiffLine>;
  /** The failing cell now → `cellSource`; null when they are the same. */
  readonly cellDiff: ReadonlyArray<IDiffLine> | null;
  /**
   * `offered`: not made (or undone); `running`: being made, its cells run;
   * `applied`: made, both cells ran without error.
   */
  readonly status: 'offered' | 'running' | 'applied';
  /** How the last attempt went, in one sentence. */
  readonly message?: string;
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
  /**
   * The cells below that passed before this fix and fail since (in the
   * order they failed), while the fix is in the cell.
   */
  readonly regressions?: ReadonlyArray<IFixRegression>;
  /** Why it stopped, failed, or what was done at the end. */
  readonly message?: string;
}

/**
 * The prose of a round that proposed code: its explanation, else the
 * answer without its code blocks (the code is in the diff); '' when none.
 */
export function proposalProse(round: IFixRound): string {
  return (
    (round.explanation ?? '').trim() ||
    round.text.replace(/```[^\n]*\n[\s\S]*?(?:```|$)/g, '').trim()
  );
}

const NOT_ACCEPTED = /^Ran, but not accepted:\s*/i;

/**
 * Why the server did not accept a round whose run passed in the kernel
 * (the run showed nothing where the cell shows something, left names unset,
 * …): `{ reason }`, the reason '' when the server gave none; null when the
 * run did not pass, was accepted, or the server has not judged it yet. The
 * server says so in the round's note, or by going on with another round,
 * or by ending the fix unfixed: a run it accepted ends the fix as fixed.
 */
export function notAccepted(
  fix: IFixState,
  round: IFixRound
): { reason: string } | null {
  if (round.result?.status !== 'ok') {
    return null;
  }
  const note = noteText(round.note);
  const movedOn =
    fix.rounds.some(r => r.round > round.round) || fix.status === 'failed';
  if (!NOT_ACCEPTED.test(note) && !movedOn) {
    return null;
  }
  return { reason: note.replace(NOT_ACCEPTED, '').replace(/\.$/, '') };
}

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
    this._target.edited.connect(this._onEdited, this);
    this._target.lost.connect(this._onLost, this);
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
      return this._undoRepair();
    }
    if (!this.state.applied || !this._write(this.state.original)) {
      return false;
    }
    this._cells.stopWatching();
    this._setState({
      ...this.state,
      applied: false,
      regressions: undefined,
      cause: this._withCellDiff(this.state.cause)
    });
    return true;
  }

  /**
   * Make the fix in the cell where the cause lay instead (the server's
   * `cause_source`): write that cell and run it in the live kernel, then
   * write the failing cell's source to go with it and run it. When either
   * run fails, both cells get back the sources they had; nothing is done
   * when either cell changed since the fix was made. Resolves true when
   * both cells ran without error.
   */
  async applyInCause(): Promise<boolean> {
    const cause = this.state.cause;
    const repair = cause?.repair;
    if (
      this.state.status !== 'fixed' ||
      !cause ||
      !repair ||
      repair.status !== 'offered'
    ) {
      return false;
    }
    const where = cause.cell;
    const cell = this._cells.causeCell();
    const refuse = (message: string): false => {
      this._setRepair({ status: 'offered', message });
      return false;
    };
    const causeSource = cell ? this._try(() => cell.source()) : null;
    if (!cell || where === null || causeSource === null) {
      return refuse('Not applied: the cell where the cause lay is gone.');
    }
    if (causeSource !== this._target.context[cause.index]) {
      return refuse(
        `Not applied: cell ${where} changed since the fix was made.`
      );
    }
    const cellBefore = this._target.source;
    if (cellBefore !== this._written && cellBefore !== this.state.original) {
      return refuse('Not applied: this cell changed since the fix was made.');
    }
    const problem =
      this._try(() => cell.problem()) ??
      this._try(() => this._target.problem());
    if (problem) {
      return refuse(`Not applied: ${problem}`);
    }
    this._setRepair({ status: 'running', message: undefined });
    const restore = (message: string): false => {
      this._try(() => {
        cell.setSource(causeSource);
        return null;
      });
      this._write(cellBefore, false);
      return refuse(message);
    };
    let ran: ICellRunResult;
    try {
      cell.setSource(repair.source);
      ran = await cell.run();
    } catch (reason) {
      ran = { status: 'dead', outputs: [], message: errorMessage(reason) };
    }
    if (ran.status !== 'ok') {
      return restore(
        `Cell ${where} ${failedHow(ran)} with the repair, so both cells are back as they were.`
      );
    }
    const cellSource = repair.cellSource ?? cellBefore;
    try {
      this._target.setSource(cellSource);
      ran = await this._target.run();
    } catch (reason) {
      ran = { status: 'dead', outputs: [], message: errorMessage(reason) };
    }
    if (ran.status !== 'ok') {
      return restore(
        `This cell ${failedHow(ran)} after the repair in cell ${where}, so both cells are back as they were.`
      );
    }
    this._written = cellSource;
    this._repairUndo = { cell, causeSource };
    this._setState({ ...this.state, applied: true });
    this._setRepair({
      status: 'applied',
      cellDiff: null,
      message: `Made the repair in cell ${where}: it and this cell ran without error.`
    });
    return true;
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
      diff: diffLines(before, proposal.code)
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
      this._cells.watch(this._try(() => this._target.watchBelow?.() ?? null));
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
   * follows it (moved, deleted) from then on.
   */
  private _resolveCause(cause: IFixCause): IFixCauseState {
    const index = cause.cell;
    this._cells.setCause(
      this._try(() => this._target.contextCell?.(index) ?? null)
    );
    const state: IFixCauseState = {
      index,
      names: [...cause.names],
      cell: this._cells.causePosition()
    };
    const before = this._target.context[index];
    const source = cause.cause_source;
    if (
      typeof source !== 'string' ||
      typeof before !== 'string' ||
      this._cells.causeCell() === null
    ) {
      return state;
    }
    const cellSource =
      typeof cause.cell_source === 'string' ? cause.cell_source : null;
    return this._withCellDiff({
      ...state,
      repair: {
        source,
        cellSource,
        diff: diffLines(before, source),
        cellDiff: null,
        status: 'offered'
      }
    })!;
  }

  /**
   * The cause with the failing cell's diff as that cell is now (an offered
   * repair shows what it would do to the cell).
   */
  private _withCellDiff(
    cause: IFixCauseState | undefined
  ): IFixCauseState | undefined {
    const repair = cause?.repair;
    if (!cause || !repair || repair.status !== 'offered') {
      return cause;
    }
    const now = this._target.source;
    const cellDiff =
      repair.cellSource === null || repair.cellSource === now
        ? null
        : diffLines(now, repair.cellSource);
    return { ...cause, repair: { ...repair, cellDiff } };
  }

  /**
   * Change the repair of the cause (when there is one).
   */
  private _setRepair(changes: Partial<IFixCauseRepair>): void {
    const cause = this.state.cause;
    if (!cause?.repair) {
      return;
    }
    this._setState({
      ...this.state,
      cause: this._withCellDiff({
        ...cause,
        repair: { ...cause.repair, ...changes }
      })
    });
  }

  /**
   * Undo the repair made in the cause's cell: that cell gets back the source
   * it had, the failing cell its original.
   */
  private _undoRepair(): boolean {
    const undo = this._repairUndo;
    if (!undo) {
      return false;
    }
    // A cause's cell deleted since keeps nothing to restore.
    this._try(() => {
      undo.cell.setSource(undo.causeSource);
      return null;
    });
    if (!this._write(this.state.original, false)) {
      return false;
    }
    this._repairUndo = null;
    this._cells.stopWatching();
    this._setState({ ...this.state, applied: false, regressions: undefined });
    this._setRepair({ status: 'offered', message: undefined });
    return true;
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

  /**
   * What `get` returns, or null when it throws (the notebook side is not
   * the loop's to fail on).
   */
  private _try<T>(get: () => T | null): T | null {
    try {
      return get();
    } catch {
      return null;
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
  /** The cells the fix names: the cause's, its regressions. */
  private _cells = new FixCells(() => this._onCellsChanged());
  private _autoRun = false;
  /** What the session last wrote to the failing cell. */
  private _written: string | null = null;
  /** How to undo the repair made in the cause's cell. */
  private _repairUndo: {
    cell: IFixCauseCell;
    causeSource: string;
  } | null = null;
}

/**
 * How a run that did not pass ended, for a sentence: `failed`, or `could
 * not run (reason)`.
 */
function failedHow(result: ICellRunResult): string {
  if (result.status === 'error') {
    return 'failed';
  }
  const reason = (result.message ?? '').trim().replace(/\.$/, '');
  return reason ? `could not run (${reason})` : 'could not run';
}

export namespace FixSession {
  export interface IOptions {
    /** The id of the conversation entry showing it. */
    id: string;
    client: AssistantClient;
    target: IFixTarget;
    /** Null or left out: the server's default. */
    maxRounds?: number | null;
  }
}
