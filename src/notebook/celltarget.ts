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
  IFixContextCell,
  IFixTarget,
  IRegressionWatch
} from '../loop/targets';
import { cellLabel, codeCellModelsAbove, isErrorOutput } from './cells';
import { NotebookError } from './errors';
import { NotebookContextCell, watchNotebook } from './follow';
import {
  IExecutedArgs,
  NotebookRegressionWatch,
  passedCellsBelow
} from './regressions';
import { isCancelledFuture, kernelGone, kernelLanguage } from './kernel';
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
    this._notebookWatch.dispose();
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
