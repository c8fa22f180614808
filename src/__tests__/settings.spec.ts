import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import { FakeBridge, FakeWebSocket, makeSettings } from './fakes';

describe('task settings', () => {
  let model: ChatModel;

  beforeEach(() => {
    FakeWebSocket.reset();
    model = new ChatModel({
      client: new AssistantClient({ serverSettings: makeSettings() })
    });
  });

  afterEach(() => model.dispose());

  it("defaults to the server's rounds, asking before each cell", () => {
    expect(model.settings.taskRounds).toBeNull();
    expect(model.settings.fixRounds).toBeNull();
    expect(model.settings.fixCandidates).toBeNull();
    expect(model.settings.taskConsent).toBe('ask');
  });

  it.each([0, 2.5, 'many', null, undefined])(
    "falls back to the server's default for taskRounds %p",
    value => {
      model.configure({ taskRounds: 7 });
      model.configure({ taskRounds: value as any });
      expect(model.settings.taskRounds).toBeNull();
    }
  );

  it('keeps valid values', () => {
    model.configure({ taskRounds: 20, taskConsent: 'auto' });
    expect(model.settings).toMatchObject({
      taskRounds: 20,
      taskConsent: 'auto'
    });
    model.configure({ taskRounds: 1 });
    expect(model.settings.taskRounds).toBe(1);
  });

  it("leaves unset rounds and sampling out of a task, so that the server's defaults apply", () => {
    const client = new AssistantClient({ serverSettings: makeSettings() });
    const withNotebook = new ChatModel({ client, notebook: new FakeBridge() });
    client.connect();
    const socket = FakeWebSocket.last;
    socket.open();
    expect(withNotebook.sendTask('Compute x')).toBe(true);
    const request = socket.messages.find(m => m.type === 'task');
    expect(Object.keys(request)).toEqual([
      'type',
      'id',
      'messages',
      'language'
    ]);
    const entry = withNotebook.messages.find(e => e.kind === 'task')!;
    expect(entry.task?.maxRounds).toBeNull();
    withNotebook.dispose();
    client.dispose();
  });

  it('falls back to ask for an unknown consent', () => {
    model.configure({ taskConsent: 'never' as any });
    expect(model.settings.taskConsent).toBe('ask');
  });
});
