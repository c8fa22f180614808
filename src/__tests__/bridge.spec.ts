import { Notebook } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { NotebookBridge } from '../notebook/bridge';
import { NotebookError } from '../notebook/errors';
import { CellExecutor } from '../notebook/types';
import {
  VARIABLES_CODE,
  VARIABLES_EXPRESSION,
  readKernelVariables
} from '../notebook/variables';
import { flushPromises as flush } from './fakes';
import {
  FakeTracker,
  IFakePanel,
  hideYjsWarnings,
  makePanel,
  printing,
  sources
} from './notebooks';

hideYjsWarnings();

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
