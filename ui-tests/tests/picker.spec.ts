/**
 * The model picker: the header names the model and opens the picker; choosing
 * the 0.5B model prepares and loads it (progress shown) while the current
 * one serves, then the header names it; and back to the default.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { LOAD_TIMEOUT, openPanel, PANEL, watchPageErrors } from './helpers';

const DEFAULT = 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M';
const SMALL = 'Qwen2.5-Coder-0.5B-Instruct Q4_K_M';

async function switchTo(
  page: IJupyterLabPageFixture,
  key: string,
  name: string
): Promise<void> {
  const header = page.locator(`${PANEL} .jp-oci-model-button`);
  await header.click();
  const picker = page.locator(`${PANEL} .jp-oci-picker`);
  await expect(picker).toBeVisible();
  const option = picker.locator(`.jp-oci-picker-option[data-key="${key}"]`);
  await expect(option).toContainText(name);
  await option.locator('button').click();
  // The preparation shows its state and a progress bar while the old model serves.
  await expect(picker.locator('.jp-oci-picker-preparing')).toBeVisible();
  await expect(
    picker.locator('[aria-label="Model preparation progress"]')
  ).toBeVisible();
  await expect(picker).toBeHidden({ timeout: LOAD_TIMEOUT });
  await expect(header).toHaveText(new RegExp(`^${escape(name)}`), {
    timeout: LOAD_TIMEOUT
  });
  await expect(page.locator(`${PANEL} .jp-oci-status-label`)).toHaveText(
    'Ready',
    { timeout: LOAD_TIMEOUT }
  );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test.describe('Model picker', () => {
  const failures: string[] = [];
  test.beforeEach(({ page }) => watchPageErrors(page, failures));
  test.afterEach(() => expect(failures).toEqual([]));

  test('switches to the 0.5B model and back', async ({ page }) => {
    test.setTimeout(3 * LOAD_TIMEOUT);
    await openPanel(page);
    const header = page.locator(`${PANEL} .jp-oci-model-button`);
    await expect(header).toHaveText(new RegExp(`^${escape(DEFAULT)}`), {
      timeout: LOAD_TIMEOUT
    });
    await header.click();
    const picker = page.locator(`${PANEL} .jp-oci-picker`);
    await expect(picker.locator('.jp-oci-picker-option')).not.toHaveCount(0);
    await expect(
      picker.locator('.jp-oci-picker-option[data-current="true"]')
    ).toContainText(DEFAULT);
    await header.click(); // closes
    await expect(picker).toBeHidden();

    await switchTo(page, 'qwen2.5-coder-0.5b', SMALL);
    await switchTo(page, 'qwen2.5-coder-1.5b', DEFAULT);
  });
});
