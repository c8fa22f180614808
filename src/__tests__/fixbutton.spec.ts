/**
 * The Fix button of a failed cell follows the cell's fix: it says while a
 * proposal is made (and which round), when one is ready and when the fix
 * failed, so that a fix started by itself shows at the cell while the panel
 * is closed; a click then brings that fix into view instead of starting
 * another. A real notebook, bridge and chat model; the fake socket.
 */
import type { CodeCell } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';

import { AssistantClient } from '../api/client';
import { ChatModel } from '../chat/model';
import type { IChatSettings } from '../chat/settings';
import { NotebookBridge } from '../notebook/bridge';
import type { FixStatus } from '../loop/fix';
import { describeFixButton } from '../notebook/fixbutton';
import {
  FakeWebSocket,
  doneMessage,
  fixOutcome,
  flushPromises,
  makeSettings
} from './fakes';
import {
  FakeTracker,
  IFakePanel,
  hideYjsWarnings,
  makePanel
} from './notebooks';

hideYjsWarnings();

const ERROR: nbformat.IError = {
  output_type: 'error',
  ename: 'NameError',
  evalue: "name 'prcies' is not defined",
  traceback: []
};

const trans = nullTranslator.load('opencodeinterpreter_lab');

/** A button's view as [state, text, accessible name]. */
function view(
  fix: { status: FixStatus; round: number } | null,
  maxRounds: number | null
): string[] {
  const { state, text, label } = describeFixButton(fix, maxRounds, trans);
  return [state, text, label];
}

describe('describeFixButton', () => {
  it('says where the fix stands, in its text and in full', () => {
    expect(view(null, null)).toEqual([
      'idle',
      'Fix',
      'Fix this cell with the assistant'
    ]);
    expect(view({ status: 'streaming', round: 2 }, 3)).toEqual([
      'fixing',
      'Fixing… round 2/3',
      'The assistant is fixing this cell (round 2 of 3): show the fix in the assistant panel'
    ]);
    // The server's default number of rounds is not known here.
    expect(view({ status: 'running', round: 1 }, null)).toEqual([
      'fixing',
      'Fixing… round 1',
      'The assistant is fixing this cell (round 1): show the fix in the assistant panel'
    ]);
    expect(view({ status: 'proposed', round: 1 }, 3)).toEqual([
      'ready',
      'Fix ready',
      'A fix of this cell is ready: show it in the assistant panel to apply it'
    ]);
    expect(view({ status: 'failed', round: 3 }, 3)).toEqual([
      'failed',
      'Not fixed',
      'The assistant could not fix this cell: ask it for a new fix'
    ]);
    for (const status of ['cancelled', 'fixed'] as const) {
      expect(view({ status, round: 1 }, 3)[1]).toBe('Fix');
    }
  });
});

describe('the Fix button follows the fix of its cell', () => {
  let tracker: FakeTracker;
  let bridge: NotebookBridge;
  let panel: IFakePanel;
  let executed: Signal<any, any>;
  let client: AssistantClient;
  let model: ChatModel;
  let socket: FakeWebSocket;

  function setup(settings: Partial<IChatSettings> = { fixRounds: 3 }): void {
    tracker = new FakeTracker();
    executed = new Signal<any, any>({});
    bridge = new NotebookBridge({
      tracker,
      executed,
      executionScheduled: new Signal<any, any>({}),
      readVariables: async () => null
    });
    panel = makePanel(['prices = [1, 2, 3]', 'total = sum(prcies)', 'x = 1']);
    tracker.setCurrent(panel);
    FakeWebSocket.reset();
    client = new AssistantClient({ serverSettings: makeSettings() });
    model = new ChatModel({ client, notebook: bridge, settings });
    client.connect();
    socket = FakeWebSocket.last;
    socket.open();
  }

  afterEach(() => {
    model.dispose();
    client.dispose();
    bridge.dispose();
    panel.content.dispose();
  });

  /** Cell `index` fails the way the notebook's Run reports it. */
  async function fail(index = 1): Promise<CodeCell> {
    const cell = panel.content.widgets[index] as CodeCell;
    cell.model.outputs.add({ ...ERROR });
    executed.emit({ notebook: panel.content, cell, success: false });
    await flushPromises();
    return cell;
  }

  function button(cell: CodeCell): HTMLButtonElement {
    return cell.node.querySelector<HTMLButtonElement>('.jp-oci-fix-button')!;
  }

  /**
   * What the button shows, says to assistive technology (`name`) and in
   * its tooltip.
   */
  function shown(cell: CodeCell): Record<string, string | null> {
    const node = button(cell);
    return {
      state: node.dataset.state ?? null,
      text: node.textContent,
      name: node.getAttribute('aria-label'),
      tooltip: node.title
    };
  }

  /** A button showing `text`, that says `said` in full, both ways. */
  const showing = (state: string, text: string, said: string) => ({
    state,
    text,
    name: said,
    tooltip: said
  });

  const fixes = (): any[] => socket.messages.filter(m => m.type === 'fix');
  const fixEntries = () => model.messages.filter(e => e.kind === 'fix');

  it('shows an automatic fix streaming, then ready; a click reveals it', async () => {
    setup();
    const cell = await fail();
    expect(fixes()).toHaveLength(1);
    const id = fixes()[0].id;
    expect(shown(cell)).toEqual(
      showing(
        'fixing',
        'Fixing… round 1/3',
        'The assistant is fixing this cell (round 1 of 3): show the fix in the assistant panel'
      )
    );
    // Started by itself: nothing asks the panel to show it.
    expect(model.revealed).toBeNull();

    // Streamed tokens leave the button as it is (no DOM change per token).
    const changes: MutationRecord[] = [];
    const observer = new MutationObserver(records => changes.push(...records));
    observer.observe(button(cell), {
      attributes: true,
      childList: true,
      characterData: true,
      subtree: true
    });
    for (const text of ['Use ', 'prices', '.']) {
      socket.receive({ type: 'token', id, round: 1, text });
    }
    await flushPromises();
    expect(changes).toEqual([]);

    // An answer without code: the server asks again, round 2.
    socket.receive({ type: 'token', id, round: 2, text: 'Fix the name.' });
    expect(shown(cell)).toEqual(
      showing(
        'fixing',
        'Fixing… round 2/3',
        'The assistant is fixing this cell (round 2 of 3): show the fix in the assistant panel'
      )
    );

    socket.receive({
      type: 'proposal',
      tried: false,
      preview: '',
      id,
      round: 2,
      code: 'total = sum(prices)',
      explanation: 'Fix the name.'
    });
    expect(shown(cell)).toEqual(
      showing(
        'ready',
        'Fix ready',
        'A fix of this cell is ready: show it in the assistant panel to apply it'
      )
    );

    // A click shows that fix (no new one), and leaves the cell as it was.
    button(cell).click();
    await flushPromises();
    expect(fixes()).toHaveLength(1);
    expect(fixEntries()).toHaveLength(1);
    expect(model.revealed).toEqual({ id: fixEntries()[0].id, request: 1 });
    expect(cell.model.sharedModel.getSource()).toBe('total = sum(prcies)');
    expect(shown(cell).text).toBe('Fix ready');
    // Each click asks again (the user may have scrolled away).
    button(cell).click();
    expect(model.revealed?.request).toBe(2);

    // Discard: the fix ended without a fix, the button is back to Fix.
    model.fixes.get(fixEntries()[0].id)!.discard();
    expect(shown(cell)).toMatchObject({ state: 'idle', text: 'Fix' });
    // Other cells' buttons follow their own fixes.
    const other = await fail(2);
    expect(shown(other).text).toBe('Fixing… round 1/3');
    expect(shown(cell).text).toBe('Fix');
  });

  it('says Not fixed when the fix failed; a click starts a new one', async () => {
    setup({ fixRounds: null });
    const cell = await fail();
    const id = fixes()[0].id;
    expect(shown(cell).text).toBe('Fixing… round 1');
    socket.receive({
      ...doneMessage(id),
      outcome: fixOutcome({
        status: 'failed',
        rounds: 3,
        source: 'total = sum(prcies)'
      })
    });
    await flushPromises();
    expect(fixEntries()[0].fix!.status).toBe('failed');
    expect(shown(cell)).toEqual(
      showing(
        'failed',
        'Not fixed',
        'The assistant could not fix this cell: ask it for a new fix'
      )
    );

    button(cell).click();
    await flushPromises();
    expect(fixes()).toHaveLength(2);
    const entries = fixEntries();
    expect(entries).toHaveLength(2);
    expect(model.revealed).toEqual({ id: entries[1].id, request: 1 });
    expect(shown(cell).text).toBe('Fixing… round 1');
  });

  it('with autoFix off, shows Fix until clicked, then the fix', async () => {
    setup({ autoFix: false, fixRounds: 2 });
    const cell = await fail();
    expect(fixes()).toHaveLength(0);
    expect(shown(cell).text).toBe('Fix');
    button(cell).click();
    await flushPromises();
    expect(fixes()).toHaveLength(1);
    expect(model.revealed?.id).toBe(fixEntries()[0].id);
    expect(shown(cell).text).toBe('Fixing… round 1/2');
  });

  it('goes back to Fix when the conversation forgets the fix', async () => {
    setup();
    const cell = await fail();
    expect(shown(cell).state).toBe('fixing');
    model.clear();
    expect(shown(cell)).toMatchObject({ state: 'idle', text: 'Fix' });
    // A new failure of the cell starts a fix the button follows.
    await fail();
    expect(shown(cell).text).toBe('Fixing… round 1/3');
  });

  it('goes with the error, whatever the fix does next', async () => {
    setup();
    const cell = await fail();
    // The user edits the cell: the fix is cancelled, the button removed.
    cell.model.sharedModel.setSource('total = sum(prices)');
    expect(button(cell)).toBeNull();
    expect(fixEntries()[0].fix!.status).toBe('cancelled');
  });
});
