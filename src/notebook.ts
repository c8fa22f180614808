import type { ISessionContext } from '@jupyterlab/apputils';
import { Cell, CodeCell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { KernelMessage } from '@jupyterlab/services';
import {
  INotebookModel,
  Notebook,
  NotebookActions
} from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';

import { ICellContext, ICellSnippet } from './context';
import { IFixContextCell, IFixRunResult, IFixTarget } from './fix';
import type { ITaskNotebook } from './task';
import { cellIndex, NotebookTaskNotebook, revealCell } from './taskcells';

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
    this._scheduled =
      options.executionScheduled ?? NotebookActions.executionScheduled;
    this._trans = (options.translator ?? nullTranslator).load(
      'opencodeinterpreter_lab'
    );
    this._activate = options.activate;
  }

  taskNotebook(): ITaskNotebook {
    const panel = this._requirePanel();
    return new NotebookTaskNotebook({
      panel,
      language: kernelLanguage(panel.content),
      problem: () => runProblem(panel)?.message ?? null,
      makeTarget: model => this._makeTarget(panel, model),
      activate: this._activate
    });
  }

  get fixRequested(): ISignal<this, IFixRequestArgs> {
    return this._fixRequested;
  }

  activeFixTarget(): IFixTarget | null {
    const panel = this.currentPanel;
    const cell = panel?.content.activeCell;
    if (!panel || !cell || cell.model.type !== 'code') {
      return null;
    }
    const model = cell.model as ICodeCellModel;
    return hasErrorOutput(model) ? this._makeTarget(panel, model) : null;
  }

  /**
   * A code cell failed: give it a Fix button and ask for a fix (`auto`).
   */
  cellFailed(panel: INotebookPanelLike, model: ICodeCellModel): void {
    if (this._isDisposed || !hasErrorOutput(model)) {
      return;
    }
    this._addFixButton(panel, model);
    this._fixRequested.emit({
      target: this._makeTarget(panel, model),
      auto: true
    });
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
    const problem = runProblem(this._requirePanel());
    if (problem) {
      throw problem;
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
    const result: IRunResult = {
      notebookPath: panel.context.path,
      cellIndex: cells.indexOf(cellModel),
      outputs: cellModel.outputs.toJSON(),
      executionCount: cellModel.executionCount,
      status: reply.content.status,
      makeFixTarget: () =>
        this._whatHappened(panel, cellModel) || !hasErrorOutput(cellModel)
          ? null
          : this._makeTarget(panel, cellModel)
    };
    if (reply.content.status === 'error') {
      this.cellFailed(panel, cellModel);
    }
    return result;
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

  private _onExecuted(
    _: unknown,
    args: { notebook: Notebook; cell?: Cell; success?: boolean }
  ): void {
    const panel = this.currentPanel;
    if (this._variablesEnabled && panel && panel.content === args.notebook) {
      void this.refreshVariables(panel);
    }
    const cell = args.cell;
    if (args.success === false && cell && cell.model.type === 'code') {
      const owner =
        panel && panel.content === args.notebook
          ? panel
          : this._tracker.find?.(p => p.content === args.notebook);
      if (owner && !owner.isDisposed) {
        this.cellFailed(owner, cell.model as ICodeCellModel);
      }
    }
  }

  private _makeTarget(
    panel: INotebookPanelLike,
    model: ICodeCellModel
  ): IFixTarget {
    return new NotebookCellTarget({
      panel,
      model,
      execute: this._execute ?? defaultExecutor,
      readVariables: this._readVariables,
      scheduled: this._scheduled,
      afterRun: () => void this.refreshVariables(panel),
      activate: this._activate
    });
  }

  /**
   * Put a Fix button under the outputs of a failed cell; it goes away when
   * the cell is edited, or its outputs no longer hold an error.
   */
  private _addFixButton(
    panel: INotebookPanelLike,
    model: ICodeCellModel
  ): void {
    const widget = panel.content.widgets.find(w => w.model === model);
    if (!widget || this._buttons.has(model)) {
      return;
    }
    const layout = widget.layout;
    if (!(layout instanceof PanelLayout)) {
      return;
    }
    const button = new FixButton(() => {
      if (!this._whatHappened(panel, model) && hasErrorOutput(model)) {
        this._fixRequested.emit({
          target: this._makeTarget(panel, model),
          auto: false
        });
      }
    }, this._trans);
    const outputs = (widget as CodeCell).outputArea?.parent;
    const index = outputs ? layout.widgets.indexOf(outputs) : -1;
    if (index >= 0) {
      layout.insertWidget(index + 1, button);
    } else {
      layout.addWidget(button);
    }
    this._buttons.set(model, button);
    const remove = (): void => {
      if (!model.isDisposed) {
        // A disposed model has dropped its signals (and its shared model).
        model.sharedModel.changed.disconnect(onSource);
        model.outputs.changed.disconnect(onOutputs);
      }
      this._buttons.delete(model);
      button.dispose();
    };
    const onSource = (_: unknown, change: { sourceChange?: unknown }): void => {
      if (change.sourceChange) {
        remove();
      }
    };
    const onOutputs = (): void => {
      if (!hasErrorOutput(model)) {
        remove();
      }
    };
    model.sharedModel.changed.connect(onSource);
    model.outputs.changed.connect(onOutputs);
    button.disposed.connect(() => {
      if (this._buttons.get(model) === button) {
        remove();
      }
    });
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _tracker: INotebookTrackerLike;
  private _activate: ((panel: INotebookPanelLike) => void) | undefined;
  private _scheduled: ISignal<any, { notebook: Notebook; cell: Cell }>;
  private _buttons = new WeakMap<ICodeCellModel, Widget>();
  private _trans: TranslationBundle;
  private _fixRequested = new Signal<this, IFixRequestArgs>(this);
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
    executed?: ISignal<
      any,
      { notebook: Notebook; cell?: Cell; success?: boolean }
    >;
    /** Emits when cells are queued to run; `NotebookActions.executionScheduled` by default. */
    executionScheduled?: ISignal<any, { notebook: Notebook; cell: Cell }>;
    /** Labels the Fix buttons. */
    translator?: ITranslator;
    /** Brings a notebook to the front (a task's links to its cells). */
    activate?: (panel: INotebookPanelLike) => void;
  }
}

/**
 * Why code cannot run in a notebook's kernel now: no kernel, kernel dead or
 * restarting, notebook closed; else null.
 */
function runProblem(panel: INotebookPanelLike): NotebookError | null {
  const session = panel.sessionContext;
  if (panel.isDisposed || session.isDisposed) {
    return new NotebookError('notebook-closed');
  }
  const kernel = session.session?.kernel;
  if (session.isRestarting) {
    return new NotebookError('kernel-restarting');
  }
  if (!kernel || session.hasNoKernel) {
    return new NotebookError('no-kernel');
  }
  switch (kernel.status) {
    case 'dead':
      return new NotebookError('kernel-dead');
    case 'restarting':
    case 'autorestarting':
      return new NotebookError('kernel-restarting');
  }
  return null;
}

/**
 * Whether a code cell's outputs hold an error.
 */
export function hasErrorOutput(model: ICodeCellModel): boolean {
  const outputs = model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    if (outputs.get(i).type === 'error') {
      return true;
    }
  }
  return false;
}

/**
 * The non-blank code cells above `index`, in order.
 */
export function codeCellModelsAbove(
  notebook: Notebook,
  index: number
): ICellModel[] {
  const cells = Array.from(notebook.model?.cells ?? []);
  return cells
    .slice(0, Math.max(0, index))
    .filter(
      cell => cell.type === 'code' && cell.sharedModel.getSource().trim() !== ''
    );
}

/**
 * The sources of the non-blank code cells above `index`, in order.
 */
export function codeCellsAbove(notebook: Notebook, index: number): string[] {
  return codeCellModelsAbove(notebook, index).map(cell =>
    cell.sharedModel.getSource()
  );
}

/**
 * The Fix button under the outputs of a failed cell.
 */
export class FixButton extends Widget {
  constructor(onClick: () => void, trans: TranslationBundle) {
    super();
    this.addClass('jp-oci-fix-cell');
    const button = document.createElement('button');
    button.type = 'button';
    button.className =
      'jp-Button jp-mod-styled jp-mod-minimal jp-oci-fix-button';
    const label = trans.__('Fix this cell with the assistant');
    button.setAttribute('aria-label', label);
    button.title = label;
    button.textContent = trans.__('Fix');
    button.addEventListener('click', event => {
      event.stopPropagation();
      onClick();
    });
    this.node.appendChild(button);
  }
}

/**
 * A notebook code cell as the target of a fix: writes and runs that very
 * cell (wherever it moves), and tells when the user edits or re-runs it or
 * when it is gone.
 */
export class NotebookCellTarget implements IFixTarget {
  constructor(options: NotebookCellTarget.IOptions) {
    this._panel = options.panel;
    this._model = options.model;
    this._execute = options.execute;
    this._readVariables = options.readVariables;
    this._afterRun = options.afterRun;
    this._activate = options.activate;
    const notebook = this._panel.content;
    const index = this._index();
    const name =
      this._panel.context.path.split('/').pop() || this._panel.context.path;
    this.key = this._model.id;
    this.label = `cell ${index + 1} of ${name}`;
    this.outputs = this._model.outputs.toJSON();
    // The cells themselves, not their indices: cells may move meanwhile.
    this._contextCells = codeCellModelsAbove(notebook, index);
    this.context = this._contextCells.map(cell => cell.sharedModel.getSource());
    this.language = kernelLanguage(notebook);
    this._model.sharedModel.changed.connect(this._onCellChanged, this);
    options.scheduled.connect(this._onScheduled, this);
    this._scheduled = options.scheduled;
    notebook.model?.cells.changed.connect(this._onCellsChanged, this);
    notebook.disposed.connect(this._onClosed, this);
    this._panel.sessionContext.statusChanged?.connect(this._onStatus, this);
  }

  readonly key: string;
  readonly label: string;
  readonly outputs: nbformat.IOutput[];
  readonly context: string[];
  readonly language: string;

  get source(): string {
    return this._model.isDisposed ? '' : this._model.sharedModel.getSource();
  }

  get edited(): ISignal<this, void> {
    return this._edited;
  }

  get lost(): ISignal<this, string> {
    return this._lost;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  problem(): string | null {
    const gone = this._gone();
    if (gone) {
      return gone.message;
    }
    const session = this._panel.sessionContext;
    const kernel = session.session?.kernel;
    if (session.isRestarting) {
      return NotebookError.MESSAGES['kernel-restarting'];
    }
    if (!kernel || session.hasNoKernel) {
      return NotebookError.MESSAGES['no-kernel'];
    }
    if (kernel.status === 'dead') {
      return NotebookError.MESSAGES['kernel-dead'];
    }
    return null;
  }

  async readVariables(): Promise<string | null> {
    return this._gone() ? null : this._readVariables(this._panel);
  }

  contextCell(index: number): IFixContextCell | null {
    const model = this._contextCells[index];
    return model
      ? new NotebookContextCell({
          panel: this._panel,
          model,
          activate: this._activate
        })
      : null;
  }

  setSource(source: string): void {
    const gone = this._gone();
    if (gone) {
      throw gone;
    }
    this._writing = true;
    try {
      this._model.sharedModel.setSource(source);
    } finally {
      this._writing = false;
    }
  }

  async run(): Promise<IFixRunResult> {
    const problem = this.problem();
    if (problem) {
      return { status: 'dead', outputs: [], message: problem };
    }
    const notebook = this._panel.content;
    const cell = notebook.widgets.find(w => w.model === this._model);
    if (!cell) {
      return {
        status: 'dead',
        outputs: [],
        message: NotebookError.MESSAGES['cell-deleted']
      };
    }
    const session = this._panel.sessionContext;
    let reply: KernelMessage.IExecuteReplyMsg | void;
    this._running = true;
    try {
      reply = await this._execute(cell as CodeCell, session, notebook);
    } catch (reason) {
      const gone = this._gone();
      return {
        status: 'dead',
        outputs: [],
        message:
          gone?.message ??
          (isCancelledFuture(reason) || kernelGone(session)
            ? NotebookError.MESSAGES['kernel-restarted']
            : String(reason instanceof Error ? reason.message : reason))
      };
    } finally {
      this._running = false;
    }
    const gone = this._gone();
    if (gone) {
      return { status: 'dead', outputs: [], message: gone.message };
    }
    if (!reply) {
      return {
        status: 'dead',
        outputs: [],
        message:
          NotebookError.MESSAGES[
            kernelGone(session) ? 'kernel-restarted' : 'cancelled'
          ]
      };
    }
    this._afterRun?.();
    const outputs = this._model.outputs.toJSON();
    const status =
      reply.content.status === 'ok' && !outputs.some(isErrorOutput)
        ? 'ok'
        : 'error';
    return { status, outputs };
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (!this._model.isDisposed) {
      this._model.sharedModel.changed.disconnect(this._onCellChanged, this);
    }
    this._scheduled.disconnect(this._onScheduled, this);
    this._panel.content.model?.cells.changed.disconnect(
      this._onCellsChanged,
      this
    );
    this._panel.content.disposed.disconnect(this._onClosed, this);
    this._panel.sessionContext.statusChanged?.disconnect(this._onStatus, this);
    Signal.clearData(this);
  }

  private _index(): number {
    const cells = Array.from(this._panel.content.model?.cells ?? []);
    return cells.indexOf(this._model);
  }

  private _gone(): NotebookError | null {
    const model = this._panel.content.model;
    if (this._panel.isDisposed || this._panel.content.isDisposed || !model) {
      return new NotebookError('notebook-closed', 'The notebook was closed.');
    }
    if (this._model.isDisposed || this._index() < 0) {
      return new NotebookError('cell-deleted', 'The cell was deleted.');
    }
    return null;
  }

  private _onCellChanged(_: unknown, change: { sourceChange?: unknown }): void {
    if (change.sourceChange && !this._writing) {
      this._edited.emit(undefined);
    }
  }

  private _onScheduled(_: unknown, args: { cell: Cell }): void {
    if (args.cell?.model === this._model && !this._running) {
      this._edited.emit(undefined);
    }
  }

  private _onCellsChanged(): void {
    if (this._index() < 0) {
      this._lost.emit('the cell was deleted.');
    }
  }

  private _onClosed(): void {
    this._lost.emit('the notebook was closed.');
  }

  private _onStatus(_: unknown, status: string): void {
    if (status === 'dead') {
      this._lost.emit('the kernel died.');
    }
  }

  private _panel: INotebookPanelLike;
  private _model: ICodeCellModel;
  private _execute: CellExecutor;
  private _readVariables: VariablesReader;
  private _afterRun: (() => void) | undefined;
  private _activate: ((panel: INotebookPanelLike) => void) | undefined;
  private _contextCells: ICellModel[];
  private _scheduled: ISignal<any, { notebook: Notebook; cell: Cell }>;
  private _writing = false;
  private _running = false;
  private _isDisposed = false;
  private _edited = new Signal<this, void>(this);
  private _lost = new Signal<this, string>(this);
}

export namespace NotebookCellTarget {
  export interface IOptions {
    panel: INotebookPanelLike;
    model: ICodeCellModel;
    execute: CellExecutor;
    readVariables: VariablesReader;
    scheduled: ISignal<any, { notebook: Notebook; cell: Cell }>;
    afterRun?: () => void;
    /** Brings the notebook to the front (links to its cells). */
    activate?: (panel: INotebookPanelLike) => void;
  }
}

/**
 * An earlier cell of a fix target's notebook (where the cause of a failure
 * probably lay): follows the cell wherever it moves, and shows it.
 */
export class NotebookContextCell implements IFixContextCell {
  constructor(options: NotebookContextCell.IOptions) {
    this._panel = options.panel;
    this._model = options.model;
    this._activate = options.activate;
    const notebook = this._panel.content;
    this._cells = notebook.model?.cells ?? null;
    this._cells?.changed.connect(this._emitChanged, this);
    notebook.disposed.connect(this._emitChanged, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  position(): number | null {
    const index = cellIndex(this._panel, this._model);
    return index < 0 ? null : index + 1;
  }

  reveal(): boolean {
    return revealCell(this._panel, this._model, this._activate);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._cells?.changed.disconnect(this._emitChanged, this);
    this._panel.content.disposed.disconnect(this._emitChanged, this);
    Signal.clearData(this);
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _panel: INotebookPanelLike;
  private _model: ICellModel;
  private _activate: ((panel: INotebookPanelLike) => void) | undefined;
  private _cells: INotebookModel['cells'] | null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace NotebookContextCell {
  export interface IOptions {
    panel: INotebookPanelLike;
    /** The cell's model (kept, not its index). */
    model: ICellModel;
    /** Brings the notebook to the front before the cell is shown. */
    activate?: (panel: INotebookPanelLike) => void;
  }
}

function isErrorOutput(output: nbformat.IOutput): boolean {
  return output.output_type === 'error';
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
