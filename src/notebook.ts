import type { ISessionContext } from '@jupyterlab/apputils';
import { Cell, CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { KernelMessage } from '@jupyterlab/services';
import { Notebook, NotebookActions } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ICellContext, ICellSnippet } from './context';

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
  | 'kernel-restarted'
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
    'kernel-restarted':
      'The kernel restarted or died before the code finished running; its outputs are lost.',
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
    this._readVariables = options.readVariables ?? readKernelVariables;
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._tracker.activeCellChanged.connect(this._emitChanged, this);
    (options.executed ?? NotebookActions.executed).connect(
      this._onExecuted,
      this
    );
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

  setVariablesEnabled(enabled: boolean): void {
    if (this._variablesEnabled === enabled) {
      return;
    }
    this._variablesEnabled = enabled;
    this._variables = new WeakMap();
    const panel = this.currentPanel;
    if (enabled && panel) {
      void this.refreshVariables(panel);
    }
  }

  /**
   * Read the kernel variables of a notebook (the current one by default)
   * again; resolves when the summary is stored.
   */
  async refreshVariables(
    panel: INotebookPanelLike | null = this.currentPanel
  ): Promise<void> {
    if (!this._variablesEnabled || !panel) {
      return;
    }
    let summary: string | null = null;
    try {
      summary = await this._readVariables(panel);
    } catch {
      summary = null;
    }
    if (this._isDisposed || panel.isDisposed) {
      return;
    }
    if (summary === null) {
      this._variables.delete(panel);
    } else {
      this._variables.set(panel, summary);
    }
  }

  activeCellContext(options: IContextOptions = {}): ICellContext | null {
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
    const index = notebook.activeCellIndex;
    const context: ICellContext = {
      notebookPath: panel.context.path,
      cellIndex: index,
      cellType,
      language: cellType === 'code' ? kernelLanguage(notebook) : '',
      source,
      selection,
      cursor
    };
    const count = options.nearbyCells ?? 0;
    const extras: { nearby?: ICellSnippet[]; variables?: string | null } = {};
    if (count > 0) {
      extras.nearby = nearbyCells(notebook, index, count);
    }
    if (options.variables && this._variablesEnabled) {
      extras.variables = this._variables.get(panel) ?? null;
    }
    return { ...context, ...extras };
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
    this._runningIn = panel;
    const cellModel = cell.model as ICodeCellModel;
    const execute = this._execute ?? defaultExecutor;
    let reply: KernelMessage.IExecuteReplyMsg | void;
    try {
      reply = await execute(cell, sessionContext, notebook);
    } catch (reason) {
      this._runningIn = null;
      throw (
        this._whatHappened(panel, cellModel) ??
        (isCancelledFuture(reason) || kernelGone(sessionContext)
          ? new NotebookError('kernel-restarted')
          : reason)
      );
    }
    this._runningIn = null;
    const problem = this._whatHappened(panel, cellModel);
    if (problem) {
      throw problem;
    }
    if (!reply) {
      throw new NotebookError(
        kernelGone(sessionContext) ? 'kernel-restarted' : 'cancelled'
      );
    }
    void this.refreshVariables(panel);
    const cells = Array.from(notebook.model?.cells ?? []);
    return {
      notebookPath: panel.context.path,
      cellIndex: cells.indexOf(cellModel),
      outputs: cellModel.outputs.toJSON(),
      executionCount: cellModel.executionCount,
      status: reply.content.status
    };
  }

  async interrupt(): Promise<void> {
    const panel = this._runningIn;
    const kernel = panel?.sessionContext.session?.kernel;
    if (kernel) {
      await kernel.interrupt();
    }
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

  private _onCurrentChanged(): void {
    const panel = this.currentPanel;
    if (this._variablesEnabled && panel && !this._variables.has(panel)) {
      void this.refreshVariables(panel);
    }
    this._emitChanged();
  }

  private _onExecuted(_: unknown, args: { notebook: Notebook }): void {
    const panel = this.currentPanel;
    if (this._variablesEnabled && panel && panel.content === args.notebook) {
      void this.refreshVariables(panel);
    }
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _tracker: INotebookTrackerLike;
  private _execute: CellExecutor | undefined;
  private _readVariables: VariablesReader;
  private _variablesEnabled = false;
  private _runningIn: INotebookPanelLike | null = null;
  private _variables = new WeakMap<INotebookPanelLike, string>();
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace NotebookBridge {
  export interface IOptions {
    tracker: INotebookTrackerLike;
    /** How a cell is run; `CodeCell.execute` by default. */
    execute?: CellExecutor;
    /** How kernel variables are read; a silent execute request by default. */
    readVariables?: VariablesReader;
    /** Emits after cells run; `NotebookActions.executed` by default. */
    executed?: ISignal<any, { notebook: Notebook }>;
  }
}

/**
 * Whether an error is the one a pending execution ends with when its kernel
 * restarts (`Canceled future for execute_request …`).
 */
function isCancelledFuture(reason: unknown): boolean {
  return reason instanceof Error && /^Canceled future/.test(reason.message);
}

/**
 * Whether the session's kernel is restarting, dead or gone.
 */
function kernelGone(sessionContext: ISessionContext): boolean {
  const status = sessionContext.session?.kernel?.status;
  return (
    sessionContext.isRestarting ||
    !status ||
    ['restarting', 'autorestarting', 'starting', 'dead'].includes(status)
  );
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

/**
 * The non-blank cells around `index`, nearest first, up to `count` on each
 * side.
 */
function nearbyCells(
  notebook: Notebook,
  index: number,
  count: number
): ICellSnippet[] {
  const cells = Array.from(notebook.model?.cells ?? []);
  const snippet = (i: number): ICellSnippet | null => {
    const cell = cells[i];
    const source = cell?.sharedModel.getSource() ?? '';
    return cell && source.trim() !== ''
      ? {
          cellIndex: i,
          cellType: cell.type as ICellSnippet['cellType'],
          source
        }
      : null;
  };
  const above: ICellSnippet[] = [];
  const below: ICellSnippet[] = [];
  for (let i = index - 1; i >= 0 && above.length < count; i--) {
    const found = snippet(i);
    if (found) {
      above.push(found);
    }
  }
  for (let i = index + 1; i < cells.length && below.length < count; i++) {
    const found = snippet(i);
    if (found) {
      below.push(found);
    }
  }
  const result: ICellSnippet[] = [];
  for (let i = 0; i < Math.max(above.length, below.length); i++) {
    if (above[i]) {
      result.push(above[i]);
    }
    if (below[i]) {
      result.push(below[i]);
    }
  }
  return result;
}

/**
 * Python run silently in the kernel to list its variables: name, type, and
 * shape, length or short value. It defines one function, which the user
 * expression below calls and removes again; no output, no history.
 */
export const VARIABLES_CODE = `def _oci_variables():
    import types
    hidden = {'In', 'Out', 'exit', 'quit', 'get_ipython'}
    skipped = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
    rows = []
    for name, value in list(globals().items()):
        if name.startswith('_') or name in hidden or isinstance(value, skipped):
            continue
        try:
            kind = type(value)
            text = kind.__name__ if kind.__module__ == 'builtins' else kind.__module__ + '.' + kind.__qualname__
            shape = getattr(value, 'shape', None)
            if isinstance(shape, tuple):
                text += ' shape=' + repr(tuple(shape))
                columns = getattr(value, 'columns', None)
                if columns is not None and len(shape) == 2:
                    text += ' columns=' + repr([str(c) for c in list(columns)[:12]])
            elif isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
                text += ' len=' + str(len(value))
            if isinstance(value, (bool, int, float, complex)) or (isinstance(value, str) and len(value) <= 40):
                text += ' = ' + repr(value)
        except Exception:
            text = '?'
        rows.append(name + ': ' + text)
    class _Text:
        def __repr__(self):
            return '\\n'.join(rows[:100])
    return _Text()
`;

/**
 * The user expression that returns the summary and removes the function.
 */
export const VARIABLES_EXPRESSION =
  "(_oci_variables(), globals().pop('_oci_variables', None))[0]";

/**
 * Read the variables of a Python notebook's kernel with a silent execute
 * request (not in the history, no output, execution count unchanged).
 * Null for other languages, without a kernel, or when it fails.
 */
export async function readKernelVariables(
  panel: INotebookPanelLike
): Promise<string | null> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel || kernelLanguage(panel.content) !== 'python') {
    return null;
  }
  const future = kernel.requestExecute(
    {
      code: VARIABLES_CODE,
      silent: true,
      store_history: false,
      allow_stdin: false,
      user_expressions: { variables: VARIABLES_EXPRESSION }
    },
    true
  );
  const reply = await future.done;
  const content = reply.content as {
    status: string;
    user_expressions?: Record<string, any>;
  };
  const result = content.user_expressions?.variables;
  if (content.status !== 'ok' || result?.status !== 'ok') {
    return null;
  }
  const text = result.data?.['text/plain'];
  return typeof text === 'string' ? text : null;
}
