/**
 * The request messages the client sends, built from its callers' options
 * (camelCase there, the wire's snake_case here). Pure functions; options
 * left out are left out of the message, so that the server's defaults apply.
 */
import {
  IChatMessage,
  IChatRequest,
  IFixCell,
  IFixRequest,
  ITaskRequest
} from '../protocol';

/**
 * The sampling options of a request that generates from a conversation.
 */
export interface ISamplingOptions {
  maxTokens?: number;
  temperature?: number;
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
  variables?: string | null;
  language?: string;
  maxRounds?: number;
}

/**
 * A `task` request.
 */
export interface ITaskOptions extends ISamplingOptions {
  /** The conversation; its last user message is the task. */
  messages: IChatMessage[];
  /** Sent as `max_rounds`. */
  maxRounds?: number;
  /** The kernel's language. */
  language?: string;
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
  if (options.maxRounds !== undefined) {
    message.max_rounds = options.maxRounds;
  }
  return message;
}

export function taskRequest(id: string, options: ITaskOptions): ITaskRequest {
  const message: ITaskRequest = {
    type: 'task',
    id,
    messages: copyMessages(options.messages)
  };
  if (options.maxRounds !== undefined) {
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
  if (options.maxTokens !== undefined) {
    message.max_tokens = options.maxTokens;
  }
  if (options.temperature !== undefined) {
    message.temperature = options.temperature;
  }
  return message;
}
