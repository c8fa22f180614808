/**
 * Following notebook things as they change: a cell kept as its model (so it
 * is found wherever it moves), and a notebook that may close or whose
 * kernel may die, and a cell a fix names. The fix's cells and the task's
 * cells are built on these.
 */
import type { ICellModel } from '@jupyterlab/cells';
import type { INotebookModel } from '@jupyterlab/notebook';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IFixContextCell } from '../loop/targets';
import { cellIndex, revealCell } from './cells';
import type { INotebookPanelLike } from './types';

/**
 * Call `lost` with the reason when the notebook of `panel` is closed or its
 * kernel dies, until the returned disposable is disposed.
 */
export function watchNotebook(
  panel: INotebookPanelLike,
  lost: (reason: string) => void
): IDisposable {
  const notebook = panel.content;
  const session = panel.sessionContext;
  const onClosed = (): void => lost('the notebook was closed.');
  const onStatus = (_: unknown, status: string): void => {
    if (status === 'dead') {
      lost('the kernel died.');
    }
  };
  notebook.disposed.connect(onClosed);
  session.statusChanged?.connect(onStatus);
  return new DisposableDelegate(() => {
    notebook.disposed.disconnect(onClosed);
    session.statusChanged?.disconnect(onStatus);
  });
}

/**
 * A cell of a notebook, kept as its model (not its index).
 */
export class NotebookCellRef<
  M extends ICellModel = ICellModel
> implements IDisposable {
  constructor(options: NotebookCellRef.IOptions<M>) {
    this.panel = options.panel;
    this.model = options.model;
    this._activate = options.activate;
  }

  /** The panel of the cell's notebook. */
  readonly panel: INotebookPanelLike;
  /** The cell's model. */
  readonly model: M;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The cell's 0-based index in its notebook now; -1 when it or the
   * notebook is gone.
   */
  index(): number {
    return cellIndex(this.panel, this.model);
  }

  /**
   * Make the cell the active one and scroll it into view; with `activate`
   * (the default), bring its notebook to the front first. False when it is
   * gone.
   */
  reveal(activate = true): boolean {
    return revealCell(
      this.panel,
      this.model,
      activate ? this._activate : undefined
    );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._onDisposed();
    Signal.clearData(this);
  }

  /**
   * Called once when disposed, before the signals are cleared.
   */
  protected _onDisposed(): void {
    // Nothing by default.
  }

  private _activate: ((panel: INotebookPanelLike) => void) | undefined;
  private _isDisposed = false;
}

export namespace NotebookCellRef {
  export interface IOptions<M extends ICellModel> {
    panel: INotebookPanelLike;
    /** The cell's model (kept, not its index). */
    model: M;
    /** Brings the notebook to the front before the cell is shown. */
    activate?: (panel: INotebookPanelLike) => void;
  }
}

/**
 * A cell a fix names (where the cause of its failure probably lay, a cell
 * below that fails since): follows the cell wherever it moves, tells when
 * it may have moved, and shows it.
 */
export class NotebookContextCell
  extends NotebookCellRef
  implements IFixContextCell
{
  constructor(options: NotebookContextCell.IOptions) {
    super(options);
    const notebook = this.panel.content;
    this._cells = notebook.model?.cells ?? null;
    this._cells?.changed.connect(this._emitChanged, this);
    notebook.disposed.connect(this._emitChanged, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  position(): number | null {
    const index = this.index();
    return index < 0 ? null : index + 1;
  }

  protected _onDisposed(): void {
    this._cells?.changed.disconnect(this._emitChanged, this);
    this.panel.content.disposed.disconnect(this._emitChanged, this);
  }

  private _emitChanged(): void {
    if (!this.isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _cells: INotebookModel['cells'] | null;
  private _changed = new Signal<this, void>(this);
}

export namespace NotebookContextCell {
  export type IOptions = NotebookCellRef.IOptions<ICellModel>;
}
