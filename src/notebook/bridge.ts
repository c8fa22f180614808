/**
 * The notebook bridge: what the chat model does in notebooks (the active
 * cell as context; insert, replace and run code; fix targets and Fix
 * buttons; the workspace of tasks), over the notebook tracker.
 */
import { Cell, CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import { Notebook, NotebookActions } from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IFixTarget, ITaskNotebook } from '../loop/targets';
import { focusCell, hasErrorOutput, nearbyCells } from './cells';
import { NotebookCellTarget } from './celltarget';
import { NotebookError } from './errors';
import { FixButtons, IFixProgress } from './fixbutton';
import {
  defaultExecutor,
  isCancelledFuture,
  kernelGone,
  kernelLanguage,
  runProblem
} from './kernel';
import { NotebookTaskNotebook } from './taskcells';
import {
  CellExecutor,
  ICellContext,
  ICellLocation,
  ICellSnippet,
  IContextOptions,
  IFixRequestArgs,
  INotebookBridge,
  INotebookPanelLike,
  INotebookTrackerLike,
  IRunResult,
  VariablesReader
} from './types';
import { KernelVariables, readKernelVariables } from './variables';

/**
 * Follows the current notebook of the tracker (so one
 * panel serves all notebooks and its conversation survives switching) and
 * writes, runs and reads cells there.
 */
export class NotebookBridge implements INotebookBridge, IDisposable {
  constructor(options: NotebookBridge.IOptions) {
    this._tracker = options.tracker;
    this._execute = options.execute;
    this._variables = new KernelVariables(
      options.readVariables ?? readKernelVariables
    );
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._tracker.activeCellChanged.connect(this._emitChanged, this);
    this._executed = options.executed ?? NotebookActions.executed;
    this._executed.connect(this._onExecuted, this);
    this._scheduled =
      options.executionScheduled ?? NotebookActions.executionScheduled;
    this._buttons = new FixButtons(
      (options.translator ?? nullTranslator).load('opencodeinterpreter_lab')
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

  followFix(fix: IFixProgress): void {
    if (!this._isDisposed) {
      this._buttons.follow(fix);
    }
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
    this._variables.setEnabled(enabled, this.currentPanel);
  }

  /**
   * Read the kernel variables of a notebook (the current one by default)
   * again; resolves when the summary is stored.
   */
  refreshVariables(
    panel: INotebookPanelLike | null = this.currentPanel
  ): Promise<void> {
    return this._variables.refresh(panel);
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
    if (options.variables && this._variables.enabled) {
      extras.variables = this._variables.summary(panel);
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
    this._variables.dispose();
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
    focusCell(notebook, cellIndex);
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
    if (this._variables.enabled && panel && !this._variables.has(panel)) {
      void this.refreshVariables(panel);
    }
    this._emitChanged();
  }

  private _onExecuted(
    _: unknown,
    args: { notebook: Notebook; cell?: Cell; success?: boolean }
  ): void {
    const panel = this.currentPanel;
    if (panel && panel.content === args.notebook) {
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
      readVariables: this._variables.read,
      scheduled: this._scheduled,
      afterRun: () => void this.refreshVariables(panel),
      activate: this._activate,
      executed: this._executed
    });
  }

  /**
   * Put a Fix button under the outputs of a failed cell; a click asks for a
   * fix while the cell still holds the error.
   */
  private _addFixButton(
    panel: INotebookPanelLike,
    model: ICodeCellModel
  ): void {
    this._buttons.add(panel, model, () => {
      if (!this._whatHappened(panel, model) && hasErrorOutput(model)) {
        this._fixRequested.emit({
          target: this._makeTarget(panel, model),
          auto: false
        });
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
  private _executed: ISignal<
    any,
    { notebook: Notebook; cell?: Cell; success?: boolean }
  >;
  private _buttons: FixButtons;
  private _fixRequested = new Signal<this, IFixRequestArgs>(this);
  private _execute: CellExecutor | undefined;
  private _variables: KernelVariables;
  private _runningIn: INotebookPanelLike | null = null;
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
