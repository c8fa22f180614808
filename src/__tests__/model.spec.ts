import { ServerConnection } from '@jupyterlab/services';

import { AssistantClient } from '../api/client';
import { IChatEntry } from '../chat/conversation';
import { ChatModel } from '../chat/model';
import { DEFAULT_SETTINGS } from '../chat/settings';
import {
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings,
  makeStatus
} from './fakes';

interface IHarness {
  client: AssistantClient;
  model: ChatModel;
  socket: FakeWebSocket;
  /** The last chat request the client sent. */
  lastChat(): any;
}

function setup(
  options: {
    settings?: Partial<ServerConnection.ISettings>;
    chat?: ConstructorParameters<typeof ChatModel>[0]['settings'];
    /** Open the socket at once (default); else leave the client idle. */
    connect?: boolean;
  } = {}
): IHarness {
  const client = new AssistantClient({
    serverSettings: makeSettings(options.settings),
    backoff: { initial: 100, factor: 2, max: 1000 }
  });
  const model = new ChatModel({ client, settings: options.chat });
  if (options.connect !== false) {
    client.connect();
    FakeWebSocket.last.open();
  }
  return {
    client,
    model,
    get socket(): FakeWebSocket {
      return FakeWebSocket.last;
    },
    lastChat: (): any => {
      const chats = FakeWebSocket.last.messages.filter(m => m.type === 'chat');
      return chats[chats.length - 1];
    }
  };
}

function roles(entries: ReadonlyArray<IChatEntry>): string[] {
  return entries.map(e => `${e.role}:${e.state}`);
}

describe('ChatModel', () => {
  let harness: IHarness;

  beforeEach(() => {
    FakeWebSocket.reset();
  });

  afterEach(() => {
    harness?.model.dispose();
    harness?.client.dispose();
    jest.useRealTimers();
  });

  describe('send', () => {
    it('adds the user message and a streaming answer, and sends the chat', () => {
      harness = setup();
      const { model, lastChat } = harness;

      expect(model.send('  Write a function  \n')).toBe(true);

      expect(model.busy).toBe(true);
      expect(roles(model.messages)).toEqual([
        'user:complete',
        'assistant:streaming'
      ]);
      expect(model.messages[0].content).toBe('  Write a function');
      // Unset sampling settings are left out: the server's defaults apply.
      expect(lastChat()).toEqual({
        type: 'chat',
        id: expect.any(String),
        messages: [{ role: 'user', content: '  Write a function' }]
      });
    });

    it('sends the sampling settings that are set', () => {
      harness = setup();
      harness.model.configure({ maxTokens: 256, temperature: 0 });
      harness.model.send('Hi');
      expect(harness.lastChat()).toMatchObject({
        max_tokens: 256,
        temperature: 0
      });
    });

    it('accumulates streamed tokens into the answer', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      let changes = 0;
      model.changed.connect(() => (changes += 1));
      model.send('Hello');
      const id = lastChat().id;

      socket.receive({ type: 'token', id, text: '```python\n' });
      expect(model.messages[1].content).toBe('```python\n');
      socket.receive({ type: 'token', id, text: 'print(1)\n```' });
      expect(model.messages[1].content).toBe('```python\nprint(1)\n```');
      expect(model.messages[1].state).toBe('streaming');
      expect(changes).toBeGreaterThanOrEqual(3);

      socket.receive(doneMessage(id, { tokensPerSecond: 17.25 }));
      await flushPromises();

      expect(model.busy).toBe(false);
      expect(model.messages[1]).toMatchObject({
        role: 'assistant',
        content: '```python\nprint(1)\n```',
        state: 'complete',
        tokensPerSecond: 17.25
      });
      expect(model.lastTokensPerSecond).toBe(17.25);
    });

    it('replaces only the entry that changed', () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('Hello');
      const [user, answer] = model.messages;
      socket.receive({ type: 'token', id: lastChat().id, text: 'Hi' });
      expect(model.messages[0]).toBe(user);
      expect(model.messages[1]).not.toBe(answer);
    });

    it('refuses blank text and a second message while busy', () => {
      harness = setup();
      const { model, socket } = harness;
      expect(model.send('   \n  ')).toBe(false);
      expect(model.messages).toHaveLength(0);
      expect(socket.sent).toHaveLength(0);

      expect(model.send('first')).toBe(true);
      expect(model.send('second')).toBe(false);
      expect(model.messages).toHaveLength(2);
      expect(socket.sent).toHaveLength(1);
    });

    it('uses the configured settings and system prompt', () => {
      harness = setup({
        chat: { maxTokens: 64, temperature: 0, systemPrompt: '  Be terse.  ' }
      });
      harness.model.send('Hi');
      expect(harness.lastChat()).toMatchObject({
        max_tokens: 64,
        temperature: 0,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Hi' }
        ]
      });
    });

    it('keeps the last tokens/s when an answer reports none', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('one');
      socket.receive(doneMessage(lastChat().id, { tokensPerSecond: 20 }));
      await flushPromises();
      model.send('two');
      socket.receive(doneMessage(lastChat().id, { tokensPerSecond: null }));
      await flushPromises();
      expect(model.lastTokensPerSecond).toBe(20);
      expect(model.messages[3]).toMatchObject({ state: 'complete' });
      expect(model.messages[3].tokensPerSecond).toBeUndefined();
      model.send('three');
      socket.receive(doneMessage(lastChat().id, { tokensPerSecond: 0 }));
      await flushPromises();
      expect(model.lastTokensPerSecond).toBe(20);
    });
  });

  describe('conversation history', () => {
    it('sends the whole conversation on the next turn', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('What is 2+2?');
      socket.receive({ type: 'token', id: lastChat().id, text: '4' });
      socket.receive(doneMessage(lastChat().id));
      await flushPromises();

      model.send('And 3+3?');

      expect(lastChat().messages).toEqual([
        { role: 'user', content: 'What is 2+2?' },
        { role: 'assistant', content: '4' },
        { role: 'user', content: 'And 3+3?' }
      ]);
    });

    it('leaves out failed answers and merges the turns around them', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('first');
      socket.receive({ type: 'token', id: lastChat().id, text: 'half an' });
      socket.receive({ type: 'error', id: lastChat().id, message: 'boom' });
      await flushPromises();

      model.send('second');

      expect(lastChat().messages).toEqual([
        { role: 'user', content: 'first\n\nsecond' }
      ]);
    });

    it('keeps the partial text of a stopped answer', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('first');
      socket.receive({ type: 'token', id: lastChat().id, text: 'partial' });
      socket.receive(doneMessage(lastChat().id, { cancelled: true }));
      await flushPromises();

      model.send('second');

      expect(lastChat().messages).toEqual([
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'partial' },
        { role: 'user', content: 'second' }
      ]);
    });

    it('builds messages with the system prompt first', () => {
      harness = setup({ chat: { systemPrompt: 'You write Python.' } });
      const entries: IChatEntry[] = [
        { id: '1', role: 'user', content: 'a', state: 'complete' },
        { id: '2', role: 'assistant', content: 'b', state: 'complete' },
        { id: '3', role: 'user', content: 'c', state: 'complete' },
        { id: '4', role: 'assistant', content: '', state: 'streaming' }
      ];
      expect(harness.model.buildMessages(entries)).toEqual([
        { role: 'system', content: 'You write Python.' },
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' }
      ]);
    });
  });

  describe('cancel', () => {
    it('sends cancel for the answer in progress and marks it stopped', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('long task');
      const id = lastChat().id;
      socket.receive({ type: 'token', id, text: 'Step 1' });

      model.cancel();

      expect(socket.messages[socket.messages.length - 1]).toEqual({
        type: 'cancel',
        id
      });
      expect(model.busy).toBe(true);

      socket.receive(doneMessage(id, { cancelled: true }));
      await flushPromises();

      expect(model.busy).toBe(false);
      expect(model.messages[1]).toMatchObject({
        content: 'Step 1',
        state: 'cancelled'
      });
    });

    it('does nothing when idle', () => {
      harness = setup();
      harness.model.cancel();
      expect(harness.socket.sent).toHaveLength(0);
    });
  });

  describe('errors', () => {
    it('ends the answer with the server error', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('x');
      socket.receive({
        type: 'error',
        id: lastChat().id,
        message: 'Prompt too long'
      });
      await flushPromises();

      expect(model.busy).toBe(false);
      expect(model.messages[1]).toMatchObject({
        state: 'error',
        error: 'Prompt too long'
      });
    });

    it('ends the answer when the connection drops, then works again', async () => {
      jest.useFakeTimers();
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('x');
      socket.receive({ type: 'token', id: lastChat().id, text: 'par' });

      socket.drop();
      await flushPromises();

      expect(model.busy).toBe(false);
      expect(model.connectionState).toBe('disconnected');
      expect(model.messages[1]).toMatchObject({
        content: 'par',
        state: 'error',
        error: expect.stringContaining('connection')
      });

      jest.advanceTimersByTime(100);
      const next = FakeWebSocket.last;
      expect(next).not.toBe(socket);
      next.open();
      expect(model.send('again')).toBe(true);
      expect(next.messages[0]).toMatchObject({
        type: 'chat',
        messages: [
          { role: 'user', content: 'x\n\nagain' } // the failed answer is left out
        ]
      });
    });

    it('shows errors that are not tied to a request', () => {
      harness = setup();
      harness.socket.receive({ type: 'error', id: null, message: 'bad JSON' });
      expect(harness.model.error).toBe('bad JSON');
      harness.model.dismissError();
      expect(harness.model.error).toBeNull();
    });
  });

  describe('clear', () => {
    it('empties the conversation', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('x');
      socket.receive(doneMessage(lastChat().id));
      await flushPromises();

      model.clear();

      expect(model.messages).toEqual([]);
      model.send('fresh');
      expect(lastChat().messages).toEqual([{ role: 'user', content: 'fresh' }]);
    });

    it('stops the answer in progress and ignores its late tokens', async () => {
      harness = setup();
      const { model, socket, lastChat } = harness;
      model.send('x');
      const id = lastChat().id;

      model.clear();

      expect(model.busy).toBe(false);
      expect(socket.messages[socket.messages.length - 1]).toEqual({
        type: 'cancel',
        id
      });
      socket.receive({ type: 'token', id, text: 'late' });
      socket.receive(doneMessage(id, { cancelled: true }));
      await flushPromises();
      expect(model.messages).toEqual([]);
    });
  });

  describe('start', () => {
    it('connects and asks the server to load the model, once', async () => {
      const fetch = jest.fn(
        async () =>
          new Response(JSON.stringify(makeStatus({ state: 'loading' })), {
            status: 202
          })
      );
      harness = setup({ settings: { fetch }, connect: false });
      const { model } = harness;

      model.start();
      model.start();
      await flushPromises();

      expect(FakeWebSocket.instances).toHaveLength(1);
      expect(fetch).toHaveBeenCalledTimes(1);
      expect((fetch.mock.calls[0] as any)[0].method).toBe('POST');
      await new Promise(resolve => setTimeout(resolve, 0));
      expect(model.status?.state).toBe('loading');
    });

    it('shows why loading could not start', async () => {
      const fetch = jest.fn(
        async () =>
          new Response(JSON.stringify({ message: 'Forbidden' }), {
            status: 403
          })
      );
      harness = setup({ settings: { fetch }, connect: false });
      const { model } = harness;

      model.start();
      await new Promise(resolve => setTimeout(resolve, 0));

      expect(model.error).toBe('Could not load the model: Forbidden');
    });

    it('follows status pushes', () => {
      harness = setup();
      let changes = 0;
      harness.model.changed.connect(() => (changes += 1));
      harness.socket.receive({
        type: 'status',
        status: makeStatus({ state: 'error', message: 'GGUF not found' })
      });
      expect(harness.model.status).toMatchObject({
        state: 'error',
        message: 'GGUF not found'
      });
      expect(changes).toBe(1);
    });
  });

  describe('configure', () => {
    it('falls back to defaults for invalid values', () => {
      harness = setup();
      harness.model.configure({ maxTokens: -3, temperature: NaN });
      expect(harness.model.settings).toEqual(DEFAULT_SETTINGS);
      harness.model.configure({ maxTokens: 100 });
      expect(harness.model.settings.maxTokens).toBe(100);
      // Unset: the server's default.
      expect(harness.model.settings.temperature).toBeNull();
      harness.model.configure({ maxTokens: null });
      expect(harness.model.settings.maxTokens).toBeNull();
    });
  });
});
