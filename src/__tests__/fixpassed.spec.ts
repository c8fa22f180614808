/**
 * A fix after a run passed in the kernel: the server's verdict on the run
 * (a run it does not accept is followed by the next round), and the cells
 * below that passed before the fix and fail since.
 */
import { notAccepted } from '../loop/fixrounds';
import {
  ERROR,
  FakeTarget,
  FakeWebSocket,
  doneMessage,
  fixOutcome,
  flushPromises
} from './fakes';
import { FixHarness } from './fixharness';

describe('a fix whose run passed', () => {
  let h: FixHarness;
  let target: FakeTarget;
  let socket: FakeWebSocket;

  async function start(): Promise<string> {
    h = await FixHarness.start();
    ({ target, socket } = h);
    return h.id;
  }

  const sent = (type: string): any[] => h.sent(type);
  const fixEntry = () => h.entry();
  const fix = () => h.fix();
  const session = () => h.session();

  afterEach(() => h.dispose());

  describe('a run the server does not accept', () => {
    const NOTE =
      '\n\n*Ran, but not accepted: prints nothing where the cell printed.*\n\n';

    /** Round 1 proposed, applied and run: it passes in the kernel. */
    async function passingRound(): Promise<string> {
      const id = await start();
      socket.receive({ type: 'token', id, round: 1, text: 'Guard it.' });
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'x = 1\nif False:\n    print(y)',
        explanation: 'Guard it.'
      });
      const ran = session().applyAndRun();
      target.runs[0].resolve({ status: 'ok', outputs: [] });
      await ran;
      expect(sent('execution_result')).toMatchObject([
        { round: 1, status: 'ok' }
      ]);
      return id;
    }

    it('says why in its round, and the next round is proposed and run', async () => {
      const id = await passingRound();
      // Until the server says, the run passed; nothing is final.
      expect(fix().status).toBe('streaming');
      expect(notAccepted(fix(), fix().rounds[0])).toBeNull();

      socket.receive({ type: 'token', id, round: 1, text: NOTE });
      expect(fix().status).toBe('streaming');
      expect(fix().rounds[0].text).toBe('Guard it.');
      expect(notAccepted(fix(), fix().rounds[0])).toEqual({
        reason: 'prints nothing where the cell printed'
      });
      expect(fixEntry().state).toBe('streaming');

      // The next round streams and proposes; it is applied and run at once.
      socket.receive({ type: 'token', id, round: 2, text: 'Print x.' });
      expect(fix().round).toBe(2);
      expect(fix().rounds.map(r => r.text)).toEqual(['Guard it.', 'Print x.']);
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 2,
        code: 'x = 1\nprint(x)',
        explanation: 'Print x.'
      });
      expect(fix().status).toBe('running');
      expect(target.source).toBe('x = 1\nprint(x)');
      // Its diff is against the code in the cell, round 1's.
      expect(fix().rounds[1].diff).toContainEqual({
        kind: 'add',
        text: 'print(x)'
      });
      target.runs[1].resolve({ status: 'ok', outputs: [] });
      await flushPromises();
      expect(sent('execution_result')[1]).toMatchObject({
        round: 2,
        status: 'ok'
      });
      socket.receive({
        ...doneMessage(id),
        outcome: fixOutcome({ rounds: 2, source: 'x = 1\nprint(x)' })
      });
      await flushPromises();
      expect(fix().status).toBe('fixed');
      // Round 1 stays not accepted; round 2 is the one that passed.
      expect(notAccepted(fix(), fix().rounds[0])).not.toBeNull();
      expect(notAccepted(fix(), fix().rounds[1])).toBeNull();
    });

    it('ends unfixed when the last round was not accepted', async () => {
      const id = await passingRound();
      socket.receive({ type: 'token', id, round: 1, text: NOTE });
      socket.receive({
        ...doneMessage(id),
        outcome: fixOutcome({
          status: 'unchanged',
          source: 'x = 1\nprint(y)',
          message: 'The model kept proposing code that hides the error.'
        })
      });
      await flushPromises();
      expect(fix().status).toBe('failed');
      expect(fix().message).toBe(
        'The model kept proposing code that hides the error.'
      );
      expect(notAccepted(fix(), fix().rounds[0])).toEqual({
        reason: 'prints nothing where the cell printed'
      });
      // Nothing below is watched: the fix did not pass.
      expect(target.watchCalls).toBe(0);
      expect(fix().applied).toBe(true);
    });

    it('is not accepted when the server moves on without a note', async () => {
      const id = await passingRound();
      socket.receive({ type: 'token', id, round: 2, text: 'Again.' });
      expect(notAccepted(fix(), fix().rounds[0])).toEqual({ reason: '' });
    });
  });

  describe('cells below that passed before the fix', () => {
    /** A fix applied, run and passed: the server says fixed. */
    async function fixed(): Promise<string> {
      const id = await start();
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'x = 1\nprint(x)',
        explanation: ''
      });
      const ran = session().applyAndRun();
      target.runs[0].resolve({ status: 'ok', outputs: [] });
      await ran;
      socket.receive({ ...doneMessage(id), outcome: fixOutcome() });
      await flushPromises();
      expect(fix().status).toBe('fixed');
      return id;
    }

    it('names one that fails when next run, follows it, and forgets it once it passes', async () => {
      await fixed();
      const watch = target.watch!;
      expect(target.watchCalls).toBe(1);
      // The target is done with, the watch is not.
      expect(target.isDisposed).toBe(true);
      expect(watch.isDisposed).toBe(false);
      expect(fix().regressions ?? []).toEqual([]);

      const seventh = watch.fail(7);
      expect(fix().regressions).toEqual([{ cell: 7 }]);
      expect(fixEntry().fix?.regressions).toEqual([{ cell: 7 }]);
      expect(session().revealRegression(0)).toBe(true);
      expect(seventh.reveals).toBe(1);
      expect(session().revealRegression(1)).toBe(false);

      const ninth = watch.fail(9);
      expect(fix().regressions).toEqual([{ cell: 7 }, { cell: 9 }]);
      // A cell inserted above both.
      seventh.move(8);
      ninth.move(10);
      expect(fix().regressions).toEqual([{ cell: 8 }, { cell: 10 }]);
      // Run again and passing: no longer named.
      watch.recover(seventh);
      expect(fix().regressions).toEqual([{ cell: 10 }]);
      // Deleted: no longer named.
      ninth.move(null);
      expect(fix().regressions).toEqual([]);
      expect(session().revealRegression(0)).toBe(false);

      session().dispose();
      expect(watch.isDisposed).toBe(true);
    });

    it('Undo takes the fix out of the cell: nothing below is named any more', async () => {
      await fixed();
      const watch = target.watch!;
      watch.fail(4);
      expect(fix().regressions).toEqual([{ cell: 4 }]);
      expect(session().undo()).toBe(true);
      expect(watch.isDisposed).toBe(true);
      expect(fix().regressions).toBeUndefined();
    });

    it('watches nothing when the fix did not run in the cell or did not pass', async () => {
      // Fixed without a run by the client (nothing applied).
      const id = await start();
      socket.receive({ ...doneMessage(id), outcome: fixOutcome() });
      await flushPromises();
      expect(fix().status).toBe('fixed');
      expect(target.watchCalls).toBe(0);
      h.dispose();

      // Applied but not fixed.
      const failed = await start();
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id: failed,
        round: 1,
        code: 'print(z)',
        explanation: ''
      });
      const ran = session().applyAndRun();
      target.runs[0].resolve({ status: 'error', outputs: [ERROR] });
      await ran;
      socket.receive({
        ...doneMessage(failed),
        outcome: fixOutcome({ status: 'failed', source: 'x = 1\nprint(y)' })
      });
      await flushPromises();
      expect(fix().status).toBe('failed');
      expect(target.watchCalls).toBe(0);
    });

    it('goes on when the target cannot watch', async () => {
      const id = await start();
      target.watch = null;
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'print(1)',
        explanation: ''
      });
      const ran = session().applyAndRun();
      target.runs[0].resolve({ status: 'ok', outputs: [] });
      await ran;
      socket.receive({ ...doneMessage(id), outcome: fixOutcome() });
      await flushPromises();
      expect(fix().status).toBe('fixed');
      expect(target.watchCalls).toBe(1);
      expect(fix().regressions).toBeUndefined();
    });
  });
});
