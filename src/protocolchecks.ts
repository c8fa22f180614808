/**
 * Runtime checks of what the server sends over the WebSocket: a frame becomes
 * a typed message of src/protocol.ts only when it has that message's shape.
 */
import type {
  FixOutcomeStatus,
  IChatMessage,
  IFixCause,
  IFixOutcome,
  IStatus,
  ITaskOutcome,
  ServerMessage,
  TaskOutcomeStatus
} from './protocol';

/**
 * The statuses of a fix's outcome, for the checks below.
 */
const FIX_OUTCOME_STATUSES: Readonly<Record<FixOutcomeStatus, true>> = {
  fixed: true,
  failed: true,
  no_code: true,
  unchanged: true
};

/**
 * The statuses of a task's outcome, for the checks below.
 */
const TASK_OUTCOME_STATUSES: Readonly<Record<TaskOutcomeStatus, true>> = {
  answered: true,
  max_rounds: true,
  repeated: true
};

/**
 * Parse one WebSocket frame from the server.
 *
 * Returns null for anything that is not a known, well-formed server message,
 * so that callers only ever see values of the union above.
 */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(value)) {
    return null;
  }
  let valid: boolean;
  switch (value.type) {
    case 'status':
      valid = isStatus(value.status);
      break;
    case 'token':
      valid = typeof value.id === 'string' && typeof value.text === 'string';
      break;
    case 'proposal':
      valid =
        typeof value.id === 'string' &&
        typeof value.round === 'number' &&
        typeof value.code === 'string' &&
        typeof value.explanation === 'string' &&
        typeof value.tried === 'boolean' &&
        typeof value.preview === 'string';
      break;
    case 'done':
      valid =
        typeof value.id === 'string' && typeof value.cancelled === 'boolean';
      break;
    case 'error':
      valid =
        (value.id === null || typeof value.id === 'string') &&
        typeof value.message === 'string';
      break;
    default:
      valid = false;
  }
  return valid ? (value as unknown as ServerMessage) : null;
}

/**
 * Whether a `done`'s outcome is a fix's (`kind: 'fix'`).
 */
export function isFixOutcome(value: unknown): value is IFixOutcome {
  return (
    isObject(value) &&
    value.kind === 'fix' &&
    hasKey(FIX_OUTCOME_STATUSES, value.status) &&
    typeof value.source === 'string'
  );
}

/**
 * Whether a fix outcome's `cause` is a well-formed one.
 */
export function isFixCause(value: unknown): value is IFixCause {
  return (
    isObject(value) &&
    typeof value.cell === 'number' &&
    Number.isInteger(value.cell) &&
    value.cell >= 0 &&
    Array.isArray(value.names) &&
    value.names.every(name => typeof name === 'string')
  );
}

/**
 * Whether a `done`'s outcome is a task's (`kind: 'task'`), with its
 * transcript.
 */
export function isTaskOutcome(value: unknown): value is ITaskOutcome {
  return (
    isObject(value) &&
    value.kind === 'task' &&
    hasKey(TASK_OUTCOME_STATUSES, value.status) &&
    Array.isArray(value.transcript) &&
    value.transcript.every(isChatMessage)
  );
}

/**
 * Whether a value is one message of a conversation.
 */
export function isChatMessage(value: unknown): value is IChatMessage {
  return (
    isObject(value) &&
    (value.role === 'system' ||
      value.role === 'user' ||
      value.role === 'assistant') &&
    typeof value.content === 'string'
  );
}

/**
 * Whether a value looks like a `Status` object.
 */
export function isStatus(value: unknown): value is IStatus {
  return (
    isObject(value) &&
    typeof value.model === 'string' &&
    typeof value.state === 'string' &&
    ['absent', 'loading', 'ready', 'error'].includes(value.state) &&
    typeof value.message === 'string'
  );
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasKey<K extends string>(
  record: Readonly<Record<K, true>>,
  key: unknown
): key is K {
  return (
    typeof key === 'string' && Object.prototype.hasOwnProperty.call(record, key)
  );
}
