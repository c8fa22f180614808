/**
 * Task mode, the OpenCodeInterpreter loop in the notebook: browser tests of
 * "Run as task" against the real local model (Qwen2.5-Coder-1.5B on the CPU)
 * through the real server, and a real python3 kernel. The model writes a
 * cell, the panel inserts it in the notebook, runs it (after Run, with
 * `taskConsent: ask`, the default; at once with `auto`) and the output goes
 * back to the model, until it answers without code.
 *
 * The assertions are on the notebook's cells and outputs and on the panel's
 * structure, not on the model's wording.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import {
  newNotebook,
  openPanel,
  PANEL,
  PLUGIN_ID,
  recordLoopMessages,
  RUN_TIMEOUT,
  setSetting,
  watchPageErrors
} from './helpers';

/**
 * One round of a task: the prompt (task system prompt, the message and the
 * results so far) is read, then a sentence and a code block at ~10 tokens/s;
 * minutes when the CPU is shared.
 */
const ROUND_TIMEOUT = 300_000;
/** Page, kernel and model, plus the rounds of a test. */
const setup = 120_000;

/**
 * The cells of the current notebook: source and outputs as text.
 */
async function cells(
  page: IJupyterLabPageFixture
): Promise<Array<{ source: string; output: string; count: number | null }>> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    const list = widget?.content?.model?.cells;
    return Array.from(list ?? []).map((cell: any) => {
      const outputs: any[] = cell.outputs ? cell.outputs.toJSON() : [];
      const output = outputs
        .map(o =>
          o.output_type === 'stream'
            ? [o.text].flat().join('')
            : o.output_type === 'error'
              ? `${o.ename}: ${o.evalue}`
              : [o.data?.['text/plain'] ?? ''].flat().join('')
        )
        .join('');
      return {
        source: cell.sharedModel.getSource() as string,
        output,
        count: (cell.executionCount ?? null) as number | null
      };
    });
  });
}

/**
 * The index of the active cell of the current notebook.
 */
async function activeCellIndex(page: IJupyterLabPageFixture): Promise<number> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    return widget?.content?.activeCellIndex ?? -1;
  });
}

/**
 * Send `text` as a task from the composer, with the "Run as task" switch.
 */
async function runTask(
  page: IJupyterLabPageFixture,
  text: string
): Promise<Locator> {
  const panel = page.locator(PANEL);
  await panel.locator('.jp-oci-task-toggle-input').check();
  await expect(panel.locator('.jp-oci-send')).toHaveText('Run task');
  const input = panel.locator('.jp-oci-input');
  await input.fill(text);
  await input.press('Enter');
  await expect(input).toHaveValue('');
  const entry = panel.locator('.jp-oci-task');
  await expect(entry).toHaveCount(1);
  return entry;
}

const ENDED = /^(done|stopped|failed|interrupted)$/;

/**
 * Two steps, the second on the output of the first; a count of files the
 * model must compute (what it can, it answers from memory, without a cell).
 * Qwen2.5-Coder-1.5B at temperature 0 writes both steps into one cell, so
 * the test approves every cell it proposes, one or more.
 */
const TWO_STEPS =
  'Step 1: use code to find how many files are in the current directory. Step 2: in a new cell, print that number plus one.';

/**
 * A question the model cannot answer without running code (it answers
 * others from memory, without a cell): one cell, then the answer.
 */
const COUNT_FILES =
  'How many files are in the current directory? Use code to find out.';

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    [PLUGIN_ID]: { temperature: 0, taskRounds: 4 }
  }
});

test.describe('Run as task', () => {
  const failures: string[] = [];
  let messages: string[] = [];

  test.beforeEach(({ page }) => {
    failures.length = 0;
    messages = recordLoopMessages(page);
    watchPageErrors(page, failures);
  });

  test.afterEach(async ({ page }, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('task messages', {
        body: messages.join('\n'),
        contentType: 'text/plain'
      });
      const entry = page.locator(PANEL).locator('.jp-oci-task');
      if ((await entry.count()) > 0) {
        await testInfo.attach('task entry', {
          body: (await entry.first().textContent()) ?? '',
          contentType: 'text/plain'
        });
      }
    }
    expect(failures, 'errors logged by the page').toEqual([]);
  });

  test('a multi-step task asks before each cell, runs it in the notebook and answers', async ({
    page
  }) => {
    test.setTimeout(setup + 4 * ROUND_TIMEOUT);
    await newNotebook(page, 'task-steps.ipynb');
    await openPanel(page);
    const panel = page.locator(PANEL);

    const entry = await runTask(page, TWO_STEPS);
    await expect(entry).toHaveAttribute(
      'aria-label',
      'Task in task-steps.ipynb'
    );

    // Approve each cell the model proposes until the task ends.
    let approved = 0;
    for (;;) {
      await expect(entry).toHaveAttribute(
        'data-state',
        /^(waiting|done|stopped|failed|interrupted)$/,
        { timeout: ROUND_TIMEOUT }
      );
      if ((await entry.getAttribute('data-state')) !== 'waiting') {
        break;
      }
      const pending = entry.locator('.jp-oci-task-step[data-status="pending"]');
      await expect(pending).toHaveCount(1);
      await expect(pending.locator('.jp-oci-task-cell-status')).toHaveText(
        'Waiting for approval'
      );
      // The cell is in the notebook, below the last one, not run yet.
      const before = await cells(page);
      expect(before).toHaveLength(2 + approved);
      expect(before[1 + approved].source.trim()).not.toBe('');
      expect(before[1 + approved].count).toBeNull();
      await expect(pending.locator('.jp-oci-task-cell-link')).toHaveText(
        `cell ${2 + approved} of task-steps.ipynb`
      );

      await pending.locator('.jp-oci-task-run').click();
      approved += 1;
      await expect(pending).toHaveCount(0);
      await expect(
        entry.locator('.jp-oci-task-step').nth(approved - 1)
      ).toHaveAttribute('data-status', /^(ok|error)$/, {
        timeout: RUN_TIMEOUT
      });
      expect(approved, 'cells approved').toBeLessThanOrEqual(4);
    }
    test.info().annotations.push({
      type: 'task',
      description: (await entry.textContent()) ?? ''
    });
    await expect(entry).toHaveAttribute('data-state', 'done');
    await expect(entry.locator('.jp-oci-task-stop')).toHaveCount(0);

    // Each approved step is its own cell below the last, run in order, its
    // output summarised in the panel.
    test.info().annotations.push({
      type: 'steps',
      description: `${approved} cell(s) approved and run`
    });
    expect(approved).toBeGreaterThanOrEqual(1);
    const notebook = await cells(page);
    const taskCells = notebook.slice(1);
    expect(taskCells).toHaveLength(approved);
    const steps = entry.locator('.jp-oci-task-step[data-status]');
    for (let i = 0; i < approved; i++) {
      expect(taskCells[i].count).not.toBeNull();
      if (i > 0) {
        expect(taskCells[i].count!).toBeGreaterThan(taskCells[i - 1].count!);
      }
      const output = taskCells[i].output.trim();
      const step = entry.locator('.jp-oci-task-step').filter({
        has: page.locator('.jp-oci-task-cell-link', {
          hasText: new RegExp(`^cell ${i + 2} of task-steps\\.ipynb$`)
        })
      });
      await expect(step).toHaveCount(1);
      if (output !== '' && !output.includes('\n')) {
        await expect(step.locator('.jp-oci-task-summary')).toHaveText(
          output.slice(0, 80)
        );
      }
    }
    await expect(steps.filter({ has: page.locator('.jp-oci-task-cell') }))
      .toHaveCount(approved);
    // The task's result was computed in the notebook: a number printed.
    expect(taskCells.some(cell => /\d/.test(cell.output))).toBe(true);

    // The final answer is a normal answer after the task.
    const answer = panel.locator(
      '.jp-oci-task ~ .jp-oci-message[data-role="assistant"]'
    );
    await expect(answer).toHaveCount(1);
    await expect(answer).not.toBeEmpty();
    await expect(panel.locator('.jp-oci-send')).toBeDisabled();
    await expect(panel.locator('.jp-oci-stop')).toBeDisabled();

    // A step's link shows its cell in the notebook.
    await page.notebook.selectCells(0);
    expect(await activeCellIndex(page)).toBe(0);
    await entry.locator('.jp-oci-task-cell-link').first().click();
    await expect.poll(() => activeCellIndex(page)).toBe(1);
  });

  test('Skip leaves the proposed cell in the notebook, not run, and stops the task', async ({
    page
  }) => {
    test.setTimeout(setup + ROUND_TIMEOUT);
    await newNotebook(page, 'task-skip.ipynb');
    await openPanel(page);
    const panel = page.locator(PANEL);

    // Ctrl+Enter runs one message as a task without the switch.
    const input = panel.locator('.jp-oci-input');
    await input.fill(COUNT_FILES);
    await input.press('Control+Enter');
    const entry = panel.locator('.jp-oci-task');
    await expect(entry).toHaveCount(1);
    await expect(entry).toHaveAttribute('data-state', 'waiting', {
      timeout: ROUND_TIMEOUT
    });
    await expect(panel.locator('.jp-oci-stop')).toBeEnabled();

    await entry.locator('.jp-oci-task-skip').click();
    await expect(entry).toHaveAttribute('data-state', 'stopped');
    const step = entry.locator('.jp-oci-task-step').first();
    await expect(step).toHaveAttribute('data-status', 'skipped');
    await expect(step.locator('.jp-oci-task-cell-status')).toHaveText(
      'Not run (skipped)'
    );
    await expect(entry.locator('.jp-oci-task-outcome')).toContainText(
      'stays in the notebook'
    );
    await expect(entry.locator('.jp-oci-task-run')).toHaveCount(0);
    await expect(panel.locator('.jp-oci-stop')).toBeDisabled();

    // The cell stays, as written, never run.
    await page.waitForTimeout(1000);
    const notebook = await cells(page);
    expect(notebook).toHaveLength(2);
    expect(notebook[1].source.trim()).not.toBe('');
    expect(notebook[1].count).toBeNull();
    expect(notebook[1].output).toBe('');
  });

  test('with taskConsent auto each cell runs at once', async ({ page }) => {
    test.setTimeout(setup + 4 * ROUND_TIMEOUT);
    await newNotebook(page, 'task-auto.ipynb');
    await openPanel(page);
    await setSetting(page, 'taskConsent', 'auto');
    const panel = page.locator(PANEL);

    const entry = await runTask(page, COUNT_FILES);
    await expect(entry).toHaveAttribute('data-state', ENDED, {
      timeout: 3 * ROUND_TIMEOUT
    });
    test.info().annotations.push({
      type: 'task',
      description: (await entry.textContent()) ?? ''
    });
    await expect(entry).toHaveAttribute('data-state', 'done');
    // Never asked.
    await expect(entry.locator('.jp-oci-task-run')).toHaveCount(0);
    await expect(
      entry.locator('.jp-oci-task-step[data-status="ok"]')
    ).not.toHaveCount(0);
    // The cell ran in the notebook by itself; its output is the step's.
    const notebook = await cells(page);
    expect(notebook.length).toBeGreaterThanOrEqual(2);
    for (const cell of notebook.slice(1)) {
      expect(cell.count).not.toBeNull();
    }
    expect(notebook[1].output.trim()).not.toBe('');
    const printed = notebook[1].output.trim();
    await expect(entry.locator('.jp-oci-task-summary').first()).toHaveText(
      printed.includes('\n') ? /lines of output/ : printed
    );
    await expect(
      panel.locator('.jp-oci-task ~ .jp-oci-message[data-role="assistant"]')
    ).toHaveCount(1);
  });
});
