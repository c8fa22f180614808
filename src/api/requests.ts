/**
 * The request messages the client sends, built from its callers' options
 * (camelCase there, the wire's snake_case here). Pure functions; options
 * left out or null are left out of the message, so that the server's
 * defaults apply (an unset setting of the panel means the server's default).
 */
import {
  IChatMessage,
  IChatRequest,
  ICompleteRequest,
  IFixCell,
  IFixRequest,
  ITaskRequest
} from '../protocol';

/**
 * The sampling options of a request that generates from a conversation.
 */
export interface ISamplingOptions {
  /** Sent as `max_tokens`; null: the server's default. */
  maxTokens?: number | null;
  /** Null: the server's default. */
  temperature?: number | null;
}

/**
 * A `chat` request.
 */
export interface IChatOptions extends ISamplingOptions {
  messages: IChatMessage[];
}

/**
 * A `fix` request.
 */
export interface IFixOptions {
  cell: IFixCell;
  context?: ReadonlyArray<string>;
  /** A summary of the kernel's variables: the server's fallback. */
  variables?: string | null;
  language?: string;
  /** Sent as `max_rounds`; null: the server's default. */
  maxRounds?: number | null;
  /** Sent as `candidates`; null: the server's default. */
  candidates?: number | null;
  /**
   * The notebook's kernel (sent as `kernel_id`), which the server reads
   * silently for the prompt and its checks; null when there is none.
   */
  kernelId?: string | null;
}

/**
 * A `task` request.
 */
export interface ITaskOptions extends ISamplingOptions {
  /** The conversation; its last user message is the task. */
  messages: IChatMessage[];
  /** Sent as `max_rounds`; null: the server's default. */
  maxRounds?: number | null;
  /** The kernel's language. */
  language?: string;
}

/**
 * A `complete` request: an inline completion at a cursor.
 */
export interface ICompleteOptions {
  /** The code before the cursor, in its cell or file. */
  prefix: string;
  /** The code after the cursor. */
  suffix?: string;
  /** Sources of the cells above, nearest last. */
  context?: ReadonlyArray<string>;
  /** Sent as `max_lines`. */
  maxLines?: number | null;
  /** `chat` or a local model's catalog key; null: the server's default. */
  model?: string | null;
}

export function completeRequest(
  id: string,
  options: ICompleteOptions
): ICompleteRequest {
  const message: ICompleteRequest = {
    type: 'complete',
    id,
    prefix: options.prefix
  };
  if (options.suffix) {
    message.suffix = options.suffix;
  }
  if (options.context?.length) {
    message.context = [...options.context];
  }
  if (isSet(options.maxLines)) {
    message.max_lines = options.maxLines;
  }
  if (isSet(options.model)) {
    message.model = options.model;
  }
  return message;
}

export function chatRequest(id: string, options: IChatOptions): IChatRequest {
  const message: IChatRequest = {
    type: 'chat',
    id,
    messages: copyMessages(options.messages)
  };
  return withSampling(message, options);
}

export function fixRequest(id: string, options: IFixOptions): IFixRequest {
  const message: IFixRequest = {
    type: 'fix',
    id,
    cell: { source: options.cell.source, outputs: options.cell.outputs }
  };
  if (options.context !== undefined) {
    message.context = [...options.context];
  }
  if (options.variables) {
    message.variables = options.variables;
  }
  if (options.language) {
    message.language = options.language;
  }
  if (isSet(options.maxRounds)) {
    message.max_rounds = options.maxRounds;
  }
  if (isSet(options.candidates)) {
    message.candidates = options.candidates;
  }
  if (isSet(options.kernelId)) {
    message.kernel_id = options.kernelId;
  }
  return message;
}

export function taskRequest(id: string, options: ITaskOptions): ITaskRequest {
  const message: ITaskRequest = {
    type: 'task',
    id,
    messages: copyMessages(options.messages)
  };
  if (isSet(options.maxRounds)) {
    message.max_rounds = options.maxRounds;
  }
  if (options.language) {
    message.language = options.language;
  }
  return withSampling(message, options);
}

function copyMessages(messages: ReadonlyArray<IChatMessage>): IChatMessage[] {
  return messages.map(m => ({ role: m.role, content: m.content }));
}

function withSampling<T extends IChatRequest | ITaskRequest>(
  message: T,
  options: ISamplingOptions
): T {
  if (isSet(options.maxTokens)) {
    message.max_tokens = options.maxTokens;
  }
  if (isSet(options.temperature)) {
    message.temperature = options.temperature;
  }
  return message;
}

/**
 * Whether an option is set (neither left out nor null).
 */
function isSet<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}
