/**
 * The panel writes, runs and reads cells in the live kernel: browser tests of
 * the code block actions (Insert below, Run), the execution results sent back
 * to the model and the kernel variables context, against the real local model
 * (Qwen2.5-Coder-1.5B on the CPU) and a real python3 kernel.
 *
 * Each test starts from a fresh page, fresh in-memory settings and a fresh
 * notebook. The model samples greedily (temperature 0, set through Galata's
 * mocked settings) so that its answers are as repeatable as the CPU allows;
 * prompts are short and ask for short answers.
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
  RUN_TIMEOUT,
  setSetting,
  watchPageErrors
} from './helpers';

/** A streamed answer at ~10 tokens/s on a shared CPU. */
const ANSWER_TIMEOUT = 120_000;

/**
 * The panel's parts.
 */
function parts(page: IJupyterLabPageFixture) {
  const panel = page.locator(PANEL);
  return {
    panel,
    status: panel.locator('.jp-oci-status'),
    input: panel.locator('.jp-oci-input'),
    notice: panel.locator('.jp-oci-notice'),
    context: panel.locator('.jp-oci-context'),
    error: panel.locator('.jp-oci-error'),
    userMessages: panel.locator('.jp-oci-message[data-role="user"]'),
    answers: panel.locator('.jp-oci-message[data-role="assistant"]'),
    summaries: panel.locator('.jp-oci-output-summary')
  };
}

/**
 * The chat requests the page sent over the assistant's WebSocket, as parsed
 * JSON, in order. Call before the panel is opened.
 */
function recordChatRequests(
  page: IJupyterLabPageFixture
): Array<{ messages: Array<{ role: string; content: string }> }> {
  const requests: Array<{
    messages: Array<{ role: string; content: string }>;
  }> = [];
  page.on('websocket', socket => {
    if (!socket.url().includes('/api/opencodeinterpreter/')) {
      return;
    }
    socket.on('framesent', frame => {
      try {
        const message = JSON.parse(String(frame.payload));
        if (message?.type === 'chat') {
          requests.push(message);
        }
      } catch {
        // Not JSON: not a chat request.
      }
    });
  });
  return requests;
}

/**
 * The frames the page received from kernels (their WebSocket channels), as
 * text (binary frames decoded as UTF-8). Call before the notebook is created.
 */
function recordKernelFrames(page: IJupyterLabPageFixture): string[] {
  const frames: string[] = [];
  page.on('websocket', socket => {
    if (!/\/api\/kernels\/[^/]+\/channels/.test(socket.url())) {
      return;
    }
    socket.on('framereceived', frame => {
      frames.push(
        typeof frame.payload === 'string'
          ? frame.payload
          : frame.payload.toString('utf8')
      );
    });
  });
  return frames;
}

/**
 * Send a message and wait for its answer to be complete; return the answer.
 */
async function askAndWait(
  page: IJupyterLabPageFixture,
  text: string
): Promise<Locator> {
  const { input, answers } = parts(page);
  const before = await answers.count();
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await expect(answers).toHaveCount(before + 1);
  const answer = answers.nth(before);
  await expect(answer).toHaveAttribute('data-state', 'complete', {
    timeout: ANSWER_TIMEOUT
  });
  test.info().annotations.push({
    type: `answer to "${text}"`,
    description: (await answer.locator('.jp-oci-markdown').textContent()) ?? ''
  });
  return answer;
}

/**
 * The code of the first fenced block of an answer, as the panel shows it.
 */
async function firstCode(answer: Locator): Promise<string> {
  const pre = answer.locator('.jp-oci-markdown pre').first();
  await expect(pre).toBeVisible();
  return ((await pre.textContent()) ?? '').trim();
}

/**
 * The cells of the current notebook, read from its model.
 */
async function notebookCells(
  page: IJupyterLabPageFixture
): Promise<Array<{ type: string; source: string }>> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    const cells = widget?.content?.model?.cells;
    return Array.from(cells ?? []).map((cell: any) => ({
      type: cell.type as string,
      source: cell.sharedModel.getSource() as string
    }));
  });
}

/**
 * Click Run on the first code block of an answer, check the confirmation
 * dialog shows `code` and accept it.
 */
async function runFirstBlock(
  page: IJupyterLabPageFixture,
  answer: Locator,
  code: string
): Promise<void> {
  const run = answer.locator('.jp-oci-code-run').first();
  await expect(run).toBeEnabled();
  await run.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-oci-confirm-run')).toBeVisible();
  await expect(dialog.locator('.jp-oci-confirm-code')).toHaveText(code);
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);
}

/**
 * Ask for code, Run its first block (confirmed) in a new cell below the
 * active one and wait for the result in the panel. Returns the code and the
 * output summary.
 */
async function askAndRun(
  page: IJupyterLabPageFixture,
  question: string,
  status: 'ok' | 'error'
): Promise<{ answer: Locator; code: string; summary: Locator }> {
  const answer = await askAndWait(page, question);
  const code = await firstCode(answer);
  await runFirstBlock(page, answer, code);
  const summary = parts(page).summaries.last();
  await expect(summary).toHaveAttribute('data-status', status, {
    timeout: RUN_TIMEOUT
  });
  return { answer, code, summary };
}

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    [PLUGIN_ID]: { temperature: 0 }
  }
});

test.describe('The panel writes, runs and reads cells in the live kernel', () => {
  const failures: string[] = [];

  test.beforeEach(({ page }) => {
    failures.length = 0;
    watchPageErrors(page, failures);
  });

  test.afterEach(() => {
    expect(failures, 'errors logged by the page').toEqual([]);
  });

  test('Insert below writes the code in a new cell and Run shows its output', async ({
    page
  }) => {
    test.setTimeout(LOAD_TIMEOUT + ANSWER_TIMEOUT + 2 * RUN_TIMEOUT);
    await newNotebook(page, 'sum.ipynb');
    await openPanel(page);
    const { context, notice, userMessages, error } = parts(page);

    // The composer shows that the (empty) active cell goes with the message.
    await expect(context.locator('.jp-oci-context-label')).toHaveText(
      'Context: cell 1 of sum.ipynb'
    );
    const answer = await askAndWait(
      page,
      'Write Python code that prints the sum of the numbers from 1 to 10. Only code.'
    );
    await expect(
      userMessages.first().locator('.jp-oci-context-chip')
    ).toHaveText('With cell 1 of sum.ipynb');
    const code = await firstCode(answer);

    // Insert below: a second cell holding the code.
    await answer.locator('.jp-oci-code-insert').first().click();
    await expect(notice).toHaveText(
      'Inserted the code as cell 2 of sum.ipynb.'
    );
    await expect
      .poll(() => notebookCells(page))
      .toEqual([
        { type: 'code', source: '' },
        { type: 'code', source: code }
      ]);

    // Run, then Cancel in the confirmation: nothing is inserted or run.
    await answer.locator('.jp-oci-code-run').first().click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-oci-confirm-code')).toHaveText(code);
    await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
    await expect(dialog).toHaveCount(0);
    await expect(parts(page).summaries).toHaveCount(0);
    expect(await notebookCells(page)).toHaveLength(2);

    // Run, confirmed: the code goes into a third cell below the active
    // (inserted) one and runs in the kernel.
    await runFirstBlock(page, answer, code);
    const summary = parts(page).summaries.last();
    await expect(summary).toHaveAttribute('data-status', 'ok', {
      timeout: RUN_TIMEOUT
    });
    await expect(summary.locator('.jp-oci-output-text')).toContainText('55');
    await expect(summary.locator('.jp-oci-output-headline')).toContainText(
      'cell 3 of sum.ipynb'
    );
    // The result is a user turn marked "Execution result".
    const result = userMessages.last();
    await expect(result.locator('.jp-oci-output-summary')).toHaveCount(1);
    await expect(result).toHaveAttribute('aria-label', 'Execution result');
    await expect(result.locator('.jp-oci-message-author')).toHaveText(
      'Execution result'
    );

    expect((await notebookCells(page)).map(cell => cell.source)).toEqual([
      '',
      code,
      code
    ]);
    const output = await page.notebook.getCellOutputLocator(2);
    expect(output).not.toBeNull();
    await expect(output!).toContainText('55');
    await expect(error).toHaveCount(0);
  });

  test('a follow-up question is answered from the output of the run', async ({
    page
  }) => {
    test.setTimeout(LOAD_TIMEOUT + 2 * ANSWER_TIMEOUT + RUN_TIMEOUT);
    const requests = recordChatRequests(page);
    await newNotebook(page, 'followup.ipynb');
    await openPanel(page);

    const { summary } = await askAndRun(
      page,
      'Write Python code that prints the sum of the numbers from 1 to 10. Only code.',
      'ok'
    );
    await expect(summary.locator('.jp-oci-output-text')).toContainText('55');

    const answer = await askAndWait(page, 'What number was printed?');
    await expect(answer.locator('.jp-oci-markdown')).toContainText('55');

    // The execution result went to the model with the follow-up.
    expect(requests).toHaveLength(2);
    const last = requests[1].messages[requests[1].messages.length - 1];
    expect(last.role).toBe('user');
    expect(last.content).toContain('Execution result:');
    expect(last.content).toContain('55');
    expect(last.content).toContain('What number was printed?');
  });

  test('the kernel variables go with the question when the setting is on', async ({
    page
  }) => {
    test.setTimeout(LOAD_TIMEOUT + 2 * ANSWER_TIMEOUT + 2 * RUN_TIMEOUT);
    const requests = recordChatRequests(page);
    const kernelFrames = recordKernelFrames(page);
    await newNotebook(page, 'variables.ipynb');

    // Define the variable in the kernel, then blank the cell: the value is
    // then only in the kernel, not in any cell source.
    await page.notebook.setCell(0, 'code', 'secret_number = 4242');
    expect(await page.notebook.runCell(0, { inplace: true })).toBe(true);
    await page.evaluate(() => {
      const widget = window.jupyterapp.shell.currentWidget as any;
      widget.content.model.cells.get(0).sharedModel.setSource('');
    });
    expect(await notebookCells(page)).toEqual([{ type: 'code', source: '' }]);

    await openPanel(page);
    // Short answers: a number, or a short refusal without the variables.
    await setSetting(page, 'maxTokens', 48);
    const question =
      'What is the value of the variable secret_number? Answer with the number only.';

    // Without the setting the model cannot know the value.
    const blind = await askAndWait(page, question);
    await expect(blind.locator('.jp-oci-markdown')).not.toContainText('4242');
    expect(requests[0].messages.map(m => m.content).join('\n')).not.toContain(
      'secret_number:'
    );

    // With the speed shown, the header's controls still fit in the panel
    // (in a narrow panel they wrap below the status, not under the sidebar).
    const panelBox = await page.locator(PANEL).boundingBox();
    for (const button of await page
      .locator(PANEL)
      .locator('.jp-oci-header button')
      .all()) {
      const box = await button.boundingBox();
      expect(box && panelBox).toBeTruthy();
      expect(box!.x + box!.width).toBeLessThanOrEqual(
        panelBox!.x + panelBox!.width
      );
    }

    await setSetting(page, 'includeKernelVariables', true);
    // The summary is read with a silent request when the setting turns on;
    // the panel shows no sign of it: wait for the kernel's reply.
    await expect
      .poll(
        () =>
          kernelFrames.some(frame =>
            frame.includes('secret_number: int = 4242')
          ),
        { timeout: RUN_TIMEOUT, message: 'the kernel sends the variables' }
      )
      .toBe(true);
    // The reply is stored as the context of the next message at once.
    await page.waitForTimeout(250);
    await page.locator(PANEL).locator('.jp-oci-clear').click();
    const answer = await askAndWait(page, question);
    await expect(answer.locator('.jp-oci-markdown')).toContainText('4242');

    // The summary sent lists the variable with its type and value.
    expect(requests).toHaveLength(2);
    const sent = requests[1].messages.map(m => m.content).join('\n');
    expect(sent).toContain('Variables defined in the kernel:');
    expect(sent).toContain('secret_number: int = 4242');

    // The silent requests left no trace: no output, no execution count.
    await page.notebook.addCell('code', 'print(secret_number)');
    expect(await page.notebook.runCell(1, { inplace: true })).toBe(true);
    await expect(await page.notebook.getCellOutputLocator(1)).toHaveText(
      '4242'
    );
    const counts = await page.evaluate(() => {
      const widget = window.jupyterapp.shell.currentWidget as any;
      return Array.from(widget.content.model.cells).map(
        (cell: any) => cell.executionCount
      );
    });
    expect(counts).toEqual([1, 2]);
  });

  test('an error of a run is read back into the conversation', async ({
    page
  }) => {
    test.setTimeout(LOAD_TIMEOUT + ANSWER_TIMEOUT + RUN_TIMEOUT);
    await newNotebook(page, 'error.ipynb');
    await openPanel(page);
    // Without confirmation, Run runs at once.
    await setSetting(page, 'confirmRun', false);

    const answer = await askAndWait(
      page,
      'Write one line of Python that computes 1/0, without try/except. Only code.'
    );
    const code = await firstCode(answer);
    await answer.locator('.jp-oci-code-run').first().click();
    const summary = parts(page).summaries.last();
    await expect(summary).toHaveAttribute('data-status', 'error', {
      timeout: RUN_TIMEOUT
    });
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    expect(code).toMatch(/1\s*\/\s*0/);
    await expect(summary.locator('.jp-oci-output-headline')).toContainText(
      'ZeroDivisionError'
    );
    await expect(summary.locator('.jp-oci-output-text')).toContainText(
      'ZeroDivisionError'
    );
    await expect(summary.locator('.jp-oci-output-fix')).toBeEnabled();

    // The notebook shows the traceback in the new cell below the active one.
    const cells = await notebookCells(page);
    expect(cells.map(cell => cell.source)).toEqual(['', code]);
    const output = await page.notebook.getCellOutputLocator(1);
    await expect(output!).toContainText('ZeroDivisionError');
  });
});
