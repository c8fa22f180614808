/**
 * The wire protocol between the panel and the server extension.
 *
 * This mirrors docs/protocol.md exactly: REST payloads, and the typed
 * messages exchanged over the `api/opencodeinterpreter/chat` WebSocket.
 * Field names keep the server's snake_case on purpose.
 */

/**
 * Base path of every route of the server extension, relative to the base URL.
 */
export const API_NAMESPACE = 'api/opencodeinterpreter';

/**
 * Where the model file comes from.
 */
export type ModelSource = 'path' | 'hub' | 'embedded';

/**
 * Lifecycle of the model: absent → loading → ready | error.
 */
export type ModelState = 'absent' | 'loading' | 'ready' | 'error';

/**
 * The model's status (`GET /status`, `POST /load`, and `status` pushes).
 */
export interface IStatus {
  /** Display name of the model. */
  model: string;
  source: ModelSource;
  state: ModelState;
  /** 0..1 while a loading phase has a known size, else null. */
  progress: number | null;
  /** What is happening ("Assembling model"), or the error's reason. */
  message: string;
  n_ctx: number;
  n_threads: number;
  n_gpu_layers: number;
  /** Whether this llama.cpp build can offload to a GPU. */
  gpu_offload: boolean;
}

/**
 * Body of an error answer on the REST routes.
 */
export interface IErrorBody {
  message: string;
}

/**
 * The role of one chat message.
 */
export type Role = 'system' | 'user' | 'assistant';

/**
 * One message of a conversation, as the model sees it.
 */
export interface IChatMessage {
  role: Role;
  content: string;
}

/* ------------------------------ client → server ------------------------------ */

/**
 * Ask for a streamed answer to a conversation.
 */
export interface IChatRequest {
  type: 'chat';
  /** Unique per connection. */
  id: string;
  messages: IChatMessage[];
  max_tokens?: number;
  temperature?: number;
}

/**
 * Stop a request; it then ends with `done` (`cancelled: true`).
 */
export interface ICancelRequest {
  type: 'cancel';
  id: string;
}

/**
 * The failing cell of a `fix` request.
 */
export interface IFixCell {
  source: string;
  /** nbformat v4 outputs of the failing run. */
  outputs: unknown[];
}

/**
 * Ask the server to fix a failing cell, round after round: it streams
 * `token`s (with `round`), then a `proposal`; the client answers each
 * proposal with an `execution_result`; it ends with `done` (with `outcome`).
 */
export interface IFixRequest {
  type: 'fix';
  id: string;
  cell: IFixCell;
  /** Sources of the cells above, in order. */
  context?: string[];
  /** A summary of the kernel's variables. */
  variables?: string;
  /** Default `python`. */
  language?: string;
  max_rounds?: number;
}

/**
 * Ask the server to carry out the last user message as a task: it streams
 * each round's answer (`token`s with `round`); a round with code sends a
 * `proposal`, which the client runs in a new notebook cell and answers with
 * `execution_result`; it ends with `done` (with a task `outcome`).
 */
export interface ITaskRequest {
  type: 'task';
  id: string;
  messages: IChatMessage[];
  /** 1..20; the server's default is 5. */
  max_rounds?: number;
  /** The kernel's language; default `python`. */
  language?: string;
  max_tokens?: number;
  temperature?: number;
}

/**
 * How the run of a proposal ended.
 */
export type ExecutionStatus = 'ok' | 'error' | 'timeout' | 'dead';

/**
 * The client's answer to a `proposal`: the outputs of its run.
 */
export interface IExecutionResultRequest {
  type: 'execution_result';
  id: string;
  round: number;
  status: ExecutionStatus;
  outputs: unknown[];
  message?: string;
}

/**
 * Any message the client sends.
 */
export type ClientMessage =
  | IChatRequest
  | ICancelRequest
  | IFixRequest
  | ITaskRequest
  | IExecutionResultRequest;

/* ------------------------------ server → client ------------------------------ */

/**
 * Sent on connect, then on every change of the model's state or load progress.
 */
export interface IStatusMessage {
  type: 'status';
  status: IStatus;
}

/**
 * One streamed piece of an answer.
 */
export interface ITokenMessage {
  type: 'token';
  id: string;
  text: string;
  /** The round of a fix the token belongs to. */
  round?: number;
}

/**
 * A fix is ready: the client applies it, runs it and answers with
 * `execution_result` for that round.
 */
export interface IProposalMessage {
  type: 'proposal';
  id: string;
  round: number;
  code: string;
  explanation: string;
}

/**
 * How a fix ended.
 */
export type FixOutcomeStatus = 'fixed' | 'failed' | 'no_code' | 'unchanged';

/**
 * Where the cause of a fixed failure probably lay: an earlier cell whose
 * definitions the fix changed.
 */
export interface IFixCause {
  /** The index of the cell in the request's `context`. */
  cell: number;
  /** The names the fix changed that this cell defines. */
  names: string[];
}

/**
 * The end of a fix, carried by its `done`.
 */
export interface IFixOutcome {
  status: FixOutcomeStatus;
  /** The passing cell, or the original when nothing passed. */
  source: string;
  rounds: number;
  message: string;
  /** Where the cause probably lay, or null (older servers leave it out). */
  cause?: IFixCause | null;
}

/**
 * How a task ended: `answered` (the last answer had no code: the final
 * answer), `max_rounds` (it still wanted to run code after the last round),
 * `repeated` (the model kept proposing the code that had just run).
 */
export type TaskOutcomeStatus =
  'answered' | 'max_rounds' | 'repeated' | 'no_code';

/**
 * The end of a task, carried by its `done`.
 */
export interface ITaskOutcome {
  status: TaskOutcomeStatus;
  /** The number of rounds. */
  rounds: number;
  message: string;
  /** The final answer (status `answered`). */
  answer: string;
}

/**
 * Token counts of a finished request.
 */
export interface IUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * Timings of a finished request.
 */
export interface ITimings {
  /** Null when no token was generated. */
  first_token_s: number | null;
  /** Null when fewer than two tokens were generated. */
  tokens_per_second: number | null;
}

/**
 * A request finished, normally or cancelled.
 */
export interface IDoneMessage {
  type: 'done';
  id: string;
  usage: IUsage;
  timings: ITimings;
  cancelled: boolean;
  /** The end of a `fix` or `task` request. */
  outcome?: IFixOutcome | ITaskOutcome;
}

/**
 * A request failed; `id` is null when the error cannot be tied to a request.
 */
export interface IErrorMessage {
  type: 'error';
  id: string | null;
  message: string;
}

/**
 * Any message the server sends.
 */
export type ServerMessage =
  | IStatusMessage
  | ITokenMessage
  | IProposalMessage
  | IDoneMessage
  | IErrorMessage;

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
        typeof value.explanation === 'string';
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
 * Whether a `done`'s outcome is a fix's.
 */
export function isFixOutcome(value: unknown): value is IFixOutcome {
  return (
    isObject(value) &&
    ['fixed', 'failed', 'no_code', 'unchanged'].includes(
      value.status as string
    ) &&
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
 * Whether a `done`'s outcome is a task's.
 */
export function isTaskOutcome(value: unknown): value is ITaskOutcome {
  return (
    isObject(value) &&
    ['answered', 'max_rounds', 'repeated', 'no_code'].includes(
      value.status as string
    ) &&
    typeof value.source !== 'string'
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
