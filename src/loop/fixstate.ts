/**
 * What the panel shows of a fix: its state, rounds and the repair in the
 * cause's cell (types only, shared by the fix session, the cause repair and
 * the views).
 */
import type { ExecutionStatus, IFixOutcome } from '../protocol';
import type { IDiffLine } from './diff';
import type { IFixRegression } from './fixcells';
import type { IRoundEntry } from './rounds';

/**
 * Where a fix stands.
 */
export type FixStatus =
  'streaming' | 'proposed' | 'running' | 'fixed' | 'failed' | 'cancelled';

/**
 * One round of a fix: its streamed answer, then (`IRoundEntry`) its
 * proposal's code and explanation, and the server's note on its run.
 */
export interface IFixRound extends IRoundEntry {
  /** Original → proposed, once the proposal came. */
  readonly diff?: ReadonlyArray<IDiffLine>;
  /** The proposal passed in a copy of the kernel before it was proposed. */
  readonly tried?: boolean;
  /** What the proposal printed, displayed and set in that copy. */
  readonly preview?: string;
  /** The run of the proposal. */
  readonly result?: {
    readonly status: 'running' | ExecutionStatus;
    readonly text: string;
  };
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
