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
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings,
  makeStatus
} from './fakes';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * Type into a React-controlled textarea.
 */
function typeInto(textarea: HTMLTextAreaElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(
    HTMLTextAreaElement.prototype,
    'value'
  )!.set!;
  setter.call(textarea, value);
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
}

function press(
  target: HTMLElement,
  key: string,
  init: KeyboardEventInit = {}
): void {
  target.dispatchEvent(
    new KeyboardEvent('keydown', {
      key,
      bubbles: true,
      cancelable: true,
      ...init
    })
  );
}

describe('ChatPanel', () => {
  let panel: ChatPanel;
  let client: AssistantClient;
  let fetch: jest.Mock;

  const $ = <T extends Element = HTMLElement>(selector: string): T => {
    const node = panel.node.querySelector<T>(selector);
    if (!node) {
      throw new Error(`No element matches ${selector}`);
    }
    return node;
  };

  beforeEach(async () => {
    FakeWebSocket.reset();
    fetch = jest.fn(
      async () =>
        new Response(JSON.stringify(makeStatus({ state: 'loading' })), {
          status: 202
        })
    );
    client = new AssistantClient({ serverSettings: makeSettings({ fetch }) });
    const model = new ChatModel({ client });
    const rendermime = new RenderMimeRegistry({
      initialFactories: standardRendererFactories
    });
    panel = new ChatPanel({ model, rendermime });
    await act(async () => {
      Widget.attach(panel, document.body);
      await panel.renderPromise;
    });
  });

  afterEach(async () => {
    await act(async () => {
      panel.dispose();
    });
    client.dispose();
  });

  it('enables each button only when it can act, and names them', async () => {
    // The id the layout restorer and the browser tests find the panel by.
    expect(panel.id).toBe('opencodeinterpreter-panel');
    const socket = FakeWebSocket.last;
    await act(async () => socket.open());
    const input = $<HTMLTextAreaElement>('.jp-oci-input');
    const send = $<HTMLButtonElement>('.jp-oci-send');
    const stop = $<HTMLButtonElement>('.jp-oci-stop');
    const clear = $<HTMLButtonElement>('.jp-oci-clear');
    for (const control of [input, send, stop, clear]) {
      expect(control.getAttribute('aria-label')).toBeTruthy();
    }

    // Nothing to send, stop or clear yet; blank text is not a message.
    expect([send.disabled, stop.disabled, clear.disabled]).toEqual([
      true,
      true,
      true
    ]);
    await act(async () => typeInto(input, '  \n '));
    expect(send.disabled).toBe(true);

    await act(async () => typeInto(input, 'Sort a list'));
    expect(send.disabled).toBe(false);
    await act(async () => send.click());
    expect(socket.messages).toMatchObject([
      { type: 'chat', messages: [{ role: 'user', content: 'Sort a list' }] }
    ]);

    // While the answer streams: no second message; Stop and Clear act.
    await act(async () => typeInto(input, 'And reverse it'));
    expect([send.disabled, stop.disabled, clear.disabled]).toEqual([
      true,
      false,
      false
    ]);
    await act(async () => send.click());
    expect(socket.messages).toHaveLength(1);
  });

  it('shows an error of the server until it is dismissed', async () => {
    const socket = FakeWebSocket.last;
    await act(async () => {
      socket.open();
      socket.receive({
        type: 'error',
        id: null,
        message: 'Model file is gone.'
      });
    });
    expect($('.jp-oci-error').textContent).toContain('Model file is gone.');
    await act(async () => $('.jp-oci-error-dismiss').click());
    expect(panel.node.querySelector('.jp-oci-error')).toBeNull();
  });

  it('starts loading the model when first shown', async () => {
    await act(flushPromises);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect((fetch.mock.calls[0] as any)[0].method).toBe('POST');
  });

  it('shows the model state and load progress', async () => {
    // The answer to POST /load, until the socket pushes statuses.
    expect($('.jp-oci-status').dataset.state).toBe('loading');
    expect($('[role="progressbar"]').dataset.indeterminate).toBe('true');
    const socket = FakeWebSocket.last;
    await act(async () => {
      socket.open();
      socket.receive({
        type: 'status',
        status: makeStatus({
          state: 'loading',
          progress: 0.5,
          message: 'Assembling model'
        })
      });
    });
    expect($('.jp-oci-status').dataset.state).toBe('loading');
    expect($('.jp-oci-status').textContent).toContain('Assembling model');
    expect($('[role="progressbar"]').getAttribute('aria-valuenow')).toBe('50');

    await act(async () => {
      socket.receive({
        type: 'status',
        status: makeStatus({ state: 'error', message: 'GGUF missing' })
      });
    });
    expect($('.jp-oci-status').dataset.state).toBe('error');
    expect($('.jp-oci-status').textContent).toContain('GGUF missing');
  });

  it('shows a remote engine as such', async () => {
    const socket = FakeWebSocket.last;
    const endpoint = 'http://gpu-box:8000/v1';
    const remote = makeStatus({
      model: 'Qwen/Qwen2.5-Coder-7B-Instruct',
      source: 'remote',
      endpoint,
      n_ctx: 32768
    });
    const model = $('.jp-oci-status-model');
    const label = $('.jp-oci-status-label');
    // The local engine, as before.
    expect($('.jp-oci-status').dataset.source).toBe('embedded');
    expect(model.textContent).toBe('Qwen2.5-Coder-1.5B-Instruct Q4_K_M');
    expect(model.title).toBe('Qwen2.5-Coder-1.5B-Instruct Q4_K_M');
    expect($('.jp-oci-empty').textContent).toContain('local model');

    await act(async () => {
      socket.open();
      socket.receive({
        type: 'status',
        status: {
          ...remote,
          state: 'loading',
          message: `Connecting to ${endpoint}`
        }
      });
    });
    expect($('.jp-oci-status').dataset.source).toBe('remote');
    expect($('.jp-oci-status').dataset.state).toBe('loading');
    expect(label.textContent).toBe(`Connecting to ${endpoint}…`);
    expect($('[role="progressbar"]').getAttribute('aria-label')).toBe(
      'Connecting to the model server'
    );

    await act(async () => {
      socket.receive({ type: 'status', status: { ...remote, state: 'ready' } });
    });
    expect($('.jp-oci-status').dataset.state).toBe('ready');
    expect(model.textContent).toBe('Qwen2.5-Coder-7B-Instruct');
    expect(model.title).toBe(`Qwen/Qwen2.5-Coder-7B-Instruct on ${endpoint}`);
    expect(label.textContent).toBe('Ready · gpu-box:8000');
    expect($('.jp-oci-empty').textContent).not.toContain('local model');

    await act(async () => {
      socket.receive({
        type: 'status',
        status: { ...remote, state: 'error', message: 'Wrong API key.' }
      });
    });
    expect($('.jp-oci-status').dataset.state).toBe('error');
    expect(label.textContent).toBe('Error: Wrong API key.');
  });

  it('sends on Enter, streams the answer and stops on Stop', async () => {
    const socket = FakeWebSocket.last;
    await act(async () => socket.open());
    const input = $<HTMLTextAreaElement>('.jp-oci-input');

    await act(async () => {
      typeInto(input, 'Sort a list');
    });
    // Shift+Enter is a new line, not a send.
    await act(async () => press(input, 'Enter', { shiftKey: true }));
    expect(socket.sent).toHaveLength(0);

    await act(async () => press(input, 'Enter'));
    const chat = socket.messages[0];
    expect(chat).toMatchObject({
      type: 'chat',
      messages: [{ role: 'user', content: 'Sort a list' }]
    });
    expect(input.value).toBe('');
    expect($<HTMLButtonElement>('.jp-oci-stop').disabled).toBe(false);

    await act(async () => {
      socket.receive({ type: 'token', id: chat.id, text: 'Use sorted()' });
      await flushPromises();
    });
    const user = $('.jp-oci-message[data-role="user"]');
    const assistant = $('.jp-oci-message[data-role="assistant"]');
    expect(user.textContent).toContain('Sort a list');
    expect(assistant.textContent).toContain('Use sorted()');
    expect(assistant.dataset.state).toBe('streaming');

    await act(async () => $('.jp-oci-stop').click());
    expect(socket.messages[1]).toEqual({ type: 'cancel', id: chat.id });

    await act(async () => {
      socket.receive(
        doneMessage(chat.id, { cancelled: true, tokensPerSecond: 12.5 })
      );
      await flushPromises();
    });
    expect(assistant.dataset.state).toBe('cancelled');
    expect($<HTMLButtonElement>('.jp-oci-stop').disabled).toBe(true);
    expect($('.jp-oci-speed').textContent).toContain('12.5');

    await act(async () => $('.jp-oci-clear').click());
    expect(panel.node.querySelectorAll('.jp-oci-message')).toHaveLength(0);
  });
});
