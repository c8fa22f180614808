/**
 * The Fix button under the outputs of a failed cell, and the set of them a
 * bridge keeps: one a cell, gone when the cell is edited or its outputs no
 * longer hold an error. A button follows the fix of its cell (`follow`):
 * it says while a proposal streams, when one is ready and when the fix
 * failed, so that a fix started by itself shows at the cell while the panel
 * is closed; a click then shows that fix in the panel.
 */
import type { CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import type { TranslationBundle } from '@jupyterlab/translation';
import { PanelLayout, Widget } from '@lumino/widgets';

import { hasErrorOutput } from './cells';
import type { IFixProgress, INotebookPanelLike } from './types';

export type { IFixProgress } from './types';

/**
 * Where the fix of a cell stands, as its button says: none (or it ended
 * without a fix), a proposal in the making, one to apply, or not fixed.
 */
export type FixButtonState = 'idle' | 'fixing' | 'ready' | 'failed';

/**
 * What a Fix button shows.
 */
export interface IFixButtonView {
  readonly state: FixButtonState;
  /** The button's text. */
  readonly text: string;
  /** Its accessible name and tooltip: the same, said in full. */
  readonly label: string;
}

/**
 * What the Fix button of a cell shows for the cell's fix (null: none).
 */
export function describeFixButton(
  fix: IFixProgress['state'] | null,
  maxRounds: number | null,
  trans: TranslationBundle
): IFixButtonView {
  switch (fix?.status) {
    case 'streaming':
    case 'running':
      return {
        state: 'fixing',
        text:
          maxRounds === null
            ? trans.__('Fixing… round %1', fix.round)
            : trans.__('Fixing… round %1/%2', fix.round, maxRounds),
        label:
          maxRounds === null
            ? trans.__(
                'The assistant is fixing this cell (round %1): show the fix in the assistant panel',
                fix.round
              )
            : trans.__(
                'The assistant is fixing this cell (round %1 of %2): show the fix in the assistant panel',
                fix.round,
                maxRounds
              )
      };
    case 'proposed':
      return {
        state: 'ready',
        text: trans.__('Fix ready'),
        label: trans.__(
          'A fix of this cell is ready: show it in the assistant panel to apply it'
        )
      };
    case 'failed':
      return {
        state: 'failed',
        text: trans.__('Not fixed'),
        label: trans.__(
          'The assistant could not fix this cell: ask it for a new fix'
        )
      };
    default:
      return {
        state: 'idle',
        text: trans.__('Fix'),
        label: trans.__('Fix this cell with the assistant')
      };
  }
}

/**
 * The Fix button under the outputs of a failed cell; it shows where the
 * fix it follows stands.
 */
export class FixButton extends Widget {
  constructor(onClick: () => void, trans: TranslationBundle) {
    super();
    this._trans = trans;
    this.addClass('jp-oci-fix-cell');
    // The button's new words are read out when the fix moves on.
    this.node.setAttribute('aria-live', 'polite');
    const button = (this._button = document.createElement('button'));
    button.type = 'button';
    button.className =
      'jp-Button jp-mod-styled jp-mod-minimal jp-oci-fix-button';
    button.addEventListener('click', event => {
      event.stopPropagation();
      onClick();
    });
    this.node.appendChild(button);
    this._render();
  }

  /**
   * The fix the button follows, or null.
   */
  get fix(): IFixProgress | null {
    return this._fix;
  }

  /**
   * Follow `fix` (instead of the one followed so far): show where it
   * stands until it is disposed.
   */
  follow(fix: IFixProgress | null): void {
    if (this.isDisposed || fix === this._fix) {
      return;
    }
    this._unfollow();
    if (fix && !fix.isDisposed) {
      this._fix = fix;
      fix.changed.connect(this._render, this);
      fix.disposed.connect(this._onFixDisposed, this);
    }
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._unfollow();
    super.dispose();
  }

  private _onFixDisposed(): void {
    this.follow(null);
  }

  private _unfollow(): void {
    const fix = this._fix;
    if (fix) {
      fix.changed.disconnect(this._render, this);
      fix.disposed.disconnect(this._onFixDisposed, this);
      this._fix = null;
    }
  }

  /**
   * Show the fix's state; the DOM changes only when the words do (not on
   * each streamed token).
   */
  private _render(): void {
    const fix = this._fix;
    const view = describeFixButton(
      fix?.state ?? null,
      fix?.maxRounds ?? null,
      this._trans
    );
    const button = this._button;
    if (button.dataset.state !== view.state) {
      button.dataset.state = view.state;
    }
    if (button.textContent !== view.text) {
      button.textContent = view.text;
    }
    if (button.title !== view.label) {
      button.title = view.label;
      button.setAttribute('aria-label', view.label);
    }
  }

  private _button: HTMLButtonElement;
  private _fix: IFixProgress | null = null;
  private _trans: TranslationBundle;
}

/**
 * The Fix buttons of the failed cells, by the id of the cell's model.
 */
export class FixButtons {
  constructor(trans: TranslationBundle) {
    this._trans = trans;
  }

  /**
   * Put a Fix button under the outputs of a failed cell (once); `onClick`
   * runs when it is clicked. It goes away when the cell is edited, or its
   * outputs no longer hold an error.
   */
  add(
    panel: INotebookPanelLike,
    model: ICodeCellModel,
    onClick: () => void
  ): void {
    const widget = panel.content.widgets.find(w => w.model === model);
    const key = model.id;
    if (!widget || this._buttons.has(key)) {
      return;
    }
    const layout = widget.layout;
    if (!(layout instanceof PanelLayout)) {
      return;
    }
    const button = new FixButton(onClick, this._trans);
    const outputs = (widget as CodeCell).outputArea?.parent;
    const index = outputs ? layout.widgets.indexOf(outputs) : -1;
    if (index >= 0) {
      layout.insertWidget(index + 1, button);
    } else {
      layout.addWidget(button);
    }
    this._buttons.set(key, button);
    const remove = (): void => {
      if (!model.isDisposed) {
        // A disposed model has dropped its signals (and its shared model).
        model.sharedModel.changed.disconnect(onSource);
        model.outputs.changed.disconnect(onOutputs);
      }
      this._buttons.delete(key);
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
      if (this._buttons.get(key) === button) {
        remove();
      }
    });
  }

  /**
   * Let the button of the fix's cell, if it has one, follow the fix.
   */
  follow(fix: IFixProgress): void {
    this._buttons.get(fix.target.key)?.follow(fix);
  }

  /**
   * The button of the cell whose model has the id `key`, if any.
   */
  get(key: string): FixButton | null {
    return this._buttons.get(key) ?? null;
  }

  private _buttons = new Map<string, FixButton>();
  private _trans: TranslationBundle;
}
