/**
 * The cells below a fixed cell that had passed before the fix, watched for
 * the user's next run of each: a cell that passed before the fix and fails
 * after it is a regression the fix's entry names (issue: never make a
 * notebook worse without saying so).
 */
import type { Cell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type { Notebook } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import type { IFixContextCell, IRegressionWatch } from '../loop/targets';
import { hasErrorOutput } from './cells';
import { NotebookContextCell } from './follow';
import type { INotebookPanelLike } from './types';

/**
 * What `NotebookActions.executed` says of a run.
 */
export interface IExecutedArgs {
  notebook: Notebook;
  cell?: Cell;
  success?: boolean;
}

/**
 * Whether a code cell passed when it last ran: it ran (an execution count)
 * and its outputs hold no error. Blank cells say nothing.
 */
export function passedLastRun(model: ICellModel): boolean {
  if (model.type !== 'code' || model.sharedModel.getSource().trim() === '') {
    return false;
  }
  const code = model as ICodeCellModel;
  return code.executionCount !== null && !hasErrorOutput(code);
}

/**
 * The code cells below `model` in its notebook that passed when they last
 * ran, in order.
 */
export function passedCellsBelow(
  panel: INotebookPanelLike,
  model: ICellModel
): ICodeCellModel[] {
  const cells = Array.from(panel.content.model?.cells ?? []);
  const index = cells.indexOf(model);
  if (index < 0) {
    return [];
  }
  return cells.slice(index + 1).filter(passedLastRun) as ICodeCellModel[];
}

/**
 * Watches cells that passed before a fix: the first run of each after it
 * tells (failed: a regression; passed: nothing to say, no longer watched);
 * a regressed cell stays watched until a run passes again.
 */
export class NotebookRegressionWatch implements IRegressionWatch {
  constructor(options: NotebookRegressionWatch.IOptions) {
    this._panel = options.panel;
    this._activate = options.activate;
    this._executed = options.executed;
    this._pending = new Set(options.cells);
    this._executed.connect(this._onExecuted, this);
  }

  get failed(): ISignal<this, IFixContextCell> {
    return this._failed;
  }

  get recovered(): ISignal<this, IFixContextCell> {
    return this._recovered;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Whether some cell is still watched.
   */
  get watching(): boolean {
    return this._pending.size > 0 || this._regressed.size > 0;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._executed.disconnect(this._onExecuted, this);
    for (const cell of this._regressed.values()) {
      cell.dispose();
    }
    this._regressed.clear();
    this._pending.clear();
    Signal.clearData(this);
  }

  private _onExecuted(_: unknown, args: IExecutedArgs): void {
    const model = args.cell?.model;
    if (this._isDisposed || args.notebook !== this._panel.content || !model) {
      return;
    }
    const failed =
      args.success === false || hasErrorOutput(model as ICodeCellModel);
    if (this._pending.delete(model as ICodeCellModel)) {
      if (failed) {
        const cell = new NotebookContextCell({
          panel: this._panel,
          model,
          activate: this._activate
        });
        this._regressed.set(model, cell);
        this._failed.emit(cell);
      }
    } else {
      const cell = this._regressed.get(model);
      if (cell && !failed) {
        this._regressed.delete(model);
        this._recovered.emit(cell);
        cell.dispose();
      }
    }
    if (!this.watching) {
      // Every cell told: nothing left to hear.
      this._executed.disconnect(this._onExecuted, this);
    }
  }

  private _panel: INotebookPanelLike;
  private _activate: ((panel: INotebookPanelLike) => void) | undefined;
  private _executed: ISignal<any, IExecutedArgs>;
  private _pending: Set<ICodeCellModel>;
  private _regressed = new Map<ICellModel, NotebookContextCell>();
  private _isDisposed = false;
  private _failed = new Signal<this, IFixContextCell>(this);
  private _recovered = new Signal<this, IFixContextCell>(this);
}

export namespace NotebookRegressionWatch {
  export interface IOptions {
    panel: INotebookPanelLike;
    /** The cells that passed before the fix. */
    cells: ReadonlyArray<ICodeCellModel>;
    /** Emits after cells run (`NotebookActions.executed`). */
    executed: ISignal<any, IExecutedArgs>;
    /** Brings the notebook to the front (links to its cells). */
    activate?: (panel: INotebookPanelLike) => void;
  }
}
