import {
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import { act } from 'react';

import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import { ChatPanel } from '../widgets';
import {
  FakeBridge,
  FakeTaskNotebook,
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings,
  makeStatus,
  taskOutcome
} from './fakes';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

function typeInto(textarea: HTMLTextAreaElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(
    HTMLTextAreaElement.prototype,
    'value'
  )!.set!;
  setter.call(textarea, value);
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
}

function press(target: HTMLElement, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(
    new KeyboardEvent('keydown', {
      key: 'Enter',
      bubbles: true,
      cancelable: true,
      ...init
    })
  );
}

describe('ChatPanel tasks', () => {
  let panel: ChatPanel;
  let client: AssistantClient;
  let model: ChatModel;
  let bridge: FakeBridge;
  let notebook: FakeTaskNotebook;
  let socket: FakeWebSocket;

  const $ = <T extends Element = HTMLElement>(selector: string): T => {
    const node = panel.node.querySelector<T>(selector);
    if (!node) {
      throw new Error(`No element matches ${selector}`);
    }
    return node;
  };
  const $$ = (selector: string): HTMLElement[] =>
    Array.from(panel.node.querySelectorAll<HTMLElement>(selector));
  const tasks = (): any[] => socket.messages.filter(m => m.type === 'task');

  beforeEach(async () => {
    FakeWebSocket.reset();
    const fetch = jest.fn(
      async () =>
        new Response(JSON.stringify(makeStatus({ state: 'ready' })), {
          status: 202
        })
    );
    client = new AssistantClient({ serverSettings: makeSettings({ fetch }) });
    bridge = new FakeBridge();
    notebook = bridge.taskTarget!;
    model = new ChatModel({ client, notebook: bridge });
    const rendermime = new RenderMimeRegistry({
      initialFactories: standardRendererFactories
    });
    panel = new ChatPanel({ model, rendermime });
    await act(async () => {
      Widget.attach(panel, document.body);
      await panel.renderPromise;
    });
    socket = FakeWebSocket.last;
    await act(async () => socket.open());
  });

  afterEach(async () => {
    await act(async () => {
      panel.dispose();
    });
    client.dispose();
  });

  async function runTask(text: string): Promise<string> {
    const toggle = $<HTMLInputElement>('.jp-oci-task-toggle-input');
    await act(async () => toggle.click());
    expect(model.taskMode).toBe(true);
    expect($('.jp-oci-send').textContent).toBe('Run task');
    const input = $<HTMLTextAreaElement>('.jp-oci-input');
    await act(async () => typeInto(input, text));
    await act(async () => press(input));
    expect(input.value).toBe('');
    return tasks()[0].id;
  }

  it('"Run as task" sends the message as a task; Run and Skip act on the waiting cell', async () => {
    const id = await runTask('Define x, then print x + 1');
    expect(tasks()).toHaveLength(1);
    const entry = $('.jp-oci-task');
    expect(entry.dataset.state).toBe('streaming');
    expect(entry.getAttribute('aria-label')).toBe('Task in analysis.ipynb');
    expect($<HTMLButtonElement>('.jp-oci-stop').disabled).toBe(false);
    expect($('.jp-oci-stop').getAttribute('aria-label')).toBe('Stop the task');

    await act(async () => {
      socket.receive({ type: 'token', id, round: 1, text: 'Define x.' });
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'x = 6 * 7',
        explanation: 'Define x.'
      });
      await flushPromises();
    });
    expect(entry.dataset.state).toBe('waiting');
    const link = $<HTMLButtonElement>('.jp-oci-task-cell-link');
    expect(link.textContent).toBe('cell 3 of analysis.ipynb');
    expect($('.jp-oci-task-cell-status').textContent).toBe(
      'Waiting for approval'
    );
    await act(async () => link.click());
    expect(notebook.cells[0].reveals).toBe(1);

    await act(async () => $('.jp-oci-task-run').click());
    expect($('.jp-oci-task-cell').dataset.status).toBe('running');
    expect($$('.jp-oci-task-run')).toHaveLength(0);
    await act(async () => {
      notebook.cells[0].runs[0].resolve({
        status: 'ok',
        outputs: [{ output_type: 'stream', name: 'stdout', text: '42\n' }]
      });
      await flushPromises();
    });
    expect($('.jp-oci-task-cell').dataset.status).toBe('ok');
    expect($('.jp-oci-task-summary').textContent).toBe('42');
    expect(
      socket.messages.filter(m => m.type === 'execution_result')
    ).toHaveLength(1);

    await act(async () => {
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 2,
        code: 'print(x + 1)',
        explanation: ''
      });
      await flushPromises();
    });
    expect($$('.jp-oci-task-step')).toHaveLength(2);
    await act(async () => $('.jp-oci-task-skip').click());
    expect(entry.dataset.state).toBe('stopped');
    const steps = $$('.jp-oci-task-step');
    expect(steps[1].dataset.status).toBe('skipped');
    expect($('.jp-oci-task-outcome').textContent).toContain(
      'stays in the notebook'
    );
    expect($$('.jp-oci-task-stop')).toHaveLength(0);
    expect($<HTMLButtonElement>('.jp-oci-stop').disabled).toBe(true);
  });

  it('shows the final answer as a normal answer', async () => {
    const id = await runTask('What is 6 * 7?');
    await act(async () => {
      socket.receive({ type: 'token', id, round: 1, text: 'It is 42.' });
      socket.receive({
        ...doneMessage(id),
        outcome: taskOutcome({
          answer: 'It is 42.',
          transcript: [
            { role: 'user', content: 'What is 6 * 7?' },
            { role: 'assistant', content: 'It is 42.' }
          ]
        })
      });
      await flushPromises();
    });
    expect($('.jp-oci-task').dataset.state).toBe('done');
    expect($$('.jp-oci-task-step')).toHaveLength(0);
    const answers = $$('.jp-oci-message[data-role="assistant"]');
    expect(answers).toHaveLength(1);
    expect(answers[0].textContent).toContain('It is 42.');
  });

  it('Ctrl+Enter runs one message as a task; the Stop button stops it', async () => {
    const input = $<HTMLTextAreaElement>('.jp-oci-input');
    await act(async () => typeInto(input, 'Load the data'));
    await act(async () => press(input, { ctrlKey: true }));
    expect(tasks()).toHaveLength(1);
    expect(model.taskMode).toBe(false);
    await act(async () => $('.jp-oci-stop').click());
    expect(socket.messages.pop()).toEqual({
      type: 'cancel',
      id: tasks()[0].id
    });
    expect($('.jp-oci-task').dataset.state).toBe('stopped');
  });

  it('without a notebook, says so and sends nothing', async () => {
    bridge.taskTarget = null;
    const input = $<HTMLTextAreaElement>('.jp-oci-input');
    await act(async () => typeInto(input, 'Load the data'));
    await act(async () => press(input, { ctrlKey: true }));
    expect(tasks()).toHaveLength(0);
    expect($('.jp-oci-error').textContent).toContain('No notebook is open');
    // The draft stays.
    expect(input.value).toBe('Load the data');
  });
});
