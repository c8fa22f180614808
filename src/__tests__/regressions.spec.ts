import type { CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import { Signal } from '@lumino/signaling';

import type { IFixContextCell } from '../loop/targets';
import { NotebookCellTarget } from '../notebook/celltarget';
import { passedLastRun } from '../notebook/regressions';
import { IFakePanel, hideYjsWarnings, makePanel } from './notebooks';

hideYjsWarnings();

const ERROR: nbformat.IError = {
  output_type: 'error',
  ename: 'NameError',
  evalue: "name 'total' is not defined",
  traceback: []
};

describe('the cells below a fixed cell', () => {
  let panel: IFakePanel;
  let executed: Signal<any, any>;
  let target: NotebookCellTarget;
  let activated: IFakePanel[];

  const model = (index: number): ICodeCellModel =>
    panel.content.model!.cells.get(index) as ICodeCellModel;
  const widget = (index: number): CodeCell =>
    panel.content.widgets[index] as CodeCell;

  /** Cell `index` ran (with count `count`), printing or failing. */
  function ran(index: number, count: number, failed = false): void {
    const cell = model(index);
    cell.outputs.clear();
    cell.outputs.add(
      failed
        ? ERROR
        : { output_type: 'stream', name: 'stdout', text: `${count}\n` }
    );
    cell.executionCount = count;
  }

  /** The user runs cell `index` and it passes or fails. */
  function run(index: number, failed: boolean): void {
    ran(index, 20 + index, failed);
    executed.emit({
      notebook: panel.content,
      cell: widget(index),
      success: !failed
    });
  }

  beforeEach(() => {
    panel = makePanel([
      'import pandas as pd', // 0
      'df = load()', // 1: the fixed cell
      'total = df.x.sum()', // 2: passed before
      'print(total)', // 3: passed before
      'print(missing)', // 4: failed before
      'later = 1', // 5: never ran
      { cell_type: 'markdown', source: '# Notes' }, // 6
      '', // 7: blank, ran
      'print(total * 2)' // 8: passed before
    ]);
    ran(2, 3);
    ran(3, 4);
    ran(4, 5, true);
    ran(7, 6);
    ran(8, 7);
    executed = new Signal<any, any>({});
    activated = [];
    target = new NotebookCellTarget({
      panel,
      model: model(1),
      execute: async () => undefined,
      readVariables: async () => null,
      scheduled: new Signal<any, any>({}),
      executed,
      activate: p => activated.push(p as IFakePanel)
    });
  });

  afterEach(() => {
    target.dispose();
    panel.content.dispose();
  });

  it('knows which cells passed when they last ran', () => {
    const passed = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(i =>
      passedLastRun(panel.content.model!.cells.get(i))
    );
    expect(passed).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      false,
      false,
      true
    ]);
  });

  it('names a cell that passed before when its next run fails, and shows it', () => {
    const watch = target.watchBelow()!;
    // It outlives the target (a finished fix disposes its target).
    target.dispose();
    const failed: IFixContextCell[] = [];
    const recovered: IFixContextCell[] = [];
    watch.failed.connect((_, cell) => failed.push(cell));
    watch.recovered.connect((_, cell) => recovered.push(cell));

    // A cell that had failed before, or never ran, says nothing.
    run(4, true);
    run(5, true);
    expect(failed).toEqual([]);

    // Cell 3 passes: nothing to say, and it is no longer watched.
    run(2, false);
    run(2, true);
    expect(failed).toEqual([]);

    // Cell 4 (index 3) fails: a regression.
    run(3, true);
    expect(failed).toHaveLength(1);
    const cell = failed[0];
    expect(cell.position()).toBe(4);
    panel.content.activeCellIndex = 0;
    expect(cell.reveal()).toBe(true);
    expect(panel.content.activeCellIndex).toBe(3);
    expect(activated).toEqual([panel]);

    // It follows the cell.
    const changes = jest.fn();
    cell.changed.connect(changes);
    panel.content.model!.sharedModel.insertCell(0, {
      cell_type: 'code',
      source: 'import os'
    });
    expect(changes).toHaveBeenCalled();
    expect(cell.position()).toBe(5);

    // Failing again says nothing new; passing again is told once.
    run(4, true);
    expect(failed).toHaveLength(1);
    run(4, false);
    expect(recovered).toEqual([cell]);
    expect(cell.isDisposed).toBe(true);

    watch.dispose();
    expect(watch.isDisposed).toBe(true);
  });

  it('hears only its own notebook', () => {
    const watch = target.watchBelow()!;
    const failed = jest.fn();
    watch.failed.connect(failed);
    const other = makePanel(['a = 1', 'b = 2', 'c = 3', 'd = 4']);
    executed.emit({
      notebook: other.content,
      cell: other.content.widgets[3],
      success: false
    });
    expect(failed).not.toHaveBeenCalled();
    other.content.dispose();
    watch.dispose();
  });

  it('watches nothing when no cell below passed, or without the run signal', () => {
    for (const index of [2, 3, 8]) {
      ran(index, 30, true);
    }
    expect(target.watchBelow()).toBeNull();

    ran(8, 31);
    const deaf = new NotebookCellTarget({
      panel,
      model: model(1),
      execute: async () => undefined,
      readVariables: async () => null,
      scheduled: new Signal<any, any>({})
    });
    expect(deaf.watchBelow()).toBeNull();
    deaf.dispose();
  });
});
