/**
 * Conversations that survive: a notebook's conversation is still in the
 * panel after the page is reloaded (the server keeps it in the user's data,
 * not in the notebook). The real model answers; the prompt and answer are
 * tiny.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  newNotebook,
  openPanel,
  PANEL,
  setSetting,
  watchPageErrors
} from './helpers';

const ANSWER_TIMEOUT = 120_000;

/**
 * Reload the page and bring the notebook `name` to the front (restored
 * with the workspace, or opened again).
 */
async function reopen(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string
): Promise<void> {
  // Galata's own reload waits for a Launcher, which a restored notebook hides.
  await page.mainFrame().goto(page.url());
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await page.waitForFunction(() => !!(window as any).jupyterapp);
  // Until the workspace is restored, a notebook it reopens is not open yet.
  await page.evaluate(() => (window as any).jupyterapp.restored);
  if (!(await page.notebook.isOpen(name))) {
    await page.notebook.openByPath(`${tmpPath}/${name}`);
  }
  await page.notebook.activate(name);
}

test.describe('Conversations that survive', () => {
  const failures: string[] = [];

  test.beforeEach(({ page }) => {
    failures.length = 0;
    watchPageErrors(page, failures);
  });

  test.afterEach(() => {
    expect(failures, 'errors logged by the page').toEqual([]);
  });

  test('a notebook’s conversation is still there after a reload', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(300_000);
    const name = 'kept.ipynb';
    await newNotebook(page, name);
    await openPanel(page);
    await setSetting(page, 'maxTokens', 12);
    const panel = page.locator(PANEL);
    await expect(panel.locator('.jp-oci-conversation-name')).toHaveText(name);

    const input = panel.locator('.jp-oci-input');
    await input.fill('Say hi.');
    await input.press('Enter');
    const answer = panel.locator('.jp-oci-message[data-role="assistant"]');
    await expect(answer).toHaveAttribute('data-state', 'complete', {
      timeout: ANSWER_TIMEOUT
    });
    const answered = (await answer.textContent()) ?? '';
    expect(answered.trim()).not.toBe('');

    // The notebook keeps its kernel across the reload (no kernel dialog).
    await page.notebook.save();

    // Saved when the answer ended.
    const saved = await page.evaluate(async (path: string) => {
      const settings = window.jupyterapp.serviceManager.serverSettings;
      const response = await fetch(
        `${settings.baseUrl}api/opencodeinterpreter/conversations?path=${encodeURIComponent(path)}`,
        { headers: { Authorization: `token ${settings.token}` } }
      );
      return (await response.json()).entries.length;
    }, `${tmpPath}/${name}`);
    expect(saved).toBe(2);

    await reopen(page, tmpPath, name);
    await openPanel(page);
    await expect(panel.locator('.jp-oci-conversation-name')).toHaveText(name);
    await expect(
      panel.locator('.jp-oci-message[data-role="user"]')
    ).toContainText('Say hi.');
    await expect(answer).toHaveAttribute('data-state', 'complete');
    await expect(answer).toContainText(answered.trim().slice(0, 20));

    // Clear empties it, and the empty conversation is what is kept.
    await panel.locator('.jp-oci-clear').click();
    await reopen(page, tmpPath, name);
    await openPanel(page);
    await expect(panel.locator('.jp-oci-conversation-name')).toHaveText(name);
    await expect(panel.locator('.jp-oci-empty')).toBeVisible();
  });
});
