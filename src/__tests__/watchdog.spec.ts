import { AssistantClient } from '../api/client';
import { ChatError } from '../api/errors';
import { ChatStream } from '../api/streams';
import { RequestWatchdog } from '../api/watchdog';
import { ChatModel } from '../chat/model';
import {
  ERROR,
  FakeBridge,
  FakeTarget,
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings,
  makeStatus
} from './fakes';

const SECOND = 1000;
const SILENCE = 'The server sent nothing for 120 s; the request was stopped.';

/**
 * Whether a stream has ended, and how.
 */
function outcome(stream: ChatStream): { error: ChatError | null } {
  const seen: { error: ChatError | null } = { error: null };
  stream.finished.catch((error: ChatError) => {
    seen.error = error;
  });
  return seen;
}

describe('the request watchdog', () => {
  let client: AssistantClient;
  let socket: FakeWebSocket;

  const sent = (type: string): any[] =>
    socket.messages.filter(m => m.type === type);

  function connect(options: Partial<AssistantClient.IOptions> = {}): void {
    FakeWebSocket.reset();
    client = new AssistantClient({
      serverSettings: makeSettings(),
      ...options
    });
    client.connect();
    socket = FakeWebSocket.last;
    socket.open();
  }

  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    client.dispose();
    jest.useRealTimers();
  });

  it('ends a request the server says nothing about, in one sentence, and cancels it', async () => {
    connect();
    const stream = client.chat({ messages: [{ role: 'user', content: 'Hi' }] });

    jest.advanceTimersByTime(119 * SECOND);
    await flushPromises();
    expect(stream.isFinished).toBe(false);
    expect(sent('cancel')).toEqual([]);

    jest.advanceTimersByTime(1 * SECOND);
    await expect(stream.finished).rejects.toMatchObject({
      kind: 'timeout',
      message: SILENCE
    });
    expect(sent('cancel')).toEqual([{ type: 'cancel', id: stream.id }]);
    expect(client.pendingCount).toBe(0);

    // A late answer of the server is ignored.
    socket.receive({ type: 'token', id: stream.id, text: 'late' });
    socket.receive(doneMessage(stream.id));
    await flushPromises();
    expect(sent('cancel')).toHaveLength(1);
  });

  it('starts over on every message of the server for the request', async () => {
    connect();
    const stream = client.chat({ messages: [{ role: 'user', content: 'Hi' }] });
    const other = client.chat({ messages: [{ role: 'user', content: 'Ho' }] });
    const seen = outcome(stream);
    const otherSeen = outcome(other);

    jest.advanceTimersByTime(100 * SECOND);
    socket.receive({ type: 'token', id: stream.id, text: 'a' });
    jest.advanceTimersByTime(100 * SECOND);
    await flushPromises();
    // Only the request the token was for is still running.
    expect(seen.error).toBeNull();
    expect(otherSeen.error?.kind).toBe('timeout');

    socket.receive({ type: 'token', id: stream.id, text: 'b' });
    jest.advanceTimersByTime(119 * SECOND);
    await flushPromises();
    expect(seen.error).toBeNull();
    socket.receive(doneMessage(stream.id));
    await expect(stream.finished).resolves.toMatchObject({ type: 'done' });

    // Nothing fires after the request ended.
    jest.advanceTimersByTime(600 * SECOND);
    await flushPromises();
    expect(sent('cancel')).toEqual([{ type: 'cancel', id: other.id }]);
  });

  it('counts status pushes as a sign of life for every request (model loading)', async () => {
    connect();
    const stream = client.chat({ messages: [{ role: 'user', content: 'Hi' }] });
    const seen = outcome(stream);
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(100 * SECOND);
      socket.receive({
        type: 'status',
        status: makeStatus({ state: 'loading', progress: i / 5 })
      });
    }
    await flushPromises();
    expect(seen.error).toBeNull();
    jest.advanceTimersByTime(120 * SECOND);
    await flushPromises();
    expect(seen.error?.message).toBe(SILENCE);
  });

  it('pauses while the client runs a proposal, and restarts once it answered', async () => {
    connect();
    const stream = client.fix({
      cell: { source: 'print(y)', outputs: [ERROR] }
    });
    const seen = outcome(stream);
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id: stream.id,
      round: 1,
      code: 'y = 1\nprint(y)',
      explanation: ''
    });
    // The cell runs (or waits for the user's Apply) for a long time: the
    // server waits on us meanwhile.
    jest.advanceTimersByTime(30 * 60 * SECOND);
    await flushPromises();
    expect(seen.error).toBeNull();
    expect(sent('cancel')).toEqual([]);

    stream.sendResult({ round: 1, status: 'ok', outputs: [] });
    jest.advanceTimersByTime(119 * SECOND);
    await flushPromises();
    expect(seen.error).toBeNull();
    jest.advanceTimersByTime(1 * SECOND);
    await flushPromises();
    expect(seen.error?.kind).toBe('timeout');
    expect(sent('cancel')).toEqual([{ type: 'cancel', id: stream.id }]);
  });

  it('restarts when the client cancels a request that waited on it', async () => {
    connect();
    const stream = client.task({ messages: [{ role: 'user', content: 'x' }] });
    const seen = outcome(stream);
    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id: stream.id,
      round: 1,
      code: 'x = 1',
      explanation: ''
    });
    jest.advanceTimersByTime(600 * SECOND);
    await flushPromises();
    expect(seen.error).toBeNull();
    stream.cancel();
    // The server owes the cancelled request its `done`.
    jest.advanceTimersByTime(119 * SECOND);
    await flushPromises();
    expect(seen.error).toBeNull();
    jest.advanceTimersByTime(1 * SECOND);
    await flushPromises();
    expect(seen.error?.kind).toBe('timeout');
  });

  it('takes its time from the client options; 0 turns it off', async () => {
    connect({ requestTimeout: 5 * SECOND });
    const quick = client.chat({ messages: [{ role: 'user', content: 'Hi' }] });
    jest.advanceTimersByTime(5 * SECOND);
    await expect(quick.finished).rejects.toThrow(
      'The server sent nothing for 5 s; the request was stopped.'
    );
    client.dispose();

    connect({ requestTimeout: 0 });
    const patient = client.chat({
      messages: [{ role: 'user', content: 'Hi' }]
    });
    const seen = outcome(patient);
    jest.advanceTimersByTime(3600 * SECOND);
    await flushPromises();
    expect(seen.error).toBeNull();
    expect(client.pendingCount).toBe(1);
  });

  it('defaults to 120 s', () => {
    expect(AssistantClient.DEFAULT_REQUEST_TIMEOUT).toBe(120 * SECOND);
    expect(RequestWatchdog.message(120 * SECOND)).toBe(SILENCE);
  });
});

describe('a silent server in the panel', () => {
  let client: AssistantClient;
  let model: ChatModel;
  let socket: FakeWebSocket;

  beforeEach(() => {
    jest.useFakeTimers();
    FakeWebSocket.reset();
    client = new AssistantClient({ serverSettings: makeSettings() });
    model = new ChatModel({ client, notebook: new FakeBridge() });
    client.connect();
    socket = FakeWebSocket.last;
    socket.open();
  });

  afterEach(() => {
    model.dispose();
    client.dispose();
    jest.useRealTimers();
  });

  it('ends the answer with the sentence, and the panel is free again', async () => {
    expect(model.send('Hello')).toBe(true);
    expect(model.busy).toBe(true);
    jest.advanceTimersByTime(120 * SECOND);
    await flushPromises();
    const answer = model.messages[1];
    expect(answer).toMatchObject({ state: 'error', error: SILENCE });
    expect(model.busy).toBe(false);
  });

  it('ends a fix with the sentence', async () => {
    const session = model.fixes.start(new FakeTarget())!;
    await flushPromises();
    jest.advanceTimersByTime(120 * SECOND);
    await flushPromises();
    expect(session.state).toMatchObject({ status: 'failed', message: SILENCE });
    expect(session.active).toBe(false);
  });

  it('ends a task with the sentence, and the panel is free again', async () => {
    expect(model.sendTask('Plot x')).toBe(true);
    expect(model.taskRunning).toBe(true);
    jest.advanceTimersByTime(120 * SECOND);
    await flushPromises();
    const entry = model.messages.find(e => e.kind === 'task')!;
    expect(entry.task).toMatchObject({ status: 'failed', message: SILENCE });
    expect(entry.state).toBe('error');
    expect(model.busy).toBe(false);
  });
});
