import type { ISessionContext } from '@jupyterlab/apputils';
import type { CodeCell } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import { Notebook, NotebookModel } from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/notebook/lib/testutils';
import { Signal } from '@lumino/signaling';

import { NotebookBridge } from '../notebook/bridge';
import { NotebookError } from '../notebook/errors';
import {
  CellExecutor,
  IFixRequestArgs,
  INotebookPanelLike
} from '../notebook/types';
import {
  VARIABLES_CODE,
  VARIABLES_EXPRESSION,
  readKernelVariables
} from '../notebook/variables';
import { flushPromises as flush } from './fakes';

interface IFakePanel extends INotebookPanelLike {
  isDisposed: boolean;
  sessionContext: ISessionContext;
  context: { path: string };
}

/**
 * A real Notebook widget and model; the panel around it, its session and the
 * tracker are plain objects with the fields the bridge reads.
 */
function makePanel(
  cells: Array<{ cell_type: 'code' | 'markdown'; source: string }>,
  kernel: { status: string } | null = { status: 'idle' }
): IFakePanel {
  const notebook: Notebook = NBTestUtils.createNotebook();
  const model = new NotebookModel();
  model.fromJSON({
    cells: cells.map(cell =>
      cell.cell_type === 'code'
        ? { ...cell, metadata: {}, outputs: [], execution_count: null }
        : { ...cell, metadata: {} }
    ),
    metadata: { language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  });
  notebook.model = model;
  const session = {
    isDisposed: false,
    isRestarting: false,
    hasNoKernel: kernel === null,
    session: kernel ? { kernel } : null
  };
  return {
    content: notebook,
    sessionContext: session as unknown as ISessionContext,
    context: { path: 'work/analysis.ipynb' },
    isDisposed: false
  };
}

class FakeTracker {
  currentWidget: IFakePanel | null = null;
  currentChanged = new Signal<this, IFakePanel | null>(this);
  activeCellChanged = new Signal<this, unknown>(this);

  setCurrent(panel: IFakePanel | null): void {
    this.currentWidget = panel;
    this.currentChanged.emit(panel);
  }
}

function sources(panel: INotebookPanelLike): string[] {
  return Array.from(panel.content.model!.cells).map(
    cell => `${cell.type}:${cell.sharedModel.getSource()}`
  );
}

/** An executor that prints `text` and reports `ok`. */
function printing(text: string, count = 7): jest.Mock {
  return jest.fn(async (cell: CodeCell) => {
    cell.model.outputs.add({ output_type: 'stream', name: 'stdout', text });
    cell.model.executionCount = count;
    return {
      content: { status: 'ok', execution_count: count }
    } as any;
  });
}

// @jupyter/ydoc builds cells in a way newer yjs warns about on every cell
// ([yjs#509]); those warnings come from the libraries, not from the bridge.
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

describe('NotebookBridge', () => {
  describe('nearby cells and kernel variables', () => {
    let executed: Signal<any, { notebook: Notebook }>;
    let reader: jest.Mock;

    function setupWithVariables(execute?: CellExecutor): void {
      tracker = new FakeTracker();
      executed = new Signal<any, { notebook: Notebook }>({});
      let n = 0;
      reader = jest.fn(async () => `x: int = ${++n}`);
      bridge = new NotebookBridge({
        tracker,
        execute,
        executed,
        readVariables: reader
      });
      panel = makePanel([
        { cell_type: 'code', source: 'import math' },
        { cell_type: 'code', source: '   ' },
        { cell_type: 'markdown', source: '# Notes' },
        { cell_type: 'code', source: 'x = 1' },
        { cell_type: 'code', source: 'y = 2' },
        { cell_type: 'code', source: 'z = 3' }
      ]);
      tracker.setCurrent(panel);
      panel.content.activeCellIndex = 3;
    }

    it('lists non-blank cells around the active one, nearest first', () => {
      setupWithVariables();
      const context = bridge.activeCellContext({ nearbyCells: 2 })!;
      expect(
        context.nearby!.map(c => `${c.cellIndex}:${c.cellType}:${c.source}`)
      ).toEqual([
        '2:markdown:# Notes',
        '4:code:y = 2',
        '0:code:import math',
        '5:code:z = 3'
      ]);
      expect(bridge.activeCellContext()!.nearby).toBeUndefined();
    });

    it('reads variables when enabled, after runs, and on switching notebooks', async () => {
      setupWithVariables(printing('ok\n'));
      expect(bridge.activeCellContext({ variables: true })!.variables).toBe(
        undefined
      );
      bridge.setVariablesEnabled(true);
      await flush();
      expect(reader).toHaveBeenCalledTimes(1);
      expect(reader.mock.calls[0][0]).toBe(panel);
      expect(bridge.activeCellContext({ variables: true })!.variables).toBe(
        'x: int = 1'
      );
      expect(bridge.activeCellContext()!.variables).toBeUndefined();

      // A cell run in the current notebook refreshes the summary ...
      executed.emit({ notebook: panel.content });
      await flush();
      expect(bridge.activeCellContext({ variables: true })!.variables).toBe(
        'x: int = 2'
      );
      // ... one in another notebook does not.
      const other = makePanel([{ cell_type: 'code', source: 'a = 1' }]);
      executed.emit({ notebook: other.content });
      await flush();
      expect(reader).toHaveBeenCalledTimes(2);

      // So does a run from the panel.
      await bridge.run('w = 4');
      await flush();
      expect(reader).toHaveBeenCalledTimes(3);

      // Switching to a notebook not read yet reads it.
      other.content.activeCellIndex = 0;
      tracker.setCurrent(other);
      await flush();
      expect(reader).toHaveBeenCalledTimes(4);
      expect(reader.mock.calls[3][0]).toBe(other);
      other.content.dispose();
    });

    it('reads nothing when disabled', async () => {
      setupWithVariables();
      bridge.setVariablesEnabled(true);
      await flush();
      bridge.setVariablesEnabled(false);
      executed.emit({ notebook: panel.content });
      await flush();
      expect(reader).toHaveBeenCalledTimes(1);
      expect(bridge.activeCellContext({ variables: true })!.variables).toBe(
        undefined
      );
    });
  });

  describe('readKernelVariables', () => {
    it('sends a silent request and returns the expression text', async () => {
      panel = makePanel([{ cell_type: 'code', source: '' }]);
      const requestExecute = jest.fn(() => ({
        done: Promise.resolve({
          content: {
            status: 'ok',
            user_expressions: {
              variables: {
                status: 'ok',
                data: { 'text/plain': 'df: pandas.DataFrame shape=(2, 2)' }
              }
            }
          }
        })
      }));
      (panel.sessionContext as any).session = {
        kernel: { status: 'idle', requestExecute }
      };
      await expect(readKernelVariables(panel)).resolves.toBe(
        'df: pandas.DataFrame shape=(2, 2)'
      );
      const [content, disposeOnDone] = requestExecute.mock.calls[0] as any[];
      expect(content).toMatchObject({
        code: VARIABLES_CODE,
        silent: true,
        store_history: false,
        user_expressions: { variables: VARIABLES_EXPRESSION }
      });
      expect(disposeOnDone).toBe(true);
      expect(VARIABLES_CODE).toContain("return '\\n'.join(rows[:100])");
    });

    it('returns null on error, without a kernel or for other languages', async () => {
      panel = makePanel([{ cell_type: 'code', source: '' }]);
      const session = panel.sessionContext as any;
      session.session = {
        kernel: {
          requestExecute: () => ({
            done: Promise.resolve({
              content: {
                status: 'ok',
                user_expressions: { variables: { status: 'error' } }
              }
            })
          })
        }
      };
      await expect(readKernelVariables(panel)).resolves.toBeNull();
      panel.content.model!.setMetadata('language_info', { name: 'R' });
      await expect(readKernelVariables(panel)).resolves.toBeNull();
      session.session = null;
      await expect(readKernelVariables(panel)).resolves.toBeNull();
    });
  });

  let tracker: FakeTracker;
  let bridge: NotebookBridge;
  let panel: IFakePanel;

  function setup(execute?: CellExecutor): void {
    tracker = new FakeTracker();
    bridge = new NotebookBridge({ tracker, execute });
    panel = makePanel([
      { cell_type: 'code', source: 'import math' },
      { cell_type: 'markdown', source: '# Notes' },
      { cell_type: 'code', source: 'x = 1' }
    ]);
    tracker.setCurrent(panel);
    panel.content.activeCellIndex = 0;
  }

  afterEach(() => {
    bridge.dispose();
    panel.content.dispose();
  });

  describe('without a notebook', () => {
    it('says so for every operation and reports no context', async () => {
      tracker = new FakeTracker();
      bridge = new NotebookBridge({ tracker });
      panel = makePanel([]);
      expect(bridge.activeCellContext()).toBeNull();
      expect(() => bridge.insertBelow('x')).toThrow(NotebookError);
      expect(() => bridge.replaceActiveCell('x')).toThrow(
        NotebookError.MESSAGES['no-notebook']
      );
      await expect(bridge.run('x')).rejects.toMatchObject({
        kind: 'no-notebook'
      });
    });
  });

  describe('activeCellContext', () => {
    it('snapshots the active cell of the current notebook', () => {
      setup();
      panel.content.activeCellIndex = 2;
      expect(bridge.activeCellContext()).toMatchObject({
        notebookPath: 'work/analysis.ipynb',
        cellIndex: 2,
        cellType: 'code',
        language: 'python',
        source: 'x = 1',
        selection: null
      });
    });

    it('reads the selection of the cell editor', () => {
      setup();
      panel.content.activeCellIndex = 2;
      const editor = panel.content.activeCell!.editor!;
      editor.setSelection({
        start: { line: 0, column: 4 },
        end: { line: 0, column: 5 }
      });
      const context = bridge.activeCellContext()!;
      expect(context.selection).toEqual({ start: 4, end: 5 });
      expect(
        context.source.slice(context.selection!.start, context.selection!.end)
      ).toBe('1');
    });

    it('follows the current notebook and signals changes', () => {
      setup();
      let changes = 0;
      bridge.changed.connect(() => (changes += 1));
      const other = makePanel([{ cell_type: 'code', source: 'print(2)' }]);
      other.context = { path: 'other.ipynb' };
      other.content.activeCellIndex = 0;

      tracker.setCurrent(other);

      expect(changes).toBe(1);
      expect(bridge.activeCellContext()).toMatchObject({
        notebookPath: 'other.ipynb',
        source: 'print(2)'
      });
      tracker.activeCellChanged.emit(null);
      expect(changes).toBe(2);
      other.content.dispose();
    });

    it('ignores a disposed panel', () => {
      setup();
      panel.isDisposed = true;
      expect(bridge.activeCellContext()).toBeNull();
      expect(() => bridge.insertBelow('y')).toThrow(
        NotebookError.MESSAGES['no-notebook']
      );
    });
  });

  describe('insertBelow', () => {
    it('inserts a code cell below the active cell and activates it', () => {
      setup();
      const where = bridge.insertBelow('print("hi")');
      expect(where).toEqual({
        notebookPath: 'work/analysis.ipynb',
        cellIndex: 1
      });
      expect(sources(panel)).toEqual([
        'code:import math',
        'code:print("hi")',
        'markdown:# Notes',
        'code:x = 1'
      ]);
      expect(panel.content.activeCellIndex).toBe(1);
    });

    it('inserts at the end below the last cell', () => {
      setup();
      panel.content.activeCellIndex = 2;
      bridge.insertBelow('y = 2');
      expect(sources(panel)[3]).toBe('code:y = 2');
    });
  });

  describe('replaceActiveCell', () => {
    it('replaces the source of a code cell', () => {
      setup();
      panel.content.activeCellIndex = 2;
      expect(bridge.replaceActiveCell('x = 2').cellIndex).toBe(2);
      expect(sources(panel)).toEqual([
        'code:import math',
        'markdown:# Notes',
        'code:x = 2'
      ]);
    });

    it('turns a markdown cell into a code cell', () => {
      setup();
      panel.content.activeCellIndex = 1;
      bridge.replaceActiveCell('print(1)');
      expect(sources(panel)).toEqual([
        'code:import math',
        'code:print(1)',
        'code:x = 1'
      ]);
      expect(panel.content.activeCellIndex).toBe(1);
    });
  });

  describe('run', () => {
    it('inserts below, runs in the kernel and reads the outputs', async () => {
      const execute = printing('hello\n', 4);
      setup(execute);

      const result = await bridge.run('print("hello")');

      expect(execute).toHaveBeenCalledTimes(1);
      expect(execute.mock.calls[0][1]).toBe(panel.sessionContext);
      expect(sources(panel)[1]).toBe('code:print("hello")');
      // A run without an error has nothing to fix.
      expect(result.makeFixTarget?.()).toBeNull();
      const { makeFixTarget, ...plain } = result;
      expect(typeof makeFixTarget).toBe('function');
      expect(plain).toEqual({
        notebookPath: 'work/analysis.ipynb',
        cellIndex: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: 'hello\n' }],
        executionCount: 4,
        status: 'ok'
      });
    });

    it.each([
      ['no-kernel', null, false],
      ['kernel-dead', { status: 'dead' }, false],
      ['kernel-restarting', { status: 'restarting' }, false],
      ['kernel-restarting', { status: 'idle' }, true]
    ])(
      'refuses with %s and inserts nothing',
      async (kind, kernel, restarting) => {
        const execute = printing('never');
        setup(execute);
        const cells = sources(panel);
        const session = panel.sessionContext as any;
        session.session = kernel ? { kernel } : null;
        session.hasNoKernel = kernel === null;
        session.isRestarting = restarting;

        expect(() => bridge.checkRunnable()).toThrow(
          NotebookError.MESSAGES[kind as keyof typeof NotebookError.MESSAGES]
        );
        await expect(bridge.run('1 + 1')).rejects.toMatchObject({ kind });
        expect(sources(panel)).toEqual(cells);
        expect(execute).not.toHaveBeenCalled();
      }
    );

    it('reports a cell deleted while it ran', async () => {
      setup(async cell => {
        const model = panel.content.model!;
        model.sharedModel.deleteCell(
          Array.from(model.cells).indexOf(cell.model)
        );
        return { content: { status: 'ok' } } as any;
      });
      await expect(bridge.run('import time')).rejects.toMatchObject({
        kind: 'cell-deleted'
      });
    });

    it('reports a notebook closed while it ran', async () => {
      setup(async () => {
        panel.isDisposed = true;
        return { content: { status: 'ok' } } as any;
      });
      await expect(bridge.run('import time')).rejects.toMatchObject({
        kind: 'notebook-closed',
        message: NotebookError.MESSAGES['notebook-closed']
      });
    });

    it('reports a run that ended without a reply', async () => {
      setup(async () => undefined);
      await expect(bridge.run('while True: pass')).rejects.toMatchObject({
        kind: 'cancelled'
      });
    });

    it('reports a kernel restarted while it ran', async () => {
      setup(async () => {
        (panel.sessionContext as any).session.kernel.status = 'restarting';
        throw new Error(
          'Canceled future for execute_request message before replies were done'
        );
      });
      await expect(bridge.run('import time')).rejects.toMatchObject({
        kind: 'kernel-restarted',
        message: NotebookError.MESSAGES['kernel-restarted']
      });
    });

    it('interrupts the kernel of the notebook it runs in', async () => {
      let release: () => void = () => undefined;
      setup(
        () =>
          new Promise(resolve => {
            release = () => resolve({ content: { status: 'error' } } as any);
          })
      );
      const interrupt = jest.fn(async () => undefined);
      (panel.sessionContext as any).session.kernel.interrupt = interrupt;
      await bridge.interrupt();
      expect(interrupt).not.toHaveBeenCalled();

      const run = bridge.run('while True: pass');
      // Switching notebooks meanwhile does not change whose kernel it is.
      tracker.setCurrent(null);
      await bridge.interrupt();
      expect(interrupt).toHaveBeenCalledTimes(1);
      release();
      await expect(run).resolves.toMatchObject({ status: 'error' });
      await bridge.interrupt();
      expect(interrupt).toHaveBeenCalledTimes(1);
    });

    it('passes on a failure of the executor', async () => {
      setup(async () => {
        throw new Error('socket closed');
      });
      await expect(bridge.run('1')).rejects.toThrow('socket closed');
    });
  });
});

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
