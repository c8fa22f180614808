import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { AssistantClient, ChatError, ChatStream } from './client';
import { IChatMessage, IDoneMessage, IStatus } from './protocol';

/**
 * The frontend knobs, from the settings registry (schema/plugin.json).
 */
export interface IChatSettings {
  /** Upper bound on the tokens of one answer. */
  maxTokens: number;
  /** Sampling temperature. */
  temperature: number;
  /** System prompt; empty means the server's default. */
  systemPrompt: string;
}

export const DEFAULT_SETTINGS: Readonly<IChatSettings> = Object.freeze({
  maxTokens: 512,
  temperature: 0.2,
  systemPrompt: ''
});

/**
 * Where a message of the conversation stands.
 */
export type ChatEntryState = 'complete' | 'streaming' | 'cancelled' | 'error';

/**
 * One message of the conversation as the panel shows it. Entries are
 * immutable: an update replaces the entry, so views can compare by identity.
 */
export interface IChatEntry {
  readonly id: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly state: ChatEntryState;
  /** Why the answer failed (state `error`). */
  readonly error?: string;
  /** Generation speed of this answer, when the server reported it. */
  readonly tokensPerSecond?: number;
}

/**
 * The conversation and everything the panel shows: messages, the streaming
 * answer, the busy flag, the model's status, the speed of the last answer and
 * errors. All chat logic lives here; views only render it.
 */
export class ChatModel implements IDisposable {
  constructor(options: ChatModel.IOptions) {
    this._client = options.client;
    this.configure(options.settings ?? {});
    this._client.statusChanged.connect(this._emitChanged, this);
    this._client.connectionChanged.connect(this._emitChanged, this);
    this._client.errorReceived.connect(this._onServerError, this);
  }

  /**
   * The client the model talks through.
   */
  get client(): AssistantClient {
    return this._client;
  }

  /**
   * Emits after any change of what the panel shows.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The conversation, oldest first.
   */
  get messages(): ReadonlyArray<IChatEntry> {
    return this._messages;
  }

  /**
   * Whether an answer is being generated.
   */
  get busy(): boolean {
    return this._current !== null;
  }

  /**
   * The model's status, or null before the server sent one.
   */
  get status(): IStatus | null {
    return this._client.status;
  }

  /**
   * The WebSocket's state.
   */
  get connectionState(): AssistantClient.ConnectionState {
    return this._client.connectionState;
  }

  /**
   * Tokens per second of the last answer that reported it, else null.
   */
  get lastTokensPerSecond(): number | null {
    return this._lastTokensPerSecond;
  }

  /**
   * The last error not tied to one answer (loading request, server), else null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * The current settings.
   */
  get settings(): Readonly<IChatSettings> {
    return this._settings;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Update settings; invalid values fall back to the defaults.
   */
  configure(settings: Partial<IChatSettings>): void {
    const merged = { ...this._settings, ...settings };
    const maxTokens = Number(merged.maxTokens);
    const temperature = Number(merged.temperature);
    this._settings = {
      maxTokens:
        Number.isInteger(maxTokens) && maxTokens > 0
          ? maxTokens
          : DEFAULT_SETTINGS.maxTokens,
      temperature:
        Number.isFinite(temperature) && temperature >= 0
          ? temperature
          : DEFAULT_SETTINGS.temperature,
      systemPrompt:
        typeof merged.systemPrompt === 'string' ? merged.systemPrompt : ''
    };
    this._emitChanged();
  }

  /**
   * Connect to the server and ask it to load the model, once. The panel calls
   * this when it is first shown so that loading starts early.
   */
  start(): void {
    if (this._started || this._isDisposed) {
      return;
    }
    this._started = true;
    this._client.connect();
    this._client.load().catch((reason: unknown) => {
      if (!this._isDisposed) {
        this._setError(`Could not load the model: ${describe(reason)}`);
      }
    });
  }

  /**
   * Send a user message and stream the answer. Returns false (and changes
   * nothing) when the text is blank or an answer is still being generated.
   */
  send(text: string): boolean {
    const content = tidy(text);
    if (this._isDisposed || this.busy || content === '') {
      return false;
    }
    this._error = null;
    const user: IChatEntry = {
      id: UUID.uuid4(),
      role: 'user',
      content,
      state: 'complete'
    };
    const messages = this.buildMessages([...this._messages, user]);
    const answer: IChatEntry = {
      id: UUID.uuid4(),
      role: 'assistant',
      content: '',
      state: 'streaming'
    };
    this._messages = [...this._messages, user, answer];

    const stream = this._client.chat({
      messages,
      maxTokens: this._settings.maxTokens,
      temperature: this._settings.temperature
    });
    this._current = { stream, entryId: answer.id };
    stream.tokenReceived.connect(this._onToken, this);
    stream.finished.then(
      done => this._onDone(stream, done),
      (error: unknown) => this._onFailed(stream, error)
    );
    this._emitChanged();
    return true;
  }

  /**
   * Stop the answer being generated. The server ends it with `done`
   * (`cancelled: true`); the partial answer stays in the conversation.
   */
  cancel(): void {
    this._current?.stream.cancel();
  }

  /**
   * Forget the conversation, stopping any answer being generated.
   */
  clear(): void {
    const current = this._current;
    this._current = null;
    current?.stream.cancel();
    this._messages = [];
    this._error = null;
    this._emitChanged();
  }

  /**
   * Dismiss the error shown for the panel.
   */
  dismissError(): void {
    this._setError(null);
  }

  /**
   * The `messages` array of a chat request for a conversation: the system
   * prompt (when set) first, then the turns in order. Answers that failed or
   * are still streaming are left out; a stopped answer keeps what was
   * generated. Consecutive turns of one role are merged so that roles
   * alternate, as chat templates expect.
   */
  buildMessages(
    entries: ReadonlyArray<IChatEntry> = this._messages
  ): IChatMessage[] {
    const result: IChatMessage[] = [];
    const system = this._settings.systemPrompt.trim();
    if (system) {
      result.push({ role: 'system', content: system });
    }
    for (const entry of entries) {
      if (
        entry.role === 'assistant' &&
        (entry.state === 'streaming' ||
          entry.state === 'error' ||
          entry.content.trim() === '')
      ) {
        continue;
      }
      const last = result[result.length - 1];
      if (last && last.role === entry.role) {
        last.content = `${last.content}\n\n${entry.content}`;
      } else {
        result.push({ role: entry.role, content: entry.content });
      }
    }
    return result;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._current?.stream.cancel();
    this._current = null;
    Signal.disconnectReceiver(this);
    Signal.clearData(this);
  }

  private _onToken(stream: ChatStream, text: string): void {
    const current = this._current;
    if (!current || current.stream !== stream) {
      return;
    }
    this._updateEntry(current.entryId, entry => ({
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
    const speed = done.timings?.tokens_per_second;
    const tokensPerSecond =
      typeof speed === 'number' && Number.isFinite(speed) && speed > 0
        ? speed
        : undefined;
    if (tokensPerSecond !== undefined) {
      this._lastTokensPerSecond = tokensPerSecond;
    }
    this._updateEntry(current.entryId, entry => ({
      ...entry,
      state: done.cancelled ? 'cancelled' : 'complete',
      tokensPerSecond
    }));
  }

  private _onFailed(stream: ChatStream, error: unknown): void {
    const current = this._current;
    if (this._isDisposed || !current || current.stream !== stream) {
      return;
    }
    this._current = null;
    this._updateEntry(current.entryId, entry => ({
      ...entry,
      state: 'error',
      error: describe(error)
    }));
  }

  private _onServerError(_: AssistantClient, message: string): void {
    this._setError(message);
  }

  private _updateEntry(
    id: string,
    update: (entry: IChatEntry) => IChatEntry
  ): void {
    this._messages = this._messages.map(entry =>
      entry.id === id ? update(entry) : entry
    );
    this._emitChanged();
  }

  private _setError(error: string | null): void {
    this._error = error;
    this._emitChanged();
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _client: AssistantClient;
  private _settings: IChatSettings = { ...DEFAULT_SETTINGS };
  private _messages: ReadonlyArray<IChatEntry> = [];
  private _current: { stream: ChatStream; entryId: string } | null = null;
  private _lastTokensPerSecond: number | null = null;
  private _error: string | null = null;
  private _started = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace ChatModel {
  export interface IOptions {
    client: AssistantClient;
    settings?: Partial<IChatSettings>;
  }
}

/**
 * Drop blank lines around a message and trailing whitespace, keeping the
 * indentation of its first line (it may be code).
 */
function tidy(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
}

/**
 * A readable reason from anything thrown.
 */
function describe(reason: unknown): string {
  if (reason instanceof ChatError || reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}
