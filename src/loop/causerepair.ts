/**
 * The repair of a fixed failure made in the cell where its cause lay (the
 * server's `cause_source`) instead of in the failing cell: what the panel
 * shows of it and its state machine (offered → running → applied, back to
 * offered on a refusal, a failed run or Undo). The fix session owns one
 * `CauseRepair` and delegates "Apply in cause" and its Undo to it.
 */
import { errorMessage } from '../api/errors';
import type { IFixCause } from '../protocol';
import { diffLines } from './diff';
import type { IFixCauseRepair, IFixCauseState, IFixState } from './fixstate';
import type { ICellRunResult, IFixCauseCell, IFixTarget } from './targets';

/**
 * The repair in the cause's cell of one fix session.
 */
export class CauseRepair {
  constructor(private readonly _host: CauseRepair.IHost) {}

  /**
   * `state` with the repair the server placed in the cause's cell (its
   * `cause_source`) offered, when there is one and the cell is there.
   */
  offer(state: IFixCauseState, cause: IFixCause): IFixCauseState {
    const target = this._host.target;
    const before = target.context[state.index];
    const source = cause.cause_source;
    if (
      typeof source !== 'string' ||
      typeof before !== 'string' ||
      this._host.causeCell() === null
    ) {
      return state;
    }
    const cellSource =
      typeof cause.cell_source === 'string' ? cause.cell_source : null;
    return withCellDiff(
      {
        ...state,
        repair: {
          source,
          cellSource,
          diff: diffLines(before, source),
          cellDiff: null,
          status: 'offered'
        }
      },
      target
    )!;
  }

  /**
   * Make the fix in the cell where the cause lay instead (the server's
   * `cause_source`): write that cell and run it in the live kernel, then
   * write the failing cell's source to go with it and run it. When either
   * run fails, both cells get back the sources they had; nothing is done
   * when either cell changed since the fix was made. Resolves true when
   * both cells ran without error.
   */
  async apply(): Promise<boolean> {
    const host = this._host;
    const target = host.target;
    const cause = host.state().cause;
    const repair = cause?.repair;
    if (
      host.state().status !== 'fixed' ||
      !cause ||
      !repair ||
      repair.status !== 'offered'
    ) {
      return false;
    }
    const where = cause.cell;
    const cell = host.causeCell();
    const refuse = (message: string): false => {
      this.set({ status: 'offered', message });
      return false;
    };
    const causeSource = cell ? orNull(() => cell.source()) : null;
    if (!cell || where === null || causeSource === null) {
      return refuse('Not applied: the cell where the cause lay is gone.');
    }
    if (causeSource !== target.context[cause.index]) {
      return refuse(
        `Not applied: cell ${where} changed since the fix was made.`
      );
    }
    const cellBefore = target.source;
    if (cellBefore !== host.written() && cellBefore !== host.state().original) {
      return refuse('Not applied: this cell changed since the fix was made.');
    }
    const problem =
      orNull(() => cell.problem()) ?? orNull(() => target.problem());
    if (problem) {
      return refuse(`Not applied: ${problem}`);
    }
    this.set({ status: 'running', message: undefined });
    const restore = (message: string): false => {
      orNull(() => {
        cell.setSource(causeSource);
        return null;
      });
      host.write(cellBefore);
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
      target.setSource(cellSource);
      ran = await target.run();
    } catch (reason) {
      ran = { status: 'dead', outputs: [], message: errorMessage(reason) };
    }
    if (ran.status !== 'ok') {
      return restore(
        `This cell ${failedHow(ran)} after the repair in cell ${where}, so both cells are back as they were.`
      );
    }
    host.wrote(cellSource);
    this._undo = { cell, causeSource };
    host.setState({ ...host.state(), applied: true });
    this.set({
      status: 'applied',
      cellDiff: null,
      message: `Made the repair in cell ${where}: it and this cell ran without error.`
    });
    return true;
  }

  /**
   * Undo the repair made in the cause's cell: that cell gets back the source
   * it had, the failing cell its original.
   */
  undo(): boolean {
    const host = this._host;
    const undo = this._undo;
    if (!undo) {
      return false;
    }
    // A cause's cell deleted since keeps nothing to restore.
    orNull(() => {
      undo.cell.setSource(undo.causeSource);
      return null;
    });
    if (!host.write(host.state().original)) {
      return false;
    }
    this._undo = null;
    host.stopWatching();
    host.setState({ ...host.state(), applied: false, regressions: undefined });
    this.set({ status: 'offered', message: undefined });
    return true;
  }

  /**
   * Change the repair of the cause (when there is one).
   */
  set(changes: Partial<IFixCauseRepair>): void {
    const host = this._host;
    const state = host.state();
    const cause = state.cause;
    if (!cause?.repair) {
      return;
    }
    host.setState({
      ...state,
      cause: withCellDiff(
        {
          ...cause,
          repair: { ...cause.repair, ...changes }
        },
        host.target
      )
    });
  }

  /** How to undo the repair made in the cause's cell. */
  private _undo: {
    cell: IFixCauseCell;
    causeSource: string;
  } | null = null;
}

export namespace CauseRepair {
  /**
   * What the repair needs of its fix session.
   */
  export interface IHost {
    /** The failing cell. */
    readonly target: IFixTarget;
    /** The fix's state now. */
    state(): IFixState;
    /** Show a new state of the fix. */
    setState(state: IFixState): void;
    /** The cause's cell, followed by the session; null when it is gone. */
    causeCell(): IFixCauseCell | null;
    /** What the session last wrote to the failing cell. */
    written(): string | null;
    /**
     * Write the failing cell (a failure ends nothing); false when it
     * cannot be written.
     */
    write(source: string): boolean;
    /** Note that the repair wrote `source` to the failing cell. */
    wrote(source: string): void;
    /** Stop watching the cells below the failing one. */
    stopWatching(): void;
  }
}

/**
 * The cause with the failing cell's diff as that cell is now (an offered
 * repair shows what it would do to the cell).
 */
export function withCellDiff(
  cause: IFixCauseState | undefined,
  target: { readonly source: string }
): IFixCauseState | undefined {
  const repair = cause?.repair;
  if (!cause || !repair || repair.status !== 'offered') {
    return cause;
  }
  const now = target.source;
  const cellDiff =
    repair.cellSource === null || repair.cellSource === now
      ? null
      : diffLines(now, repair.cellSource);
  return { ...cause, repair: { ...repair, cellDiff } };
}

/**
 * What `get` returns, or null when it throws (the notebook side is not
 * the loop's to fail on).
 */
export function orNull<T>(get: () => T | null): T | null {
  try {
    return get();
  } catch {
    return null;
  }
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
