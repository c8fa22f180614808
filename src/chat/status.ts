/**
 * The status line of the panel, as data: which phase the model is in, its
 * load progress and whether the socket is reconnecting. The view words it.
 */
import type { AssistantClient } from '../api/client';
import type { IStatus, ModelState } from '../protocol';

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
  return {
    phase,
    state,
    progress,
    reconnecting: status !== null && connection !== 'connected'
  };
}
