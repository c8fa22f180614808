/**
 * The panel's journeys with notebook actions (insert, replace, run, fix,
 * the cause cell), through one harness: a panel, a fake bridge and the
 * socket. Over 500 lines because every describe here shares that harness
 * (`ask`, `fixWith`, the selectors); split it when a journey needs its own.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import {
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { act } from 'react';

import { AssistantClient } from '../api/client';
import { extractCodeBlocks } from '../chat/codeblocks';
import { ChatModel } from '../chat/model';
import { FIX_REQUEST } from '../chat/transcript';
import { IFixTarget } from '../loop/targets';
import { NotebookCellTarget } from '../notebook/celltarget';
import { INotebookPanelLike } from '../notebook/types';
import type { IFixOutcome } from '../protocol';
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
import { hideYjsWarnings, makePanel } from './notebooks';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A markdown parser for the test: fenced blocks become `pre > code`, the
 * rest paragraphs (JupyterLab's real parser is marked, loaded by a plugin).
 */
const markdownParser = {
  render: async (source: string): Promise<string> => {
    const blocks = extractCodeBlocks(source);
    const prose = source.replace(/```[^\n]*\n[\s\S]*?```/g, '\u0000');
    let i = 0;
    return prose
      .split('\u0000')
      .map((text, n, all) => {
        const code =
          n < all.length - 1
            ? `<pre><code>${escape(blocks[i++].code)}</code></pre>`
            : '';
        return (text.trim() ? `<p>${escape(text.trim())}</p>` : '') + code;
      })
      .join('');
  }
};

hideYjsWarnings();

describe('ChatPanel with a notebook', () => {
  let panel: ChatPanel;
  let client: AssistantClient;
  let model: ChatModel;
  let bridge: FakeBridge;
  let copy: jest.Mock;
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

  async function ask(question: string, answer: string): Promise<void> {
    await act(async () => {
      model.send(question);
    });
    const id = socket.messages.filter(m => m.type === 'chat').pop().id;
    await act(async () => {
      socket.receive({ type: 'token', id, text: answer });
      socket.receive(doneMessage(id));
      await flushPromises();
    });
    // Let the markdown renderer finish and the toolbars mount.
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 0));
      await flushPromises();
    });
  }

  /** Start a fix of `target` and end it as fixed, with `outcome`'s fields. */
  async function fixWith(
    target: IFixTarget,
    outcome: Partial<IFixOutcome>
  ): Promise<void> {
    await act(async () => {
      model.fixes.start(target);
      await flushPromises();
    });
    const id = socket.messages.filter(m => m.type === 'fix').pop().id;
    await act(async () => {
      socket.receive({
        ...doneMessage(id),
        outcome: fixOutcome(outcome)
      });
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
    bridge = new FakeBridge();
    copy = jest.fn();
    model = new ChatModel({
      client,
      notebook: bridge,
      settings: { confirmRun: false },
      copyToClipboard: copy
    });
    const rendermime = new RenderMimeRegistry({
      initialFactories: standardRendererFactories,
      markdownParser
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

  it('puts a toolbar under each code block of a finished answer', async () => {
    await ask(
      'Two snippets',
      'First:\n```python\nprint("a")\n```\nThen:\n```python\nprint("b")\n```'
    );
    const pres = $$('.jp-oci-message[data-role="assistant"] pre');
    expect(pres).toHaveLength(2);
    for (const pre of pres) {
      const toolbar = pre.nextElementSibling?.querySelector(
        '.jp-oci-code-toolbar'
      );
      expect(toolbar).not.toBeNull();
      expect(toolbar!.getAttribute('role')).toBe('toolbar');
    }
    for (const cls of [
      '.jp-oci-code-insert',
      '.jp-oci-code-replace',
      '.jp-oci-code-run',
      '.jp-oci-code-copy'
    ]) {
      const buttons = $$(cls);
      expect(buttons).toHaveLength(2);
      expect(buttons[0].tagName).toBe('BUTTON');
      expect(buttons[0].getAttribute('aria-label')).toMatch(/code block 1/);
      expect(buttons[1].getAttribute('aria-label')).toMatch(/code block 2/);
    }
    // The rendered text of the answer is unchanged by the icon buttons.
    expect($('.jp-oci-markdown').textContent).toBe(
      'First:print("a")Then:print("b")'
    );

    await act(async () => $$('.jp-oci-code-insert')[1].click());
    expect($('.jp-oci-notice').textContent).toBe(
      'Inserted the code as cell 3 of analysis.ipynb.'
    );
    await act(async () => $$('.jp-oci-code-replace')[0].click());
    await act(async () => $$('.jp-oci-code-copy')[1].click());
    expect(bridge.inserted).toEqual(['print("b")']);
    expect(bridge.replaced).toEqual(['print("a")']);
    expect(copy).toHaveBeenCalledWith('print("b")');
    expect($$('.jp-oci-code-copy')[1].getAttribute('title')).toBe('Copied');
  });

  it('moves the focus between the buttons with the arrow keys', async () => {
    await ask('One', '```python\nprint(1)\n```');
    const buttons = $$('.jp-oci-code-toolbar button');
    expect(buttons.map(b => b.className.split(' ').pop())).toEqual([
      'jp-oci-code-insert',
      'jp-oci-code-replace',
      'jp-oci-code-run',
      'jp-oci-code-copy'
    ]);
    buttons[0].focus();
    const key = (k: string): void => {
      document.activeElement!.dispatchEvent(
        new KeyboardEvent('keydown', { key: k, bubbles: true })
      );
    };
    await act(async () => key('ArrowRight'));
    expect(document.activeElement).toBe(buttons[1]);
    await act(async () => key('End'));
    expect(document.activeElement).toBe(buttons[3]);
    await act(async () => key('ArrowRight'));
    expect(document.activeElement).toBe(buttons[0]);
    await act(async () => key('ArrowLeft'));
    expect(document.activeElement).toBe(buttons[3]);
  });

  it('keeps the rendered answer when it finishes streaming', async () => {
    await act(async () => {
      model.send('q');
    });
    const id = socket.messages.filter(m => m.type === 'chat').pop().id;
    await act(async () => {
      socket.receive({ type: 'token', id, text: '```python\nx = 1\n```' });
      await flushPromises();
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    const rendered = $('.jp-oci-markdown');
    await act(async () => {
      socket.receive(doneMessage(id));
      await flushPromises();
      await new Promise(resolve => setTimeout(resolve, 0));
    });
    expect($('.jp-oci-markdown')).toBe(rendered);
    expect($$('.jp-oci-code-toolbar')).toHaveLength(1);
  });

  it('shows no toolbar while streaming or for answers without code', async () => {
    await act(async () => {
      model.send('q');
    });
    const id = socket.messages.filter(m => m.type === 'chat').pop().id;
    await act(async () => {
      socket.receive({ type: 'token', id, text: '```python\nx = 1\n```' });
      await flushPromises();
    });
    expect($$('.jp-oci-code-toolbar')).toHaveLength(0);
    await act(async () => {
      socket.receive(doneMessage(id));
      await flushPromises();
    });
    await ask('plain', 'No code here.');
    expect($$('.jp-oci-code-toolbar')).toHaveLength(1);
  });

  it('runs a block and shows the result as a collapsed summary', async () => {
    await ask('Divide', '```python\n1 / 0\n```');
    await act(async () => $('.jp-oci-code-run').click());
    expect(bridge.ran).toEqual(['1 / 0']);
    const running = $('.jp-oci-output-summary');
    expect(running.dataset.status).toBe('running');
    expect($<HTMLButtonElement>('.jp-oci-code-run').disabled).toBe(true);
    await act(async () => $('.jp-oci-output-interrupt').click());
    expect(bridge.interrupts).toBe(1);

    await act(async () => {
      bridge.finishRun([
        {
          output_type: 'error',
          ename: 'ZeroDivisionError',
          evalue: 'division by zero',
          traceback: []
        }
      ]);
      await flushPromises();
    });
    const summary = $('.jp-oci-output-summary');
    expect(summary.dataset.status).toBe('error');
    expect(summary.querySelector('summary')!.textContent).toContain(
      'ZeroDivisionError: division by zero'
    );
    expect(summary.querySelector('details')!.hasAttribute('open')).toBe(false);
    expect(summary.querySelector('pre')!.textContent).toBe(
      'Execution result:\nZeroDivisionError: division by zero'
    );
    const entry = summary.closest('.jp-oci-message') as HTMLElement;
    expect(entry.dataset.role).toBe('user');
    expect(entry.dataset.state).toBe('complete');
    expect($<HTMLButtonElement>('.jp-oci-code-run').disabled).toBe(false);

    // The user asks for a fix: the result goes with the request.
    const fix = $<HTMLButtonElement>('.jp-oci-output-fix');
    expect(fix.getAttribute('aria-label')).toBeTruthy();
    await act(async () => fix.click());
    const chat = socket.messages.filter(m => m.type === 'chat').pop();
    const last = chat.messages[chat.messages.length - 1];
    expect(last.role).toBe('user');
    expect(last.content).toContain(
      'Execution result:\nZeroDivisionError: division by zero'
    );
    expect(last.content.endsWith(FIX_REQUEST)).toBe(true);
    expect($<HTMLButtonElement>('.jp-oci-output-fix').disabled).toBe(true);
  });

  it('shows an error when the block cannot run', async () => {
    await ask('x', '```python\nx\n```');
    bridge.context = null;
    await act(async () => $('.jp-oci-code-run').click());
    expect($('.jp-oci-error').textContent).toContain('No notebook is open');
    expect($$('.jp-oci-output-summary')).toHaveLength(0);
  });

  it('shows the context of the next message and lets the user leave it out', async () => {
    expect($('.jp-oci-context').textContent).toContain(
      'cell 2 of analysis.ipynb'
    );
    await act(async () => $('.jp-oci-context-dismiss').click());
    expect($$('.jp-oci-context')).toHaveLength(0);
    await act(async () => {
      bridge.changed.emit();
    });
    expect($$('.jp-oci-context')).toHaveLength(1);

    await act(async () => {
      model.send('About this');
    });
    expect($('.jp-oci-context-chip').textContent).toContain(
      'cell 2 of analysis.ipynb'
    );
  });

  it('shows a fix with its diff, applies and runs it, and undoes it', async () => {
    const target = new FakeTarget();
    await act(async () => {
      model.fixes.start(target);
      await flushPromises();
    });
    const id = socket.messages.find(m => m.type === 'fix').id;
    const entry = $('.jp-oci-fix');
    expect(entry.dataset.state).toBe('streaming');
    expect($$('.jp-oci-message')).toHaveLength(0);
    await act(async () => {
      socket.receive({ type: 'token', id, round: 1, text: 'Use x.' });
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id,
        round: 1,
        code: 'x = 1\nprint(x)',
        explanation: 'y is not defined; x is.'
      });
    });
    expect($('.jp-oci-fix').dataset.state).toBe('proposed');
    expect($('.jp-oci-fix').dataset.round).toBe('1');
    expect($('.jp-oci-fix-explanation').textContent).toBe(
      'y is not defined; x is.'
    );
    expect($$('.jp-oci-diff-del').map(n => n.textContent)).toEqual([
      '- print(y)'
    ]);
    expect($$('.jp-oci-diff-add').map(n => n.textContent)).toEqual([
      '+ print(x)'
    ]);
    expect($$('.jp-oci-fix-apply')).toHaveLength(1);
    expect($$('.jp-oci-fix-discard')).toHaveLength(1);

    await act(async () => $('.jp-oci-fix-apply-run').click());
    expect(target.source).toBe('x = 1\nprint(x)');
    expect($('.jp-oci-fix').dataset.state).toBe('running');
    await act(async () => {
      target.runs[0].resolve({ status: 'ok', outputs: [] });
      await flushPromises();
    });
    expect(
      socket.messages.filter(m => m.type === 'execution_result')
    ).toMatchObject([{ id, round: 1, status: 'ok' }]);
    await act(async () => {
      socket.receive({
        ...doneMessage(id),
        outcome: fixOutcome()
      });
      await flushPromises();
    });
    expect($('.jp-oci-fix').dataset.state).toBe('fixed');
    expect($('.jp-oci-fix-title').textContent).toContain('1 round');
    expect($$('.jp-oci-fix-stop')).toHaveLength(0);
    await act(async () => $('.jp-oci-fix-undo').click());
    expect(target.source).toBe('x = 1\nprint(y)');
    expect($$('.jp-oci-fix-undo')).toHaveLength(0);
  });

  it('Stop and Discard send cancel', async () => {
    await act(async () => {
      model.fixes.start(new FakeTarget());
      await flushPromises();
    });
    const id = socket.messages.find(m => m.type === 'fix').id;
    await act(async () => $('.jp-oci-fix-stop').click());
    expect(socket.messages.filter(m => m.type === 'cancel')).toEqual([
      { type: 'cancel', id }
    ]);
    expect($('.jp-oci-fix').dataset.state).toBe('cancelled');

    const other = new FakeTarget();
    other.key = 'cell-2';
    await act(async () => {
      model.fixes.start(other);
      await flushPromises();
    });
    const second = socket.messages.filter(m => m.type === 'fix')[1].id;
    // Without an explanation, the prose of the answer shows, not its code.
    await act(async () => {
      socket.receive({
        type: 'token',
        id: second,
        round: 1,
        text: 'Print one.\n```python\nprint(1)\n```'
      });
    });
    await act(async () => {
      socket.receive({
        type: 'proposal',
        tried: false,
        preview: '',
        id: second,
        round: 1,
        code: 'print(1)',
        explanation: ''
      });
    });
    expect($$('.jp-oci-fix-explanation').map(n => n.textContent)).toEqual([
      'Print one.'
    ]);
    await act(async () => $$('.jp-oci-fix-discard')[0].click());
    expect(socket.messages.filter(m => m.type === 'cancel')[1]).toEqual({
      type: 'cancel',
      id: second
    });
    expect(other.writes).toEqual([]);
  });

  it('says where the cause of a fixed failure lay, with a link to the cell', async () => {
    const target = new FakeTarget();
    await fixWith(target, {
      cause: {
        cell: 1,
        names: ['normalize'],
        cause_source: null,
        cell_source: null
      }
    });
    expect($('.jp-oci-fix').dataset.state).toBe('fixed');
    expect($('.jp-oci-fix-cause-text').textContent).toBe(
      'The cause was probably in cell 2, which defines normalize: the fix repairs it in this cell.'
    );
    const link = $<HTMLButtonElement>('.jp-oci-fix-cause-link');
    expect(link.tagName).toBe('BUTTON');
    expect(link.type).toBe('button');
    expect(link.textContent).toBe('Go to cell 2');
    expect(link.getAttribute('aria-label')).toBe(
      'Go to cell 2 in the notebook'
    );
    expect(link.title).toBe(
      'Make cell 2 the active cell and scroll it into view'
    );
    await act(async () => link.click());
    expect(target.contextCells[1].reveals).toBe(1);
    expect(target.contextCells[0].reveals).toBe(0);
  });

  it('says nothing of a cause without one', async () => {
    await fixWith(new FakeTarget(), { cause: null });
    expect($('.jp-oci-fix').dataset.state).toBe('fixed');
    expect($$('.jp-oci-fix-cause')).toHaveLength(0);
    // An older server sends no `cause` at all.
    const other = new FakeTarget();
    other.key = 'cell-2';
    await fixWith(other, {});
    expect($$('.jp-oci-fix[data-state="fixed"]')).toHaveLength(2);
    expect($$('.jp-oci-fix-cause')).toHaveLength(0);
  });

  describe('with a real notebook', () => {
    let notebook: INotebookPanelLike;
    let activated: INotebookPanelLike[];
    let target: NotebookCellTarget;

    beforeEach(() => {
      notebook = makePanel([
        'import math',
        'def normalize(s):\n    s.strip()',
        '',
        'x = 1',
        'print(normalize(" a "))'
      ]);
      activated = [];
      target = new NotebookCellTarget({
        panel: notebook,
        model: notebook.content.model!.cells.get(4) as ICodeCellModel,
        execute: async () => undefined,
        readVariables: async () => null,
        scheduled: new Signal<any, any>({}),
        activate: p => activated.push(p)
      });
    });

    afterEach(async () => {
      target.dispose();
      await act(async () => notebook.content.dispose());
    });

    const cells = () => notebook.content.model!.sharedModel;

    it('goes to the cell where the cause lay, wherever it moved', async () => {
      expect(target.context).toEqual([
        'import math',
        'def normalize(s):\n    s.strip()',
        'x = 1'
      ]);
      // A cell inserted at the top while the fix runs.
      cells().insertCell(0, { cell_type: 'markdown', source: '# Notes' });
      await fixWith(target, {
        cause: {
          cell: 1,
          names: ['normalize'],
          cause_source: null,
          cell_source: null
        }
      });
      expect($('.jp-oci-fix-cause-text').textContent).toBe(
        'The cause was probably in cell 3, which defines normalize: the fix repairs it in this cell.'
      );
      const link = $<HTMLButtonElement>('.jp-oci-fix-cause-link');
      expect(link.textContent).toBe('Go to cell 3');

      notebook.content.activeCellIndex = 5;
      await act(async () => link.click());
      expect(notebook.content.activeCellIndex).toBe(2);
      expect(notebook.content.activeCell!.model.sharedModel.getSource()).toBe(
        'def normalize(s):\n    s.strip()'
      );
      expect(activated).toEqual([notebook]);

      // Another cell above: the link follows.
      await act(async () => {
        cells().insertCell(0, { cell_type: 'code', source: 'import os' });
      });
      expect($('.jp-oci-fix-cause-link').textContent).toBe('Go to cell 4');
      await act(async () => $('.jp-oci-fix-cause-link').click());
      expect(notebook.content.activeCellIndex).toBe(3);
    });

    it('shows no button once the cell is deleted', async () => {
      await fixWith(target, {
        cause: {
          cell: 1,
          names: ['normalize'],
          cause_source: null,
          cell_source: null
        }
      });
      expect($$('.jp-oci-fix-cause-link')).toHaveLength(1);
      await act(async () => {
        cells().deleteCell(1);
      });
      expect($$('.jp-oci-fix-cause-link')).toHaveLength(0);
      expect($('.jp-oci-fix-cause-text').textContent).toBe(
        'The cause was probably in an earlier cell, which defines normalize: the fix repairs it in this cell.'
      );
    });

    it('shows no button when the cell was deleted before the fix ended', async () => {
      cells().deleteCell(3);
      await fixWith(target, {
        cause: { cell: 2, names: ['x'], cause_source: null, cell_source: null }
      });
      expect($('.jp-oci-fix').dataset.state).toBe('fixed');
      expect($('.jp-oci-fix-cause-text').textContent).toBe(
        'The cause was probably in an earlier cell, which defines x: the fix repairs it in this cell.'
      );
      expect($$('.jp-oci-fix-cause-link')).toHaveLength(0);
    });

    describe('the repair made in the cause cell', () => {
      const CAUSE = 'def normalize(s):\n    s.strip()';
      const REPAIRED = 'def normalize(s):\n    return s.strip()';
      const FAILING = 'print(normalize(" a "))';
      let ran: string[];
      let failing: string | null;

      /**
       * The fix target of the last cell, run by an executor that records
       * the source of each cell it runs, in order, and fails the cell whose
       * source is `failing`.
       */
      function runningTarget(): NotebookCellTarget {
        ran = [];
        failing = null;
        target.dispose();
        return new NotebookCellTarget({
          panel: notebook,
          model: notebook.content.model!.cells.get(4) as ICodeCellModel,
          execute: async cell => {
            const source = cell.model.sharedModel.getSource();
            ran.push(source);
            return {
              content: { status: source === failing ? 'error' : 'ok' }
            } as any;
          },
          readVariables: async () => null,
          scheduled: new Signal<any, any>({}),
          activate: p => activated.push(p)
        });
      }

      const offer = (cell_source = FAILING) => ({
        cause: {
          cell: 1,
          names: ['normalize'],
          cause_source: REPAIRED,
          cell_source
        }
      });
      const sourceAt = (index: number) =>
        notebook.content.model!.cells.get(index).sharedModel.getSource();

      it('is offered only with cause_source', async () => {
        await fixWith(target, {
          cause: {
            cell: 1,
            names: ['normalize'],
            cause_source: null,
            cell_source: null
          }
        });
        expect($$('.jp-oci-fix-cause')).toHaveLength(1);
        expect($$('.jp-oci-fix-repair')).toHaveLength(0);
        expect($$('.jp-oci-fix-repair-apply')).toHaveLength(0);
      });

      it('shows the diffs, sets both cells and runs them in order, and Undo restores both', async () => {
        target = runningTarget();
        // Cells move while the fix runs: the cells are found by their model.
        cells().insertCell(0, { cell_type: 'markdown', source: '# Notes' });
        await fixWith(target, offer('print(normalize(" a ").upper())'));
        expect($('.jp-oci-fix-repair-title').textContent).toBe(
          'Make this repair in cell 3 instead'
        );
        const diffs = $$('.jp-oci-fix-repair .jp-oci-diff');
        expect(diffs).toHaveLength(2);
        expect(diffs[0].querySelector('.jp-oci-diff-del')!.textContent).toBe(
          '-     s.strip()'
        );
        expect(diffs[0].querySelector('ins')!.textContent).toBe('return ');
        expect(diffs[1].querySelector('ins')!.textContent).toBe('.upper()');
        // The note and its link stay.
        expect($('.jp-oci-fix-cause-link').textContent).toBe('Go to cell 3');

        const apply = $<HTMLButtonElement>('.jp-oci-fix-repair-apply');
        expect(apply.textContent).toBe('Apply in cell 3 & run');
        expect(apply.title).toBe(
          'Make the repair in cell 3, then run it and this cell'
        );
        await act(async () => {
          apply.click();
          await flushPromises();
        });
        expect(ran).toEqual([REPAIRED, 'print(normalize(" a ").upper())']);
        expect(sourceAt(2)).toBe(REPAIRED);
        expect(sourceAt(5)).toBe('print(normalize(" a ").upper())');
        expect($('.jp-oci-fix-repair').dataset.status).toBe('applied');
        expect($('.jp-oci-fix-repair-message').textContent).toBe(
          'Made the repair in cell 3: it and this cell ran without error.'
        );
        expect($$('.jp-oci-fix-repair-apply')).toHaveLength(0);

        const undo = $<HTMLButtonElement>('.jp-oci-fix-undo');
        expect(undo.title).toBe(
          'Restore the sources cell 3 and this cell had before the fix'
        );
        await act(async () => undo.click());
        expect(sourceAt(2)).toBe(CAUSE);
        expect(sourceAt(5)).toBe(FAILING);
        expect($$('.jp-oci-fix-undo')).toHaveLength(0);
        expect($('.jp-oci-fix-repair').dataset.status).toBe('offered');
      });

      it('restores both cells when a run fails, and says so', async () => {
        target = runningTarget();
        await fixWith(target, offer());
        // The failing cell's source stays: no diff of it.
        expect($$('.jp-oci-fix-repair .jp-oci-diff')).toHaveLength(1);
        failing = FAILING;
        await act(async () => {
          $('.jp-oci-fix-repair-apply').click();
          await flushPromises();
        });
        expect(ran).toEqual([REPAIRED, FAILING]);
        expect(sourceAt(1)).toBe(CAUSE);
        expect(sourceAt(4)).toBe(FAILING);
        expect($('.jp-oci-fix-repair-message').textContent).toBe(
          'This cell failed after the repair in cell 2, so both cells are back as they were.'
        );
        expect($('.jp-oci-fix-repair').dataset.status).toBe('offered');
      });

      it('refuses when the cause cell was edited since', async () => {
        target = runningTarget();
        await fixWith(target, offer());
        cells().getCell(1).setSource('def normalize(s):\n    return s');
        await act(async () => {
          $('.jp-oci-fix-repair-apply').click();
          await flushPromises();
        });
        expect(ran).toEqual([]);
        expect(sourceAt(1)).toBe('def normalize(s):\n    return s');
        expect($('.jp-oci-fix-repair-message').textContent).toBe(
          'Not applied: cell 2 changed since the fix was made.'
        );
      });
    });
  });
});
