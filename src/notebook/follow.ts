/**
 * Following notebook things as they change: a cell kept as its model (so it
 * is found wherever it moves), and a notebook that may close or whose
 * kernel may die. The fix's cells and the task's cells are built on these.
 */
import type { ICellModel } from '@jupyterlab/cells';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

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
