/* eslint-disable jupyter/no-untranslated-string */
import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import { IChatSettings } from '../chat/settings';
import { NotebookError } from '../notebook/errors';
import {
  ERROR,
  FakeTarget,
  FakeBridge,
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings,
  makeStatus
} from './fakes';

interface IHarness {
  client: AssistantClient;
  model: ChatModel;
  bridge: FakeBridge;
  confirm: jest.Mock;
  copy: jest.Mock;
  socket: FakeWebSocket;
  lastChat(): any;
}

function setup(
  settings: Partial<IChatSettings> = {},
  confirmAnswer = true
): IHarness {
  const client = new AssistantClient({ serverSettings: makeSettings() });
  const bridge = new FakeBridge();
  const confirm = jest.fn(async () => confirmAnswer);
  const copy = jest.fn();
  const model = new ChatModel({
    client,
    settings,
    notebook: bridge,
    confirmRun: confirm,
    copyToClipboard: copy
  });
  client.connect();
  FakeWebSocket.last.open();
  return {
    client,
    model,
    bridge,
    confirm,
    copy,
    get socket(): FakeWebSocket {
      return FakeWebSocket.last;
    },
    lastChat: (): any => {
      const chats = FakeWebSocket.last.messages.filter(m => m.type === 'chat');
      return chats[chats.length - 1];
    }
  };
}

async function answer(h: IHarness, text: string): Promise<void> {
  const id = h.lastChat().id;
  h.socket.receive({ type: 'token', id, text });
  h.socket.receive(doneMessage(id));
  await flushPromises();
}

describe('ChatModel with a notebook', () => {
  let h: IHarness;

  beforeEach(() => {
    FakeWebSocket.reset();
  });

  afterEach(() => {
    h?.model.dispose();
    h?.client.dispose();
  });

  describe('active cell context', () => {
    it('sends the active cell before the question, by default', () => {
      h = setup();
      expect(h.model.context.pending).toEqual({
        label: 'cell 2 of analysis.ipynb',
        pinned: false
      });

      h.model.send('Why is it slow?');

      const [message] = h.lastChat().messages;
      expect(message.role).toBe('user');
      expect(message.content).toBe(
        'The active notebook cell (cell 2 of analysis.ipynb, code cell):\n' +
          '```python\ndf = load()\ndf.head()\n```\n\nWhy is it slow?'
      );
      expect(h.model.messages[0]).toMatchObject({
        content: 'Why is it slow?',
        context: { label: 'cell 2 of analysis.ipynb' }
      });
    });

    it('keeps the context of earlier turns as it was sent', async () => {
      h = setup();
      h.model.send('first');
      await answer(h, 'ok');
      h.bridge.context = { ...h.bridge.context!, source: 'changed = True' };
      h.model.send('second');
      const messages = h.lastChat().messages;
      expect(messages[0].content).toContain('df.head()');
      expect(messages[2].content).toContain('changed = True');
    });

    it('sends no context when the setting is off or no cell is active', () => {
      h = setup({ includeActiveCell: false });
      expect(h.model.context.pending).toBeNull();
      h.model.send('Hi');
      expect(h.lastChat().messages).toEqual([{ role: 'user', content: 'Hi' }]);
      h.model.dispose();
      h.client.dispose();

      h = setup();
      h.bridge.context = null;
      h.model.send('Hi');
      expect(h.lastChat().messages).toEqual([{ role: 'user', content: 'Hi' }]);
    });

    it('can leave the cell out of the next message only', async () => {
      h = setup();
      h.model.context.dismiss();
      expect(h.model.context.pending).toBeNull();
      h.model.send('no context please');
      expect(h.lastChat().messages[0].content).toBe('no context please');
      await answer(h, 'ok');
      expect(h.model.context.pending).not.toBeNull();
    });

    it('brings a dismissed context back when the active cell changes', () => {
      h = setup();
      let changes = 0;
      h.model.changed.connect(() => (changes += 1));
      h.model.context.dismiss();
      h.bridge.changed.emit();
      expect(changes).toBe(2);
      expect(h.model.context.pending?.label).toBe('cell 2 of analysis.ipynb');
    });

    it('trims the context to the budget from the server n_ctx', () => {
      h = setup();
      h.socket.receive({
        type: 'status',
        status: makeStatus({ state: 'ready', n_ctx: 400 })
      });
      expect(h.model.context.budget).toBe(100);
      const source = Array.from({ length: 300 }, (_, i) => `x${i} = ${i}`);
      h.bridge.context = { ...h.bridge.context!, source: source.join('\n') };
      h.model.send('Summarize');
      const content: string = h.lastChat().messages[0].content;
      const context = content.slice(0, content.indexOf('\n\nSummarize'));
      expect(context.length).toBeLessThanOrEqual(350);
      expect(context).toContain('x0 = 0');
      expect(context).not.toContain('x299 = 299');
      expect(context).toContain('lines omitted');
    });

    it('uses the contextBudgetTokens setting over n_ctx', () => {
      h = setup({ contextBudgetTokens: 50 });
      expect(h.model.context.budget).toBe(50);
      h.model.configure({ contextBudgetTokens: -1 });
      expect(h.model.settings.contextBudgetTokens).toBe(0);
    });
  });

  describe('nearby cells and kernel variables', () => {
    it('asks the bridge for them only when the settings say so', () => {
      h = setup();
      expect(h.bridge.variablesEnabled).toBe(false);
      h.model.send('plain');
      expect(h.bridge.contextOptions.pop()).toEqual({
        nearbyCells: 0,
        variables: false
      });
    });

    it('passes the settings on and sends what the bridge returns', async () => {
      h = setup({
        includeNearbyCells: true,
        nearbyCellCount: 3,
        includeKernelVariables: true
      });
      expect(h.bridge.variablesEnabled).toBe(true);
      h.bridge.context = {
        ...h.bridge.context!,
        nearby: [{ cellIndex: 0, cellType: 'code', source: 'import pandas' }],
        variables: 'df: pandas.DataFrame shape=(3, 2)'
      };
      h.model.send('Plot it');
      expect(h.bridge.contextOptions.pop()).toEqual({
        nearbyCells: 3,
        variables: true
      });
      const content: string = h.lastChat().messages[0].content;
      expect(content).toContain('df: pandas.DataFrame shape=(3, 2)');
      expect(content).toContain(
        'Cell 1 (code):\n```python\nimport pandas\n```'
      );

      h.model.configure({ includeKernelVariables: false });
      expect(h.bridge.variablesEnabled).toBe(false);
    });
  });

  describe('ask about and explain a cell', () => {
    it('pins the active cell for the next message, even with the setting off', () => {
      h = setup({ includeActiveCell: false });
      expect(h.model.context.askAboutCell()).toBe(true);
      expect(h.model.context.pending).toEqual({
        label: 'cell 2 of analysis.ipynb',
        pinned: true
      });
      // The pin is a snapshot: later edits do not change it.
      h.bridge.context = { ...h.bridge.context!, source: 'other()' };
      h.model.send('What does it return?');
      expect(h.lastChat().messages[0].content).toContain('df.head()');
      expect(h.model.context.pending).toBeNull();
    });

    it('explains the active cell', () => {
      h = setup({ includeActiveCell: false });
      expect(h.model.explainCell()).toBe(true);
      const content: string = h.lastChat().messages[0].content;
      expect(content).toContain('```python\ndf = load()\ndf.head()\n```');
      expect(content.endsWith('\n\nExplain this cell.')).toBe(true);
    });

    it('says why when no cell is active', () => {
      h = setup();
      h.bridge.context = null;
      expect(h.model.explainCell()).toBe(false);
      expect(h.model.context.askAboutCell()).toBe(false);
      expect(h.model.error).toMatch(/No notebook cell is active/);
      expect(h.socket.sent).toHaveLength(0);
    });
  });

  describe('code blocks', () => {
    it('lists the code blocks of a finished answer', async () => {
      h = setup();
      h.model.send('Write it');
      await answer(h, 'Here:\n```python\nprint(1)\n```\nand\n```\nx = 2\n```');
      expect(h.model.messages[1].codeBlocks).toEqual([
        { index: 0, language: 'python', code: 'print(1)', closed: true },
        { index: 1, language: '', code: 'x = 2', closed: true }
      ]);
    });

    it('inserts, replaces and copies through the bridge', () => {
      h = setup();
      expect(h.model.runner.insertCode('a = 1')).toBe(true);
      expect(h.model.notice).toBe(
        'Inserted the code as cell 3 of analysis.ipynb.'
      );
      expect(h.model.runner.replaceCell('b = 2')).toBe(true);
      expect(h.model.runner.copyCode('c = 3')).toBe(true);
      expect(h.bridge.inserted).toEqual(['a = 1']);
      expect(h.bridge.replaced).toEqual(['b = 2']);
      expect(h.model.notice).toBe(
        'Replaced cell 2 of analysis.ipynb with the code.'
      );
      expect(h.copy).toHaveBeenCalledWith('c = 3');
    });

    it('shows the error when there is no notebook', () => {
      h = setup();
      h.bridge.context = null;
      expect(h.model.runner.insertCode('a = 1')).toBe(false);
      expect(h.model.error).toBe(NotebookError.MESSAGES['no-notebook']);
      expect(h.bridge.inserted).toEqual([]);
      expect(h.model.notice).toBeNull();
    });
  });

  describe('runCode', () => {
    it('asks, runs, and adds the outputs as an execution result', async () => {
      h = setup();
      const run = h.model.runner.runCode('print(undefined_name)');
      await flushPromises();

      expect(h.confirm).toHaveBeenCalledWith('print(undefined_name)');
      expect(h.model.runner.running).toBe(true);
      expect(h.model.messages).toHaveLength(1);
      expect(h.model.messages[0]).toMatchObject({
        role: 'user',
        kind: 'execution',
        state: 'streaming',
        execution: { status: 'running', label: 'cell 3 of analysis.ipynb' }
      });

      h.bridge.finishRun(
        [
          {
            output_type: 'error',
            ename: 'NameError',
            evalue: "name 'undefined_name' is not defined",
            traceback: [
              "\u001b[0;31mNameError\u001b[0m: name 'undefined_name' is not defined"
            ]
          }
        ],
        9
      );
      expect(await run).toBe(true);

      expect(h.model.runner.running).toBe(false);
      expect(h.model.messages[0]).toMatchObject({
        state: 'complete',
        content:
          "Execution result:\nNameError: name 'undefined_name' is not defined",
        execution: {
          status: 'error',
          text: "NameError: name 'undefined_name' is not defined",
          executionCount: 9,
          label: 'cell 3 of analysis.ipynb'
        }
      });

      // The result goes to the model with the follow-up question.
      h.model.context.dismiss();
      h.model.send('Fix it');
      expect(h.lastChat().messages).toEqual([
        {
          role: 'user',
          content:
            "Execution result:\nNameError: name 'undefined_name' is not defined\n\nFix it"
        }
      ]);
    });

    it('leaves a run in progress out of the messages sent', () => {
      h = setup({ confirmRun: false, includeActiveCell: false });
      void h.model.runner.runCode('import time; time.sleep(10)');
      h.model.send('meanwhile');
      expect(h.lastChat().messages).toEqual([
        { role: 'user', content: 'meanwhile' }
      ]);
    });

    it('does nothing when the user cancels the confirmation', async () => {
      h = setup({}, false);
      expect(await h.model.runner.runCode('rm()')).toBe(false);
      expect(h.bridge.ran).toEqual([]);
      expect(h.model.messages).toEqual([]);
      expect(h.model.runner.running).toBe(false);
    });

    it('does not ask when confirmRun is off', async () => {
      h = setup({ confirmRun: false });
      const run = h.model.runner.runCode('1 + 1');
      await flushPromises();
      expect(h.confirm).not.toHaveBeenCalled();
      h.bridge.finishRun([
        {
          output_type: 'execute_result',
          execution_count: 1,
          data: { 'text/plain': '2' },
          metadata: {}
        }
      ]);
      expect(await run).toBe(true);
      expect(h.model.messages[0].content).toBe('Execution result:\n2');
    });

    it('shows why it cannot run, before asking, and adds nothing', async () => {
      h = setup();
      h.bridge.notRunnable = new NotebookError('kernel-dead');
      expect(await h.model.runner.runCode('1')).toBe(false);
      expect(h.confirm).not.toHaveBeenCalled();
      expect(h.model.error).toBe(NotebookError.MESSAGES['kernel-dead']);
      expect(h.model.messages).toEqual([]);
    });

    it('drops the pending result when the run fails midway', async () => {
      h = setup({ confirmRun: false });
      const run = h.model.runner.runCode('x');
      await flushPromises();
      expect(h.model.messages).toHaveLength(1);
      h.bridge.failRun(new NotebookError('cell-deleted'));
      expect(await run).toBe(false);
      expect(h.model.messages).toEqual([]);
      expect(h.model.error).toBe(NotebookError.MESSAGES['cell-deleted']);
      expect(h.model.runner.running).toBe(false);
    });

    it('runs one code block at a time', async () => {
      h = setup({ confirmRun: false });
      void h.model.runner.runCode('a');
      await flushPromises();
      expect(await h.model.runner.runCode('b')).toBe(false);
      expect(h.bridge.ran).toEqual(['a']);
      expect(h.model.error).toMatch(/already running/);
    });
  });

  describe('fixes', () => {
    it('"Ask for a fix" of a failed run starts the fix loop on its cell', async () => {
      h = setup({ confirmRun: false });
      const run = h.model.runner.runCode('1/0');
      await flushPromises();
      const made: FakeTarget[] = [];
      h.bridge.finishRun([ERROR], 5, () => {
        const made1 = new FakeTarget();
        made.push(made1);
        return made1;
      });
      expect(await run).toBe(true);
      const execution = h.model.messages[0];
      expect(h.model.askForFix(execution.id)).toBe(true);
      await flushPromises();
      expect(h.socket.messages.filter(m => m.type === 'chat')).toEqual([]);
      const fix = h.socket.messages.find(m => m.type === 'fix');
      const target = made[0];
      expect(made).toHaveLength(1);
      expect(fix.cell.source).toBe(target.source);
      expect(h.model.messages[1].kind).toBe('fix');
      expect(h.model.messages[1].fix?.status).toBe('streaming');
      // Clearing the conversation disposes the cell's target.
      h.model.clear();
      expect(target.isDisposed).toBe(true);
    });

    it('starts a fix on a failure only when autoFix is on; a click always', async () => {
      h = setup({ autoFix: false });
      const auto = new FakeTarget();
      h.bridge.fixRequested.emit({ target: auto, auto: true });
      await flushPromises();
      expect(h.model.messages).toEqual([]);
      expect(auto.isDisposed).toBe(true);
      h.bridge.fixRequested.emit({ target: new FakeTarget(), auto: false });
      await flushPromises();
      expect(h.model.messages.map(m => m.kind)).toEqual(['fix']);

      h.model.configure({ autoFix: true, fixRounds: 2 });
      const other = new FakeTarget();
      other.key = 'other';
      h.bridge.fixRequested.emit({ target: other, auto: true });
      await flushPromises();
      const fixes = h.socket.messages.filter(m => m.type === 'fix');
      expect(fixes).toHaveLength(2);
      expect(fixes[1].max_rounds).toBe(2);
    });

    it('the fix-cell command needs an active cell with an error', async () => {
      h = setup();
      expect(h.model.fixes.fixActiveCell()).toBe(false);
      expect(h.model.error).toMatch(/no error to fix/);
      h.bridge.activeTarget = new FakeTarget();
      expect(h.model.fixes.fixActiveCell()).toBe(true);
      await flushPromises();
      expect(h.socket.messages.filter(m => m.type === 'fix')).toHaveLength(1);
    });

    it('Clear stops the running fixes', async () => {
      h = setup();
      h.bridge.activeTarget = new FakeTarget();
      h.model.fixes.fixActiveCell();
      await flushPromises();
      const id = h.socket.messages.find(m => m.type === 'fix').id;
      h.model.clear();
      expect(h.socket.messages.filter(m => m.type === 'cancel')).toEqual([
        { type: 'cancel', id }
      ]);
      expect(h.model.messages).toEqual([]);
    });
  });
});
