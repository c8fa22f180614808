/**
 * Inline completions (ghost text) in a notebook: browser tests of the
 * assistant's provider in JupyterLab's inline completer, against the real
 * local completion model (the chat model, Qwen2.5-Coder-1.5B, in a context of its own) on the
 * CPU — nothing mocked.
 *
 * Each test types into a code cell key by key, as a user does, then pauses:
 * the inline completer's debouncer asks the provider, the server streams the
 * suggestion over the assistant's WebSocket and JupyterLab draws it as ghost
 * text (`.jp-GhostText`) after the cursor. Tab accepts it, Escape dismisses
 * it, and the per-provider setting `enabled` of JupyterLab's inline completer
 * turns it off. The `complete` messages the page sends and the suggestions it
 * receives are recorded, attached to the report when a test fails, and used
 * to check what the page shows against what the server sent.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import {
  LOAD_TIMEOUT,
  newNotebook,
  onAssistantMessages,
  watchPageErrors
} from './helpers';

/** JupyterLab's inline completer settings (per-provider under `providers`). */
const INLINE_PLUGIN = '@jupyterlab/completer-extension:inline-completer';
const PROVIDER_ID = 'opencodeinterpreter-lab:inline';
const SETTINGS_PLUGIN = '@jupyterlab/apputils-extension:settings';

/** The ghost text itself, not the transient spacers JupyterLab leaves behind. */
const GHOST =
  '.jp-GhostText:not(.jp-GhostText-lineSpacer):not(.jp-GhostText-letterSpacer)';

/** One suggestion after the model is loaded (a few tokens of the 0.5B). */
const SUGGESTION_TIMEOUT = 30_000;
/**
 * Long enough for a suggestion to show if one were coming: the debouncer
 * (250 ms) and a completion of the loaded 0.5B on a busy 2-core CPU.
 */
const NOTHING_SHOWS_MS = 6_000;

/** The code typed into the cell, and what the cell holds once typed. */
const FIRST_LINE = 'def add(a, b):';
const SECOND_LINE = 'return ';
/** JupyterLab indents the body after the colon by itself. */
const TYPED = `${FIRST_LINE}\n    ${SECOND_LINE}`;

/**
 * A `complete` request the page sent and what came back for it.
 */
interface ICompletion {
  id: string;
  prefix: string;
  suffix: string;
  context: string[];
  sentAt: number;
  text: string;
  cancelSent: boolean;
  done: { cancelled: boolean } | null;
  error: string | null;
}

/**
 * Record the inline completions the page asks for over the assistant's
 * WebSocket and what the server streams back. Call before the page loads:
 * the socket may already be open (the panel's, or an earlier request's).
 */
function recordCompletions(page: IJupyterLabPageFixture): {
  completions: ICompletion[];
  log: string[];
} {
  const completions: ICompletion[] = [];
  const log: string[] = [];
  const start = Date.now();
  const seconds = () => ((Date.now() - start) / 1000).toFixed(1);
  const byId = new Map<string, ICompletion>();
  onAssistantMessages(page, {
    sent: message => {
      if (message.type === 'complete') {
        const completion: ICompletion = {
          id: message.id,
          prefix: message.prefix ?? '',
          suffix: message.suffix ?? '',
          context: message.context ?? [],
          sentAt: Date.now(),
          text: '',
          cancelSent: false,
          done: null,
          error: null
        };
        completions.push(completion);
        byId.set(message.id, completion);
        log.push(
          `${seconds()}s sent complete ${message.id} prefix=${JSON.stringify(message.prefix)} suffix=${JSON.stringify(message.suffix ?? '')} context=${JSON.stringify(message.context ?? [])} max_lines=${message.max_lines} model=${message.model}`
        );
      } else if (message.type === 'cancel' && byId.has(message.id)) {
        byId.get(message.id)!.cancelSent = true;
        log.push(`${seconds()}s sent cancel ${message.id}`);
      }
    },
    received: message => {
      const completion = byId.get(message.id);
      if (!completion) {
        return;
      }
      if (message.type === 'token') {
        completion.text += message.text;
      } else if (message.type === 'done') {
        completion.done = { cancelled: !!message.cancelled };
        log.push(
          `${seconds()}s received done ${message.id} cancelled=${message.cancelled} text=${JSON.stringify(completion.text)}`
        );
      } else if (message.type === 'error') {
        completion.error = String(message.message);
        log.push(
          `${seconds()}s received error ${message.id} ${JSON.stringify(message.message)}`
        );
      }
    }
  });
  return { completions, log };
}

/**
 * The source of a cell of the current notebook, read from its model.
 */
async function cellSource(
  page: IJupyterLabPageFixture,
  index: number
): Promise<string> {
  return page.evaluate((index: number) => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    return widget.content.model.cells.get(index).sharedModel.getSource();
  }, index);
}

/**
 * A notebook whose first cell holds `import math` (set through the model: no
 * typing, so no suggestion for it) and whose second, empty code cell is in
 * edit mode, ready to be typed into.
 */
async function notebookReadyToType(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  await newNotebook(page, name);
  await page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    widget.content.model.cells.get(0).sharedModel.setSource('import math');
  });
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('notebook:insert-cell-below');
  });
  await expect(page.locator('.jp-Notebook .jp-Cell')).toHaveCount(2);
  await editCellAtEnd(page, 1);
}

/**
 * Edit a cell of the current notebook with the cursor at its end (Galata's
 * helper double-clicks into the cell, which would select a word).
 */
async function editCellAtEnd(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  await page.evaluate((index: number) => {
    const notebook = (window.jupyterapp.shell.currentWidget as any).content;
    notebook.activeCellIndex = index;
    notebook.mode = 'edit';
    const editor = notebook.activeCell.editor;
    const length = editor.model.sharedModel.getSource().length;
    editor.setCursorPosition(editor.getPositionAt(length));
    editor.focus();
  }, index);
  await expect(
    page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.cm-content')
  ).toBeFocused();
}

/**
 * Type the function into the active cell key by key, as a user does, and
 * check what the cell holds (JupyterLab indents the second line itself).
 */
async function typeFunction(page: IJupyterLabPageFixture): Promise<void> {
  await page.keyboard.type(FIRST_LINE, { delay: 50 });
  await page.keyboard.press('Enter');
  await page.keyboard.type(SECOND_LINE, { delay: 50 });
  expect(await cellSource(page, 1)).toBe(TYPED);
}

/**
 * The last completion the page asked for, once the server has finished it:
 * the one whose suggestion the ghost text shows.
 */
async function lastFinishedCompletion(
  completions: ICompletion[]
): Promise<ICompletion> {
  await expect
    .poll(
      () => {
        const last = completions[completions.length - 1];
        return last && last.prefix === TYPED && (last.done || last.error)
          ? 'finished'
          : 'pending';
      },
      {
        timeout: SUGGESTION_TIMEOUT,
        message: 'the server finishes the completion of the typed code'
      }
    )
    .toBe('finished');
  return completions[completions.length - 1];
}

/**
 * Wait for the suggestion of the typed code to be shown in full: the ghost
 * text has text, no longer streams, and shows what the server sent. The
 * first suggestion may wait for the model to load.
 */
async function waitForSuggestion(
  page: IJupyterLabPageFixture,
  completions: ICompletion[]
): Promise<string> {
  const ghost = page.locator(GHOST);
  await expect(ghost).toHaveCount(1, { timeout: LOAD_TIMEOUT });
  await expect(ghost).toHaveText(/\S/, { timeout: LOAD_TIMEOUT });
  const completion = await lastFinishedCompletion(completions);
  expect(completion.error, 'the server did not fail the completion').toBe(
    null
  );
  expect(completion.done?.cancelled).toBe(false);
  expect(completion.text.trim(), 'the server suggested something').not.toBe(
    ''
  );
  // The request: the code up to the cursor, nothing after it, and the cell
  // above as context.
  expect(completion.suffix).toBe('');
  expect(completion.context).toEqual(['import math']);
  await expect(ghost.locator('.jp-GhostText-streamingIndicator')).toHaveCount(
    0
  );
  // The ghost text renders line breaks as <br>: compare its rendered text.
  await expect(ghost).toHaveText(completion.text, { useInnerText: true });
  return completion.text;
}

/**
 * The user value of one setting (undefined when the user has not set it).
 */
async function userSetting(
  page: IJupyterLabPageFixture,
  pluginId: string,
  key: string
): Promise<any> {
  return page.evaluate(
    async ({ plugin, pluginId, key }) => {
      const registry = (await window.galata.getPlugin(plugin as any)) as any;
      return (await registry.get(pluginId, key)).user;
    },
    { plugin: SETTINGS_PLUGIN, pluginId, key }
  );
}

/**
 * Change the user value of one setting at runtime through the setting
 * registry (Galata keeps the settings in memory for the test); undefined
 * removes it.
 */
async function setUserSetting(
  page: IJupyterLabPageFixture,
  pluginId: string,
  key: string,
  value: any
): Promise<void> {
  await page.evaluate(
    async ({ plugin, pluginId, key, value }) => {
      const registry = (await window.galata.getPlugin(plugin as any)) as any;
      if (value === null) {
        await registry.remove(pluginId, key);
      } else {
        await registry.set(pluginId, key, value);
      }
    },
    { plugin: SETTINGS_PLUGIN, pluginId, key, value: value ?? null }
  );
}

/**
 * The provider's settings as the inline completer uses them (composite).
 */
async function providerSettings(page: IJupyterLabPageFixture): Promise<any> {
  return page.evaluate(
    async ({ plugin, pluginId, providerId }) => {
      const registry = (await window.galata.getPlugin(plugin as any)) as any;
      const providers = (await registry.get(pluginId, 'providers')).composite;
      return providers?.[providerId];
    },
    { plugin: SETTINGS_PLUGIN, pluginId: INLINE_PLUGIN, providerId: PROVIDER_ID }
  );
}

test.use({ mockSettings: { ...galata.DEFAULT_SETTINGS } });

test.describe('Inline completions (ghost text) from the local model', () => {
  const failures: string[] = [];
  let recorded: ReturnType<typeof recordCompletions>;
  let consoleLog: string[];

  test.beforeEach(async ({ page }) => {
    failures.length = 0;
    watchPageErrors(page, failures);
    recorded = recordCompletions(page);
    consoleLog = [];
    page.on('console', message => {
      if (['error', 'warning', 'debug'].includes(message.type())) {
        consoleLog.push(`${message.type()}: ${message.text()}`);
      }
    });
    // The assistant's WebSocket may have opened before a test could listen
    // (the panel opens it at start when it is restored): load the page again.
    await page.reload();
  });

  test.afterEach(async ({ page }, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('complete messages', {
        body: recorded.log.join('\n') || '(none)',
        contentType: 'text/plain'
      });
      await testInfo.attach('console', {
        body: consoleLog.join('\n') || '(none)',
        contentType: 'text/plain'
      });
      await testInfo.attach('screenshot', {
        body: await page.screenshot(),
        contentType: 'image/png'
      });
    }
    expect(failures, 'errors logged by the page').toEqual([]);
  });

  test('the suggestion shows as ghost text after a pause and Tab inserts it', async ({
    page
  }) => {
    test.setTimeout(3 * LOAD_TIMEOUT);
    await notebookReadyToType(page, 'inline-accept.ipynb');
    // The provider's defaults, under JupyterLab's inline completer.
    expect(await providerSettings(page)).toMatchObject({
      enabled: true,
      debouncerDelay: 250,
      timeout: 8000,
      maxLines: 3,
      model: 'chat'
    });

    await typeFunction(page);
    const suggestion = await waitForSuggestion(page, recorded.completions);
    test
      .info()
      .annotations.push({ type: 'suggestion', description: suggestion });
    // The cell itself is unchanged until the suggestion is accepted.
    expect(await cellSource(page, 1)).toBe(TYPED);
    await expect(page.locator('.jp-mod-inline-completer-active')).toHaveCount(
      1
    );

    await page.keyboard.press('Tab');
    // Accepted: the suggestion is in the cell, after the typed code, and the
    // ghost text is gone (checked at once: a new suggestion for the longer
    // line may come after the debouncer).
    await expect(page.locator(GHOST)).toHaveCount(0);
    expect(await cellSource(page, 1)).toBe(TYPED + suggestion);
    expect(await cellSource(page, 1)).toMatch(/return a\s*\+\s*b/);
    // Still editing the cell, the cursor after the inserted text.
    await expect(
      page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.cm-content')
    ).toBeFocused();
  });

  test('Escape dismisses the ghost text and leaves the cell as typed', async ({
    page
  }) => {
    test.setTimeout(3 * LOAD_TIMEOUT);
    await notebookReadyToType(page, 'inline-escape.ipynb');
    await typeFunction(page);
    await waitForSuggestion(page, recorded.completions);

    await page.keyboard.press('Escape');
    await expect(page.locator(GHOST)).toHaveCount(0);
    await expect(page.locator('.jp-mod-inline-completer-active')).toHaveCount(
      0
    );
    expect(await cellSource(page, 1)).toBe(TYPED);
    // Escape also leaves the editor (command mode), as without a suggestion.
    await expect(page.locator('.jp-Notebook')).toHaveClass(/jp-mod-commandMode/);
    // Tab now does not insert the dismissed suggestion.
    await page.keyboard.press('Tab');
    expect(await cellSource(page, 1)).toBe(TYPED);
  });

  test('the setting "enabled" of the provider turns the ghost text off', async ({
    page
  }) => {
    test.setTimeout(3 * LOAD_TIMEOUT);
    await notebookReadyToType(page, 'inline-off.ipynb');

    const previous = await userSetting(page, INLINE_PLUGIN, 'providers');
    await setUserSetting(page, INLINE_PLUGIN, 'providers', {
      ...(previous ?? {}),
      [PROVIDER_ID]: { ...(previous?.[PROVIDER_ID] ?? {}), enabled: false }
    });
    try {
      await expect.poll(() => providerSettings(page)).toMatchObject({
        enabled: false,
        debouncerDelay: 250
      });
      // Back in the cell, if the settings change moved the focus.
      await editCellAtEnd(page, 1);
      const before = recorded.completions.length;
      await typeFunction(page);
      // Nothing can be awaited here: wait longer than the debouncer and a
      // completion would take, then check nothing was asked for or shown.
      await page.waitForTimeout(NOTHING_SHOWS_MS);
      await expect(page.locator(GHOST)).toHaveCount(0);
      expect(
        recorded.completions.slice(before).map(c => c.prefix),
        'no completion asked for while disabled'
      ).toEqual([]);
      expect(await cellSource(page, 1)).toBe(TYPED);
    } finally {
      await setUserSetting(page, INLINE_PLUGIN, 'providers', previous);
    }

    // Back on: the same pause now shows a suggestion (the check above was
    // not passing for want of a model).
    await expect.poll(() => providerSettings(page)).toMatchObject({
      enabled: true
    });
    await editCellAtEnd(page, 1);
    await page.keyboard.press('Backspace');
    await page.keyboard.type(' ', { delay: 50 });
    expect(await cellSource(page, 1)).toBe(TYPED);
    await waitForSuggestion(page, recorded.completions);
  });
});
