/**
 * What the loops need from the notebook, as interfaces: the cells they
 * write and run. `src/notebook/` implements them over JupyterLab's notebook;
 * tests use fakes. Nothing here imports the notebook side, so the loop can
 * be read (and tested) without it.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import { ExecutionStatus } from '../protocol';

/**
 * How a run of a cell ended.
 */
export interface ICellRunResult {
  status: ExecutionStatus;
  outputs: nbformat.IOutput[];
  /** Why it could not run (status `dead`). */
  message?: string;
}

/**
 * A cell a loop runs in the live kernel.
 */
export interface IRunnableCell {
  /** Why the cell cannot run now, or null. */
  problem(): string | null;
  /** Run the cell in the live kernel; resolves with its outputs. */
  run(): Promise<ICellRunResult>;
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
 * An earlier cell of a fix target where the cause of its failure may lie:
 * besides following it, the fix can make its repair there (read, write and
 * run the cell in the live kernel), wherever it moved.
 */
export interface IFixCauseCell extends IFixContextCell, IRunnableCell {
  /** The cell's source now; null when it or its notebook is gone. */
  source(): string | null;
  /** Replace the cell's source; throws when the cell is gone. */
  setSource(source: string): void;
}

/**
 * The cells below a fixed cell that had passed before the fix (run, no
 * error output), watched for their next run by the user: one that fails
 * then probably fails because of the fix, a regression the panel names.
 */
export interface IRegressionWatch extends IDisposable {
  /**
   * Emits a cell that had passed before the fix when its next run fails.
   * The watch owns the cell (disposed with it).
   */
  readonly failed: ISignal<IRegressionWatch, IFixContextCell>;
  /**
   * Emits a cell that `failed` emitted when a later run passes again; the
   * watch disposes the cell right after.
   */
  readonly recovered: ISignal<IRegressionWatch, IFixContextCell>;
}

/**
 * The failing cell a fix works on.
 */
export interface IFixTarget extends IRunnableCell, IDisposable {
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
  contextCell?(index: number): IFixCauseCell | null;
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
  /** A summary of the kernel's variables, or null. */
  readVariables(): Promise<string | null>;
  /**
   * Start watching the code cells below this one that passed when they
   * last ran (see `IRegressionWatch`); it outlives the target. Null when
   * none did. Optional: a target may not know the cells below it.
   */
  watchBelow?(): IRegressionWatch | null;
  /**
   * The id of the notebook's kernel now (the server reads that kernel
   * silently for the prompt and its checks), or null when it has none.
   */
  kernelId(): string | null;
  /** Replace the cell's source; throws when the cell is gone. */
  setSource(source: string): void;
}

/**
 * A code cell a task inserted.
 */
export interface ITaskCell extends IRunnableCell, IDisposable {
  /** Identifies the cell. */
  readonly key: string;
  /**
   * Emits, with the reason, when the cell or its notebook is gone or the
   * kernel died.
   */
  readonly lost: ISignal<ITaskCell, string>;
  /** Where the cell is now, e.g. `cell 4 of analysis.ipynb`. */
  label(): string;
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
