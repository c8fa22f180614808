import type * as nbformat from '@jupyterlab/nbformat';

import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import { MAX_FIX_VARIABLES_CHARS } from '../loop/fix';
import type { ICellRunResult } from '../loop/targets';
import type { IFixCause } from '../protocol';
import {
  ERROR,
  FakeContextCell,
  FakeTarget,
  FakeWebSocket,
  doneMessage,
  fixOutcome,
  flushPromises
} from './fakes';
import { FixHarness } from './fixharness';

describe('the fix loop', () => {
  let client: AssistantClient;
  let model: ChatModel;
  let socket: FakeWebSocket;
  let target: FakeTarget;

  const sent = (type: string): any[] =>
    socket.messages.filter(m => m.type === type);

  async function start(
    settings = {},
    prepare?: (target: FakeTarget) => void
  ): Promise<string> {
    const h = await FixHarness.start(settings, prepare);
    ({ client, model, socket, target } = h);
    expect(sent('fix')).toHaveLength(1);
    return h.id;
  }

  const fixEntry = () => model.messages.find(e => e.kind === 'fix')!;
  const fix = () => fixEntry().fix!;
  const session = () => model.fixes.get(fixEntry().id)!;

  afterEach(() => {
    model.dispose();
    client.dispose();
  });

  it('sends the cell, its outputs, the cells above, the kernel, variables, the rounds and the candidates', async () => {
    const id = await start({ fixRounds: 4, fixCandidates: 2 });
    const request = sent('fix')[0];
    expect(request).toEqual({
      type: 'fix',
      id,
      cell: { source: 'x = 1\nprint(y)', outputs: [ERROR] },
      context: ['import math', 'x = 1'],
      variables: 'x: int = 1',
      language: 'python',
      max_rounds: 4,
      candidates: 2,
      kernel_id: 'kernel-1'
    });
    expect(fix().status).toBe('streaming');
    expect(fix().error).toContain('NameError');
    // The fix is not part of the chat sent to the model.
    expect(model.buildMessages()).toEqual([]);
  });

  it('leaves the rounds to the server when unset, and the kernel when there is none', async () => {
    await start({}, t => (t.kernel = null));
    const request = sent('fix')[0];
    expect(request.max_rounds).toBeUndefined();
    expect(request.candidates).toBeUndefined();
    expect(request.kernel_id).toBeUndefined();
    // The variables stay as the fallback.
    expect(request.variables).toBe('x: int = 1');
  });

  it('bounds the variables summary', async () => {
    await start({}, t => (t.variables = 'v'.repeat(5000)));
    const variables: string = sent('fix')[0].variables;
    expect(variables.length).toBeLessThanOrEqual(MAX_FIX_VARIABLES_CHARS + 4);
  });

  it('proposal → apply & run → result → next proposal runs by itself → fixed', async () => {
    const id = await start();
    socket.receive({ type: 'token', id, round: 1, text: 'Use x ' });
    socket.receive({ type: 'token', id, round: 1, text: 'instead.' });
    expect(fix().rounds[0].text).toBe('Use x instead.');
    expect(fix().status).toBe('streaming');

    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'x = 1\nprint(z)',
      explanation: 'y is not defined.'
    });
    expect(fix().status).toBe('proposed');
    expect(fix().round).toBe(1);
    expect(fix().rounds[0].diff).toEqual([
      { kind: 'same', text: 'x = 1' },
      { kind: 'del', text: 'print(y)' },
      { kind: 'add', text: 'print(z)' }
    ]);
    // Nothing is applied before the user chooses.
    expect(target.writes).toEqual([]);

    const done = session().applyAndRun();
    expect(target.writes).toEqual(['x = 1\nprint(z)']);
    expect(fix().status).toBe('running');
    expect(fix().applied).toBe(true);
    const failed: nbformat.IOutput = {
      ...ERROR,
      evalue: "name 'z' is not defined"
    };
    target.runs[0].resolve({ status: 'error', outputs: [failed] });
    await done;
    expect(sent('execution_result')).toEqual([
      {
        type: 'execution_result',
        id,
        round: 1,
        status: 'error',
        outputs: [failed]
      }
    ]);
    expect(fix().status).toBe('streaming');
    expect(fix().rounds[0].result?.status).toBe('error');

    // Round 2 is applied and run without a click.
    socket.receive({ type: 'token', id, round: 2, text: 'Print x.' });
    expect(fix().round).toBe(2);
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 2,
      code: 'x = 1\nprint(x)',
      explanation: 'Print x.'
    });
    expect(target.writes).toEqual(['x = 1\nprint(z)', 'x = 1\nprint(x)']);
    expect(fix().status).toBe('running');
    const ok: nbformat.IOutput = {
      output_type: 'stream',
      name: 'stdout',
      text: '1\n'
    };
    target.runs[1].resolve({ status: 'ok', outputs: [ok] });
    await flushPromises();
    expect(sent('execution_result')[1]).toEqual({
      type: 'execution_result',
      id,
      round: 2,
      status: 'ok',
      outputs: [ok]
    });

    socket.receive({
      ...doneMessage(id),
      outcome: fixOutcome({ rounds: 2, message: 'Fixed in 2 rounds.' })
    });
    await flushPromises();
    expect(fix().status).toBe('fixed');
    expect(fix().outcome?.rounds).toBe(2);
    expect(fixEntry().state).toBe('complete');
    expect(sent('cancel')).toEqual([]);
    expect(target.isDisposed).toBe(true);

    // Undo puts the original back.
    expect(session().undo()).toBe(true);
    expect(target.source).toBe('x = 1\nprint(y)');
    expect(fix().applied).toBe(false);
  });

  it('answers for the round of the proposal when an earlier round brought no code', async () => {
    const id = await start();
    socket.receive({ type: 'token', id, round: 1, text: 'No code here.' });
    socket.receive({ type: 'token', id, round: 2, text: 'Try this.' });
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 2,
      code: 'print(1)',
      explanation: 'Try this.'
    });
    expect(fix().round).toBe(2);
    expect(fix().rounds.map(r => r.round)).toEqual([1, 2]);
    const done = session().applyAndRun();
    target.runs[0].resolve({ status: 'ok', outputs: [] });
    await done;
    // The server waits for the result of the round it proposed.
    expect(sent('execution_result')[0].round).toBe(2);
  });

  it('discard sends cancel and leaves the cell alone', async () => {
    const id = await start();
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'print(1)',
      explanation: ''
    });
    session().discard();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(fix().status).toBe('cancelled');
    expect(target.writes).toEqual([]);
    socket.receive(doneMessage(id, { cancelled: true }));
    await flushPromises();
    expect(fix().status).toBe('cancelled');
    expect(fix().message).toBe('Discarded.');
  });

  it('apply writes the cell, cancels the loop, and undo restores the original', async () => {
    const id = await start();
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'print(1)',
      explanation: ''
    });
    expect(session().apply()).toBe(true);
    expect(target.source).toBe('print(1)');
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(sent('execution_result')).toEqual([]);
    expect(fix().applied).toBe(true);
    expect(session().undo()).toBe(true);
    expect(target.source).toBe('x = 1\nprint(y)');
  });

  it('is cancelled when the user edits or re-runs the cell', async () => {
    const id = await start();
    socket.receive({ type: 'token', id, round: 1, text: 'Th' });
    target.edited.emit();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(fix().status).toBe('cancelled');
    expect(fix().message).toContain('edited');
    // A late proposal changes nothing.
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'print(1)',
      explanation: ''
    });
    expect(fix().status).toBe('cancelled');
    expect(target.writes).toEqual([]);
  });

  it('Stop cancels while a round runs, and its result is not sent', async () => {
    const id = await start();
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'print(1)',
      explanation: ''
    });
    const done = session().applyAndRun();
    session().stop();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    target.runs[0].resolve({ status: 'ok', outputs: [] });
    await done;
    expect(sent('execution_result')).toEqual([]);
    expect(fix().status).toBe('cancelled');
  });

  it('a run that cannot happen answers dead, cancels and restores the original', async () => {
    const id = await start();
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'print(1)',
      explanation: ''
    });
    const done = session().applyAndRun();
    target.runs[0].resolve({
      status: 'dead',
      outputs: [],
      message: 'The kernel died.'
    });
    await done;
    expect(sent('execution_result')).toEqual([
      {
        type: 'execution_result',
        id,
        round: 1,
        status: 'dead',
        outputs: [],
        message: 'The kernel died.'
      }
    ]);
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(fix().status).toBe('cancelled');
    expect(fix().message).toContain('The kernel died.');
    expect(target.source).toBe('x = 1\nprint(y)');
    expect(fix().applied).toBe(false);
  });

  it('does not start to run when the kernel is not there, and nothing is applied', async () => {
    const id = await start();
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: 'print(1)',
      explanation: ''
    });
    target.notRunnable = 'The notebook’s kernel is dead.';
    expect(await session().applyAndRun()).toBe(false);
    expect(target.writes).toEqual([]);
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(fix().message).toContain('kernel is dead');
  });

  it('a lost cell cancels with the reason', async () => {
    const id = await start();
    target.lost.emit('the cell was deleted.');
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(fix().message).toBe('Cancelled: the cell was deleted.');
  });

  it('shows a failed outcome and a server error', async () => {
    const id = await start();
    socket.receive({
      ...doneMessage(id),
      outcome: fixOutcome({
        status: 'no_code',
        source: 'x = 1\nprint(y)',
        message: 'The model gave no code.'
      })
    });
    await flushPromises();
    expect(fix().status).toBe('failed');
    expect(fix().message).toBe('The model gave no code.');

    target = new FakeTarget();
    target.key = 'cell-2';
    const second = model.fixes.start(target)!;
    await flushPromises();
    socket.receive({
      type: 'error',
      id: second.requestId,
      message: 'Model failed'
    });
    await flushPromises();
    expect(second.state.status).toBe('failed');
    expect(second.state.message).toBe('Model failed');
    expect(sent('cancel')).toEqual([{ type: 'cancel', id: second.requestId }]);
  });

  it('follows the cell where the cause lay, when the fix passed', async () => {
    const id = await start();
    socket.receive({
      ...doneMessage(id),
      outcome: fixOutcome({
        cause: {
          cell: 1,
          names: ['x', 'normalize'],
          cause_source: null,
          cell_source: null
        }
      })
    });
    await flushPromises();
    expect(fix().status).toBe('fixed');
    expect(fix().cause).toEqual({
      index: 1,
      names: ['x', 'normalize'],
      cell: 2
    });
    const cell = target.contextCells[1];

    expect(session().revealCause()).toBe(true);
    expect(cell.reveals).toBe(1);

    // A cell inserted above moves it; then it is deleted.
    cell.move(3);
    expect(fix().cause?.cell).toBe(3);
    expect(fixEntry().fix?.cause?.cell).toBe(3);
    cell.move(null);
    expect(fix().cause?.cell).toBeNull();
    expect(session().revealCause()).toBe(false);

    session().dispose();
    expect(cell.isDisposed).toBe(true);
  });

  it('has no cause without one, when not fixed, or when it is malformed', async () => {
    const outcomes = [
      { status: 'fixed', cause: null },
      { status: 'fixed' },
      {
        status: 'no_code',
        cause: { cell: 0, names: ['x'], cause_source: null, cell_source: null }
      },
      { status: 'fixed', cause: { cell: -1, names: ['x'] } },
      { status: 'fixed', cause: { cell: 0, names: 'x' } }
    ];
    for (const [i, outcome] of outcomes.entries()) {
      const id = await start();
      socket.receive({
        ...doneMessage(id),
        outcome: {
          kind: 'fix',
          source: 'x',
          rounds: 1,
          message: '',
          ...outcome
        }
      });
      await flushPromises();
      expect([i, fix().status]).toEqual([
        i,
        outcome.status === 'fixed' ? 'fixed' : 'failed'
      ]);
      expect([i, fix().cause]).toEqual([i, undefined]);
      expect(session().revealCause()).toBe(false);
      model.dispose();
      client.dispose();
    }
  });

  it('says where the cause lay without the cell when the target cannot tell', async () => {
    const id = await start();
    target.contextCells = [];
    socket.receive({
      ...doneMessage(id),
      outcome: fixOutcome({
        source: 'x',
        cause: {
          cell: 0,
          names: ['math'],
          cause_source: null,
          cell_source: null
        }
      })
    });
    await flushPromises();
    expect(fix().cause).toEqual({ index: 0, names: ['math'], cell: null });
    expect(session().revealCause()).toBe(false);
  });

  describe('the repair made where the cause lay', () => {
    const CAUSE = 'def f():\n    y = 2';
    const REPAIRED = 'def f():\n    y = 2\n    return y';
    const FIXED = 'def f():\n    y = 2\n    return y\n\nprint(f())';
    const ORIGINAL = 'print(f())';
    const OK: ICellRunResult = { status: 'ok', outputs: [] };

    /**
     * A fix of `print(f())` whose cause lay in cell 2 (`def f` without
     * return), applied and run; the server sends `cause`.
     */
    async function fixedWithCause(
      cause: Partial<IFixCause> = {}
    ): Promise<FakeContextCell> {
      const id = await start({}, t => {
        t.source = ORIGINAL;
        t.context = ['import math', CAUSE];
        t.contextCells[1].text = CAUSE;
      });
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: FIXED,
        explanation: 'f returns nothing.'
      });
      const ran = session().applyAndRun();
      target.runs[0].resolve(OK);
      await ran;
      socket.receive({
        ...doneMessage(id),
        outcome: fixOutcome({
          source: FIXED,
          cause: {
            cell: 1,
            names: ['f'],
            cause_source: REPAIRED,
            cell_source: ORIGINAL,
            ...cause
          }
        })
      });
      await flushPromises();
      expect(fix().status).toBe('fixed');
      return target.contextCells[1];
    }

    it('offers the repair with the diffs of both cells', async () => {
      await fixedWithCause();
      const repair = fix().cause?.repair;
      expect(repair).toEqual({
        source: REPAIRED,
        cellSource: ORIGINAL,
        diff: [
          { kind: 'same', text: 'def f():' },
          { kind: 'same', text: '    y = 2' },
          { kind: 'add', text: '    return y' }
        ],
        cellDiff: [
          { kind: 'del', text: 'def f():' },
          { kind: 'del', text: '    y = 2' },
          { kind: 'del', text: '    return y' },
          { kind: 'del', text: '' },
          { kind: 'same', text: 'print(f())' }
        ],
        status: 'offered'
      });
      expect(fix().cause?.cell).toBe(2);
    });

    it('offers nothing without cause_source', async () => {
      await fixedWithCause({ cause_source: null, cell_source: null });
      expect(fix().cause).toEqual({ index: 1, names: ['f'], cell: 2 });
      expect(await session().applyInCause()).toBe(false);
      expect(target.contextCells[1].writes).toEqual([]);
    });

    it('sets the cause cell and runs it, then the failing cell; Undo restores both', async () => {
      const cell = await fixedWithCause();
      const applying = session().applyInCause();
      expect(fix().cause?.repair?.status).toBe('running');
      expect(cell.text).toBe(REPAIRED);
      // The failing cell waits for the cause's cell to pass.
      expect(cell.runs).toHaveLength(1);
      expect(target.runs).toHaveLength(1);
      expect(target.source).toBe(FIXED);
      // No second click while it runs.
      expect(await session().applyInCause()).toBe(false);
      expect(session().undo()).toBe(false);

      cell.runs[0].resolve(OK);
      await flushPromises();
      expect(target.source).toBe(ORIGINAL);
      expect(target.runs).toHaveLength(2);
      target.runs[1].resolve(OK);
      expect(await applying).toBe(true);
      expect(fix().cause?.repair?.status).toBe('applied');
      expect(fix().cause?.repair?.message).toBe(
        'Made the repair in cell 2: it and this cell ran without error.'
      );
      expect(fix().applied).toBe(true);
      expect(fix().status).toBe('fixed');
      expect(await session().applyInCause()).toBe(false);

      // Undo: both cells as they were before the fix.
      expect(session().undo()).toBe(true);
      expect(cell.text).toBe(CAUSE);
      expect(target.source).toBe(ORIGINAL);
      expect(fix().applied).toBe(false);
      expect(fix().cause?.repair?.status).toBe('offered');
      // The failing cell is already as the repair wants it.
      expect(fix().cause?.repair?.cellDiff).toBeNull();
    });

    it('restores both cells when the cause cell fails with the repair', async () => {
      const cell = await fixedWithCause();
      const applying = session().applyInCause();
      cell.runs[0].resolve({ status: 'error', outputs: [ERROR] });
      expect(await applying).toBe(false);
      expect(target.runs).toHaveLength(1);
      expect(cell.text).toBe(CAUSE);
      expect(target.source).toBe(FIXED);
      expect(fix().cause?.repair?.status).toBe('offered');
      expect(fix().cause?.repair?.message).toBe(
        'Cell 2 failed with the repair, so both cells are back as they were.'
      );
      expect(fix().applied).toBe(true);
    });

    it('restores both cells when the failing cell fails after the repair', async () => {
      const cell = await fixedWithCause();
      const applying = session().applyInCause();
      cell.runs[0].resolve(OK);
      await flushPromises();
      target.runs[1].resolve({
        status: 'dead',
        outputs: [],
        message: 'The kernel died.'
      });
      expect(await applying).toBe(false);
      expect(cell.text).toBe(CAUSE);
      expect(target.source).toBe(FIXED);
      expect(target.writes.slice(-2)).toEqual([ORIGINAL, FIXED]);
      expect(fix().cause?.repair?.message).toBe(
        'This cell could not run (The kernel died) after the repair in cell 2, so both cells are back as they were.'
      );
      // Undo still restores the original of the failing cell.
      expect(session().undo()).toBe(true);
      expect(target.source).toBe(ORIGINAL);
    });

    it('refuses when the cause cell was edited since, or is gone', async () => {
      const cell = await fixedWithCause();
      cell.text = 'def f():\n    y = 3';
      expect(await session().applyInCause()).toBe(false);
      expect(fix().cause?.repair?.message).toBe(
        'Not applied: cell 2 changed since the fix was made.'
      );
      expect(cell.writes).toEqual([]);
      expect(cell.runs).toEqual([]);
      expect(target.source).toBe(FIXED);

      cell.text = CAUSE;
      cell.move(null);
      expect(await session().applyInCause()).toBe(false);
      expect(fix().cause?.repair?.message).toBe(
        'Not applied: the cell where the cause lay is gone.'
      );
    });

    it('refuses when the failing cell was edited since, or the kernel cannot run', async () => {
      const cell = await fixedWithCause();
      target.source = 'print(f()) # mine';
      expect(await session().applyInCause()).toBe(false);
      expect(fix().cause?.repair?.message).toBe(
        'Not applied: this cell changed since the fix was made.'
      );
      target.source = FIXED;
      cell.notRunnable = 'The notebook’s kernel is dead.';
      expect(await session().applyInCause()).toBe(false);
      expect(fix().cause?.repair?.message).toBe(
        'Not applied: The notebook’s kernel is dead.'
      );
      expect(cell.writes).toEqual([]);
    });

    it('follows the cause cell when it moved', async () => {
      const cell = await fixedWithCause();
      cell.move(5);
      const applying = session().applyInCause();
      cell.runs[0].resolve({ status: 'error', outputs: [ERROR] });
      await applying;
      expect(fix().cause?.repair?.message).toBe(
        'Cell 5 failed with the repair, so both cells are back as they were.'
      );
    });
  });

  it('keeps one fix per cell, and autoFix decides for failures', async () => {
    await start({ autoFix: false });
    const again = new FakeTarget();
    expect(model.fixes.start(again)).toBe(session());
    expect(again.isDisposed).toBe(true);
    expect(sent('fix')).toHaveLength(1);
  });
});
