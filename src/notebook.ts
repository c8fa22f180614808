import type { ISessionContext } from '@jupyterlab/apputils';
import { Cell, CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { KernelMessage } from '@jupyterlab/services';
import type { Notebook } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ICellContext } from './context';

/**
 * Why a notebook operation could not be done. Each has its own message.
 */
export type NotebookErrorKind =
  | 'no-notebook'
  | 'no-kernel'
  | 'kernel-dead'
  | 'kernel-restarting'
  | 'notebook-closed'
  | 'cell-deleted'
  | 'cancelled';

/**
 * A notebook operation that could not be done; its message is shown as is.
 */
export class NotebookError extends Error {
  constructor(
    readonly kind: NotebookErrorKind,
    message: string = NotebookError.MESSAGES[kind]
  ) {
    super(message);
    this.name = 'NotebookError';
  }
}

export namespace NotebookError {
  export const MESSAGES: Record<NotebookErrorKind, string> = {
    'no-notebook':
      'No notebook is open. Open a notebook to insert or run code.',
    'no-kernel':
      'The notebook has no kernel. Select a kernel to run code in it.',
    'kernel-dead':
      'The notebook’s kernel is dead. Restart the kernel to run code.',
    'kernel-restarting':
      'The notebook’s kernel is restarting. Try again when it is ready.',
    'notebook-closed':
      'The notebook was closed before the code finished running.',
    'cell-deleted':
      'The cell was deleted before the code finished running; its outputs are lost.',
    cancelled:
      'The run was cancelled before it finished (was the kernel restarted or interrupted?).'
  };
}

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
   * A snapshot of the active cell of the current notebook, or null.
   */
  activeCellContext(): ICellContext | null;

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
}

/**
 * The part of a notebook panel the bridge uses (a `NotebookPanel` is one).
 */
export interface INotebookPanelLike {
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
 * The notebook bridge: follows the current notebook of the tracker (so one
 * panel serves all notebooks and its conversation survives switching) and
 * writes, runs and reads cells there.
 */
export class NotebookBridge implements INotebookBridge, IDisposable {
  constructor(options: NotebookBridge.IOptions) {
    this._tracker = options.tracker;
    this._execute = options.execute;
    this._tracker.currentChanged.connect(this._emitChanged, this);
    this._tracker.activeCellChanged.connect(this._emitChanged, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The current notebook panel, or null.
   */
  get currentPanel(): INotebookPanelLike | null {
    const panel = this._tracker.currentWidget;
    return panel && !panel.isDisposed ? panel : null;
  }

  activeCellContext(): ICellContext | null {
    const panel = this.currentPanel;
    const notebook = panel?.content;
    const cell = notebook?.activeCell;
    if (!panel || !notebook || !cell || cell.isDisposed) {
      return null;
    }
    const source = cell.model.sharedModel.getSource();
    const cellType = cell.model.type as ICellContext['cellType'];
    let selection: ICellContext['selection'] = null;
    let cursor: number | null = null;
    const editor = cell.editor;
    if (editor) {
      try {
        const range = editor.getSelection();
        const a = editor.getOffsetAt(range.start);
        const b = editor.getOffsetAt(range.end);
        const [start, end] = a <= b ? [a, b] : [b, a];
        if (end > start) {
          selection = { start, end };
        }
        cursor = editor.getOffsetAt(editor.getCursorPosition());
      } catch {
        // An editor that is not laid out yet has no positions.
      }
    }
    return {
      notebookPath: panel.context.path,
      cellIndex: notebook.activeCellIndex,
      cellType,
      language: cellType === 'code' ? kernelLanguage(notebook) : '',
      source,
      selection,
      cursor
    };
  }

  insertBelow(code: string): ICellLocation {
    const panel = this._requirePanel();
    const cellIndex = this._insert(panel.content, code);
    return { notebookPath: panel.context.path, cellIndex };
  }

  replaceActiveCell(code: string): ICellLocation {
    const panel = this._requirePanel();
    const notebook = panel.content;
    const model = notebook.model!;
    const index = notebook.activeCellIndex;
    const cell = notebook.activeCell;
    if (!cell || index < 0) {
      // An empty notebook: the new cell is the whole content.
      return this.insertBelow(code);
    }
    if (cell.model.type === 'code') {
      cell.model.sharedModel.setSource(code);
    } else {
      model.sharedModel.transact(() => {
        model.sharedModel.deleteCell(index);
        model.sharedModel.insertCell(index, {
          cell_type: 'code',
          source: code,
          metadata: {}
        });
      });
      notebook.activeCellIndex = index;
    }
    return { notebookPath: panel.context.path, cellIndex: index };
  }

  checkRunnable(): void {
    const panel = this._requirePanel();
    const session = panel.sessionContext;
    if (session.isDisposed) {
      throw new NotebookError('notebook-closed');
    }
    const kernel = session.session?.kernel;
    if (session.isRestarting) {
      throw new NotebookError('kernel-restarting');
    }
    if (!kernel || session.hasNoKernel) {
      throw new NotebookError('no-kernel');
    }
    switch (kernel.status) {
      case 'dead':
        throw new NotebookError('kernel-dead');
      case 'restarting':
      case 'autorestarting':
        throw new NotebookError('kernel-restarting');
    }
  }

  async run(code: string): Promise<IRunResult> {
    this.checkRunnable();
    const panel = this._requirePanel();
    const notebook = panel.content;
    const sessionContext = panel.sessionContext;
    const cellIndex = this._insert(notebook, code);
    const cell = notebook.widgets[cellIndex] as CodeCell;
    const cellModel = cell.model as ICodeCellModel;
    const execute = this._execute ?? defaultExecutor;
    let reply: KernelMessage.IExecuteReplyMsg | void;
    try {
      reply = await execute(cell, sessionContext, notebook);
    } catch (reason) {
      throw this._whatHappened(panel, cellModel) ?? reason;
    }
    const problem = this._whatHappened(panel, cellModel);
    if (problem) {
      throw problem;
    }
    if (!reply) {
      throw new NotebookError('cancelled');
    }
    const cells = Array.from(notebook.model?.cells ?? []);
    return {
      notebookPath: panel.context.path,
      cellIndex: cells.indexOf(cellModel),
      outputs: cellModel.outputs.toJSON(),
      executionCount: cellModel.executionCount,
      status: reply.content.status
    };
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /**
   * Why the outputs of a run cannot be read, if something happened to the
   * notebook or the cell while it ran.
   */
  private _whatHappened(
    panel: INotebookPanelLike,
    cellModel: ICodeCellModel
  ): NotebookError | null {
    const model = panel.content.model;
    if (panel.isDisposed || panel.content.isDisposed || !model) {
      return new NotebookError('notebook-closed');
    }
    if (cellModel.isDisposed || !Array.from(model.cells).includes(cellModel)) {
      return new NotebookError('cell-deleted');
    }
    return null;
  }

  /**
   * Insert a code cell below the active cell in one transaction; return its
   * index. The new cell becomes the active one.
   */
  private _insert(notebook: Notebook, code: string): number {
    const model = notebook.model!;
    const index = Math.min(notebook.activeCellIndex + 1, model.cells.length);
    model.sharedModel.insertCell(Math.max(0, index), {
      cell_type: 'code',
      source: code,
      metadata: {}
    });
    const cellIndex = Math.max(0, index);
    notebook.activeCellIndex = cellIndex;
    notebook.deselectAll();
    const cell: Cell | undefined = notebook.widgets[cellIndex];
    if (cell && notebook.isAttached) {
      notebook.scrollToCell(cell).catch(() => undefined);
    }
    return cellIndex;
  }

  private _requirePanel(): INotebookPanelLike {
    const panel = this.currentPanel;
    if (!panel || !panel.content.model) {
      throw new NotebookError('no-notebook');
    }
    return panel;
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _tracker: INotebookTrackerLike;
  private _execute: CellExecutor | undefined;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace NotebookBridge {
  export interface IOptions {
    tracker: INotebookTrackerLike;
    /** How a cell is run; `CodeCell.execute` by default. */
    execute?: CellExecutor;
  }
}

/**
 * The language of a notebook's kernel, from its metadata (python by default).
 */
function kernelLanguage(notebook: Notebook): string {
  const model = notebook.model;
  const info = model?.getMetadata('language_info') as
    { name?: unknown } | undefined;
  if (info && typeof info.name === 'string' && info.name) {
    return info.name;
  }
  const spec = model?.getMetadata('kernelspec') as
    { language?: unknown } | undefined;
  if (spec && typeof spec.language === 'string' && spec.language) {
    return spec.language;
  }
  return 'python';
}

/**
 * `CodeCell.execute`, as the notebook's own Run does.
 */
const defaultExecutor: CellExecutor = (cell, sessionContext, notebook) =>
  CodeCell.execute(cell, sessionContext, {
    deletedCells: notebook.model?.deletedCells ?? [],
    recordTiming: notebook.notebookConfig.recordTiming
  });
