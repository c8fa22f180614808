/**
 * A notebook cell as the loop's target: the failing cell a fix writes and
 * runs (wherever it moves), the earlier cells it may name as the probable
 * cause, and the cells below it watched once it is fixed.
 */
import type {
  Cell,
  CodeCell,
  ICellModel,
  ICodeCellModel
} from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { Notebook } from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  ICellRunResult,
  IFixCauseCell,
  IFixTarget,
  IRegressionWatch
} from '../loop/targets';
import {
  cellIndex,
  cellLabel,
  codeCellModelsAbove,
  isErrorOutput
} from './cells';
import { NotebookError } from './errors';
import { NotebookContextCell, watchNotebook } from './follow';
import {
  IExecutedArgs,
  NotebookRegressionWatch,
  passedCellsBelow
} from './regressions';
import {
  isCancelledFuture,
  kernelGone,
  kernelLanguage,
  runProblem
} from './kernel';
import type {
  CellExecutor,
  INotebookPanelLike,
  VariablesReader
} from './types';

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
    this._executed = options.executed;
    const notebook = this._panel.content;
    const index = this._index();
    this.key = this._model.id;
    this.label = cellLabel({
      notebookPath: this._panel.context.path,
      cellIndex: index
    });
    this.outputs = this._model.outputs.toJSON();
    // The cells themselves, not their indices: cells may move meanwhile.
    this._contextCells = codeCellModelsAbove(notebook, index);
    this.context = this._contextCells.map(cell => cell.sharedModel.getSource());
    this.language = kernelLanguage(notebook);
    this._model.sharedModel.changed.connect(this._onCellChanged, this);
    options.scheduled.connect(this._onScheduled, this);
    this._scheduled = options.scheduled;
    notebook.model?.cells.changed.connect(this._onCellsChanged, this);
    this._notebookWatch = watchNotebook(this._panel, reason =>
      this._lost.emit(reason)
    );
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

  kernelId(): string | null {
    if (this._gone()) {
      return null;
    }
    return this._panel.sessionContext.session?.kernel?.id ?? null;
  }

  async readVariables(): Promise<string | null> {
    return this._gone() ? null : this._readVariables(this._panel);
  }

  contextCell(index: number): IFixCauseCell | null {
    const model = this._contextCells[index];
    return model
      ? new NotebookCauseCell({
          panel: this._panel,
          model,
          activate: this._activate,
          execute: this._execute,
          afterRun: this._afterRun
        })
      : null;
  }

  watchBelow(): IRegressionWatch | null {
    const executed = this._executed;
    if (!executed || this._gone()) {
      return null;
    }
    const cells = passedCellsBelow(this._panel, this._model);
    return cells.length
      ? new NotebookRegressionWatch({
          panel: this._panel,
          cells,
          executed,
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

  async run(): Promise<ICellRunResult> {
    const problem = this.problem();
    if (problem) {
      return { status: 'dead', outputs: [], message: problem };
    }
    this._running = true;
    try {
      return await runCodeCell(
        this._panel,
        this._model,
        this._execute,
        this._afterRun
      );
    } finally {
      this._running = false;
    }
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
    this._notebookWatch.dispose();
    Signal.clearData(this);
  }

  private _index(): number {
    const cells = Array.from(this._panel.content.model?.cells ?? []);
    return cells.indexOf(this._model);
  }

  private _gone(): NotebookError | null {
    return cellGone(this._panel, this._model);
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

  private _panel: INotebookPanelLike;
  private _model: ICodeCellModel;
  private _notebookWatch: IDisposable;
  private _execute: CellExecutor;
  private _readVariables: VariablesReader;
  private _afterRun: (() => void) | undefined;
  private _activate: ((panel: INotebookPanelLike) => void) | undefined;
  private _executed: ISignal<any, IExecutedArgs> | undefined;
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
    /**
     * Emits after cells run (`NotebookActions.executed`): without it, the
     * cells below are not watched once the cell is fixed.
     */
    executed?: ISignal<any, IExecutedArgs>;
  }
}

/**
 * Why a cell can no longer be written or run: its notebook was closed or
 * it was deleted; else null.
 */
export function cellGone(
  panel: INotebookPanelLike,
  model: ICellModel
): NotebookError | null {
  const notebook = panel.content.model;
  if (panel.isDisposed || panel.content.isDisposed || !notebook) {
    return new NotebookError('notebook-closed', 'The notebook was closed.');
  }
  if (model.isDisposed || cellIndex(panel, model) < 0) {
    return new NotebookError('cell-deleted', 'The cell was deleted.');
  }
  return null;
}

/**
 * Run a code cell in its notebook's kernel, as the notebook's Run does
 * (`execute`), and read how it ended: `dead`, with the reason, when the
 * cell, its notebook or the kernel went meanwhile. `afterRun` is called
 * after a run that finished.
 */
export async function runCodeCell(
  panel: INotebookPanelLike,
  model: ICodeCellModel,
  execute: CellExecutor,
  afterRun?: () => void
): Promise<ICellRunResult> {
  const notebook = panel.content;
  const cell = notebook.widgets.find(w => w.model === model);
  if (!cell) {
    return {
      status: 'dead',
      outputs: [],
      message: NotebookError.MESSAGES['cell-deleted']
    };
  }
  const session = panel.sessionContext;
  let reply: KernelMessage.IExecuteReplyMsg | void;
  try {
    reply = await execute(cell as CodeCell, session, notebook);
  } catch (reason) {
    const gone = cellGone(panel, model);
    return {
      status: 'dead',
      outputs: [],
      message:
        gone?.message ??
        (isCancelledFuture(reason) || kernelGone(session)
          ? NotebookError.MESSAGES['kernel-restarted']
          : String(reason instanceof Error ? reason.message : reason))
    };
  }
  const gone = cellGone(panel, model);
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
  afterRun?.();
  const outputs = model.outputs.toJSON();
  const status =
    reply.content.status === 'ok' && !outputs.some(isErrorOutput)
      ? 'ok'
      : 'error';
  return { status, outputs };
}

/**
 * An earlier code cell of a fix target, where the cause of its failure may
 * lie: followed wherever it moves (`NotebookContextCell`), and read,
 * written and run in the live kernel when the fix is made there.
 */
export class NotebookCauseCell
  extends NotebookContextCell
  implements IFixCauseCell
{
  constructor(options: NotebookCauseCell.IOptions) {
    super(options);
    this._execute = options.execute;
    this._afterRun = options.afterRun;
  }

  source(): string | null {
    return cellGone(this.panel, this.model)
      ? null
      : this.model.sharedModel.getSource();
  }

  setSource(source: string): void {
    const gone = cellGone(this.panel, this.model);
    if (gone) {
      throw gone;
    }
    this.model.sharedModel.setSource(source);
  }

  problem(): string | null {
    const gone = cellGone(this.panel, this.model);
    if (gone) {
      return gone.message;
    }
    if (this.model.type !== 'code') {
      return 'The cell is no longer a code cell.';
    }
    return runProblem(this.panel)?.message ?? null;
  }

  async run(): Promise<ICellRunResult> {
    const problem = this.problem();
    if (problem) {
      return { status: 'dead', outputs: [], message: problem };
    }
    return runCodeCell(
      this.panel,
      this.model as ICodeCellModel,
      this._execute,
      this._afterRun
    );
  }

  private _execute: CellExecutor;
  private _afterRun: (() => void) | undefined;
}

export namespace NotebookCauseCell {
  export interface IOptions extends NotebookContextCell.IOptions {
    /** How the cell is run (`CodeCell.execute`, as the notebook's Run). */
    execute: CellExecutor;
    /** Called after a run that finished. */
    afterRun?: () => void;
  }
}
