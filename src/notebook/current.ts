/**
 * The current notebook as the conversations see it (`ICurrentNotebook`):
 * its path, and a change when another notebook becomes current or an open
 * notebook is renamed.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { ICurrentNotebook } from '../chat/store';

/**
 * The part of a notebook panel this needs (a `NotebookPanel` is one).
 */
export interface IPathPanel {
  readonly context: {
    readonly path: string;
    readonly pathChanged: ISignal<any, string>;
  };
  readonly isDisposed?: boolean;
}

/**
 * The part of `INotebookTracker` this needs.
 */
export interface IPathTracker {
  readonly currentWidget: IPathPanel | null;
  readonly currentChanged: ISignal<any, any>;
  readonly widgetAdded: ISignal<any, IPathPanel>;
  forEach(fn: (panel: IPathPanel) => void): void;
}

/**
 * The current notebook of a notebook tracker.
 */
export class CurrentNotebook implements ICurrentNotebook {
  constructor(private readonly _tracker: IPathTracker) {
    _tracker.forEach(panel => this._watch(panel));
    _tracker.widgetAdded.connect((_, panel) => this._watch(panel));
    _tracker.currentChanged.connect(() => this._changed.emit({}));
  }

  get path(): string | null {
    const panel = this._tracker.currentWidget;
    return panel && !panel.isDisposed ? panel.context.path : null;
  }

  get changed(): ISignal<this, ICurrentNotebook.IChange> {
    return this._changed;
  }

  private _watch(panel: IPathPanel): void {
    let path = panel.context.path;
    panel.context.pathChanged.connect((_, to) => {
      const from = path;
      path = to;
      if (from !== to) {
        this._changed.emit({ renamed: { from, to } });
      }
    });
  }

  private _changed = new Signal<this, ICurrentNotebook.IChange>(this);
}
