/**
 * The cells a fix's entry names besides the fixed one, each followed
 * wherever it moves: where the cause of the failure probably lay (the
 * server's `cause`), and the cells below that passed before the fix and
 * fail since (its regressions). The fix session owns one `FixCells` and
 * shows the positions it reports.
 */
import { IDisposable } from '@lumino/disposable';

import type {
  IFixCauseCell,
  IFixContextCell,
  IRegressionWatch
} from './targets';

/**
 * A cell below a fixed cell that had passed before the fix and failed when
 * the user next ran it: probably a regression of the fix.
 */
export interface IFixRegression {
  /** The cell's 1-based position in its notebook now. */
  readonly cell: number;
}

/**
 * The cause's cell and the regressions of one fix.
 */
export class FixCells implements IDisposable {
  /**
   * @param changed - called when a cell may have moved or gone, or the
   * regressions changed.
   */
  constructor(private readonly _changed: () => void) {}

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Follow the cell where the cause probably lay (null: unknown).
   */
  setCause(cell: IFixCauseCell | null): void {
    this._cause?.changed.disconnect(this._changed, this);
    this._cause?.dispose();
    this._cause = cell;
    cell?.changed.connect(this._changed, this);
  }

  /**
   * The cause's cell, to make the fix's repair there; null when unknown or
   * no longer followed.
   */
  causeCell(): IFixCauseCell | null {
    const cell = this._cause;
    return cell && !cell.isDisposed ? cell : null;
  }

  /**
   * The cause's 1-based position now; null when unknown or gone.
   */
  causePosition(): number | null {
    const cell = this._cause;
    return cell && !cell.isDisposed ? cell.position() : null;
  }

  /**
   * Show the cause's cell; false when there is none or it is gone.
   */
  revealCause(): boolean {
    const cell = this._cause;
    return !!cell && !cell.isDisposed && reveal(cell);
  }

  /**
   * Watch the cells below for regressions (replacing any earlier watch).
   */
  watch(watch: IRegressionWatch | null): void {
    this.stopWatching();
    this._watch = watch;
    watch?.failed.connect(this._onFailed, this);
    watch?.recovered.connect(this._onRecovered, this);
  }

  /**
   * Stop watching and forget the regressions.
   */
  stopWatching(): void {
    for (const cell of this._regressed) {
      cell.changed.disconnect(this._changed, this);
    }
    this._regressed = [];
    this._watch?.dispose();
    this._watch = null;
  }

  /**
   * The regressions as the cells are now, in the order they failed; a
   * deleted cell is no longer named.
   */
  regressions(): IFixRegression[] {
    const result: IFixRegression[] = [];
    const kept: IFixContextCell[] = [];
    for (const cell of this._regressed) {
      const position = cell.isDisposed ? null : cell.position();
      if (position === null) {
        cell.changed.disconnect(this._changed, this);
      } else {
        result.push({ cell: position });
        kept.push(cell);
      }
    }
    this._regressed = kept;
    return result;
  }

  /**
   * Show the cell of `regressions()[index]`; false when it is gone.
   */
  revealRegression(index: number): boolean {
    const cell = this._regressed[index];
    return !!cell && !cell.isDisposed && reveal(cell);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.setCause(null);
    this.stopWatching();
  }

  private _onFailed(_: IRegressionWatch, cell: IFixContextCell): void {
    if (!this._regressed.includes(cell)) {
      this._regressed = [...this._regressed, cell];
      cell.changed.connect(this._changed, this);
    }
    this._changed();
  }

  private _onRecovered(_: IRegressionWatch, cell: IFixContextCell): void {
    cell.changed.disconnect(this._changed, this);
    this._regressed = this._regressed.filter(c => c !== cell);
    this._changed();
  }

  private _cause: IFixCauseCell | null = null;
  private _watch: IRegressionWatch | null = null;
  private _regressed: IFixContextCell[] = [];
  private _isDisposed = false;
}

/**
 * Show a cell; false when it is gone or showing it threw.
 */
function reveal(cell: IFixContextCell): boolean {
  try {
    return cell.reveal();
  } catch {
    return false;
  }
}
