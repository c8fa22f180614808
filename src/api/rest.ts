/**
 * The REST routes of the server extension (`status`, `load`,
 * `conversations`): one request,
 * its JSON answer checked, errors with the server's message.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_NAMESPACE, IStatus, isStatus } from '../protocol';

/**
 * Request `endpoint` (e.g. `status`) and return the model status it answers.
 * Throws `ServerConnection.ResponseError` with the server's message when it
 * answers an error, `NetworkError` when it cannot be reached.
 */
export async function requestStatus(
  settings: ServerConnection.ISettings,
  endpoint: string,
  init: RequestInit
): Promise<IStatus> {
  const body = await requestJSON(settings, endpoint, init);
  if (!isStatus(body)) {
    throw new Error(
      `Unexpected answer from ${URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint)}`
    );
  }
  return body;
}

/**
 * Request `endpoint` (e.g. `conversations?path=a.ipynb`) and return its JSON
 * answer (null for an empty one). Throws as `requestStatus` does.
 */
export async function requestJSON(
  settings: ServerConnection.ISettings,
  endpoint: string,
  init: RequestInit
): Promise<unknown> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);
  // Adds the token and XSRF headers; network failures become NetworkError.
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const message =
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : `${response.status} ${response.statusText}`.trim();
    throw new ServerConnection.ResponseError(response, message);
  }
  return body;
}
