/**
 * The stored conversations of the server (`/conversations?path=…`): one a
 * notebook, kept in the user's own server-side data, never in the notebook.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IConversationUpdate, isConversationDocument } from '../protocol';
import { requestJSON } from './rest';

/**
 * Load, save and delete the conversation of a notebook path.
 */
export class ConversationsAPI {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  /**
   * The stored entries of `path` (as plain JSON; none when nothing is stored).
   */
  async load(path: string): Promise<Array<Record<string, unknown>>> {
    const body = await requestJSON(this.serverSettings, endpoint(path), {
      method: 'GET'
    });
    if (!isConversationDocument(body)) {
      throw new Error('Unexpected answer to loading a conversation');
    }
    return body.entries;
  }

  /**
   * Store `entries` as the conversation of `path`. `keepalive` lets the
   * request outlive the page (when it is closed or reloaded).
   */
  async save(
    path: string,
    entries: Array<Record<string, unknown>>,
    options: { keepalive?: boolean } = {}
  ): Promise<void> {
    const update: IConversationUpdate = { entries };
    await requestJSON(this.serverSettings, endpoint(path), {
      method: 'PUT',
      body: JSON.stringify(update),
      ...(options.keepalive ? { keepalive: true } : {})
    });
  }

  /**
   * Forget the conversation of `path`.
   */
  async remove(path: string): Promise<void> {
    await requestJSON(this.serverSettings, endpoint(path), {
      method: 'DELETE'
    });
  }
}

function endpoint(path: string): string {
  return `conversations${URLExt.objectToQueryString({ path })}`;
}
