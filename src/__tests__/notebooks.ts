/**
 * Real JupyterLab notebooks for the tests of the notebook side: a real
 * Notebook widget and model in a plain panel object whose session has the
 * fields the bridge reads, and a tracker that a test moves by hand.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { CodeCell } from '@jupyterlab/cells';
import { Notebook, NotebookModel } from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/notebook/lib/testutils';
import { Signal } from '@lumino/signaling';

import { INotebookPanelLike } from '../notebook/types';

export interface IFakePanel extends INotebookPanelLike {
  id: string;
  isDisposed: boolean;
  sessionContext: ISessionContext;
  context: { path: string };
}

/**
 * A code cell's source, or a cell of another type.
 */
export type CellSpec =
  string | { cell_type: 'code' | 'markdown'; source: string };

/**
 * A notebook `work/analysis.ipynb` of these cells whose kernel (python) is
 * `kernel`; null: no kernel. Its session's `statusChanged` is a signal a
 * test may emit.
 */
export function makePanel(
  cells: CellSpec[],
  kernel: { status: string } | null = { status: 'idle' }
): IFakePanel {
  const notebook: Notebook = NBTestUtils.createNotebook();
  const model = new NotebookModel();
  model.fromJSON({
    cells: cells.map(spec => {
      const cell =
        typeof spec === 'string'
          ? { cell_type: 'code' as const, source: spec }
          : spec;
      return cell.cell_type === 'code'
        ? { ...cell, metadata: {}, outputs: [], execution_count: null }
        : { ...cell, metadata: {} };
    }),
    metadata: { language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  });
  notebook.model = model;
  const session = {
    isDisposed: false,
    isRestarting: false,
    hasNoKernel: kernel === null,
    session: kernel ? { kernel } : null,
    statusChanged: new Signal<unknown, string>({})
  };
  return {
    id: 'notebook-panel-1',
    content: notebook,
    sessionContext: session as unknown as ISessionContext,
    context: { path: 'work/analysis.ipynb' },
    isDisposed: false
  };
}

/**
 * The part of the notebook tracker the bridge reads.
 */
export class FakeTracker {
  currentWidget: IFakePanel | null = null;
  currentChanged = new Signal<this, IFakePanel | null>(this);
  activeCellChanged = new Signal<this, unknown>(this);

  setCurrent(panel: IFakePanel | null): void {
    this.currentWidget = panel;
    this.currentChanged.emit(panel);
  }
}

/**
 * `type:source` of each cell, in order.
 */
export function sources(panel: INotebookPanelLike): string[] {
  return Array.from(panel.content.model!.cells).map(
    cell => `${cell.type}:${cell.sharedModel.getSource()}`
  );
}

/**
 * Hide the warnings @jupyter/ydoc causes newer yjs to print on every cell
 * ([yjs#509]); they come from the libraries, not from the code under test.
 * Call at the top of a spec file.
 */
export function hideYjsWarnings(): void {
  const warn = console.warn;
  beforeAll(() => {
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!/yjs|Yjs/.test(String(args[0]))) {
        warn(...args);
      }
    });
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });
}

/**
 * An executor that prints `text` and reports `ok` with execution count
 * `count`.
 */
export function printing(text: string, count = 7): jest.Mock {
  return jest.fn(async (cell: CodeCell) => {
    cell.model.outputs.add({ output_type: 'stream', name: 'stdout', text });
    cell.model.executionCount = count;
    return {
      content: { status: 'ok', execution_count: count }
    } as any;
  });
}
