import { ServerConnection } from '@jupyterlab/services';

import { AssistantClient } from '../api/client';
import { ChatError } from '../api/errors';
import { TaskStream } from '../api/streams';
import { IStatus } from '../protocol';
import {
  FakeWebSocket,
  doneMessage,
  makeSettings,
  makeStatus,
  taskOutcome
} from './fakes';

function makeClient(
  settings: Partial<ServerConnection.ISettings> = {}
): AssistantClient {
  return new AssistantClient({
    serverSettings: makeSettings(settings),
    backoff: { initial: 100, factor: 2, max: 1000 }
  });
}

describe('AssistantClient', () => {
  let client: AssistantClient;

  beforeEach(() => {
    FakeWebSocket.reset();
  });

  afterEach(() => {
    client?.dispose();
    jest.useRealTimers();
  });

  describe('WebSocket URL', () => {
    it('joins wsUrl with the route and appends the encoded token', () => {
      client = makeClient();
      client.connect();
      expect(FakeWebSocket.last.url).toBe(
        'ws://localhost:8888/base/api/opencodeinterpreter/chat?token=secret%20token'
      );
    });

    it('does not append the token when appendToken is false', () => {
      client = makeClient({ appendToken: false });
      client.connect();
      expect(FakeWebSocket.last.url).toBe(
        'ws://localhost:8888/base/api/opencodeinterpreter/chat'
      );
    });

    it('does not append an empty token', () => {
      client = makeClient({ token: '' });
      expect(client.webSocketUrl).not.toContain('token=');
    });

    it('opens a single socket however often connect() is called', () => {
      client = makeClient();
      client.connect();
      client.connect();
      expect(FakeWebSocket.instances).toHaveLength(1);
      expect(client.connectionState).toBe('connecting');
      FakeWebSocket.last.open();
      expect(client.connectionState).toBe('connected');
    });
  });

  describe('chat', () => {
    it('queues a chat until the socket opens, then sends it', () => {
      client = makeClient();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'Hi' }],
        maxTokens: 64,
        temperature: 0.5
      });
      const socket = FakeWebSocket.last;
      expect(socket.sent).toHaveLength(0);
      socket.open();
      expect(socket.messages).toEqual([
        {
          type: 'chat',
          id: stream.id,
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 64,
          temperature: 0.5
        }
      ]);
    });

    it('leaves out max_tokens and temperature when not given', () => {
      client = makeClient();
      client.connect();
      FakeWebSocket.last.open();
      client.chat({ messages: [{ role: 'user', content: 'Hi' }] });
      const [sent] = FakeWebSocket.last.messages;
      expect(sent).not.toHaveProperty('max_tokens');
      expect(sent).not.toHaveProperty('temperature');
    });

    it('streams tokens in order and resolves with done', async () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'Hi' }]
      });
      const tokens: string[] = [];
      stream.tokenReceived.connect((_, text) => tokens.push(text));

      socket.receive({ type: 'token', id: stream.id, text: 'Hel' });
      socket.receive({ type: 'token', id: stream.id, text: 'lo' });
      socket.receive(doneMessage(stream.id, { tokensPerSecond: 21 }));

      const done = await stream.finished;
      expect(tokens).toEqual(['Hel', 'lo']);
      expect(done.cancelled).toBe(false);
      expect(done.timings.tokens_per_second).toBe(21);
      expect(stream.isFinished).toBe(true);
      expect(client.pendingCount).toBe(0);
    });

    it('routes tokens of concurrent requests by id', async () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const a = client.chat({ messages: [{ role: 'user', content: 'a' }] });
      const b = client.chat({ messages: [{ role: 'user', content: 'b' }] });
      expect(a.id).not.toBe(b.id);
      const seen: Record<string, string> = { a: '', b: '' };
      a.tokenReceived.connect((_, t) => (seen.a += t));
      b.tokenReceived.connect((_, t) => (seen.b += t));

      socket.receive({ type: 'token', id: b.id, text: 'B1' });
      socket.receive({ type: 'token', id: a.id, text: 'A1' });
      socket.receive({ type: 'token', id: b.id, text: 'B2' });
      socket.receive(doneMessage(a.id));
      socket.receive(doneMessage(b.id));
      await Promise.all([a.finished, b.finished]);

      expect(seen).toEqual({ a: 'A1', b: 'B1B2' });
    });

    it('ignores tokens after the request ended and unknown ids', async () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'x' }]
      });
      const tokens: string[] = [];
      stream.tokenReceived.connect((_, t) => tokens.push(t));
      socket.receive(doneMessage(stream.id));
      socket.receive({ type: 'token', id: stream.id, text: 'late' });
      socket.receive({ type: 'token', id: 'someone-else', text: 'other' });
      await stream.finished;
      expect(tokens).toEqual([]);
    });

    it('rejects the request with a server ChatError on error', async () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'x' }]
      });
      socket.receive({ type: 'error', id: stream.id, message: 'Model failed' });

      await expect(stream.finished).rejects.toThrow('Model failed');
      await expect(stream.finished).rejects.toMatchObject({ kind: 'server' });
      expect(client.pendingCount).toBe(0);
    });

    it('reports errors that carry no id through errorReceived', () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'x' }]
      });
      const errors: string[] = [];
      client.errorReceived.connect((_, message) => errors.push(message));

      socket.receive({ type: 'error', id: null, message: 'malformed JSON' });

      expect(errors).toEqual(['malformed JSON']);
      expect(stream.isFinished).toBe(false);
    });

    it('sends cancel with the request id and resolves with cancelled', async () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'x' }]
      });

      stream.cancel();
      expect(socket.messages[1]).toEqual({ type: 'cancel', id: stream.id });

      socket.receive(doneMessage(stream.id, { cancelled: true }));
      await expect(stream.finished).resolves.toMatchObject({ cancelled: true });

      // Once finished, cancelling again sends nothing.
      stream.cancel();
      expect(socket.sent).toHaveLength(2);
    });

    it('ignores malformed and unknown messages', () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        client = makeClient();
        client.connect();
        const socket = FakeWebSocket.last;
        socket.open();
        const stream = client.chat({
          messages: [{ role: 'user', content: 'x' }]
        });
        socket.receive('{not json');
        socket.receive({ type: 'mystery', id: stream.id });
        socket.receive({ type: 'token', id: stream.id });
        expect(stream.isFinished).toBe(false);
        expect(warn).toHaveBeenCalledTimes(3);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('status', () => {
    it('takes status pushes from the socket', () => {
      client = makeClient();
      const seen: IStatus[] = [];
      client.statusChanged.connect((_, status) => seen.push(status));
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const loading = makeStatus({ state: 'loading', progress: 0.25 });
      socket.receive({ type: 'status', status: loading });
      expect(client.status).toEqual(loading);
      expect(seen).toEqual([loading]);
    });

    it('ignores a status push with a malformed status', () => {
      jest.spyOn(console, 'warn').mockImplementationOnce(() => {});
      client = makeClient();
      client.connect();
      FakeWebSocket.last.open();
      FakeWebSocket.last.receive({ type: 'status', status: { state: 'odd' } });
      expect(client.status).toBeNull();
    });
  });

  describe('losing the connection', () => {
    it('fails every request in flight, sent or queued', async () => {
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const sent = client.chat({ messages: [{ role: 'user', content: '1' }] });
      socket.receive({ type: 'token', id: sent.id, text: 'partial' });

      socket.drop();

      await expect(sent.finished).rejects.toBeInstanceOf(ChatError);
      await expect(sent.finished).rejects.toMatchObject({
        kind: 'connection'
      });
      expect(client.pendingCount).toBe(0);
      expect(client.connectionState).toBe('disconnected');
    });

    it('fails a request queued on a socket that never opened', async () => {
      jest.useFakeTimers();
      client = makeClient();
      const queued = client.chat({
        messages: [{ role: 'user', content: 'q' }]
      });
      FakeWebSocket.last.drop();
      await expect(queued.finished).rejects.toMatchObject({
        kind: 'connection'
      });
      // The reconnected socket does not replay the failed request.
      jest.advanceTimersByTime(100);
      FakeWebSocket.last.open();
      expect(FakeWebSocket.last.sent).toEqual([]);
    });

    it('reconnects with exponential backoff, reset once connected', () => {
      jest.useFakeTimers();
      client = makeClient();
      client.connect();
      FakeWebSocket.last.drop();
      expect(FakeWebSocket.instances).toHaveLength(1);

      jest.advanceTimersByTime(99);
      expect(FakeWebSocket.instances).toHaveLength(1);
      jest.advanceTimersByTime(1);
      expect(FakeWebSocket.instances).toHaveLength(2);
      expect(client.connectionState).toBe('connecting');

      // Refused again: the next delay doubles.
      FakeWebSocket.last.drop();
      jest.advanceTimersByTime(199);
      expect(FakeWebSocket.instances).toHaveLength(2);
      jest.advanceTimersByTime(1);
      expect(FakeWebSocket.instances).toHaveLength(3);

      // Connected: the backoff starts over.
      FakeWebSocket.last.open();
      FakeWebSocket.last.drop();
      jest.advanceTimersByTime(100);
      expect(FakeWebSocket.instances).toHaveLength(4);
    });

    it('caps the reconnection delay', () => {
      jest.useFakeTimers();
      client = makeClient();
      client.connect();
      for (let i = 0; i < 6; i++) {
        FakeWebSocket.last.drop();
        jest.advanceTimersByTime(1000);
      }
      expect(FakeWebSocket.instances).toHaveLength(7);
    });

    it('sends new requests on the new socket after reconnecting', async () => {
      jest.useFakeTimers();
      client = makeClient();
      client.connect();
      FakeWebSocket.last.open();
      FakeWebSocket.last.drop();
      jest.advanceTimersByTime(100);
      const socket = FakeWebSocket.last;
      socket.open();
      socket.receive({ type: 'status', status: makeStatus() });

      const stream = client.chat({
        messages: [{ role: 'user', content: 'x' }]
      });
      expect(socket.messages).toEqual([
        expect.objectContaining({ type: 'chat', id: stream.id })
      ]);
      socket.receive({ type: 'token', id: stream.id, text: 'ok' });
      socket.receive(doneMessage(stream.id));
      await expect(stream.finished).resolves.toMatchObject({ id: stream.id });
    });
  });

  describe('dispose', () => {
    it('closes the socket, fails requests and stops reconnecting', async () => {
      jest.useFakeTimers();
      client = makeClient();
      client.connect();
      const socket = FakeWebSocket.last;
      socket.open();
      const stream = client.chat({
        messages: [{ role: 'user', content: 'x' }]
      });

      client.dispose();

      expect(socket.closeCalls).toBe(1);
      await expect(stream.finished).rejects.toMatchObject({ kind: 'disposed' });
      jest.advanceTimersByTime(10000);
      expect(FakeWebSocket.instances).toHaveLength(1);
      expect(() =>
        client.chat({ messages: [{ role: 'user', content: 'x' }] })
      ).toThrow('disposed');
    });
  });
});

describe('AssistantClient.task', () => {
  let client: AssistantClient;
  let socket: FakeWebSocket;

  beforeEach(() => {
    FakeWebSocket.reset();
    client = new AssistantClient({ serverSettings: makeSettings() });
  });

  afterEach(() => client.dispose());

  it('sends the task once connected, with its options', () => {
    const stream = client.task({
      messages: [{ role: 'user', content: 'Plot x' }],
      maxRounds: 4,
      language: 'python',
      maxTokens: 256,
      temperature: 0
    });
    expect(stream).toBeInstanceOf(TaskStream);
    socket = FakeWebSocket.last;
    expect(socket.sent).toHaveLength(0);
    socket.open();
    expect(socket.messages).toEqual([
      {
        type: 'task',
        id: stream.id,
        messages: [{ role: 'user', content: 'Plot x' }],
        max_rounds: 4,
        language: 'python',
        max_tokens: 256,
        temperature: 0
      }
    ]);
  });

  it('relays rounds and proposals, sends results, ends with done', async () => {
    client.connect();
    socket = FakeWebSocket.last;
    socket.open();
    const stream = client.task({ messages: [{ role: 'user', content: 'x' }] });
    expect(socket.messages[0]).toEqual({
      type: 'task',
      id: stream.id,
      messages: [{ role: 'user', content: 'x' }]
    });
    const tokens: string[] = [];
    const proposals: number[] = [];
    stream.tokenReceived.connect((_, text) => tokens.push(text));
    stream.proposalReceived.connect((_, p) => proposals.push(p.round));
    socket.receive({ type: 'token', id: stream.id, text: 'a', round: 2 });
    expect(stream.round).toBe(2);
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id: stream.id,
      round: 2,
      code: 'x = 1',
      explanation: ''
    });
    expect(tokens).toEqual(['a']);
    expect(proposals).toEqual([2]);
    stream.sendResult({ round: 2, status: 'ok', outputs: [] });
    expect(socket.messages[1]).toEqual({
      type: 'execution_result',
      id: stream.id,
      round: 2,
      status: 'ok',
      outputs: []
    });
    socket.receive({
      ...doneMessage(stream.id),
      outcome: taskOutcome({ rounds: 2, answer: 'x' })
    });
    const done = await stream.finished;
    expect(done.outcome).toMatchObject({ status: 'answered' });
    expect(client.pendingCount).toBe(0);
  });

  it('stops the loop on the server when one of its messages fails', async () => {
    client.connect();
    socket = FakeWebSocket.last;
    socket.open();
    const stream = client.task({ messages: [{ role: 'user', content: 'x' }] });
    socket.receive({ type: 'error', id: stream.id, message: 'No round 3.' });
    await expect(stream.finished).rejects.toThrow('No round 3.');
    expect(socket.messages[1]).toEqual({ type: 'cancel', id: stream.id });
  });
});
