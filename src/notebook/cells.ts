/**
 * Cells of a notebook: finding them (wherever they moved), naming them
 * (`cell 3 of analysis.ipynb`, the one place that says it), showing them,
 * and reading the cells around one. Functions over JupyterLab's models.
 */
import type { Cell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { Notebook } from '@jupyterlab/notebook';

import type { ICellLocation, ICellSnippet, INotebookPanelLike } from './types';

/**
 * The file name of a notebook path: `analysis.ipynb` for
 * `work/analysis.ipynb`.
 */
export function notebookName(path: string): string {
  return path.split('/').pop() || path;
}

/**
 * How the panel names a cell: `cell 3 of analysis.ipynb` (1-based).
 */
export function cellLabel(where: ICellLocation): string {
  return `cell ${where.cellIndex + 1} of ${notebookName(where.notebookPath)}`;
}

/**
 * Make the cell at `index` the active one (alone selected) and scroll it
 * into view when the notebook is shown.
 */
export function focusCell(notebook: Notebook, index: number): void {
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  const cell: Cell | undefined = notebook.widgets[index];
  if (cell && notebook.isAttached) {
    notebook.scrollToCell(cell).catch(() => undefined);
  }
}

/**
 * Make the cell of `model` the active one of its notebook and scroll it into
 * view; `activate`, when given, brings the notebook to the front first.
 * False when the cell or its notebook is gone.
 */
export function revealCell(
  panel: INotebookPanelLike,
  model: ICellModel,
  activate?: (panel: INotebookPanelLike) => void
): boolean {
  const notebook = panel.content;
  const index = cellIndex(panel, model);
  if (index < 0) {
    return false;
  }
  activate?.(panel);
  focusCell(notebook, index);
  return true;
}

/**
 * The index of the cell of `model` in its notebook; -1 when it or the
 * notebook is gone.
 */
export function cellIndex(
  panel: INotebookPanelLike,
  model: ICellModel
): number {
  const notebook = panel.content;
  const cells = notebook.model?.cells;
  return panel.isDisposed || notebook.isDisposed || !cells || model.isDisposed
    ? -1
    : Array.from(cells).indexOf(model);
}

/**
 * Whether a code cell's outputs hold an error.
 */
export function hasErrorOutput(model: ICodeCellModel): boolean {
  const outputs = model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    if (outputs.get(i).type === 'error') {
      return true;
    }
  }
  return false;
}

/**
 * The non-blank code cells above `index`, in order.
 */
export function codeCellModelsAbove(
  notebook: Notebook,
  index: number
): ICellModel[] {
  const cells = Array.from(notebook.model?.cells ?? []);
  return cells
    .slice(0, Math.max(0, index))
    .filter(
      cell => cell.type === 'code' && cell.sharedModel.getSource().trim() !== ''
    );
}

/**
 * The sources of the non-blank code cells above `index`, in order.
 */
export function codeCellsAbove(notebook: Notebook, index: number): string[] {
  return codeCellModelsAbove(notebook, index).map(cell =>
    cell.sharedModel.getSource()
  );
}

export function isErrorOutput(output: nbformat.IOutput): boolean {
  return output.output_type === 'error';
}
/**
 * The non-blank cells around `index`, nearest first, up to `count` on each
 * side.
 */
export function nearbyCells(
  notebook: Notebook,
  index: number,
  count: number
): ICellSnippet[] {
  const cells = Array.from(notebook.model?.cells ?? []);
  const snippet = (i: number): ICellSnippet | null => {
    const cell = cells[i];
    const source = cell?.sharedModel.getSource() ?? '';
    return cell && source.trim() !== ''
      ? {
          cellIndex: i,
          cellType: cell.type as ICellSnippet['cellType'],
          source
        }
      : null;
  };
  const above: ICellSnippet[] = [];
  const below: ICellSnippet[] = [];
  for (let i = index - 1; i >= 0 && above.length < count; i--) {
    const found = snippet(i);
    if (found) {
      above.push(found);
    }
  }
  for (let i = index + 1; i < cells.length && below.length < count; i++) {
    const found = snippet(i);
    if (found) {
      below.push(found);
    }
  }
  const result: ICellSnippet[] = [];
  for (let i = 0; i < Math.max(above.length, below.length); i++) {
    if (above[i]) {
      result.push(above[i]);
    }
    if (below[i]) {
      result.push(below[i]);
    }
  }
  return result;
}
