/**
 * The status line of the panel, as data: which phase the model is in, its
 * load progress, whether the socket is reconnecting, and which engine serves
 * the model (in-process or a remote server). The view words it.
 */
import type { AssistantClient } from '../api/client';
import type { IStatus, ModelSource, ModelState } from '../protocol';

/**
 * What the status line says: `connecting` and `waiting` before the server
 * sent a status, else the model's state.
 */
export type StatusPhase = 'connecting' | 'waiting' | ModelState;

/**
 * The status line.
 */
export interface IStatusLine {
  readonly phase: StatusPhase;
  /** The model's state (`absent` before the server sent one). */
  readonly state: ModelState;
  /** The load progress in percent; null unless loading with a known size. */
  readonly progress: number | null;
  /** Whether the socket dropped after a status came (it reconnects). */
  readonly reconnecting: boolean;
  /** Where the model comes from; null before the server sent a status. */
  readonly source: ModelSource | null;
  /** Whether a remote OpenAI-compatible server serves the model. */
  readonly remote: boolean;
  /**
   * The model's name to show: the server's display name for the local
   * engine; for a remote one, the short name of the served model (see
   * `shortModelName`), empty while the server has not named it.
   */
  readonly model: string;
  /** The remote server's URL (without credentials); empty for the local engine. */
  readonly endpoint: string;
  /** `host[:port]` of the remote server; empty for the local engine. */
  readonly host: string;
}

/**
 * The status line for a status and a connection state.
 */
export function describeStatus(
  status: IStatus | null,
  connection: AssistantClient.ConnectionState
): IStatusLine {
  const state = status?.state ?? 'absent';
  const progress =
    status?.state === 'loading' && typeof status.progress === 'number'
      ? Math.round(Math.min(1, Math.max(0, status.progress)) * 100)
      : null;
  const phase: StatusPhase = status
    ? state
    : connection === 'connected'
      ? 'waiting'
      : 'connecting';
  const remote = status?.source === 'remote';
  const model = status?.model ?? '';
  // A server older than the remote engine does not send `endpoint`.
  const endpoint = remote ? (status?.endpoint ?? '') : '';
  return {
    phase,
    state,
    progress,
    reconnecting: status !== null && connection !== 'connected',
    source: status?.source ?? null,
    remote,
    model: remote ? (isUrl(model) ? '' : shortModelName(model)) : model,
    endpoint,
    host: endpointHost(endpoint)
  };
}

/**
 * The short name of a model id: the last segment of a path-like id
 * (`/models/qwen2.5-coder-7b` → `qwen2.5-coder-7b`,
 * `Qwen/Qwen2.5-Coder-7B-Instruct` → `Qwen2.5-Coder-7B-Instruct`), else the
 * id itself.
 */
export function shortModelName(model: string): string {
  const segments = model
    .trim()
    .split(/[\\/]+/)
    .filter(segment => segment !== '');
  return segments.length > 0 ? segments[segments.length - 1] : model.trim();
}

/**
 * `host[:port]` of a server's URL (`http://gpu-box:8000/v1` →
 * `gpu-box:8000`; the port only when the URL gives one), or the URL itself
 * when it cannot be parsed; empty for an empty URL.
 */
export function endpointHost(endpoint: string): string {
  const url = endpoint.trim();
  if (url === '') {
    return '';
  }
  try {
    const host = new URL(url).host;
    if (host) {
      return host;
    }
  } catch {
    // Not an absolute URL: fall back to cutting it by hand.
  }
  const match = /^(?:[a-z][a-z\d+.-]*:\/\/)?(?:[^@/]*@)?([^/?#]+)/i.exec(url);
  return match ? match[1] : url;
}

/**
 * Whether a string is an absolute URL (the remote engine names its model by
 * the server's URL until the server says which model it serves).
 */
function isUrl(value: string): boolean {
  return /^[a-z][a-z\d+.-]*:\/\//i.test(value.trim());
}
