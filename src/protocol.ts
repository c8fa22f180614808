/**
 * The wire protocol between the panel and the server extension.
 *
 * The server describes every message once, as pydantic models
 * (opencodeinterpreter_lab/protocol.py), and checks in their JSON Schema
 * (opencodeinterpreter_lab/protocol.schema.json). The types here mirror it
 * field for field, optional where it is optional, and a jest contract test
 * (src/__tests__/protocol.spec.ts) validates fixtures of every type and
 * variant against that schema, so that a change on one side only fails a
 * test. docs/protocol.md is the readable version. Field names keep the
 * server's snake_case on purpose. The request limits (max_tokens,
 * temperature, max_rounds) are defined there, once.
 */

/**
 * Base path of every route of the server extension, relative to the base URL.
 */
export const API_NAMESPACE = 'api/opencodeinterpreter';

/**
 * Where the model comes from: a local GGUF file (`path`, `hub`, `embedded`)
 * run in-process by llama.cpp, or `remote`: an OpenAI-compatible server (see
 * `IStatus.endpoint`).
 */
export type ModelSource = 'path' | 'hub' | 'embedded' | 'remote';

/**
 * Lifecycle of the model: absent → loading → ready | error. For a remote
 * engine, `loading` is connecting to the server, `ready` that it answered
 * and serves the model, and `error` carries the reason in `message`.
 */
export type ModelState = 'absent' | 'loading' | 'ready' | 'error';

/**
 * The model's status (`GET /status`, `POST /load`, and `status` pushes).
 */
export interface IStatus {
  /**
   * Display name of the model; for a remote engine, the served model's name
   * (may be a path or `org/name`).
   */
  model: string;
  /** Where the model comes from; remote: an OpenAI-compatible server (see endpoint). */
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
  /** The remote server's URL, without credentials; empty for the local engine. */
  endpoint: string;
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
  /** Unique per connection (1..200 characters). */
  id: string;
  /** At least one. */
  messages: IChatMessage[];
  /** 1..32768; left out (or null): the server's default. */
  max_tokens?: number | null;
  /** 0..2; left out (or null): the server's default. */
  temperature?: number | null;
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
  /** Sources of the cells above, in order (at most 500). */
  context?: string[];
  /**
   * A summary of the kernel's variables (at most 4000 characters): the
   * fallback for a server that cannot read the kernel itself.
   */
  variables?: string;
  /** Default `python`. */
  language?: string;
  /** 1..10; left out (or null): the server's default. */
  max_rounds?: number | null;
  /**
   * 1..5: fixes tried per round in copies of the kernel (needs `kernel_id`)
   * until one passes there and is proposed; 1: one untried proposal per
   * round. Left out (or null): the server's default.
   */
  candidates?: number | null;
  /**
   * The notebook's kernel: the server reads it silently for the prompt and
   * for its checks of a run.
   */
  kernel_id?: string | null;
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
  /** At least one. */
  messages: IChatMessage[];
  /** The kernel's language; default `python`. */
  language?: string;
  /** 1..20; left out (or null): the server's default. */
  max_rounds?: number | null;
  /** 1..32768; left out (or null): the server's default. */
  max_tokens?: number | null;
  /** 0..2; left out (or null): the server's default. */
  temperature?: number | null;
}

/**
 * Ask for an inline completion at a cursor: the server streams the ghost
 * text as `token`s, then `done`. Cancel the previous one when the user types on
 * (the server also cancels it on a newer request).
 */
export interface ICompleteRequest {
  type: 'complete';
  id: string;
  /** The code before the cursor, in its cell (at most 1,000,000 characters). */
  prefix: string;
  /** The code after the cursor; default none. */
  suffix?: string;
  /** Sources of the cells above, in order, nearest last (at most 500). */
  context?: string[];
  /** 1..20; default 3. */
  max_lines?: number;
  /** Which model completes: `chat` (default: the chat model) or a local model's catalog key. */
  model?: string;
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
  /** The proposal's round (1 or more). */
  round: number;
  status: ExecutionStatus;
  /** nbformat v4 outputs; default none. */
  outputs?: unknown[];
  /** Why it could not run (status `dead`). */
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
  | ICompleteRequest
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
  /** The round of a fix or task the token belongs to; left out for a chat. */
  round?: number | null;
}

/**
 * Code to run: a fix to apply, or a task's next cell; the client runs it and
 * answers with `execution_result` for that round.
 */
export interface IProposalMessage {
  type: 'proposal';
  id: string;
  round: number;
  code: string;
  explanation: string;
  /** The code passed in a copy of the kernel before it was proposed. */
  tried: boolean;
  /** What the code printed, displayed and set in that copy; '' if untried. */
  preview: string;
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
  /**
   * That cell with the fix's repairs in place, when the fix can be made there
   * (else null).
   */
  cause_source: string | null;
  /**
   * The failing cell's source to go with cause_source: its original when the
   * fix changed nothing else there.
   */
  cell_source: string | null;
}

/**
 * The end of a fix, carried by its `done`.
 */
export interface IFixOutcome {
  kind: 'fix';
  status: FixOutcomeStatus;
  /** The passing cell, or the original when nothing passed. */
  source: string;
  rounds: number;
  message: string;
  /** Where the cause probably lay, or null. */
  cause: IFixCause | null;
}

/**
 * How a task ended: `answered` (the last answer had no code: the final
 * answer), `max_rounds` (it still wanted to run code after the last round),
 * `repeated` (the model kept proposing the code that had just run).
 */
export type TaskOutcomeStatus = 'answered' | 'max_rounds' | 'repeated';

/**
 * The end of a task, carried by its `done`.
 */
export interface ITaskOutcome {
  kind: 'task';
  status: TaskOutcomeStatus;
  /** The number of rounds. */
  rounds: number;
  message: string;
  /** The final answer (status `answered`), else empty. */
  answer: string;
  /**
   * The conversation as the model saw it (its system prompt left out), the
   * task's turns and its last answer included: what a follow-up replays.
   */
  transcript: IChatMessage[];
}

/**
 * The end of a `fix` or a `task`, told apart by `kind`.
 */
export type Outcome = IFixOutcome | ITaskOutcome;

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
  /** The end of a `fix` or `task` request; null for a chat or a cancel. */
  outcome: Outcome | null;
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

export * from './protocolchecks';
export * from './protocolrest';
