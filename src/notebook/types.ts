/**
 * The notebook side as the chat model sees it (`INotebookBridge`), and the
 * small parts of JupyterLab's notebook types the bridge uses, so that the
 * modules under src/notebook/ (and tests) depend on interfaces, not on each
 * other.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { CodeCell } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { Notebook } from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import type { ISignal } from '@lumino/signaling';

import type { FixStatus } from '../loop/fixstate';
import type { IFixTarget, ITaskNotebook } from '../loop/targets';

/**
 * Where a cell the bridge wrote lives.
 */
export interface ICellLocation {
  notebookPath: string;
  cellIndex: number;
}

/**
 * The outcome of running code in the notebook's kernel.
 */
export interface IRunResult extends ICellLocation {
  /** The cell's outputs once the execution ended. */
  outputs: nbformat.IOutput[];
  executionCount: number | null;
  /** `ok`, `error` or `aborted`, from the kernel's reply. */
  status: string;
  /** The cell as a fix target (for a failed run), when it still exists. */
  makeFixTarget?: () => IFixTarget | null;
}

/**
 * A failing cell to fix: `auto` when it just failed, else the user asked.
 */
export interface IFixRequestArgs {
  target: IFixTarget;
  auto: boolean;
}

/**
 * What the chat model needs from the notebook: the active cell as context,
 * and writing and running cells. `NotebookBridge` implements it over the
 * notebook tracker; tests may use a fake.
 */
export interface INotebookBridge {
  /**
   * Emits when the current notebook or its active cell changes.
   */
  readonly changed: ISignal<INotebookBridge, void>;

  /**
   * A snapshot of the active cell of the current notebook, or null; with the
   * nearby cells and the kernel's variables when asked for.
   */
  activeCellContext(options?: IContextOptions): ICellContext | null;

  /**
   * Keep a summary of the current notebook's kernel variables up to date
   * (read after each run), for `activeCellContext({ variables: true })`.
   */
  setVariablesEnabled?(enabled: boolean): void;

  /**
   * Insert a code cell holding `code` below the active cell (at the top of an
   * empty notebook) and make it active.
   */
  insertBelow(code: string): ICellLocation;

  /**
   * Replace the active cell's source with `code` (a markdown or raw cell
   * becomes a code cell).
   */
  replaceActiveCell(code: string): ICellLocation;

  /**
   * Throw the error that would keep `run` from starting, if any: no notebook,
   * no kernel, kernel dead or restarting.
   */
  checkRunnable(): void;

  /**
   * Insert `code` below the active cell, run it in the notebook's kernel and
   * read its outputs back. Nothing is inserted when the kernel cannot run it.
   */
  run(code: string): Promise<IRunResult>;

  /**
   * Interrupt the kernel of the notebook where `run` is running code; the
   * run then ends with the kernel's KeyboardInterrupt error.
   */
  interrupt(): Promise<void>;

  /**
   * Emits when a code cell failed (`auto`), however it was run, or when the
   * user clicked the Fix button of a failed cell.
   */
  readonly fixRequested?: ISignal<INotebookBridge, IFixRequestArgs>;

  /**
   * The active cell as a fix target, or null when it has no error output.
   */
  activeFixTarget?(): IFixTarget | null;

  /**
   * Show where a fix stands on the Fix button of its cell (when the cell
   * has one), until the fix is disposed or another fix of the cell starts.
   */
  followFix?(fix: IFixProgress): void;

  /**
   * The current notebook as the workspace of a task; throws when no
   * notebook is open.
   */
  taskNotebook?(): ITaskNotebook;
}

/**
 * What a context snapshot carries besides the active cell.
 */
export interface IContextOptions {
  /** How many non-blank cells above and below to add (0: none). */
  nearbyCells?: number;
  /** Add the summary of the kernel's variables, when one was read. */
  variables?: boolean;
}

/**
 * Reads a summary of the variables of a notebook's kernel, or null.
 */
export type VariablesReader = (
  panel: INotebookPanelLike
) => Promise<string | null>;

/**
 * The part of a notebook panel the bridge uses (a `NotebookPanel` is one).
 */
export interface INotebookPanelLike {
  /** The widget's id in the shell. */
  readonly id?: string;
  readonly content: Notebook;
  readonly sessionContext: ISessionContext;
  readonly context: { readonly path: string };
  readonly isDisposed: boolean;
}

/**
 * The part of `INotebookTracker` the bridge uses.
 */
export interface INotebookTrackerLike {
  readonly currentWidget: INotebookPanelLike | null;
  readonly currentChanged: ISignal<any, any>;
  readonly activeCellChanged: ISignal<any, any>;
  /** The first panel for which `fn` is true (INotebookTracker has it). */
  find?(fn: (panel: any) => boolean): INotebookPanelLike | undefined;
}

/**
 * Runs a code cell in a session; `CodeCell.execute` by default.
 */
export type CellExecutor = (
  cell: CodeCell,
  sessionContext: ISessionContext,
  notebook: Notebook
) => Promise<KernelMessage.IExecuteReplyMsg | void>;

/**
 * A snapshot of the notebook's active cell.
 */
export interface ICellContext {
  /** Path of the notebook, relative to the server root. */
  readonly notebookPath: string;
  /** Position of the cell in the notebook, from 0. */
  readonly cellIndex: number;
  readonly cellType: 'code' | 'markdown' | 'raw';
  /** Language of the cell's code ('python'), or 'markdown' / '' for others. */
  readonly language: string;
  readonly source: string;
  /** The selected range of the source (character offsets), when not empty. */
  readonly selection: { readonly start: number; readonly end: number } | null;
  /** The cursor's character offset in the source, when known. */
  readonly cursor: number | null;
  /** Cells around the active one, nearest first (when asked for). */
  readonly nearby?: ReadonlyArray<ICellSnippet>;
  /** A summary of the kernel's variables, one per line (when asked for). */
  readonly variables?: string | null;
}

/**
 * A cell near the active one.
 */
export interface ICellSnippet {
  readonly cellIndex: number;
  readonly cellType: 'code' | 'markdown' | 'raw';
  readonly source: string;
}

/**
 * What a button reads of a fix (a `FixSession` is one).
 */
export interface IFixProgress {
  /** The cell's key (its model's id). */
  readonly target: { readonly key: string };
  readonly state: { readonly status: FixStatus; readonly round: number };
  /** The most rounds; null when not known. */
  readonly maxRounds: number | null;
  /** Emits after each change of `state`. */
  readonly changed: ISignal<any, unknown>;
  /** Emits when the fix is disposed (the conversation forgot it). */
  readonly disposed: ISignal<any, void>;
  readonly isDisposed: boolean;
}
