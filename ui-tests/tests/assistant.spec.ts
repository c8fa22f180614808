/**
 * Browser tests of the OpenCodeInterpreter side panel against the real local
 * model (Qwen2.5-Coder-1.5B on the CPU): nothing of the server is mocked, so
 * prompts are short, answers are asked to be short and timeouts are generous.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import {
  LOAD_TIMEOUT,
  openPanel,
  PANEL,
  PANEL_ID,
  recordReceived,
  watchPageErrors
} from './helpers';

const COMMAND_LABEL = 'Open OpenCodeInterpreter Assistant';
const MODEL_NAME = 'Qwen2.5-Coder-1.5B';

/** A streamed answer at ~12 tokens/s on a shared CPU. */
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
    send: panel.locator('.jp-oci-send'),
    stop: panel.locator('.jp-oci-stop'),
    speed: panel.locator('.jp-oci-speed'),
    messages: panel.locator('.jp-oci-message'),
    userMessages: panel.locator('.jp-oci-message[data-role="user"]'),
    answers: panel.locator('.jp-oci-message[data-role="assistant"]')
  };
}

/**
 * Record, in the page, every distinct length of the text of the last
 * assistant message as the DOM changes. Read them with `recordedLengths`.
 */
async function recordAnswerLengths(
  page: IJupyterLabPageFixture
): Promise<void> {
  await page.evaluate((selector: string) => {
    const root = document.querySelector(selector)!;
    const lengths: number[] = [];
    (window as any).__ociLengths = lengths;
    const observer = new MutationObserver(() => {
      const answers = root.querySelectorAll(
        '.jp-oci-message[data-role="assistant"]'
      );
      const last = answers[answers.length - 1];
      const text = last?.querySelector('.jp-oci-markdown')?.textContent ?? '';
      if (lengths[lengths.length - 1] !== text.length) {
        lengths.push(text.length);
      }
    });
    observer.observe(root, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true
    });
    (window as any).__ociObserver = observer;
  }, PANEL);
}

async function recordedLengths(
  page: IJupyterLabPageFixture
): Promise<number[]> {
  return page.evaluate(() => {
    (window as any).__ociObserver?.disconnect();
    return [...((window as any).__ociLengths ?? [])] as number[];
  });
}

/**
 * The current length of the text of an answer.
 */
async function textLength(answer: Locator): Promise<number> {
  return ((await answer.textContent()) ?? '').length;
}

/**
 * Type a message and send it with Enter.
 */
async function ask(page: IJupyterLabPageFixture, text: string): Promise<void> {
  const { input } = parts(page);
  await input.click();
  await input.fill(text);
  await input.press('Enter');
}

test.describe('OpenCodeInterpreter assistant panel', () => {
  const failures: string[] = [];

  test.beforeEach(({ page }) => {
    failures.length = 0;
    watchPageErrors(page, failures);
  });

  test.afterEach(() => {
    expect(failures, 'errors logged by the page').toEqual([]);
  });

  test('the command palette opens the panel and the model becomes ready', async ({
    page
  }) => {
    test.setTimeout(LOAD_TIMEOUT + 60_000);

    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#modal-command-palette');
    await expect(palette).toBeVisible();
    await palette
      .locator('.lm-CommandPalette-input')
      .fill('OpenCodeInterpreter');
    const item = palette.locator('.lm-CommandPalette-item', {
      hasText: COMMAND_LABEL
    });
    await expect(item).toHaveCount(1);
    await item.click();

    const { panel, status, input, send, stop, messages } = parts(page);
    await expect(panel).toBeVisible();
    await expect(panel).toHaveClass(/jp-oci-panel/);
    // Showing the panel starts loading the model.
    await expect(status).toHaveAttribute('data-state', 'ready', {
      timeout: LOAD_TIMEOUT
    });
    await expect(status).toContainText(MODEL_NAME);
    await expect(status).toContainText('Ready');

    // An empty conversation: nothing to send or stop yet.
    await expect(messages).toHaveCount(0);
    await expect(input).toBeEditable();
    await expect(send).toBeDisabled();
    await expect(stop).toBeDisabled();

    // The panel sits in the right sidebar, with a tab.
    await expect(
      page.locator(
        `.jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id="${PANEL_ID}"]`
      )
    ).toHaveCount(1);
  });

  test('a question streams an answer with code', async ({ page }) => {
    test.setTimeout(LOAD_TIMEOUT + ANSWER_TIMEOUT + 60_000);
    await openPanel(page);
    const { input, send, stop, speed, userMessages, answers } = parts(page);

    await recordAnswerLengths(page);
    const question =
      'Write a Python expression that reverses a string s. Only code.';
    await ask(page, question);

    await expect(userMessages).toHaveCount(1);
    await expect(userMessages.first()).toContainText(question);
    // The input is cleared once the message is sent.
    await expect(input).toHaveValue('');

    await expect(answers).toHaveCount(1);
    const answer = answers.first();
    // While the answer streams, Stop is offered and Send is not.
    await expect(answer).toHaveAttribute('data-state', 'streaming');
    await expect(stop).toBeEnabled();
    await expect(send).toBeDisabled();

    await expect(answer).toHaveAttribute('data-state', 'complete', {
      timeout: ANSWER_TIMEOUT
    });
    await expect(answer.locator('.jp-oci-markdown')).toContainText('[::-1]');

    // The text grew while it streamed: several non-empty lengths were shown.
    const lengths = (await recordedLengths(page)).filter(n => n > 0);
    test
      .info()
      .annotations.push(
        { type: 'answer', description: (await answer.textContent()) ?? '' },
        { type: 'lengths', description: lengths.join(' ') }
      );
    expect(
      new Set(lengths).size,
      `lengths seen while streaming: ${lengths}`
    ).toBeGreaterThanOrEqual(2);

    // The speed of the answer is shown once it is done.
    await expect(speed).toHaveText(/^\d+(\.\d)? tok\/s$/);
    const tokensPerSecond = parseFloat((await speed.textContent()) ?? '');
    expect(tokensPerSecond).toBeGreaterThan(0);
    await expect(answer.locator('.jp-oci-message-meta')).toHaveText(
      /\d+(\.\d)? tok\/s/
    );

    await expect(stop).toBeDisabled();
    await expect(input).toBeEditable();
  });

  test('Stop ends a long answer and the panel takes the next question', async ({
    page
  }) => {
    test.setTimeout(LOAD_TIMEOUT + 2 * ANSWER_TIMEOUT + 60_000);
    const received = recordReceived(page);
    await openPanel(page);
    const { input, send, stop, answers } = parts(page);

    await ask(page, 'Write a 500-word essay about the history of Python.');
    await expect(answers).toHaveCount(1);
    const essay = answers.first();
    await expect(essay).toHaveAttribute('data-state', 'streaming');

    // Wait for some text, then stop.
    await expect
      .poll(() => textLength(essay.locator('.jp-oci-markdown')), {
        timeout: ANSWER_TIMEOUT,
        message: 'the essay starts streaming'
      })
      .toBeGreaterThan(40);
    await stop.click();

    await expect(essay).toHaveAttribute('data-state', 'cancelled', {
      timeout: 30_000
    });
    await expect(essay.locator('.jp-oci-message-note')).toHaveText('Stopped.');
    await expect(stop).toBeDisabled();

    // The server ended the request: its last message is a cancelled `done`
    // (it sends nothing for a request after its `done`).
    const id = received.find(message => message.type === 'token')?.id;
    const own = () => received.filter(message => message.id === id);
    await expect
      .poll(() => own().at(-1)?.type, { timeout: 30_000 })
      .toBe('done');
    expect(own().at(-1).cancelled).toBe(true);
    expect(own().filter(message => message.type === 'token').length).toBeLessThan(500);

    // The input is usable again: a second question gets an answer.
    await expect(input).toBeEditable();
    await input.fill('What is 2 + 2? Answer with just the number.');
    await expect(send).toBeEnabled();
    await send.click();

    await expect(answers).toHaveCount(2);
    const second = answers.nth(1);
    await expect(second).toHaveAttribute('data-state', 'complete', {
      timeout: ANSWER_TIMEOUT
    });
    await expect(second.locator('.jp-oci-markdown')).toContainText('4');
    // The stopped essay stays as it was, and nothing came for it after its `done`.
    await expect(essay).toHaveAttribute('data-state', 'cancelled');
    expect(own().at(-1)).toMatchObject({ type: 'done', cancelled: true });
  });
});
