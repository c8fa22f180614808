/**
 * The fix entry of the panel: the words that changed within a changed line
 * of its diff, its entry brought into view when its cell's Fix button is
 * clicked, and after its cell passed: a run the server does not accept (the
 * loop goes on), and the cells below that passed before the fix and fail
 * since (named, with Go to cell).
 */
import type { CodeCell, ICodeCellModel } from '@jupyterlab/cells';
import {
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { act } from 'react';

import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import { NotebookCellTarget } from '../notebook/celltarget';
import { ChatPanel } from '../widgets';
import {
  FakeBridge,
  FakeTarget,
  FakeWebSocket,
  doneMessage,
  fixOutcome,
  flushPromises,
  makeSettings,
  makeStatus
} from './fakes';
import { IFakePanel, hideYjsWarnings, makePanel } from './notebooks';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

hideYjsWarnings();

describe('a fix entry after its cell passed', () => {
  let panel: ChatPanel;
  let client: AssistantClient;
  let model: ChatModel;
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
  const texts = (selector: string): string[] =>
    $$(selector).map(node => node.textContent ?? '');

  /** Receive server messages and let the view render. */
  async function receive(...messages: unknown[]): Promise<void> {
    await act(async () => {
      for (const message of messages) {
        socket.receive(message);
      }
      await flushPromises();
    });
  }

  beforeEach(async () => {
    FakeWebSocket.reset();
    const fetch = jest.fn(
      async () =>
        new Response(JSON.stringify(makeStatus({ state: 'ready' })), {
          status: 202
        })
    );
    client = new AssistantClient({ serverSettings: makeSettings({ fetch }) });
    model = new ChatModel({ client, notebook: new FakeBridge() });
    panel = new ChatPanel({
      model,
      rendermime: new RenderMimeRegistry({
        initialFactories: standardRendererFactories
      })
    });
    await act(async () => {
      Widget.attach(panel, document.body);
      await panel.renderPromise;
    });
    socket = FakeWebSocket.last;
    await act(async () => socket.open());
  });

  afterEach(async () => {
    await act(async () => panel.dispose());
    client.dispose();
  });

  it('marks the words that changed within a changed line of the diff', async () => {
    const long = 'total_of_all_the_measured_prices_in_the_table';
    const target = new FakeTarget();
    target.source = `prices = [1, 2, 3]\n${long} = sum(prcies)\nimport os`;
    await act(async () => {
      model.fixes.start(target);
      await flushPromises();
    });
    const id = socket.messages.find(m => m.type === 'fix').id;
    await receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 1,
      code: `prices = [1, 2, 3]\n${long} = sum(prices)\nprint(${long})`,
      explanation: 'A misspelt name.'
    });
    const del = $$('.jp-oci-diff-del');
    const add = $$('.jp-oci-diff-add');
    // The lines read as a unified diff; the sign apart from the text.
    expect(del.map(n => n.textContent)).toEqual([
      `- ${long} = sum(prcies)`,
      '- import os'
    ]);
    expect(add.map(n => n.textContent)).toEqual([
      `+ ${long} = sum(prices)`,
      `+ print(${long})`
    ]);
    expect(
      $$('.jp-oci-diff-sign').map(n => n.getAttribute('aria-hidden'))
    ).toEqual(['true', 'true', 'true', 'true', 'true']);
    // The changed line pair: only the changed word is marked.
    expect(texts('.jp-oci-diff del.jp-oci-diff-word')).toEqual(['prcies']);
    expect(texts('.jp-oci-diff ins.jp-oci-diff-word')).toEqual(['prices']);
    // A line with no counterpart sharing words: marked whole.
    expect(texts('.jp-oci-diff del.jp-oci-diff-whole')).toEqual(['import os']);
    expect(texts('.jp-oci-diff ins.jp-oci-diff-whole')).toEqual([
      `print(${long})`
    ]);
  });

  it('says which proposal passed in a copy of the kernel and what it did there, and that a round tried there proposed nothing', async () => {
    const target = new FakeTarget();
    await act(async () => {
      model.fixes.start(target);
      await flushPromises();
    });
    const id = socket.messages.find(m => m.type === 'fix').id;
    const note =
      '\n\n*Not proposed: it raised NameError in a copy of the kernel.*\n\n';
    await receive(
      { type: 'token', id, round: 1, text: 'Use vals.\n```python\nvals\n```' },
      { type: 'token', id, round: 1, text: note },
      { type: 'token', id, round: 2, text: 'Use x.' },
      {
        type: 'proposal',
        tried: true,
        preview: '3\nx: int = 3',
        id,
        round: 2,
        code: 'print(x)',
        explanation: 'Use x.'
      }
    );
    const [first, second] = $$('.jp-oci-fix-round');
    expect(first.textContent).toContain(
      'Not proposed: it raised NameError in a copy of the kernel.'
    );
    expect(first.textContent).toContain(
      'Nothing in this round was proposed; asked again.'
    );
    expect(second.querySelector('.jp-oci-fix-tried')?.textContent).toBe(
      'Passed in a copy of your kernel.'
    );
    expect(texts('.jp-oci-fix-tried')).toHaveLength(1);
    // What it printed and set there, to read before "Apply & run".
    expect(second.querySelector('.jp-oci-fix-preview pre')?.textContent).toBe(
      '3\nx: int = 3'
    );
    expect(first.querySelector('.jp-oci-fix-preview')).toBeNull();
  });

  it('brings a fix into view when its cell asks for it again', async () => {
    const bridge = model.notebook as FakeBridge;
    // The cell failed: its fix starts by itself, nothing is revealed.
    await act(async () => {
      bridge.fixRequested.emit({ target: new FakeTarget(), auto: true });
      await flushPromises();
    });
    const entry = model.messages.find(e => e.kind === 'fix')!;
    expect($('.jp-oci-fix').dataset.entryId).toBe(entry.id);
    expect(model.revealed).toBeNull();
    // jsdom lays nothing out: the entry is said to lie 300px down, in a
    // view 200px high.
    const messages = $('.jp-oci-messages');
    Object.defineProperty(messages, 'clientHeight', { value: 200 });
    const scrolled = jest.fn();
    Object.defineProperty(messages, 'scrollTop', {
      configurable: true,
      get: () => 0,
      set: scrolled
    });
    $('.jp-oci-fix').getBoundingClientRect = () =>
      ({ top: 300, height: 100 }) as DOMRect;
    // Its Fix button is clicked: the same fix, brought into view once.
    await act(async () => {
      bridge.fixRequested.emit({ target: new FakeTarget(), auto: false });
      await flushPromises();
    });
    expect(model.messages.filter(e => e.kind === 'fix')).toHaveLength(1);
    expect(socket.messages.filter(m => m.type === 'fix')).toHaveLength(1);
    expect(model.revealed).toEqual({ id: entry.id, request: 1 });
    expect(scrolled).toHaveBeenCalledWith(300);
    scrolled.mockClear();
    const id = socket.messages.find(m => m.type === 'fix').id;
    await receive({ type: 'token', id, round: 1, text: 'More.' });
    expect(scrolled).not.toHaveBeenCalledWith(300);
  });

  it('shows a passing run the server did not accept, then the next round', async () => {
    const target = new FakeTarget();
    await act(async () => {
      model.fixes.start(target);
      await flushPromises();
    });
    const id = socket.messages.find(m => m.type === 'fix').id;
    await receive(
      { type: 'token', id, round: 1, text: 'Guard the print.' },
      {
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'x = 1\nif False:\n    print(y)',
        explanation: 'Guard the print.'
      }
    );
    await act(async () => $('.jp-oci-fix-apply-run').click());
    await act(async () => {
      target.runs[0].resolve({ status: 'ok', outputs: [] });
      await flushPromises();
    });
    // The run passed; the server has not judged it yet.
    expect(texts('.jp-oci-fix-result')).toEqual([
      'Ran without error. No output'
    ]);

    await receive({
      type: 'token',
      id,
      round: 1,
      text: '\n\n*Ran, but not accepted: prints nothing where the cell printed.*\n\n'
    });
    const result = $('.jp-oci-fix-result');
    expect(result.dataset.status).toBe('ok');
    expect(result.dataset.accepted).toBe('false');
    expect(result.textContent).toBe(
      'Ran without error, but not accepted: prints nothing where the cell printed.'
    );
    // Not shown as a success: the fix goes on.
    expect($('.jp-oci-fix').dataset.state).toBe('streaming');
    expect($('.jp-oci-fix-title').textContent).toBe(
      'Fixing cell 3 of analysis.ipynb (round 1)'
    );
    expect($$('.jp-oci-fix-stop')).toHaveLength(1);
    expect($$('.jp-oci-fix-undo')).toHaveLength(0);
    // The note is said once, in the result; the explanation stays.
    expect(texts('.jp-oci-fix-explanation')).toEqual(['Guard the print.']);
    expect($$('.jp-oci-fix-note')).toHaveLength(0);

    // The next round's tokens and proposal appear; it runs by itself.
    await receive({ type: 'token', id, round: 2, text: 'Print x instead.' });
    expect($('.jp-oci-fix').dataset.round).toBe('2');
    expect($('.jp-oci-fix-title').textContent).toBe(
      'Fixing cell 3 of analysis.ipynb (round 2)'
    );
    expect(texts('.jp-oci-fix-explanation')).toEqual([
      'Guard the print.',
      'Print x instead.'
    ]);
    await receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 2,
      code: 'x = 1\nprint(x)',
      explanation: 'Print x instead.'
    });
    expect($('.jp-oci-fix').dataset.state).toBe('running');
    expect($$('.jp-oci-fix-round')[1].querySelector('.jp-oci-diff')).not.toBe(
      null
    );
    await act(async () => {
      target.runs[1].resolve({
        status: 'ok',
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
      });
      await flushPromises();
    });
    await receive({
      ...doneMessage(id),
      outcome: fixOutcome({ rounds: 2 })
    });
    expect($('.jp-oci-fix').dataset.state).toBe('fixed');
    expect($('.jp-oci-fix-title').textContent).toBe(
      'Fixed cell 3 of analysis.ipynb in 2 rounds'
    );
    expect(
      $$('.jp-oci-fix-result').map(node => [
        node.dataset.accepted ?? 'yes',
        node.textContent
      ])
    ).toEqual([
      [
        'false',
        'Ran without error, but not accepted: prints nothing where the cell printed.'
      ],
      ['yes', 'Ran without error. 1']
    ]);
  });

  describe('with a real notebook', () => {
    let notebook: IFakePanel;
    let executed: Signal<any, any>;

    const cellModel = (index: number): ICodeCellModel =>
      notebook.content.model!.cells.get(index) as ICodeCellModel;

    /** The user runs cell `index`; it prints, or fails. */
    function userRuns(index: number, failed: boolean): void {
      const cell = cellModel(index);
      cell.outputs.clear();
      cell.outputs.add(
        failed
          ? {
              output_type: 'error',
              ename: 'NameError',
              evalue: "name 'total' is not defined",
              traceback: []
            }
          : { output_type: 'stream', name: 'stdout', text: '6\n' }
      );
      cell.executionCount = (cell.executionCount ?? 0) + 10;
      executed.emit({
        notebook: notebook.content,
        cell: notebook.content.widgets[index] as CodeCell,
        success: !failed
      });
    }

    beforeEach(() => {
      notebook = makePanel([
        'import math',
        'total = sum(vals)', // the failing cell
        'print(total)', // passed before
        'print(total * 2)', // passed before
        'print(math.pi)' // passed before
      ]);
      for (const index of [2, 3, 4]) {
        const cell = cellModel(index);
        cell.outputs.add({
          output_type: 'stream',
          name: 'stdout',
          text: '3\n'
        });
        cell.executionCount = index;
      }
      executed = new Signal<any, any>({});
    });

    afterEach(async () => {
      await act(async () => notebook.content.dispose());
    });

    it('names a cell below that passed before the fix and fails now, with Go to cell', async () => {
      const target = new NotebookCellTarget({
        panel: notebook,
        model: cellModel(1),
        execute: async cell => {
          cell.model.outputs.clear();
          return { content: { status: 'ok' } } as any;
        },
        readVariables: async () => null,
        scheduled: new Signal<any, any>({}),
        executed
      });
      await act(async () => {
        model.fixes.start(target);
        await flushPromises();
      });
      const id = socket.messages.find(m => m.type === 'fix').id;
      await receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'total = 0',
        explanation: 'vals is not defined.'
      });
      await act(async () => $('.jp-oci-fix-apply-run').click());
      await act(async () => flushPromises());
      await receive({
        ...doneMessage(id),
        outcome: fixOutcome({ source: 'total = 0' })
      });
      expect($('.jp-oci-fix').dataset.state).toBe('fixed');
      expect($$('.jp-oci-fix-regression')).toHaveLength(0);

      // The next runs: cell 3 passes, cell 4 fails.
      await act(async () => {
        userRuns(2, false);
        userRuns(3, true);
      });
      expect(texts('.jp-oci-fix-regression-text')).toEqual([
        'Cell 4 passed before this fix and fails now.'
      ]);
      const link = $<HTMLButtonElement>('.jp-oci-fix-regression-link');
      expect(link.tagName).toBe('BUTTON');
      expect(link.textContent).toBe('Go to cell 4');
      expect(link.getAttribute('aria-label')).toBe(
        'Go to cell 4 in the notebook'
      );
      notebook.content.activeCellIndex = 0;
      await act(async () => link.click());
      expect(notebook.content.activeCellIndex).toBe(3);

      // A cell inserted above: the sentence and the link follow.
      await act(async () => {
        notebook.content.model!.sharedModel.insertCell(0, {
          cell_type: 'markdown',
          source: '# Intro'
        });
      });
      expect(texts('.jp-oci-fix-regression-text')).toEqual([
        'Cell 5 passed before this fix and fails now.'
      ]);
      expect($('.jp-oci-fix-regression-link').textContent).toBe('Go to cell 5');

      // Cell 3 passed once since: it is not named when it fails later.
      await act(async () => userRuns(3, true));
      expect($$('.jp-oci-fix-regression')).toHaveLength(1);

      // Fixed by the user and run again: no longer named.
      await act(async () => userRuns(4, false));
      expect($$('.jp-oci-fix-regression')).toHaveLength(0);
    });
  });
});
