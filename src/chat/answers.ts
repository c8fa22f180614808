/**
 * The model's answer to a chat message, one at a time: its tokens streamed
 * into its conversation entry, which ends complete, cancelled or in error,
 * with the speed of the answer and its code blocks.
 */
import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import { AssistantClient } from '../api/client';
import { errorMessage } from '../api/errors';
import { ChatStream, tokensPerSecond } from '../api/streams';
import type { IChatMessage, IDoneMessage } from '../protocol';
import { extractCodeBlocks } from './codeblocks';
import type { Conversation, IChatEntry } from './conversation';
import type { IChatSettings } from './settings';

/**
 * The answer being generated, if any.
 */
export class ChatAnswers implements IDisposable {
  constructor(options: ChatAnswers.IOptions) {
    this._client = options.client;
    this._conversation = options.conversation;
    this._settings = options.settings;
  }

  /**
   * Whether an answer is being generated.
   */
  get streaming(): boolean {
    return this._current !== null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask for the answer to `messages`. Returns its entry, streaming, for the
   * caller to add to the conversation; the entry is updated as the answer
   * comes.
   */
  start(messages: IChatMessage[]): IChatEntry {
    const settings = this._settings();
    const answer: IChatEntry = {
      id: UUID.uuid4(),
      role: 'assistant',
      content: '',
      state: 'streaming'
    };
    const stream = this._client.chat({
      messages,
      maxTokens: settings.maxTokens,
      temperature: settings.temperature
    });
    this._current = { stream, entryId: answer.id };
    stream.tokenReceived.connect(this._onToken, this);
    stream.finished.then(
      done => this._onDone(stream, done),
      (error: unknown) => this._onFailed(stream, error)
    );
    return answer;
  }

  /**
   * Stop the answer being generated. The server ends it with `done`
   * (`cancelled: true`); the partial answer stays in the conversation.
   */
  cancel(): void {
    this._current?.stream.cancel();
  }

  /**
   * Stop the answer being generated and leave its entry as it is.
   */
  forget(): void {
    const current = this._current;
    this._current = null;
    current?.stream.cancel();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._current?.stream.cancel();
    this._current = null;
    Signal.disconnectReceiver(this);
  }

  private _onToken(stream: ChatStream, text: string): void {
    const current = this._current;
    if (!current || current.stream !== stream) {
      return;
    }
    this._conversation.update(current.entryId, entry => ({
      ...entry,
      content: entry.content + text
    }));
  }

  private _onDone(stream: ChatStream, done: IDoneMessage): void {
    const current = this._current;
    if (this._isDisposed || !current || current.stream !== stream) {
      return;
    }
    this._current = null;
    const speed = tokensPerSecond(done);
    this._conversation.recordSpeed(speed);
    this._conversation.update(current.entryId, entry => ({
      ...entry,
      state: done.cancelled ? 'cancelled' : 'complete',
      tokensPerSecond: speed,
      codeBlocks: extractCodeBlocks(entry.content)
    }));
  }

  private _onFailed(stream: ChatStream, error: unknown): void {
    const current = this._current;
    if (this._isDisposed || !current || current.stream !== stream) {
      return;
    }
    this._current = null;
    this._conversation.update(current.entryId, entry => ({
      ...entry,
      state: 'error',
      error: errorMessage(error)
    }));
  }

  private _client: AssistantClient;
  private _conversation: Conversation;
  private _settings: () => Readonly<IChatSettings>;
  private _current: { stream: ChatStream; entryId: string } | null = null;
  private _isDisposed = false;
}

export namespace ChatAnswers {
  export interface IOptions {
    client: AssistantClient;
    /** The conversation the answers go into. */
    conversation: Conversation;
    /** The settings now (`maxTokens`, `temperature`). */
    settings: () => Readonly<IChatSettings>;
  }
}
