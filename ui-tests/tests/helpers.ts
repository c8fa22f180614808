/**
 * What the browser tests share: the extension's ids, timeouts sized for the
 * real model on a 2-core CPU, and the steps every journey starts with.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

export const COMMAND_ID = 'opencodeinterpreter:open';
export const PLUGIN_ID = 'opencodeinterpreter-lab:plugin';
export const PANEL_ID = 'opencodeinterpreter-panel';
export const PANEL = `#${PANEL_ID}`;
const SETTINGS_PLUGIN = '@jupyterlab/apputils-extension:settings';

/** Loading the model (already assembled in the cache) takes seconds. */
export const LOAD_TIMEOUT = 120_000;
/** Running a short cell, kernel start included. */
export const RUN_TIMEOUT = 60_000;

/**
 * Open the panel with its command and wait until the model is ready.
 */
export async function openPanel(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(async (id: string) => {
    await window.jupyterapp.commands.execute(id);
  }, COMMAND_ID);
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  await expect(panel.locator('.jp-oci-status')).toHaveAttribute(
    'data-state',
    'ready',
    { timeout: LOAD_TIMEOUT }
  );
}

/**
 * Create a notebook with a python3 kernel and wait until the kernel is idle.
 */
export async function newNotebook(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  expect(await page.notebook.createNew(name, { kernel: 'python3' })).toBe(name);
  await expect(
    page.locator('#jp-main-statusbar').getByText('Idle')
  ).toBeVisible({ timeout: RUN_TIMEOUT });
}

/**
 * Change one setting of the extension at runtime, through the setting
 * registry (Galata keeps the settings in memory for the test).
 */
export async function setSetting(
  page: IJupyterLabPageFixture,
  key: string,
  value: unknown
): Promise<void> {
  await page.evaluate(
    async ({ plugin, pluginId, key, value }) => {
      const registry = await window.galata.getPlugin(plugin as any);
      await (registry as any).set(pluginId, key, value);
    },
    { plugin: SETTINGS_PLUGIN, pluginId: PLUGIN_ID, key, value }
  );
}

/**
 * Collect the page's uncaught errors and the console errors that name the
 * extension into `failures`, for the test to assert there are none.
 */
export function watchPageErrors(
  page: IJupyterLabPageFixture,
  failures: string[]
): void {
  page.on('pageerror', error => failures.push(`page error: ${error}`));
  page.on('console', message => {
    if (
      message.type() === 'error' &&
      message.text().includes('OpenCodeInterpreter')
    ) {
      failures.push(`console error: ${message.text()}`);
    }
  });
}

/**
 * A log of the messages of requests that run code (`fix`, `task`) that the
 * page exchanged with the assistant's WebSocket: requests, `cancel` and
 * `execution_result` sent; `proposal`, `done` and `error` received; tokens
 * counted; with the seconds since the call. Attach it to a failed test to
 * tell a slow or silent server from a frontend that ignored a message. Call
 * before the panel is opened.
 */
export function recordLoopMessages(page: IJupyterLabPageFixture): string[] {
  const log: string[] = [];
  const start = Date.now();
  const tokens = new Map<string, number>();
  const note = (direction: string, message: any): void => {
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    const id = String(message.id ?? '').slice(0, 8);
    if (message.type === 'token') {
      tokens.set(id, (tokens.get(id) ?? 0) + 1);
      return;
    }
    const details =
      message.type === 'proposal'
        ? ` round=${message.round} code=${JSON.stringify(message.code)}`
        : message.type === 'done'
          ? ` cancelled=${message.cancelled} outcome=${JSON.stringify(message.outcome ?? null)}`
          : message.type === 'error'
            ? ` message=${JSON.stringify(message.message)}`
            : message.type === 'execution_result'
              ? ` round=${message.round} status=${message.status} outputs=${JSON.stringify(message.outputs).slice(0, 200)}`
              : '';
    log.push(
      `${seconds}s ${direction} ${message.type} ${id} tokens=${tokens.get(id) ?? 0}${details}`
    );
  };
  onAssistantMessages(page, {
    sent: message => {
      if (
        ['fix', 'task', 'cancel', 'execution_result'].includes(message.type)
      ) {
        note('sent', message);
      }
    },
    received: message => {
      if (['token', 'proposal', 'done', 'error'].includes(message.type)) {
        note('received', message);
      }
    }
  });
  return log;
}

/**
 * Every message the page received on the assistant's WebSocket, in order.
 * Call before the panel is opened; assert on it instead of waiting to see
 * that something does not happen.
 */
export function recordReceived(page: IJupyterLabPageFixture): any[] {
  const received: any[] = [];
  onAssistantMessages(page, { received: message => received.push(message) });
  return received;
}

/**
 * Call `sent` and `received` with each JSON message the page sends and
 * receives on the assistant's WebSockets (from now on).
 */
export function onAssistantMessages(
  page: IJupyterLabPageFixture,
  handlers: { sent?: (message: any) => void; received?: (message: any) => void }
): void {
  const parse = (payload: string | Buffer): any => {
    try {
      return JSON.parse(String(payload));
    } catch {
      return null; // not JSON: not ours
    }
  };
  page.on('websocket', socket => {
    if (!socket.url().includes('/api/opencodeinterpreter/')) {
      return;
    }
    socket.on('framesent', frame => {
      const message = parse(frame.payload);
      if (message) {
        handlers.sent?.(message);
      }
    });
    socket.on('framereceived', frame => {
      const message = parse(frame.payload);
      if (message) {
        handlers.received?.(message);
      }
    });
  });
}
