import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { AssistantClient } from '../api/client';
import { completionInput, nearestCells } from '../completion/input';
import { AssistantInlineProvider } from '../completion/provider';
import { FakeWebSocket, doneMessage, makeSettings } from './fakes';

describe('completionInput', () => {
  it('splits the cell at the cursor and sends the cells above', () => {
    const text = 'x = 1\ny = x +\nprint(y)';
    const input = completionInput(text, 13, 'text/x-ipython', ['import os'], 3);
    expect(input).toEqual({
      prefix: 'x = 1\ny = x +',
      suffix: '\nprint(y)',
      context: ['import os'],
      maxLines: 3
    });
  });

  it('asks for the rest of the line only when text follows the cursor', () => {
    expect(completionInput('foo()', 4, 'text/x-python', [], 5)?.maxLines).toBe(
      1
    );
    expect(
      completionInput('foo(  \n', 4, 'text/x-python', [], 5)?.maxLines
    ).toBe(5);
  });

  it('asks nothing outside Python or before anything is typed', () => {
    expect(completionInput('x <- 1', 6, 'text/x-rsrc', [], 3)).toBeNull();
    expect(completionInput('   \n', 4, 'text/x-ipython', [], 3)).toBeNull();
  });

  it('bounds a huge cell around the cursor', () => {
    const text = 'a'.repeat(100_000) + 'b'.repeat(100_000);
    const input = completionInput(text, 100_000, 'text/x-ipython', [], 3)!;
    expect(input.prefix.length).toBeLessThanOrEqual(24_000);
    expect(input.suffix.length).toBeLessThanOrEqual(4_000);
    expect(input.prefix.endsWith('a')).toBe(true);
    expect(input.suffix.startsWith('b')).toBe(true);
  });
});

describe('nearestCells', () => {
  it('keeps the nearest whole cells that fit, in order, without blanks', () => {
    expect(nearestCells(['aaaa', 'bb', '', 'cc'], 5)).toEqual(['bb', 'cc']);
    expect(nearestCells(['aaaaaa'], 5)).toEqual([]);
  });
});

describe('AssistantInlineProvider', () => {
  let client: AssistantClient;
  let provider: AssistantInlineProvider;
  const widget = new Widget();
  const context = { widget, triggerKind: 1 } as any;
  const request = (text: string, offset = text.length) => ({
    text,
    offset,
    mimeType: 'text/x-ipython'
  });

  beforeEach(() => {
    FakeWebSocket.reset();
    client = new AssistantClient({
      serverSettings: makeSettings({} as Partial<ServerConnection.ISettings>)
    });
    provider = new AssistantInlineProvider(client, nullTranslator.load('test'));
    client.connect();
    FakeWebSocket.last.open();
  });

  afterEach(() => client.dispose());
  afterAll(() => widget.dispose());

  it('declares its settings with defaults JupyterLab merges in', () => {
    expect(provider.identifier).toBe('opencodeinterpreter-lab:inline');
    expect(provider.schema.default).toMatchObject({
      maxLines: 3,
      model: 'chat',
      debouncerDelay: 250
    });
  });

  it('asks nothing of the server until the user types', () => {
    provider.configure({ enabled: true, maxLines: 2, model: 'chat' });
    expect(FakeWebSocket.last.messages).toEqual([]);
  });

  it('streams the growing suggestion and ends it with the done', async () => {
    provider.configure({ enabled: false, maxLines: 2, model: 'chat' });
    const list = await provider.fetch(
      request('def add(a, b):\n    return '),
      context
    );
    const token = list.items[0].token!;
    const messages = FakeWebSocket.last.messages;
    const sent = messages[messages.length - 1];
    expect(sent).toMatchObject({
      type: 'complete',
      id: token,
      prefix: 'def add(a, b):\n    return ',
      max_lines: 2,
      model: 'chat'
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const { response } of provider.stream(token)) {
        seen.push(`${response.insertText}${response.isIncomplete ? '…' : ''}`);
      }
    })();
    const socket = FakeWebSocket.last;
    socket.receive({ type: 'token', id: token, text: 'a +' });
    socket.receive({ type: 'token', id: token, text: ' b' });
    socket.receive(doneMessage(token));
    await reading;
    expect(seen).toEqual(['a +…', 'a + b…', 'a + b']);
  });

  it('cancels the stale suggestion when the user types on', async () => {
    provider.configure({ enabled: false, maxLines: 2, model: 'chat' });
    const first = await provider.fetch(request('import num'), context);
    await provider.fetch(request('import nump'), context);
    expect(FakeWebSocket.last.messages).toContainEqual({
      type: 'cancel',
      id: first.items[0].token
    });
  });

  it('takes a failed suggestion back quietly, with no error shown', async () => {
    const debug = jest.spyOn(console, 'debug').mockImplementation(() => {});
    provider.configure({ enabled: false, maxLines: 2, model: 'chat' });
    const list = await provider.fetch(request('x = '), context);
    const token = list.items[0].token!;
    const reading = (async () => {
      const items = [];
      for await (const { response } of provider.stream(token)) {
        items.push(response);
      }
      return items;
    })();
    const socket = FakeWebSocket.last;
    socket.receive({ type: 'token', id: token, text: '1' });
    socket.receive({ type: 'error', id: token, message: 'model gone' });
    const items = await reading;
    expect(items[items.length - 1]).toMatchObject({
      insertText: '',
      isIncomplete: false
    });
    expect(items.some(item => item.error)).toBe(false);
    expect(debug).toHaveBeenCalledTimes(1); // for developers, in the console
    debug.mockRestore();
  });

  it('asks nothing for other languages', async () => {
    const list = await provider.fetch(
      { text: 'x <- ', offset: 5, mimeType: 'text/x-rsrc' },
      context
    );
    expect(list.items).toEqual([]);
  });
});
