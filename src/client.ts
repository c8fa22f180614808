import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { PromiseDelegate, UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  API_NAMESPACE,
  ClientMessage,
  IChatMessage,
  IDoneMessage,
  IExecutionResultRequest,
  IFixCell,
  IProposalMessage,
  IStatus,
  ServerMessage,
  isStatus,
  parseServerMessage
} from './protocol';

/**
 * Why a chat request failed.
 *
 * - `server`: the server answered the request with an `error` message.
 * - `connection`: the WebSocket dropped while the request was in flight.
 * - `disposed`: the client was disposed while the request was in flight.
 */
export type ChatErrorKind = 'server' | 'connection' | 'disposed';

/**
 * The error a chat request ends with when it does not end with `done`.
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
 * One streamed chat request: its tokens as a signal, its end as a promise.
 *
 * Instances are made by `AssistantClient.chat`; each ends exactly once, either
 * resolving `finished` with the server's `done` message (possibly
 * `cancelled: true`) or rejecting it with a `ChatError`.
 */
export class ChatStream {
  constructor(
    readonly id: string,
    private readonly _sendCancel: (id: string) => void
  ) {
    // The consumer decides what to do with a failure; never leave it unhandled.
    this._finished.promise.catch(() => undefined);
  }

  /**
   * Emits each piece of text of the answer, in order.
   */
  get tokenReceived(): ISignal<ChatStream, string> {
    return this._tokenReceived;
  }

  /**
   * Resolves with the `done` message; rejects with a `ChatError`.
   */
  get finished(): Promise<IDoneMessage> {
    return this._finished.promise;
  }

  /**
   * Whether the request has ended (done or failed).
   */
  get isFinished(): boolean {
    return this._isFinished;
  }

  /**
   * Ask the server to stop this request. It then ends with `done`
   * (`cancelled: true`) unless it had already ended.
   */
  cancel(): void {
    if (!this._isFinished) {
      this._sendCancel(this.id);
    }
  }

  /** @internal */
  _token(text: string, round?: number): void {
    if (!this._isFinished) {
      this._tokenRound(round);
      this._tokenReceived.emit(text);
    }
  }

  /**
   * Called before a token is emitted, with its fix round.
   */
  protected _tokenRound(round: number | undefined): void {
    // Plain chats have no rounds.
  }

  /** @internal */
  _done(message: IDoneMessage): void {
    if (this._end()) {
      this._finished.resolve(message);
    }
  }

  /** @internal */
  _fail(error: ChatError): void {
    if (this._end()) {
      this._finished.reject(error);
    }
  }

  private _end(): boolean {
    if (this._isFinished) {
      return false;
    }
    this._isFinished = true;
    Signal.clearData(this);
    return true;
  }

  private _isFinished = false;
  private _finished = new PromiseDelegate<IDoneMessage>();
  private _tokenReceived = new Signal<ChatStream, string>(this);
}

/**
 * One streamed request that runs code through the client, round after round
 * (`fix` and `task`): tokens (with their round), proposals, and the client's
 * `execution_result` answers.
 */
export class LoopStream extends ChatStream {
  constructor(
    id: string,
    sendCancel: (id: string) => void,
    private readonly _sendResult: (message: IExecutionResultRequest) => void
  ) {
    super(id, sendCancel);
  }

  /**
   * The round of the last token or proposal received (1 before any).
   */
  get round(): number {
    return this._round;
  }

  /**
   * Emits each proposal of the server.
   */
  get proposalReceived(): ISignal<LoopStream, IProposalMessage> {
    return this._proposalReceived;
  }

  /**
   * Answer a proposal with the outcome of its run. Ignored once finished.
   */
  sendResult(result: Omit<IExecutionResultRequest, 'type' | 'id'>): void {
    if (this.isFinished) {
      return;
    }
    const message: IExecutionResultRequest = {
      type: 'execution_result',
      id: this.id,
      round: result.round,
      status: result.status,
      outputs: result.outputs
    };
    if (result.message !== undefined) {
      message.message = result.message;
    }
    this._sendResult(message);
  }

  /** @internal */
  _proposal(message: IProposalMessage): void {
    if (!this.isFinished) {
      this._round = message.round;
      this._proposalReceived.emit(message);
    }
  }

  protected _tokenRound(round: number | undefined): void {
    if (typeof round === 'number') {
      this._round = round;
    }
  }

  private _round = 1;
  private _proposalReceived = new Signal<LoopStream, IProposalMessage>(this);
}

/**
 * One streamed `fix` request.
 */
export class FixStream extends LoopStream {}

/**
 * One streamed `task` request.
 */
export class TaskStream extends LoopStream {}

/**
 * Talks to the server extension: REST for status and load, one authenticated
 * WebSocket for status pushes and streamed chats.
 */
export class AssistantClient implements IDisposable {
  constructor(options: AssistantClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._backoff = { ...AssistantClient.DEFAULT_BACKOFF, ...options.backoff };
  }

  /**
   * The server settings used for REST calls and the WebSocket.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * The latest known model status, or null before the first one arrives.
   */
  get status(): IStatus | null {
    return this._status;
  }

  /**
   * Emits every new model status (WebSocket pushes and REST answers).
   */
  get statusChanged(): ISignal<this, IStatus> {
    return this._statusChanged;
  }

  /**
   * The state of the WebSocket.
   */
  get connectionState(): AssistantClient.ConnectionState {
    return this._connectionState;
  }

  /**
   * Emits when the WebSocket connects, starts connecting or drops.
   */
  get connectionChanged(): ISignal<this, AssistantClient.ConnectionState> {
    return this._connectionChanged;
  }

  /**
   * Emits server errors that are not tied to a request (`id: null`).
   */
  get errorReceived(): ISignal<this, string> {
    return this._errorReceived;
  }

  /**
   * Whether the client is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The number of requests that have not ended yet.
   */
  get pendingCount(): number {
    return this._streams.size;
  }

  /**
   * The WebSocket URL, with the token appended the way @jupyterlab/services does.
   */
  get webSocketUrl(): string {
    const settings = this.serverSettings;
    let url = URLExt.join(settings.wsUrl, API_NAMESPACE, 'chat');
    if (settings.appendToken && settings.token !== '') {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    return url;
  }

  /**
   * Open the WebSocket if it is not open or opening. After a drop it
   * reconnects by itself, with exponential backoff, until disposed.
   */
  connect(): void {
    if (this._isDisposed) {
      return;
    }
    this._wantConnection = true;
    if (this._socket) {
      return;
    }
    this._clearReconnectTimer();
    this._open();
  }

  /**
   * Start a streamed chat. Sent at once when connected, else queued until the
   * socket opens (the socket is opened if needed).
   */
  chat(options: AssistantClient.IChatOptions): ChatStream {
    if (this._isDisposed) {
      throw new Error('AssistantClient is disposed');
    }
    const id = UUID.uuid4();
    const stream = new ChatStream(id, this._cancel);
    this._streams.set(id, stream);
    const message: ClientMessage = {
      type: 'chat',
      id,
      messages: options.messages.map(m => ({
        role: m.role,
        content: m.content
      }))
    };
    if (options.maxTokens !== undefined) {
      message.max_tokens = options.maxTokens;
    }
    if (options.temperature !== undefined) {
      message.temperature = options.temperature;
    }
    this._send(message);
    return stream;
  }

  /**
   * Start fixing a failing cell (`fix` request). Sent at once when
   * connected, else queued until the socket opens.
   */
  fix(options: AssistantClient.IFixOptions): FixStream {
    if (this._isDisposed) {
      throw new Error('AssistantClient is disposed');
    }
    const stream = this._loop(FixStream);
    const id = stream.id;
    const message: ClientMessage = {
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
    this._send(message);
    return stream;
  }

  /**
   * Start a task (`task` request): the server answers the conversation's last
   * user message round after round, proposing code for the client to run.
   * Sent at once when connected, else queued until the socket opens.
   */
  task(options: AssistantClient.ITaskOptions): TaskStream {
    if (this._isDisposed) {
      throw new Error('AssistantClient is disposed');
    }
    const stream = this._loop(TaskStream);
    const message: ClientMessage = {
      type: 'task',
      id: stream.id,
      messages: options.messages.map(m => ({
        role: m.role,
        content: m.content
      }))
    };
    if (options.maxRounds !== undefined) {
      message.max_rounds = options.maxRounds;
    }
    if (options.language) {
      message.language = options.language;
    }
    if (options.maxTokens !== undefined) {
      message.max_tokens = options.maxTokens;
    }
    if (options.temperature !== undefined) {
      message.temperature = options.temperature;
    }
    this._send(message);
    return stream;
  }

  /**
   * Cancel a request by id.
   */
  cancel(id: string): void {
    this._streams.get(id)?.cancel();
  }

  /**
   * `GET /api/opencodeinterpreter/status`.
   */
  getStatus(): Promise<IStatus> {
    return this._requestStatus('status', { method: 'GET' });
  }

  /**
   * `POST /api/opencodeinterpreter/load`: start loading the model now.
   */
  load(): Promise<IStatus> {
    return this._requestStatus('load', { method: 'POST' });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._wantConnection = false;
    this._clearReconnectTimer();
    const socket = this._socket;
    this._socket = null;
    this._outbox = [];
    if (socket) {
      detach(socket);
      socket.close();
    }
    this._failAll(new ChatError('The assistant was closed.', 'disposed'));
    Signal.clearData(this);
  }

  private _open(): void {
    const socket = new this.serverSettings.WebSocket(this.webSocketUrl);
    this._socket = socket;
    this._setConnectionState('connecting');
    socket.onopen = () => {
      if (socket !== this._socket) {
        return;
      }
      this._attempt = 0;
      this._setConnectionState('connected');
      const outbox = this._outbox;
      this._outbox = [];
      for (const data of outbox) {
        socket.send(data);
      }
    };
    socket.onmessage = (event: MessageEvent) => {
      if (socket === this._socket) {
        this._handleMessage(event.data);
      }
    };
    socket.onclose = () => {
      if (socket === this._socket) {
        this._onClosed();
      }
    };
    // An error is always followed by a close; the close handles it.
    socket.onerror = () => undefined;
  }

  private _onClosed(): void {
    if (this._socket) {
      detach(this._socket);
    }
    this._socket = null;
    this._outbox = [];
    this._wsStatusSeen = false;
    this._failAll(
      new ChatError(
        'The connection to the assistant server was lost.',
        'connection'
      )
    );
    this._setConnectionState('disconnected');
    if (!this._isDisposed && this._wantConnection) {
      const { initial, factor, max } = this._backoff;
      const delay = Math.min(max, initial * Math.pow(factor, this._attempt));
      this._attempt += 1;
      this._reconnectTimer = setTimeout(() => {
        this._reconnectTimer = null;
        if (!this._isDisposed && !this._socket) {
          this._open();
        }
      }, delay);
    }
  }

  private _handleMessage(data: unknown): void {
    const message: ServerMessage | null = parseServerMessage(data);
    if (!message) {
      console.warn('OpenCodeInterpreter: ignoring an unknown message', data);
      return;
    }
    switch (message.type) {
      case 'status':
        this._wsStatusSeen = true;
        this._setStatus(message.status);
        break;
      case 'token':
        this._streams.get(message.id)?._token(message.text, message.round);
        break;
      case 'proposal': {
        const stream = this._streams.get(message.id);
        if (stream instanceof LoopStream) {
          stream._proposal(message);
        }
        break;
      }
      case 'done': {
        const stream = this._streams.get(message.id);
        this._streams.delete(message.id);
        stream?._done(message);
        break;
      }
      case 'error': {
        const stream =
          message.id === null ? undefined : this._streams.get(message.id);
        if (stream) {
          this._streams.delete(stream.id);
          stream._fail(new ChatError(message.message, 'server'));
          if (stream instanceof LoopStream) {
            // An error may answer one message of a loop (a late result) while
            // it still waits on the server: stop it there too (unknown ids
            // are ignored).
            this._cancel(stream.id);
          }
        } else {
          this._errorReceived.emit(message.message);
        }
        break;
      }
    }
  }

  /**
   * A new stream of a request that runs code, registered under a new id.
   */
  private _loop<T extends LoopStream>(
    kind: new (
      id: string,
      sendCancel: (id: string) => void,
      sendResult: (message: IExecutionResultRequest) => void
    ) => T
  ): T {
    const stream = new kind(UUID.uuid4(), this._cancel, message => {
      if (!this._isDisposed) {
        this._send(message);
      }
    });
    this._streams.set(stream.id, stream);
    return stream;
  }

  private _send(message: ClientMessage): void {
    const data = JSON.stringify(message);
    const socket = this._socket;
    if (socket && this._connectionState === 'connected') {
      socket.send(data);
      return;
    }
    this._outbox.push(data);
    this.connect();
  }

  private _cancel = (id: string): void => {
    if (this._isDisposed) {
      return;
    }
    this._send({ type: 'cancel', id });
  };

  private async _requestStatus(
    endpoint: string,
    init: RequestInit
  ): Promise<IStatus> {
    const settings = this.serverSettings;
    const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);
    // Adds the token and XSRF headers; network failures become NetworkError.
    const response = await ServerConnection.makeRequest(url, init, settings);
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!response.ok) {
      const message =
        typeof body === 'object' &&
        body !== null &&
        typeof (body as { message?: unknown }).message === 'string'
          ? (body as { message: string }).message
          : `${response.status} ${response.statusText}`.trim();
      throw new ServerConnection.ResponseError(response, message);
    }
    if (!isStatus(body)) {
      throw new Error(`Unexpected answer from ${url}`);
    }
    // While the socket pushes statuses, those are newer than any REST answer.
    if (!this._wsStatusSeen) {
      this._setStatus(body);
    }
    return body;
  }

  private _setStatus(status: IStatus): void {
    this._status = status;
    this._statusChanged.emit(status);
  }

  private _setConnectionState(state: AssistantClient.ConnectionState): void {
    if (this._connectionState !== state) {
      this._connectionState = state;
      this._connectionChanged.emit(state);
    }
  }

  private _failAll(error: ChatError): void {
    const streams = [...this._streams.values()];
    this._streams.clear();
    for (const stream of streams) {
      stream._fail(error);
    }
  }

  private _clearReconnectTimer(): void {
    if (this._reconnectTimer !== null) {
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
    }
  }

  private _backoff: AssistantClient.IBackoff;
  private _attempt = 0;
  private _reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private _socket: WebSocket | null = null;
  private _outbox: string[] = [];
  private _streams = new Map<string, ChatStream>();
  private _status: IStatus | null = null;
  private _wsStatusSeen = false;
  private _wantConnection = false;
  private _isDisposed = false;
  private _connectionState: AssistantClient.ConnectionState = 'disconnected';
  private _statusChanged = new Signal<this, IStatus>(this);
  private _connectionChanged = new Signal<
    this,
    AssistantClient.ConnectionState
  >(this);
  private _errorReceived = new Signal<this, string>(this);
}

export namespace AssistantClient {
  export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

  /**
   * Reconnection delays in milliseconds: `initial * factor ** attempt`,
   * capped at `max`; reset once a connection opens.
   */
  export interface IBackoff {
    initial: number;
    factor: number;
    max: number;
  }

  export const DEFAULT_BACKOFF: IBackoff = {
    initial: 1000,
    factor: 2,
    max: 30000
  };

  export interface IOptions {
    /**
     * Server settings; the WebSocket constructor comes from
     * `serverSettings.WebSocket`. Defaults to `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;
    backoff?: Partial<IBackoff>;
  }

  export interface IChatOptions {
    messages: IChatMessage[];
    maxTokens?: number;
    temperature?: number;
  }

  export interface IFixOptions {
    cell: IFixCell;
    context?: ReadonlyArray<string>;
    variables?: string | null;
    language?: string;
    maxRounds?: number;
  }

  export interface ITaskOptions {
    /** The conversation; its last user message is the task. */
    messages: IChatMessage[];
    /** Sent as `max_rounds`. */
    maxRounds?: number;
    /** The kernel's language. */
    language?: string;
    maxTokens?: number;
    temperature?: number;
  }
}

/**
 * Drop a socket's handlers so that it can no longer call back.
 */
function detach(socket: WebSocket): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}
