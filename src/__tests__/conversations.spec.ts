/* eslint-disable jupyter/no-untranslated-string */
import { Signal } from '@lumino/signaling';

import { AssistantClient } from '../api/client';
import { ConversationsAPI } from '../api/conversations';
import { IChatEntry } from '../chat/conversation';
import { conversationToMarkdown, exportFileName } from '../chat/markdown';
import { ChatModel } from '../chat/model';
import {
  entriesFromJSON,
  entriesToJSON,
  ICurrentNotebook,
  IConversationBackend,
  INTERRUPTED
} from '../chat/store';
import type { IFixState } from '../loop/fix';
import type { ITaskState } from '../loop/task';
import { CurrentNotebook, IPathPanel } from '../notebook/current';
import {
  FakeWebSocket,
  doneMessage,
  flushPromises,
  makeSettings
} from './fakes';

const fix: IFixState = {
  status: 'running',
  label: 'cell 2 of a.ipynb',
  original: 'print(x)',
  error: "NameError: name 'x' is not defined",
  rounds: [
    {
      round: 1,
      text: 'Define x.',
      code: 'x = 1\nprint(x)',
      diff: [{ kind: 'add', text: 'x = 1' } as any],
      result: { status: 'running', text: '' }
    }
  ],
  round: 1,
  applied: true,
  cause: { index: 0, names: ['x'], cell: 1 }
};

const task: ITaskState = {
  status: 'waiting',
  notebook: 'a.ipynb',
  consent: 'ask',
  maxRounds: null,
  steps: [
    {
      round: 1,
      text: '',
      code: 'print(2)',
      cell: {
        label: 'cell 3 of a.ipynb',
        status: 'pending',
        summary: '',
        output: ''
      }
    }
  ],
  round: 1
};

const entries: IChatEntry[] = [
  {
    id: 'u1',
    role: 'user',
    content: 'Hi',
    state: 'complete',
    context: { label: 'cell 1 of a.ipynb', text: 'x = 1' }
  },
  { id: 'a1', role: 'assistant', content: 'Hel', state: 'streaming' },
  {
    id: 'f1',
    role: 'assistant',
    content: '',
    state: 'streaming',
    kind: 'fix',
    fix
  },
  {
    id: 't1',
    role: 'assistant',
    content: '',
    state: 'streaming',
    kind: 'task',
    task
  },
  {
    id: 'x1',
    role: 'user',
    content: 'Execution result: …',
    state: 'complete',
    kind: 'execution',
    execution: { status: 'running', label: 'cell 4 of a.ipynb', text: '' }
  }
];

describe('serialisation', () => {
  it('is plain JSON, and what ran is saved as ended', () => {
    const json = entriesToJSON(entries);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    const back = entriesFromJSON(json);
    expect(back.map(e => e.state)).toEqual([
      'complete',
      'cancelled',
      'cancelled',
      'cancelled',
      'complete'
    ]);
    expect(back[0]).toEqual(entries[0]);
    expect(back[1].content).toBe('Hel');
    expect(back[2].fix).toMatchObject({
      status: 'cancelled',
      message: INTERRUPTED,
      applied: false,
      rounds: fix.rounds,
      cause: fix.cause
    });
    expect(back[3].task).toMatchObject({ status: 'interrupted' });
    expect(back[3].task!.steps[0].cell!.status).toBe('not-run');
    expect(back[4].execution!.status).toBe('error');
    // The live entries are untouched.
    expect(entries[1].state).toBe('streaming');
  });

  it('leaves out what is not an entry', () => {
    expect(entriesFromJSON('nope')).toEqual([]);
    expect(
      entriesFromJSON([
        null,
        { id: 'a', role: 'system', content: '', state: 'complete' },
        { id: 'b', role: 'user', content: 1, state: 'complete' },
        { id: 'c', role: 'user', content: '', state: 'odd' },
        {
          id: 'd',
          role: 'assistant',
          content: '',
          state: 'complete',
          kind: 'fix'
        },
        { id: 'e', role: 'user', content: 'ok', state: 'complete' },
        { id: 'e', role: 'user', content: 'dup', state: 'complete' }
      ]).map(e => e.id)
    ).toEqual(['e']);
  });
});

describe('export as Markdown', () => {
  it('writes the questions, answers, fixes and tasks', () => {
    const text = conversationToMarkdown(
      entriesFromJSON(entriesToJSON(entries)),
      'dir/a.ipynb'
    );
    expect(text).toMatch(/^# Conversation about dir\/a.ipynb\n/);
    expect(text).toContain('## You _(about cell 1 of a.ipynb)_\n\nHi');
    expect(text).toContain('## Assistant\n\nHel\n\n_(stopped)_');
    expect(text).toContain('## Fix of cell 2 of a.ipynb');
    expect(text).toContain('```python\nx = 1\nprint(x)\n```');
    expect(text).toContain('## Task in a.ipynb');
    expect(text).toContain('**Execution result** (cell 4 of a.ipynb)');
    expect(exportFileName('dir/my nb.ipynb')).toBe('my_nb-conversation.md');
    expect(exportFileName(null)).toBe('assistant-conversation.md');
  });

  it('fences code that holds fences', () => {
    const text = conversationToMarkdown(
      [
        {
          id: 'x',
          role: 'user',
          content: '```py\n1\n```',
          state: 'complete',
          kind: 'execution'
        }
      ],
      null
    );
    expect(text).toContain('````\n```py\n1\n```\n````');
  });
});

/** An in-memory backend. */
class MemoryBackend implements IConversationBackend {
  stored = new Map<string, Array<Record<string, unknown>>>();
  saves: Array<{ path: string; ids: string[] }> = [];
  failLoad = false;

  async load(path: string) {
    if (this.failLoad) {
      throw new Error('offline');
    }
    return this.stored.get(path) ?? [];
  }

  async save(path: string, entries: Array<Record<string, unknown>>) {
    this.saves.push({ path, ids: entries.map(e => e.id as string) });
    this.stored.set(path, entries);
  }
}

class FakeCurrent implements ICurrentNotebook {
  path: string | null = null;
  changed = new Signal<this, ICurrentNotebook.IChange>(this);

  show(path: string | null): void {
    this.path = path;
    this.changed.emit({});
  }

  rename(to: string): void {
    const from = this.path!;
    this.path = to;
    this.changed.emit({ renamed: { from, to } });
  }
}

describe('ChatModel with stored conversations', () => {
  let backend: MemoryBackend;
  let current: FakeCurrent;
  let model: ChatModel;
  let client: AssistantClient;

  beforeEach(() => {
    jest.useFakeTimers();
    FakeWebSocket.reset();
    backend = new MemoryBackend();
    current = new FakeCurrent();
    client = new AssistantClient({ serverSettings: makeSettings() });
    client.connect();
    FakeWebSocket.last.open();
  });

  afterEach(() => {
    model?.dispose();
    client.dispose();
    jest.useRealTimers();
  });

  function makeModel(): void {
    model = new ChatModel({
      client,
      conversations: backend,
      currentNotebook: current
    });
  }

  function chat(text: string, answer = 'Hello'): void {
    expect(model.send(text)).toBe(true);
    const request = FakeWebSocket.last.messages
      .filter(m => m.type === 'chat')
      .pop();
    FakeWebSocket.last.receive({ type: 'token', id: request.id, text: answer });
    FakeWebSocket.last.receive(doneMessage(request.id));
  }

  it('loads the current notebook’s conversation and saves it when the answer ends', async () => {
    backend.stored.set('a.ipynb', entriesToJSON([entries[0]]));
    current.path = 'a.ipynb';
    makeModel();
    await flushPromises();
    expect(model.conversationPath).toBe('a.ipynb');
    expect(model.messages.map(e => e.id)).toEqual(['u1']);

    chat('Again');
    await flushPromises();
    expect(backend.saves).toHaveLength(1);
    expect(backend.stored.get('a.ipynb')).toHaveLength(3);
    expect(backend.stored.get('a.ipynb')![2]).toMatchObject({
      role: 'assistant',
      content: 'Hello',
      state: 'complete'
    });
  });

  it('saves a second after a change, and an empty conversation at once on Clear', async () => {
    current.path = 'a.ipynb';
    makeModel();
    await flushPromises();
    model.send('Hi');
    await flushPromises();
    expect(backend.saves).toHaveLength(0);
    jest.advanceTimersByTime(1000);
    await flushPromises();
    expect(backend.saves.map(s => s.ids.length)).toEqual([2]);
    expect(backend.stored.get('a.ipynb')![1]).toMatchObject({
      state: 'cancelled'
    });

    model.clear();
    await flushPromises();
    expect(backend.stored.get('a.ipynb')).toEqual([]);
  });

  it('shows each notebook’s own conversation, and moves only once an answer ends', async () => {
    current.path = 'a.ipynb';
    backend.stored.set('b.ipynb', entriesToJSON([entries[0]]));
    makeModel();
    await flushPromises();
    chat('In a');
    await flushPromises();

    current.show('b.ipynb');
    await flushPromises();
    expect(model.conversationPath).toBe('b.ipynb');
    expect(model.messages.map(e => e.id)).toEqual(['u1']);

    // An answer streams in b: the panel stays on b until it ends.
    model.send('In b');
    current.show('a.ipynb');
    expect(model.conversationPath).toBe('b.ipynb');
    const request = FakeWebSocket.last.messages
      .filter(m => m.type === 'chat')
      .pop();
    FakeWebSocket.last.receive(doneMessage(request.id));
    await flushPromises();
    expect(model.conversationPath).toBe('a.ipynb');
    expect(model.messages.map(e => e.content)).toEqual(['In a', 'Hello']);
    expect(backend.stored.get('b.ipynb')).toHaveLength(3);

    // No notebook: a conversation of the panel's own, not saved.
    current.show(null);
    expect(model.conversationPath).toBeNull();
    expect(model.messages).toEqual([]);
  });

  it('follows a renamed notebook without loading it again', async () => {
    current.path = 'a.ipynb';
    makeModel();
    await flushPromises();
    chat('Hi');
    await flushPromises();
    const load = jest.spyOn(backend, 'load');
    current.rename('b.ipynb');
    expect(model.conversationPath).toBe('b.ipynb');
    expect(model.messages).toHaveLength(2);
    model.send('More');
    jest.advanceTimersByTime(1000);
    await flushPromises();
    expect(load).not.toHaveBeenCalled();
    expect(backend.saves.pop()!.path).toBe('b.ipynb');
  });

  it('shows why a conversation could not be loaded, and does not overwrite it', async () => {
    backend.failLoad = true;
    current.path = 'a.ipynb';
    makeModel();
    await flushPromises();
    expect(model.error).toMatch(/Could not load the conversation: offline/);
    chat('Hi');
    jest.advanceTimersByTime(1000);
    await flushPromises();
    expect(backend.saves).toEqual([]);
  });
});

describe('ConversationsAPI', () => {
  it('GETs, PUTs and DELETEs with the path in the query', async () => {
    const fetch = jest.fn(async (input: RequestInfo) => {
      const request = input as Request;
      if (request.method === 'GET') {
        return new Response(
          JSON.stringify({
            version: 1,
            path: 'd/a b.ipynb',
            updated: 1,
            entries: [{ id: 'e' }]
          }),
          { status: 200 }
        );
      }
      return new Response(null, { status: 204 });
    });
    const api = new ConversationsAPI(makeSettings({ fetch }));
    await expect(api.load('d/a b.ipynb')).resolves.toEqual([{ id: 'e' }]);
    await api.save('d/a b.ipynb', [{ id: 'e' }]);
    await api.remove('d/a b.ipynb');
    const requests = fetch.mock.calls.map(([r]) => r as Request);
    expect(requests.map(r => r.method)).toEqual(['GET', 'PUT', 'DELETE']);
    expect(requests[0].url).toMatch(
      /\/base\/api\/opencodeinterpreter\/conversations\?path=d%2Fa%20b\.ipynb(&\d+)?$/
    );
    expect(await requests[1].json()).toEqual({ entries: [{ id: 'e' }] });
  });
});

describe('CurrentNotebook', () => {
  it('tells when the current notebook changes or a notebook is renamed', () => {
    const pathChanged = new Signal<any, string>({});
    const panel: IPathPanel = { context: { path: 'a.ipynb', pathChanged } };
    const tracker = {
      currentWidget: panel as IPathPanel | null,
      currentChanged: new Signal<any, any>({}),
      widgetAdded: new Signal<any, IPathPanel>({}),
      forEach: (fn: (p: IPathPanel) => void) => fn(panel)
    };
    const current = new CurrentNotebook(tracker);
    const seen: ICurrentNotebook.IChange[] = [];
    current.changed.connect((_, change) => seen.push(change));
    expect(current.path).toBe('a.ipynb');
    (panel.context as any).path = 'b.ipynb';
    pathChanged.emit('b.ipynb');
    tracker.currentWidget = null;
    tracker.currentChanged.emit(null);
    expect(current.path).toBeNull();
    expect(seen).toEqual([{ renamed: { from: 'a.ipynb', to: 'b.ipynb' } }, {}]);
  });
});
