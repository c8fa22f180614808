/**
 * How a request ends when it does not end with `done`, and one readable
 * message from anything thrown.
 */

/**
 * Why a request failed.
 *
 * - `server`: the server answered the request with an `error` message.
 * - `connection`: the WebSocket dropped while the request was in flight.
 * - `disposed`: the client was disposed while the request was in flight.
 * - `timeout`: the server sent nothing for the request for too long (the
 *   client's watchdog stopped it).
 */
export type ChatErrorKind = 'server' | 'connection' | 'disposed' | 'timeout';

/**
 * The error a request ends with when it does not end with `done`.
 */
export class ChatError extends Error {
  constructor(
    message: string,
    readonly kind: ChatErrorKind
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

/**
 * A readable reason from anything thrown.
 */
export function errorMessage(reason: unknown): string {
  if (reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}
