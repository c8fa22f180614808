import type { CodeCell } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import { Signal } from '@lumino/signaling';

import { NotebookBridge } from '../notebook/bridge';
import { NotebookError } from '../notebook/errors';
import {
  CellExecutor,
  IFixRequestArgs,
  INotebookPanelLike
} from '../notebook/types';
import {
  FakeTracker,
  IFakePanel,
  hideYjsWarnings,
  makePanel,
  printing
} from './notebooks';

hideYjsWarnings();

describe('failing cells and fix targets', () => {
  let tracker: FakeTracker;
  let bridge: NotebookBridge;
  let panel: IFakePanel;
  let executed: Signal<any, any>;
  let scheduled: Signal<any, any>;
  let requests: IFixRequestArgs[];
  let activated: INotebookPanelLike[];

  const ERROR: nbformat.IError = {
    output_type: 'error',
    ename: 'NameError',
    evalue: "name 'y' is not defined",
    traceback: []
  };

  function setup(execute?: CellExecutor): void {
    tracker = new FakeTracker();
    executed = new Signal<any, any>({});
    scheduled = new Signal<any, any>({});
    bridge = new NotebookBridge({
      tracker,
      execute,
      executed,
      executionScheduled: scheduled,
      readVariables: async () => 'x: int = 1',
      activate: p => activated.push(p)
    });
    activated = [];
    panel = makePanel([
      { cell_type: 'code', source: 'import math' },
      { cell_type: 'markdown', source: '# Notes' },
      { cell_type: 'code', source: '  ' },
      { cell_type: 'code', source: 'x = 1' },
      { cell_type: 'code', source: 'print(y)' },
      { cell_type: 'code', source: 'z = 3' }
    ]);
    tracker.setCurrent(panel);
    requests = [];
    bridge.fixRequested.connect((_, args) => requests.push(args));
  }

  /** Cell 5 fails the way the notebook's Run reports it. */
  function fail(index = 4): CodeCell {
    const cell = panel.content.widgets[index] as CodeCell;
    cell.model.outputs.add({ ...ERROR, traceback: [] });
    executed.emit({ notebook: panel.content, cell, success: false });
    return cell;
  }

  afterEach(() => {
    for (const r of requests) {
      r.target.dispose();
    }
    bridge.dispose();
    panel.content.dispose();
  });

  it('asks for a fix with the code cells above as context', async () => {
    setup();
    fail();
    expect(requests).toHaveLength(1);
    const { target, auto } = requests[0];
    expect(auto).toBe(true);
    expect(target.label).toBe('cell 5 of analysis.ipynb');
    expect(target.source).toBe('print(y)');
    // Code cells only, non-blank, in order; none below.
    expect(target.context).toEqual(['import math', 'x = 1']);
    expect(target.outputs).toEqual([ERROR]);
    expect(target.language).toBe('python');
    expect(await target.readVariables()).toBe('x: int = 1');
  });

  it("names the notebook's kernel now, and none once the cell is gone", () => {
    setup();
    fail();
    const target = requests[0].target;
    const session = panel.sessionContext as any;
    expect(target.kernelId()).toBeNull();
    session.session = { kernel: { status: 'idle', id: 'kernel-7' } };
    expect(target.kernelId()).toBe('kernel-7');
    // A restart with a new kernel: the new one.
    session.session = { kernel: { status: 'idle', id: 'kernel-8' } };
    expect(target.kernelId()).toBe('kernel-8');
    panel.content.model!.sharedModel.deleteCell(4);
    expect(target.kernelId()).toBeNull();
  });

  it('ignores successful runs and failures without an error output', () => {
    setup();
    const cell = panel.content.widgets[4] as CodeCell;
    executed.emit({ notebook: panel.content, cell, success: true });
    executed.emit({ notebook: panel.content, cell, success: false });
    expect(requests).toHaveLength(0);
  });

  it('gives the failed cell a Fix button, gone when the cell is edited', () => {
    setup();
    const cell = fail();
    const button =
      cell.node.querySelector<HTMLButtonElement>('.jp-oci-fix-button')!;
    expect(button).toBeTruthy();
    expect(button.getAttribute('aria-label')).toBe(
      'Fix this cell with the assistant'
    );
    button.click();
    expect(requests).toHaveLength(2);
    expect(requests[1].auto).toBe(false);
    cell.model.sharedModel.setSource('print(x)');
    expect(cell.node.querySelector('.jp-oci-fix-button')).toBeNull();
  });

  it('removes the Fix button when the outputs are cleared (re-run)', () => {
    setup();
    const cell = fail();
    expect(cell.node.querySelectorAll('.jp-oci-fix-button')).toHaveLength(1);
    cell.model.outputs.clear();
    expect(cell.node.querySelector('.jp-oci-fix-button')).toBeNull();
  });

  it('tells about user edits and re-runs, not its own writes', () => {
    setup();
    const cell = fail();
    const target = requests[0].target;
    let edits = 0;
    target.edited.connect(() => edits++);
    target.setSource('print(1)');
    expect(cell.model.sharedModel.getSource()).toBe('print(1)');
    expect(edits).toBe(0);
    cell.model.sharedModel.setSource('print(2)');
    expect(edits).toBe(1);
    scheduled.emit({ notebook: panel.content, cell });
    expect(edits).toBe(2);
  });

  it('tells when the cell is deleted, and cannot write it then', () => {
    setup();
    fail();
    const target = requests[0].target;
    const lost: string[] = [];
    target.lost.connect((_, reason) => lost.push(reason));
    panel.content.model!.sharedModel.deleteCell(4);
    expect(lost).toEqual(['the cell was deleted.']);
    expect(target.problem()).toBe('The cell was deleted.');
    expect(() => target.setSource('x')).toThrow(NotebookError);
  });

  it('runs the cell itself and reads its outputs', async () => {
    setup(printing('1\n', 9));
    fail();
    const target = requests[0].target;
    target.setSource('print(1)');
    const result = await target.run();
    expect(result.status).toBe('error'); // the old error output is still there
    expect(result.outputs.some(o => o.output_type === 'stream')).toBe(true);
    const cell = panel.content.widgets[4] as CodeCell;
    cell.model.outputs.clear();
    const second = await target.run();
    expect(second).toEqual({
      status: 'ok',
      outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
    });
  });

  it('answers dead when the kernel is dead', async () => {
    setup();
    fail();
    const target = requests[0].target;
    (panel.sessionContext.session!.kernel as any).status = 'dead';
    expect(await target.run()).toEqual({
      status: 'dead',
      outputs: [],
      message: NotebookError.MESSAGES['kernel-dead']
    });
  });

  it('keeps the cells of its context, wherever they move, and shows them', () => {
    setup();
    fail();
    const target = requests[0].target;
    expect(target.context).toEqual(['import math', 'x = 1']);
    expect(target.contextCell!(2)).toBeNull();
    const cell = target.contextCell!(1)!;
    expect(cell.position()).toBe(4);
    const changes = jest.fn();
    cell.changed.connect(changes);

    // A cell inserted above: the same cell, one further down.
    const notebook = panel.content;
    notebook.model!.sharedModel.insertCell(0, {
      cell_type: 'code',
      source: 'import os'
    });
    expect(changes).toHaveBeenCalled();
    expect(cell.position()).toBe(5);
    notebook.activeCellIndex = 0;
    expect(cell.reveal()).toBe(true);
    expect(notebook.activeCellIndex).toBe(4);
    expect(notebook.activeCell!.model.sharedModel.getSource()).toBe('x = 1');
    expect(activated).toEqual([panel]);

    // Deleted: no position, nothing to show.
    notebook.model!.sharedModel.deleteCell(4);
    expect(cell.position()).toBeNull();
    expect(cell.reveal()).toBe(false);
    expect(activated).toHaveLength(1);
    cell.dispose();
    expect(cell.isDisposed).toBe(true);
  });

  it('offers the active cell as a fix target only when it holds an error', () => {
    setup();
    panel.content.activeCellIndex = 4;
    expect(bridge.activeFixTarget()).toBeNull();
    fail();
    const target = bridge.activeFixTarget()!;
    expect(target.label).toBe('cell 5 of analysis.ipynb');
    target.dispose();
  });
});
