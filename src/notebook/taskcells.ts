/**
 * The notebook side of a task: the notebook it started in, the cells it
 * inserts there, their runs (through the fix loop's cell target) and what
 * happens to them. `NotebookBridge.taskNotebook` makes these.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  ICellRunResult,
  IFixTarget,
  ITaskCell,
  ITaskNotebook
} from '../loop/targets';
import { cellLabel, notebookName } from './cells';
import { NotebookCellRef, watchNotebook } from './follow';
import type { INotebookPanelLike } from './types';

/**
 * The notebook of a task, bound to one panel for the whole task.
 */
export class NotebookTaskNotebook implements ITaskNotebook {
  constructor(options: NotebookTaskNotebook.IOptions) {
    this._panel = options.panel;
    this._options = options;
    this.name = notebookName(this._panel.context.path);
    this.language = options.language;
    this._notebookWatch = watchNotebook(this._panel, reason =>
      this._lost.emit(reason)
    );
  }

  readonly name: string;
  readonly language: string;

  get lost(): ISignal<this, string> {
    return this._lost;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  problem(): string | null {
    if (this._panel.isDisposed || this._panel.content.isDisposed) {
      return 'The notebook was closed.';
    }
    return this._options.problem();
  }

  insert(code: string, after: ITaskCell | null): ITaskCell {
    const notebook = this._panel.content;
    const model = notebook.model;
    if (this._panel.isDisposed || notebook.isDisposed || !model) {
      throw new Error('The notebook was closed.');
    }
    const cells = Array.from(model.cells);
    const below =
      after instanceof NotebookTaskCell ? cells.indexOf(after.model) : -1;
    const index =
      below >= 0
        ? below + 1
        : notebook.activeCell && notebook.activeCellIndex >= 0
          ? Math.min(notebook.activeCellIndex + 1, cells.length)
          : cells.length;
    model.sharedModel.insertCell(index, {
      cell_type: 'code',
      source: code,
      metadata: {}
    });
    const cellModel = model.cells.get(index) as ICodeCellModel;
    const cell = new NotebookTaskCell({
      panel: this._panel,
      model: cellModel,
      target: this._options.makeTarget(cellModel),
      activate: this._options.activate
    });
    cell.reveal(false);
    return cell;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._notebookWatch.dispose();
    Signal.clearData(this);
  }

  private _panel: INotebookPanelLike;
  private _options: NotebookTaskNotebook.IOptions;
  private _notebookWatch: IDisposable;
  private _isDisposed = false;
  private _lost = new Signal<this, string>(this);
}

export namespace NotebookTaskNotebook {
  export interface IOptions {
    panel: INotebookPanelLike;
    /** The kernel's language. */
    language: string;
    /** Why code cannot run in the panel's kernel now, or null. */
    problem: () => string | null;
    /** The cell as a target that runs it (the fix loop's). */
    makeTarget: (model: ICodeCellModel) => IFixTarget;
    /** Brings the notebook to the front of the shell. */
    activate?: (panel: INotebookPanelLike) => void;
  }
}

/**
 * A cell a task inserted: runs through its target, and can be shown.
 */
export class NotebookTaskCell
  extends NotebookCellRef<ICodeCellModel>
  implements ITaskCell
{
  constructor(options: NotebookTaskCell.IOptions) {
    super(options);
    this._target = options.target;
    this.key = this.model.id;
    this._target.lost.connect(this._onLost, this);
  }

  readonly key: string;

  get lost(): ISignal<this, string> {
    return this._lost;
  }

  label(): string {
    const notebookPath = this.panel.context.path;
    const index = this.index();
    return index < 0
      ? `a deleted cell of ${notebookName(notebookPath)}`
      : cellLabel({ notebookPath, cellIndex: index });
  }

  problem(): string | null {
    return this._target.problem();
  }

  run(): Promise<ICellRunResult> {
    return this._target.run();
  }

  protected _onDisposed(): void {
    this._target.lost.disconnect(this._onLost, this);
    this._target.dispose();
  }

  private _onLost(_: unknown, reason: string): void {
    this._lost.emit(reason);
  }

  private _target: IFixTarget;
  private _lost = new Signal<this, string>(this);
}

export namespace NotebookTaskCell {
  export interface IOptions extends NotebookCellRef.IOptions<ICodeCellModel> {
    /** Runs the cell (the fix loop's target of the same cell). */
    target: IFixTarget;
  }
}
