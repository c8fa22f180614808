/**
 * The Fix button under the outputs of a failed cell, and the set of them a
 * bridge keeps: one a cell, gone when the cell is edited or its outputs no
 * longer hold an error.
 */
import type { CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import type { TranslationBundle } from '@jupyterlab/translation';
import { PanelLayout, Widget } from '@lumino/widgets';

import { hasErrorOutput } from './cells';
import type { INotebookPanelLike } from './types';

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
 * The Fix buttons of the failed cells.
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
    if (!widget || this._buttons.has(model)) {
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

  private _buttons = new WeakMap<ICodeCellModel, Widget>();
  private _trans: TranslationBundle;
}
