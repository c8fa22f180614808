/**
 * One-click fixes of failing cells: browser tests of the Fix button under a
 * failed cell's error (it says where the cell's fix stands while the panel
 * is closed), the fix entry of the panel (streamed proposal, diff with the
 * changed words marked, Apply & run, Apply, Undo, Discard, cancel on edit),
 * the repair made in the earlier cell where the cause lay (Apply in cell N
 * & run) and the `autoFix` setting, against the real local model
 * (Qwen2.5-Coder-1.5B on the CPU) and a real python3 kernel.
 *
 * Each test starts from a fresh page, fresh in-memory settings (temperature 0)
 * and a fresh notebook whose second cell fails: most with an AttributeError
 * (`math.sqroot`), a mistake the model fixes reliably (`math.sqrt`).
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import {
  LOAD_TIMEOUT,
  newNotebook,
  openPanel,
  PANEL,
  PLUGIN_ID,
  recordLoopMessages,
  recordReceived,
  RUN_TIMEOUT,
  setSetting,
  watchPageErrors
} from './helpers';

/**
 * A streamed proposal: the fix prompt (traceback, cells above, variables) is
 * read first, then ~80 tokens at ~10 tokens/s; up to two minutes were seen
 * when the CPU is shared with builds.
 */
const ANSWER_TIMEOUT = 240_000;
/** The whole of one test: its page, kernel and model, and one proposal. */
const TEST_TIMEOUT = 120_000 + ANSWER_TIMEOUT;

const SETUP = 'import math\nvalues = [1, 4, 9]';
const FAILING = 'roots = [math.sqroot(v) for v in values]\nprint(roots)';

/**
 * The sources of the cells of the current notebook, read from its model.
 */
async function cellSources(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    const cells = widget?.content?.model?.cells;
    return Array.from(cells ?? []).map(
      (cell: any) => cell.sharedModel.getSource() as string
    );
  });
}

/**
 * The source of one cell of the current notebook.
 */
async function cellSource(
  page: IJupyterLabPageFixture,
  index: number
): Promise<string> {
  return (await cellSources(page))[index];
}

/**
 * The Fix button under the outputs of cell `index`.
 */
function fixButton(page: IJupyterLabPageFixture, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.jp-oci-fix-button');
}

/**
 * The fix entries of the panel.
 */
function fixEntries(page: IJupyterLabPageFixture): Locator {
  return page.locator(PANEL).locator('.jp-oci-fix');
}

/**
 * Run the setup cell, then write the failing cell below it and run it with
 * Shift+Enter as a user would; wait for its error and its Fix button.
 */
async function failSecondCell(page: IJupyterLabPageFixture): Promise<void> {
  await page.notebook.setCell(0, 'code', SETUP);
  expect(await page.notebook.runCell(0, { inplace: true })).toBe(true);
  await page.notebook.addCell('code', FAILING);
  expect(await page.notebook.enterCellEditingMode(1)).toBe(true);
  await page.keyboard.press('Shift+Enter');
  const output = page
    .locator('.jp-NotebookPanel .jp-Notebook .jp-Cell')
    .nth(1)
    .locator('.jp-OutputArea-output');
  await expect(output.first()).toContainText('AttributeError', {
    timeout: RUN_TIMEOUT
  });
  await expect(fixButton(page, 1)).toBeVisible();
  expect((await cellSources(page)).slice(0, 2)).toEqual([SETUP, FAILING]);
}

/**
 * Wait for the fix entry to hold a proposal and return it; its diff replaces
 * the misspelt call.
 */
async function waitForProposal(entry: Locator): Promise<void> {
  await expect(entry).toHaveAttribute('data-state', 'proposed', {
    timeout: ANSWER_TIMEOUT
  });
  test.info().annotations.push({
    type: 'proposal',
    description: (await entry.textContent()) ?? ''
  });
  await expect(
    entry.locator('.jp-oci-diff-del').filter({ hasText: 'sqroot' })
  ).not.toHaveCount(0);
  await expect(
    entry.locator('.jp-oci-diff-add').filter({ hasText: 'sqrt' })
  ).not.toHaveCount(0);
  await expect(entry.locator('.jp-oci-fix-apply-run')).toBeEnabled();
  await expect(entry.locator('.jp-oci-fix-apply')).toBeEnabled();
  await expect(entry.locator('.jp-oci-fix-discard')).toBeEnabled();
}

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    [PLUGIN_ID]: { temperature: 0 }
  }
});

test.describe('Failing cells are fixed from their traceback', () => {
  const failures: string[] = [];
  let fixMessages: string[] = [];

  test.beforeEach(({ page }) => {
    failures.length = 0;
    fixMessages = recordLoopMessages(page);
    watchPageErrors(page, failures);
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('fix messages', {
        body: fixMessages.join('\n'),
        contentType: 'text/plain'
      });
    }
    expect(failures, 'errors logged by the page').toEqual([]);
  });

  test('a failure proposes a fix by itself and Apply & run fixes the cell', async ({
    page
  }) => {
    // A proposal, then the run and, should it still fail, another round.
    test.setTimeout(TEST_TIMEOUT + ANSWER_TIMEOUT);
    await newNotebook(page, 'fix-run.ipynb');
    await openPanel(page);

    await failSecondCell(page);

    // autoFix (on by default): the entry starts without a click.
    const entries = fixEntries(page);
    await expect(entries).toHaveCount(1, { timeout: 30_000 });
    const entry = entries.first();
    await expect(entry).toHaveAttribute(
      'aria-label',
      'Fix of cell 2 of fix-run.ipynb'
    );
    await expect(entry.locator('.jp-oci-fix-error')).toContainText(
      'AttributeError'
    );
    await waitForProposal(entry);
    await expect(entry).toHaveAttribute('data-round', '1');
    await expect(
      entry.locator('.jp-oci-fix-explanation').first()
    ).not.toBeEmpty();
    // It was tried in a copy of the notebook's kernel before it was proposed.
    await expect(entry.locator('.jp-oci-fix-tried')).toHaveText(
      'Passed in a copy of your kernel.'
    );
    // And what it printed and set there: the cell's roots, among others.
    await expect(entry.locator('.jp-oci-fix-preview pre')).toContainText(
      'roots:'
    );
    // A proposal is not applied until the user says so.
    expect(await cellSource(page, 1)).toBe(FAILING);

    await entry.locator('.jp-oci-fix-apply-run').click();
    await expect(entry).toHaveAttribute('data-state', 'fixed', {
      timeout: ANSWER_TIMEOUT
    });
    test.info().annotations.push({
      type: 'outcome',
      description: (await entry.textContent()) ?? ''
    });
    await expect(entry.locator('.jp-oci-fix-title')).toContainText(
      'Fixed cell 2 of fix-run.ipynb'
    );
    await expect(
      entry.locator('.jp-oci-fix-result[data-status="ok"]')
    ).not.toHaveCount(0);
    await expect(entry.locator('.jp-oci-fix-apply-run')).toHaveCount(0);
    await expect(entry.locator('.jp-oci-fix-stop')).toHaveCount(0);

    // The notebook holds the passing cell and its output.
    expect(await cellSource(page, 1)).toContain('math.sqrt');
    const output = await page.notebook.getCellOutputLocator(1);
    expect(output).not.toBeNull();
    await expect(output!).toContainText('[1.0, 2.0, 3.0]');
    await expect(output!).not.toContainText('AttributeError');
    // The error is gone, and so is the Fix button.
    await expect(fixButton(page, 1)).toHaveCount(0);
    // The setup cell is untouched.
    expect(await cellSource(page, 0)).toBe(SETUP);
  });

  test('Undo restores the source the cell had before Apply', async ({
    page
  }) => {
    test.setTimeout(TEST_TIMEOUT);
    await newNotebook(page, 'fix-undo.ipynb');
    await openPanel(page);

    await failSecondCell(page);
    await expect(fixEntries(page)).toHaveCount(1, { timeout: 30_000 });
    const entry = fixEntries(page).first();
    await waitForProposal(entry);

    // Apply writes the proposal without running it and ends the loop.
    await entry.locator('.jp-oci-fix-apply').click();
    await expect(entry).toHaveAttribute('data-state', 'cancelled');
    await expect(entry).toHaveAttribute('data-applied', 'true');
    await expect(entry.locator('.jp-oci-fix-outcome')).toHaveText(
      'Applied to the cell without running it.'
    );
    const applied = await cellSource(page, 1);
    expect(applied).toContain('math.sqrt');
    expect(applied).not.toBe(FAILING);
    // Not run: the cell still shows the old error.
    const output = await page.notebook.getCellOutputLocator(1);
    await expect(output!).toContainText('AttributeError');
    await expect(output!).not.toContainText('[1.0, 2.0, 3.0]');

    const undo = entry.locator('.jp-oci-fix-undo');
    await expect(undo).toBeVisible();
    await undo.click();
    await expect.poll(() => cellSource(page, 1)).toBe(FAILING);
    await expect(entry).toHaveAttribute('data-applied', 'false');
    await expect(undo).toHaveCount(0);
    await expect(entry).toHaveAttribute('data-state', 'cancelled');
  });

  test('editing the cell while a proposal waits cancels it and keeps the edit', async ({
    page
  }) => {
    test.setTimeout(TEST_TIMEOUT);
    const received = recordReceived(page);
    await newNotebook(page, 'fix-edit.ipynb');
    await openPanel(page);

    await failSecondCell(page);
    const entries = fixEntries(page);
    await expect(entries).toHaveCount(1, { timeout: 30_000 });
    const entry = entries.first();
    await waitForProposal(entry);

    // The user types into the failing cell.
    expect(await page.notebook.enterCellEditingMode(1)).toBe(true);
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' # mine');
    const edited = `${FAILING} # mine`;
    await expect.poll(() => cellSource(page, 1)).toBe(edited);
    await expect(entry).toHaveAttribute('data-state', 'cancelled');
    await expect(entry).toHaveAttribute('data-applied', 'false');
    await expect(entry.locator('.jp-oci-fix-outcome')).toHaveText(
      'Cancelled: the cell was edited or run again.'
    );
    await expect(entry.locator('.jp-oci-fix-apply-run')).toHaveCount(0);
    await expect(entry.locator('.jp-oci-fix-discard')).toHaveCount(0);
    await expect(entry.locator('.jp-oci-fix-undo')).toHaveCount(0);
    // The edit took the Fix button away; the source stays as typed, also once
    // the server has ended the fix (it sends nothing for it after its `done`).
    await expect(fixButton(page, 1)).toHaveCount(0);
    const id = received.find(message => message.type === 'proposal')?.id;
    await expect
      .poll(() => received.filter(m => m.id === id).at(-1)?.type, {
        timeout: 30_000
      })
      .toBe('done');
    expect(await cellSource(page, 1)).toBe(edited);
    await expect(entries).toHaveCount(1);
  });

  test('Discard drops the proposal and leaves the cell as it was', async ({
    page
  }) => {
    test.setTimeout(TEST_TIMEOUT);
    await newNotebook(page, 'fix-discard.ipynb');
    await openPanel(page);

    await failSecondCell(page);
    const entries = fixEntries(page);
    await expect(entries).toHaveCount(1, { timeout: 30_000 });
    const entry = entries.first();
    await waitForProposal(entry);

    await entry.locator('.jp-oci-fix-discard').click();
    await expect(entry).toHaveAttribute('data-state', 'cancelled');
    await expect(entry).toHaveAttribute('data-applied', 'false');
    await expect(entry.locator('.jp-oci-fix-outcome')).toHaveText('Discarded.');
    await expect(entry.locator('.jp-oci-fix-apply')).toHaveCount(0);
    await expect(entry.locator('.jp-oci-fix-undo')).toHaveCount(0);
    await page.waitForTimeout(1000);
    expect(await cellSource(page, 1)).toBe(FAILING);
    // The cell still holds its error and its Fix button.
    const output = await page.notebook.getCellOutputLocator(1);
    await expect(output!).toContainText('AttributeError');
    await expect(fixButton(page, 1)).toBeVisible();
    await expect(entries).toHaveCount(1);
  });

  test('with the panel closed, the Fix button says a fix is on its way, then ready, and shows it', async ({
    page
  }) => {
    // The model loads on the fix's request: the panel was never opened.
    test.setTimeout(TEST_TIMEOUT + LOAD_TIMEOUT);
    const LONG = 'total_of_all_the_measured_prices_in_the_table';
    const failing = `${LONG} = sum(prcies)`;
    await newNotebook(page, 'fix-closed.ipynb');
    await setSetting(page, 'fixRounds', 3);
    const panel = page.locator(PANEL);
    await expect(panel).toBeHidden();

    await page.notebook.setCell(0, 'code', 'prices = [1, 2, 3]');
    expect(await page.notebook.runCell(0, { inplace: true })).toBe(true);
    await page.notebook.addCell('code', failing);
    expect(await page.notebook.enterCellEditingMode(1)).toBe(true);
    await page.keyboard.press('Shift+Enter');
    const output = page
      .locator('.jp-NotebookPanel .jp-Notebook .jp-Cell')
      .nth(1)
      .locator('.jp-OutputArea-output');
    await expect(output.first()).toContainText('NameError', {
      timeout: RUN_TIMEOUT
    });

    // A proposal is being made: the button says so (its accessible name
    // and tooltip too); the panel stays closed.
    const button = fixButton(page, 1);
    await expect(button).toHaveAttribute('data-state', 'fixing');
    await expect(button).toHaveText('Fixing… round 1/3');
    const fixing =
      'The assistant is fixing this cell (round 1 of 3): show the fix in the assistant panel';
    await expect(button).toHaveAttribute('aria-label', fixing);
    await expect(button).toHaveAttribute('title', fixing);
    await expect(panel).toBeHidden();
    await button.screenshot({
      path: test.info().outputPath('fixing-button.png'),
      animations: 'disabled'
    });

    // The proposal is ready: the button says so; still no panel, and the
    // focus stayed in the notebook.
    await expect(button).toHaveAttribute('data-state', 'ready', {
      timeout: LOAD_TIMEOUT + ANSWER_TIMEOUT
    });
    await expect(button).toHaveText('Fix ready');
    const ready =
      'A fix of this cell is ready: show it in the assistant panel to apply it';
    await expect(button).toHaveAttribute('aria-label', ready);
    await expect(button).toHaveAttribute('title', ready);
    await expect(panel).toBeHidden();
    expect(
      await page.evaluate(
        () => !!document.activeElement?.closest('.jp-NotebookPanel')
      )
    ).toBe(true);
    expect(await cellSource(page, 1)).toBe(failing);
    await page
      .locator('.jp-NotebookPanel .jp-Notebook .jp-Cell')
      .nth(1)
      .screenshot({ path: test.info().outputPath('fix-ready-button.png') });

    // A click opens the panel at that fix: no new fix starts.
    await button.click();
    await expect(panel).toBeVisible();
    const entries = fixEntries(page);
    await expect(entries).toHaveCount(1);
    const entry = entries.first();
    await expect(entry).toHaveAttribute('data-state', 'proposed');
    test.info().annotations.push({
      type: 'proposal',
      description: (await entry.textContent()) ?? ''
    });
    expect(fixMessages.filter(line => / sent fix /.test(line))).toHaveLength(1);

    // The long line wraps, and the changed word is marked and in view,
    // inside the panel and inside the diff.
    const diff = entry.locator('.jp-oci-diff').first();
    await expect(diff.locator('del').filter({ hasText: 'prcies' })).toHaveCount(
      1
    );
    const word = diff.locator('ins').filter({ hasText: /^prices$/ });
    await expect(word).toHaveCount(1);
    await expect(word).toBeInViewport({ ratio: 1 });
    await expect(entry.locator('.jp-oci-fix-apply-run')).toBeInViewport();
    const box = (await word.boundingBox())!;
    for (const container of [panel, diff]) {
      const outer = (await container.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(outer.x);
      expect(box.y).toBeGreaterThanOrEqual(outer.y);
      expect(box.x + box.width).toBeLessThanOrEqual(outer.x + outer.width);
      expect(box.y + box.height).toBeLessThanOrEqual(outer.y + outer.height);
    }
    // Nothing to scroll sideways.
    expect(
      await diff.evaluate(node => node.scrollWidth <= node.clientWidth)
    ).toBe(true);
    await panel.screenshot({
      path: test.info().outputPath('fix-panel-diff.png')
    });
  });

  test('a fix whose cause lay in an earlier cell is made there with Apply in cell 1 & run', async ({
    page
  }) => {
    // A proposal, its run, maybe a second round; then two cells run.
    test.setTimeout(TEST_TIMEOUT + ANSWER_TIMEOUT);
    const NORMALIZE =
      'def normalize(names):\n    cleaned = [n.strip().title() for n in names]';
    const RAW = "raw = [' b', 'a']";
    const USE = 'names = sorted(normalize(raw))\nprint(names)';
    await newNotebook(page, 'fix-cause.ipynb');
    await openPanel(page);
    await page.notebook.setCell(0, 'code', 'pass');
    await page.notebook.addCell('code', RAW);
    await page.notebook.addCell('code', USE);
    // Written through the model: the editor would indent the typed lines.
    await page.evaluate(source => {
      const widget = window.jupyterapp.shell.currentWidget as any;
      widget.content.model.cells.get(0).sharedModel.setSource(source);
    }, NORMALIZE);
    expect(await cellSources(page)).toEqual([NORMALIZE, RAW, USE]);

    // Run all: the third cell fails (normalize returns None).
    await page.notebook.run();
    const output = page
      .locator('.jp-NotebookPanel .jp-Notebook .jp-Cell')
      .nth(2)
      .locator('.jp-OutputArea-output');
    await expect(output.first()).toContainText('TypeError', {
      timeout: RUN_TIMEOUT
    });

    const entries = fixEntries(page);
    await expect(entries).toHaveCount(1, { timeout: 30_000 });
    const entry = entries.first();
    await expect(entry).toHaveAttribute('data-state', 'proposed', {
      timeout: ANSWER_TIMEOUT
    });
    test.info().annotations.push({
      type: 'proposal',
      description: (await entry.textContent()) ?? ''
    });
    await entry.locator('.jp-oci-fix-apply-run').click();
    await expect(entry).toHaveAttribute('data-state', 'fixed', {
      timeout: ANSWER_TIMEOUT
    });
    test.info().annotations.push({
      type: 'outcome',
      description: (await entry.textContent()) ?? ''
    });
    // The fix redefines normalize in the failing cell; the cause was cell 1.
    expect(await cellSource(page, 2)).toContain('def normalize');
    await expect(entry.locator('.jp-oci-fix-cause')).toHaveAttribute(
      'data-cell',
      '1'
    );
    await expect(entry.locator('.jp-oci-fix-cause-link')).toHaveText(
      'Go to cell 1'
    );

    // The offer: cell 1's diff adds the return.
    const repair = entry.locator('.jp-oci-fix-repair');
    await expect(repair).toHaveAttribute('data-status', 'offered');
    await expect(repair.locator('.jp-oci-fix-repair-title')).toHaveText(
      'Make this repair in cell 1 instead'
    );
    await expect(
      repair
        .locator('.jp-oci-diff')
        .first()
        .locator('.jp-oci-diff-add')
        .filter({ hasText: 'return' })
    ).not.toHaveCount(0);
    await repair.screenshot({
      path: test.info().outputPath('fix-cause-repair.png')
    });
    const apply = repair.locator('.jp-oci-fix-repair-apply');
    await expect(apply).toHaveText('Apply in cell 1 & run');
    await apply.click();

    await expect(repair).toHaveAttribute('data-status', 'applied', {
      timeout: RUN_TIMEOUT
    });
    await expect(repair.locator('.jp-oci-fix-repair-message')).toHaveText(
      'Made the repair in cell 1: it and this cell ran without error.'
    );
    // Cell 1 returns, cell 3 is what the user wrote, and it prints the names.
    const [first, second, third] = await cellSources(page);
    expect(first).toContain('return');
    expect(first).toContain('def normalize(names):');
    expect(second).toBe(RAW);
    expect(third).toBe(USE);
    await expect(output.first()).toHaveText("['A', 'B']");
    await expect(fixButton(page, 2)).toHaveCount(0);
    // The note and its link stay.
    await expect(entry.locator('.jp-oci-fix-cause-link')).toHaveText(
      'Go to cell 1'
    );

    // Undo: both cells as they were before the fix.
    await entry.locator('.jp-oci-fix-undo').click();
    await expect.poll(() => cellSources(page)).toEqual([NORMALIZE, RAW, USE]);
    await expect(repair).toHaveAttribute('data-status', 'offered');
  });

  test('with autoFix off a failure only shows the Fix button until it is clicked', async ({
    page
  }) => {
    test.setTimeout(TEST_TIMEOUT);
    await newNotebook(page, 'fix-manual.ipynb');
    await openPanel(page);
    await setSetting(page, 'autoFix', false);

    await failSecondCell(page);
    // No entry starts by itself.
    await page.waitForTimeout(5000);
    await expect(fixEntries(page)).toHaveCount(0);

    await fixButton(page, 1).click();
    const entries = fixEntries(page);
    await expect(entries).toHaveCount(1);
    const entry = entries.first();
    await expect(page.locator(PANEL)).toBeVisible();
    await expect(entry).toHaveAttribute(
      'aria-label',
      'Fix of cell 2 of fix-manual.ipynb'
    );
    await waitForProposal(entry);

    // Stop ends it; the cell keeps its failing source.
    await expect(entry.locator('.jp-oci-fix-stop')).toBeVisible();
    await entry.locator('.jp-oci-fix-stop').click();
    await expect(entry).toHaveAttribute('data-state', 'cancelled');
    await expect(entry.locator('.jp-oci-fix-outcome')).toHaveText('Stopped.');
    expect(await cellSource(page, 1)).toBe(FAILING);
    await expect(fixEntries(page)).toHaveCount(1);
  });
});
