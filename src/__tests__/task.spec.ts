import type * as nbformat from '@jupyterlab/nbformat';

import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import { ITaskState } from '../loop/task';
import type { IChatMessage } from '../protocol';
import {
  FakeBridge,
  FakeTaskCell,
  FakeTaskNotebook,
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings,
  taskOutcome
} from './fakes';

const PRINTED: nbformat.IOutput = {
  output_type: 'stream',
  name: 'stdout',
  text: '43\n'
};

const IMAGE: nbformat.IOutput = {
  output_type: 'display_data',
  data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': '<Figure>' },
  metadata: { 'image/png': { width: 640, height: 480 } }
};

describe('tasks in the chat model', () => {
  let client: AssistantClient;
  let model: ChatModel;
  let socket: FakeWebSocket;
  let bridge: FakeBridge;
  let notebook: FakeTaskNotebook;

  const sent = (type: string): any[] =>
    socket.messages.filter(m => m.type === type);
  const entry = () => model.messages.find(e => e.kind === 'task')!;
  const task = (): ITaskState => entry().task!;
  const session = () => model.tasks.get(entry().id)!;
  const cell = (i: number): FakeTaskCell => notebook.cells[i];

  function setUp(settings = {}): void {
    FakeWebSocket.reset();
    client = new AssistantClient({ serverSettings: makeSettings() });
    bridge = new FakeBridge();
    notebook = bridge.taskTarget!;
    model = new ChatModel({ client, notebook: bridge, settings });
    client.connect();
    socket = FakeWebSocket.last;
    socket.open();
  }

  /** Start a task; returns its request id. */
  function start(text = 'Compute x', settings = {}): string {
    setUp(settings);
    expect(model.sendTask(text)).toBe(true);
    expect(sent('task')).toHaveLength(1);
    return sent('task')[0].id;
  }

  function token(id: string, round: number, text: string): void {
    socket.receive({ type: 'token', id, round, text });
  }

  function propose(id: string, round: number, code: string): void {
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round,
      code,
      explanation: ''
    });
  }

  afterEach(() => {
    model.dispose();
    client.dispose();
  });

  it('sends the conversation with the cell context, the rounds and the language', () => {
    const id = start('Compute x', { taskRounds: 7, temperature: 0 });
    expect(sent('task')[0]).toEqual({
      type: 'task',
      id,
      messages: [
        {
          role: 'user',
          content: expect.stringContaining('df = load()')
        }
      ],
      max_rounds: 7,
      language: 'python',
      temperature: 0
    });
    expect(sent('task')[0].messages[0].content).toMatch(/Compute x$/);
    expect(model.messages.map(e => e.kind ?? e.role)).toEqual(['user', 'task']);
    expect(model.busy).toBe(true);
    expect(model.taskRunning).toBe(true);
    expect(task()).toMatchObject({
      status: 'streaming',
      notebook: 'analysis.ipynb',
      consent: 'ask',
      maxRounds: 7,
      round: 1
    });
    // One thing at a time.
    expect(model.send('Hello')).toBe(false);
    expect(model.sendTask('Again')).toBe(false);
  });

  it('leaves an empty active cell out of the task', () => {
    setUp();
    bridge.context = { ...bridge.context!, source: '  ' };
    expect(model.sendTask('Go')).toBe(true);
    expect(sent('task')[0].messages).toEqual([{ role: 'user', content: 'Go' }]);
    expect(model.messages[0].context).toBeUndefined();
  });

  it('asks before each cell, runs it, sends its outputs and ends with the final answer', async () => {
    const id = start();
    token(id, 1, 'Define x.\n```python\nx = 6 * 7\n```');
    expect(task().steps[0].text).toContain('x = 6 * 7');
    propose(id, 1, 'x = 6 * 7');
    // Inserted below the active cell, not run until Run.
    expect(notebook.cells.map(c => c.source)).toEqual(['x = 6 * 7']);
    expect(notebook.below).toEqual([null]);
    expect(task().status).toBe('waiting');
    expect(task().steps[0].cell?.label).toBe('cell 3 of analysis.ipynb');
    expect(task().steps[0].cell?.status).toBe('pending');
    expect(cell(0).runs).toHaveLength(0);

    const approved = session().approve();
    expect(task().status).toBe('running');
    expect(task().steps[0].cell?.status).toBe('running');
    cell(0).runs[0].resolve({ status: 'ok', outputs: [] });
    expect(await approved).toBe(true);
    expect(sent('execution_result')).toEqual([
      { type: 'execution_result', id, round: 1, status: 'ok', outputs: [] }
    ]);
    expect(task().status).toBe('streaming');
    expect(task().steps[0].cell).toMatchObject({
      status: 'ok',
      summary: 'No output'
    });

    token(id, 2, 'Print it.\n```python\nprint(x + 1)\n```');
    propose(id, 2, 'print(x + 1)');
    // The next cell goes below the previous one.
    expect(notebook.below).toEqual([null, cell(0).key]);
    expect(task().round).toBe(2);
    const second = session().approve();
    cell(1).runs[0].resolve({ status: 'ok', outputs: [PRINTED] });
    await second;
    expect(sent('execution_result')[1]).toMatchObject({
      round: 2,
      status: 'ok',
      outputs: [PRINTED]
    });
    expect(task().steps[1].cell?.summary).toBe('43');

    token(id, 3, 'x + 1 is 43.');
    // What the model saw, as the server's loop worded it.
    const transcript: IChatMessage[] = [
      { role: 'user', content: sent('task')[0].messages[0].content },
      { role: 'assistant', content: 'Define x.\n```python\nx = 6 * 7\n```' },
      { role: 'user', content: 'Output:\n[no output]' },
      {
        role: 'assistant',
        content: 'Print it.\n```python\nprint(x + 1)\n```'
      },
      { role: 'user', content: 'Output:\n43' },
      { role: 'assistant', content: 'x + 1 is 43.' }
    ];
    socket.receive({
      ...doneMessage(id, { tokensPerSecond: 9.5 }),
      outcome: taskOutcome({
        rounds: 3,
        answer: 'x + 1 is 43.',
        transcript
      })
    });
    await flushPromises();
    expect(task().status).toBe('done');
    // The final answer is a normal answer, right after the task.
    expect(task().steps).toHaveLength(2);
    expect(model.messages.map(e => e.kind ?? e.role)).toEqual([
      'user',
      'task',
      'assistant'
    ]);
    const answer = model.messages[2];
    expect(answer).toMatchObject({
      content: 'x + 1 is 43.',
      state: 'complete',
      tokensPerSecond: 9.5
    });
    expect(entry().state).toBe('complete');
    expect(model.busy).toBe(false);
    expect(model.lastTokensPerSecond).toBe(9.5);
    expect(notebook.isDisposed).toBe(true);

    // Later messages replay the server's transcript, word for word (the
    // final answer is its last turn, not repeated).
    expect(model.buildMessages()).toEqual(transcript);

    // The link shows the cell.
    expect(session().reveal(2)).toBe(true);
    expect(cell(1).reveals).toBe(1);
    expect(session().reveal(9)).toBe(false);
  });

  it('runs each cell at once with consent auto', async () => {
    const id = start('Go', { taskConsent: 'auto' });
    propose(id, 1, 'x = 1');
    expect(task().status).toBe('running');
    expect(cell(0).runs).toHaveLength(1);
    cell(0).runs[0].resolve({ status: 'error', outputs: [errorOutput()] });
    await flushPromises();
    expect(sent('execution_result')[0]).toMatchObject({
      round: 1,
      status: 'error'
    });
    expect(task().steps[0].cell).toMatchObject({
      status: 'error',
      summary: "NameError: name 'y' is not defined"
    });
  });

  it('names rich outputs in the step instead of dropping them', async () => {
    const id = start('Plot', { taskConsent: 'auto' });
    propose(id, 1, 'plot()');
    cell(0).runs[0].resolve({ status: 'ok', outputs: [IMAGE] });
    await flushPromises();
    expect(task().steps[0].cell?.output).toContain(
      '[image/png output, 640x480]'
    );
  });

  it('Skip leaves the cell unrun in the notebook and stops the task', () => {
    const id = start();
    propose(id, 1, 'x = 1');
    session().skip();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(sent('execution_result')).toHaveLength(0);
    expect(task().status).toBe('stopped');
    expect(task().steps[0].cell?.status).toBe('skipped');
    expect(task().message).toContain('stays in the notebook');
    expect(notebook.cells).toHaveLength(1);
    expect(cell(0).runs).toHaveLength(0);
    expect(entry().state).toBe('cancelled');
    expect(model.busy).toBe(false);
    // The server's late done changes nothing.
    socket.receive(doneMessage(id, { cancelled: true }));
    expect(task().message).toContain('stays in the notebook');
  });

  it('Stop while a cell waits marks it not run', () => {
    const id = start();
    propose(id, 1, 'x = 1');
    model.cancel();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(task().status).toBe('stopped');
    expect(task().steps[0].cell?.status).toBe('not-run');
  });

  it('Stop while streaming cancels the request', async () => {
    const id = start();
    token(id, 1, 'Thinking');
    session().stop();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(task()).toMatchObject({ status: 'stopped', message: 'Stopped.' });
    socket.receive(doneMessage(id, { cancelled: true }));
    await flushPromises();
    expect(task().status).toBe('stopped');
    // A stopped answer still counts as said.
    expect(model.buildMessages().map(m => m.role)).toEqual([
      'user',
      'assistant'
    ]);
  });

  it('Stop while a cell runs lets it finish and shows its outcome, sending nothing', async () => {
    const id = start('Go', { taskConsent: 'auto' });
    propose(id, 1, 'import time; time.sleep(60)');
    session().stop();
    expect(task().status).toBe('stopped');
    expect(task().steps[0].cell?.status).toBe('running');
    expect(notebook.isDisposed).toBe(false);
    cell(0).runs[0].resolve({ status: 'ok', outputs: [PRINTED] });
    await flushPromises();
    expect(task().steps[0].cell?.status).toBe('ok');
    expect(sent('execution_result')).toHaveLength(0);
    expect(notebook.isDisposed).toBe(true);
  });

  it('the server stopping the task is shown as stopped', async () => {
    const id = start();
    socket.receive(doneMessage(id, { cancelled: true }));
    await flushPromises();
    expect(task()).toMatchObject({ status: 'stopped', message: 'Stopped.' });
  });

  it('keeps the steps and says why when the rounds ran out', async () => {
    const id = start('Go', { taskConsent: 'auto' });
    propose(id, 1, 'x = 1');
    cell(0).runs[0].resolve({ status: 'ok', outputs: [] });
    await flushPromises();
    socket.receive({
      ...doneMessage(id),
      outcome: taskOutcome({
        status: 'max_rounds',
        rounds: 1,
        message: 'The task used its 1 rounds without finishing.'
      })
    });
    await flushPromises();
    expect(task()).toMatchObject({
      status: 'done',
      message: 'The task used its 1 rounds without finishing.'
    });
    expect(task().steps).toHaveLength(1);
    expect(task().answer).toBeUndefined();
    expect(model.messages).toHaveLength(2);
  });

  describe('faults', () => {
    it('no notebook: an error, nothing sent', () => {
      setUp();
      bridge.taskTarget = null;
      expect(model.sendTask('Go')).toBe(false);
      expect(model.error).toContain('No notebook is open');
      expect(socket.sent).toHaveLength(0);
      expect(model.messages).toHaveLength(0);
    });

    it('no kernel: an error, nothing sent', () => {
      setUp();
      notebook.notRunnable = 'The notebook has no kernel.';
      expect(model.sendTask('Go')).toBe(false);
      expect(model.error).toBe('The notebook has no kernel.');
      expect(notebook.isDisposed).toBe(true);
      expect(socket.sent).toHaveLength(0);
    });

    it('without a notebook bridge: an error', () => {
      FakeWebSocket.reset();
      client = new AssistantClient({ serverSettings: makeSettings() });
      model = new ChatModel({ client });
      expect(model.tasks.available).toBe(false);
      expect(model.sendTask('Go')).toBe(false);
      expect(model.error).toBe('Notebooks are not available.');
    });

    it('the kernel died before a proposal: answers dead and cancels', () => {
      const id = start();
      notebook.notRunnable = 'The notebook’s kernel is dead.';
      propose(id, 1, 'x = 1');
      expect(notebook.cells).toHaveLength(0);
      expect(sent('execution_result')).toEqual([
        {
          type: 'execution_result',
          id,
          round: 1,
          status: 'dead',
          outputs: [],
          message: 'The notebook’s kernel is dead.'
        }
      ]);
      expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
      expect(task()).toMatchObject({
        status: 'failed',
        message: 'The notebook’s kernel is dead.'
      });
      expect(entry().state).toBe('error');
      expect(model.busy).toBe(false);
    });

    it('the insert fails: answers dead and cancels', () => {
      const id = start();
      notebook.insertError = new Error('The notebook was closed.');
      propose(id, 1, 'x = 1');
      expect(sent('execution_result')[0]).toMatchObject({ status: 'dead' });
      expect(task().message).toBe('The notebook was closed.');
    });

    it('the waiting cell is deleted: answers dead and cancels', () => {
      const id = start();
      propose(id, 1, 'x = 1');
      cell(0).lost.emit('the cell was deleted.');
      expect(sent('execution_result')[0]).toMatchObject({
        round: 1,
        status: 'dead',
        message: 'The task ended: the cell was deleted.'
      });
      expect(sent('cancel')).toHaveLength(1);
      expect(task().status).toBe('failed');
      expect(task().steps[0].cell?.status).toBe('not-run');
    });

    it('an earlier cell deleted does not matter', async () => {
      const id = start('Go', { taskConsent: 'auto' });
      propose(id, 1, 'x = 1');
      cell(0).runs[0].resolve({ status: 'ok', outputs: [] });
      await flushPromises();
      cell(0).notRunnable = 'The cell was deleted.';
      cell(0).lost.emit('the cell was deleted.');
      expect(task().status).toBe('streaming');
      propose(id, 2, 'print(x)');
      // Below the active cell again.
      expect(notebook.below).toEqual([null, null]);
    });

    it('the notebook is closed while the model writes: cancels', () => {
      const id = start();
      token(id, 1, 'Let me');
      notebook.lost.emit('the notebook was closed.');
      expect(sent('execution_result')).toHaveLength(0);
      expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
      expect(task()).toMatchObject({
        status: 'failed',
        message: 'The task ended: the notebook was closed.'
      });
    });

    it('the run cannot finish (kernel restarted): answers dead and cancels', async () => {
      const id = start('Go', { taskConsent: 'auto' });
      propose(id, 1, 'x = 1');
      cell(0).runs[0].resolve({
        status: 'dead',
        outputs: [],
        message: 'The kernel restarted.'
      });
      await flushPromises();
      expect(sent('execution_result')[0]).toMatchObject({
        status: 'dead',
        message: 'The kernel restarted.'
      });
      expect(sent('cancel')).toHaveLength(1);
      expect(task().status).toBe('failed');
      expect(task().steps[0].cell).toMatchObject({
        status: 'dead',
        summary: 'The kernel restarted.'
      });
    });

    it('the kernel dies while a cell runs: the step says why at once', () => {
      const id = start('Go', { taskConsent: 'auto' });
      propose(id, 1, 'x = 1');
      notebook.lost.emit('the kernel died.');
      expect(sent('execution_result')[0]).toMatchObject({
        round: 1,
        status: 'dead'
      });
      expect(task().status).toBe('failed');
      expect(task().steps[0].cell?.status).toBe('dead');
    });

    it('a dropped connection interrupts the task', async () => {
      start('Go', { taskConsent: 'auto' });
      socket.drop();
      await flushPromises();
      expect(task()).toMatchObject({
        status: 'interrupted',
        message: expect.stringContaining('connection')
      });
      expect(entry().state).toBe('error');
      expect(model.busy).toBe(false);
    });

    it('a server error fails the task with its message', async () => {
      const id = start();
      socket.receive({ type: 'error', id, message: 'The model failed.' });
      await flushPromises();
      expect(task()).toMatchObject({
        status: 'failed',
        message: 'The model failed.'
      });
    });
  });

  it('Clear stops a running task', () => {
    const id = start();
    model.clear();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id }]);
    expect(model.messages).toHaveLength(0);
    expect(model.busy).toBe(false);
  });

  it('task mode is a switch of the model', () => {
    setUp();
    const changed = jest.fn();
    model.changed.connect(changed);
    expect(model.taskMode).toBe(false);
    model.setTaskMode(true);
    expect(model.taskMode).toBe(true);
    expect(changed).toHaveBeenCalledTimes(1);
    model.setTaskMode(true);
    expect(changed).toHaveBeenCalledTimes(1);
  });
});

function errorOutput(): nbformat.IOutput {
  return {
    output_type: 'error',
    ename: 'NameError',
    evalue: "name 'y' is not defined",
    traceback: []
  };
}
