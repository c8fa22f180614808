import type { CodeCell } from '@jupyterlab/cells';
import { Signal } from '@lumino/signaling';

import { ITaskCell, ITaskNotebook } from '../loop/targets';
import { NotebookBridge } from '../notebook/bridge';
import {
  FakeTracker,
  IFakePanel,
  hideYjsWarnings,
  makePanel,
  sources
} from './notebooks';

hideYjsWarnings();

describe('NotebookBridge.taskNotebook', () => {
  let tracker: FakeTracker;
  let bridge: NotebookBridge;
  let panel: IFakePanel;
  let execute: jest.Mock;
  let activated: string[];
  let notebook: ITaskNotebook;
  const made: ITaskCell[] = [];

  beforeEach(() => {
    tracker = new FakeTracker();
    execute = jest.fn(async (cell: CodeCell) => {
      cell.model.outputs.add({
        output_type: 'stream',
        name: 'stdout',
        text: `ran ${cell.model.sharedModel.getSource()}\n`
      });
      return { content: { status: 'ok', execution_count: 1 } } as any;
    });
    activated = [];
    bridge = new NotebookBridge({
      tracker,
      execute,
      executed: new Signal<any, any>({}),
      readVariables: async () => null,
      activate: p => activated.push(p.id ?? '')
    });
    panel = makePanel(['a = 1', 'b = 2', 'c = 3']);
    tracker.currentWidget = panel;
    notebook = bridge.taskNotebook();
  });

  afterEach(() => {
    made.forEach(cell => cell.dispose());
    made.length = 0;
    notebook.dispose();
    bridge.dispose();
  });

  it('needs an open notebook', () => {
    tracker.currentWidget = null;
    expect(() => bridge.taskNotebook()).toThrow('No notebook is open');
  });

  it('names the notebook and its language, and says when the kernel is missing', () => {
    expect(notebook.name).toBe('analysis.ipynb');
    expect(notebook.language).toBe('python');
    expect(notebook.problem()).toBeNull();
    tracker.currentWidget = makePanel(['x'], null);
    const other = bridge.taskNotebook();
    expect(other.problem()).toContain('no kernel');
    other.dispose();
  });

  it('puts the first cell below the active one and the next below the previous', () => {
    panel.content.activeCellIndex = 0;
    const first = notebook.insert('x = 6 * 7', null);
    made.push(first);
    expect(sources(panel)).toEqual([
      'code:a = 1',
      'code:x = 6 * 7',
      'code:b = 2',
      'code:c = 3'
    ]);
    expect(panel.content.activeCellIndex).toBe(1);
    expect(first.label()).toBe('cell 2 of analysis.ipynb');

    // The user moves on; the next step still follows the previous one.
    panel.content.activeCellIndex = 3;
    const second = notebook.insert('print(x + 1)', first);
    made.push(second);
    expect(sources(panel)).toEqual([
      'code:a = 1',
      'code:x = 6 * 7',
      'code:print(x + 1)',
      'code:b = 2',
      'code:c = 3'
    ]);
    expect(second.label()).toBe('cell 3 of analysis.ipynb');
    // Labels follow the cell.
    panel.content.model!.sharedModel.deleteCell(0);
    expect(first.label()).toBe('cell 1 of analysis.ipynb');
  });

  it('runs its own cell and reads its outputs', async () => {
    const cell = notebook.insert('x = 1', null);
    made.push(cell);
    const result = await cell.run();
    expect(execute).toHaveBeenCalledTimes(1);
    expect(result.status).toBe('ok');
    expect(result.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'ran x = 1\n' }
    ]);
  });

  it('shows a cell: its notebook in front, the cell active', () => {
    const cell = notebook.insert('x = 1', null);
    made.push(cell);
    panel.content.activeCellIndex = 0;
    cell.reveal();
    expect(activated).toEqual(['notebook-panel-1']);
    expect(panel.content.activeCellIndex).toBe(1);
  });

  it('tells when its cell is deleted, or the notebook closed or its kernel dies', () => {
    const cell = notebook.insert('x = 1', null);
    made.push(cell);
    const cellLost = jest.fn();
    const notebookLost = jest.fn();
    cell.lost.connect((_, reason) => cellLost(reason));
    notebook.lost.connect((_, reason) => notebookLost(reason));

    (panel.sessionContext.statusChanged as Signal<unknown, string>).emit(
      'dead'
    );
    expect(notebookLost).toHaveBeenLastCalledWith('the kernel died.');

    panel.content.model!.sharedModel.deleteCell(1);
    expect(cellLost).toHaveBeenCalledWith('the cell was deleted.');
    expect(cell.problem()).toContain('deleted');
    expect(cell.label()).toBe('a deleted cell of analysis.ipynb');

    panel.content.dispose();
    expect(notebookLost).toHaveBeenLastCalledWith('the notebook was closed.');
    expect(notebook.problem()).toBe('The notebook was closed.');
    expect(() => notebook.insert('y = 2', null)).toThrow('closed');
  });
});
