/**
 * The client of the server extension: one WebSocket for the streamed
 * requests (with reconnection and a watchdog a request), REST for status
 * and load.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  API_NAMESPACE,
  ClientMessage,
  IExecutionResultRequest,
  IStatus,
  ServerMessage,
  parseServerMessage
} from '../protocol';
import { ChatError } from './errors';
import * as requests from './requests';
import {
  chatRequest,
  completeRequest,
  fixRequest,
  taskRequest
} from './requests';
import { requestStatus } from './rest';
import { ChatStream, FixStream, LoopStream, TaskStream } from './streams';
import { RequestWatchdog } from './watchdog';

/**
 * Talks to the server extension: REST for status and load, one authenticated
 * WebSocket for status pushes and streamed requests. Every request ends
 * exactly once: with the server's `done` or `error`, when the socket drops,
 * when the client is disposed, or when the server says nothing about it for
 * `requestTimeout` (its watchdog).
 */
export class AssistantClient implements IDisposable {
  constructor(options: AssistantClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._backoff = { ...AssistantClient.DEFAULT_BACKOFF, ...options.backoff };
    this._watchdog = new RequestWatchdog({
      timeout:
        options.requestTimeout ?? AssistantClient.DEFAULT_REQUEST_TIMEOUT,
      expired: this._expire
    });
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
   * Ask for an inline completion: the stream's tokens are the ghost text.
   * Cancel it when the user types on.
   */
  complete(options: AssistantClient.ICompleteOptions): ChatStream {
    const stream = this._newStream(id => new ChatStream(id, this._cancel));
    this._send(completeRequest(stream.id, options));
    return stream;
  }

  /**
   * Start a streamed chat. Sent at once when connected, else queued until the
   * socket opens (the socket is opened if needed).
   */
  chat(options: AssistantClient.IChatOptions): ChatStream {
    const stream = this._newStream(id => new ChatStream(id, this._cancel));
    this._send(chatRequest(stream.id, options));
    return stream;
  }

  /**
   * Start fixing a failing cell (`fix` request). Sent at once when
   * connected, else queued until the socket opens.
   */
  fix(options: AssistantClient.IFixOptions): FixStream {
    const stream = this._newStream(
      id => new FixStream(id, this._cancel, this._sendResult)
    );
    this._send(fixRequest(stream.id, options));
    return stream;
  }

  /**
   * Start a task (`task` request): the server answers the conversation's last
   * user message round after round, proposing code for the client to run.
   * Sent at once when connected, else queued until the socket opens.
   */
  task(options: AssistantClient.ITaskOptions): TaskStream {
    const stream = this._newStream(
      id => new TaskStream(id, this._cancel, this._sendResult)
    );
    this._send(taskRequest(stream.id, options));
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
    this._watchdog.dispose();
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
        // The server is alive and working (e.g. loading the model that the
        // pending requests wait for).
        this._watchdog.heardAll();
        this._setStatus(message.status);
        break;
      case 'token':
        this._watchdog.heard(message.id);
        this._streams
          .get(message.id)
          ?._token(message.text, message.round ?? undefined);
        break;
      case 'proposal': {
        const stream = this._streams.get(message.id);
        if (stream instanceof LoopStream) {
          // The server now waits for the run's result: no timer meanwhile.
          this._watchdog.pause(message.id);
          stream._proposal(message);
        }
        break;
      }
      case 'done': {
        const stream = this._streams.get(message.id);
        this._unregister(message.id);
        stream?._done(message);
        break;
      }
      case 'error': {
        const stream =
          message.id === null ? undefined : this._streams.get(message.id);
        if (stream) {
          this._unregister(stream.id);
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
   * A new stream under a new id, watched until it ends.
   */
  private _newStream<T extends ChatStream>(make: (id: string) => T): T {
    if (this._isDisposed) {
      throw new Error('AssistantClient is disposed');
    }
    const stream = make(UUID.uuid4());
    this._register(stream);
    return stream;
  }

  /**
   * Send a loop stream's `execution_result`.
   */
  private _sendResult = (message: IExecutionResultRequest): void => {
    if (!this._isDisposed) {
      this._send(message);
      // The server owes this request its next round now.
      this._watchdog.resume(message.id);
    }
  };

  private _register(stream: ChatStream): void {
    this._streams.set(stream.id, stream);
    this._watchdog.watch(stream.id);
  }

  private _unregister(id: string): void {
    this._streams.delete(id);
    this._watchdog.forget(id);
  }

  /**
   * The watchdog's time for a request ran out: end it here with a sentence
   * that says so, and stop it on the server.
   */
  private _expire = (id: string): void => {
    const stream = this._streams.get(id);
    if (!stream || this._isDisposed) {
      return;
    }
    this._unregister(id);
    this._cancel(id);
    stream._fail(
      new ChatError(RequestWatchdog.message(this._watchdog.timeout), 'timeout')
    );
  };

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
    // The server owes the request its `done` now, even while it waited on
    // the client.
    this._watchdog.resume(id);
  };

  private async _requestStatus(
    endpoint: string,
    init: RequestInit
  ): Promise<IStatus> {
    const status = await requestStatus(this.serverSettings, endpoint, init);
    // While the socket pushes statuses, those are newer than any REST answer.
    if (!this._wsStatusSeen) {
      this._setStatus(status);
    }
    return status;
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
    this._watchdog.forgetAll();
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
  private _watchdog: RequestWatchdog;
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

  /**
   * Milliseconds a request may go without a message from the server before
   * the client ends it (the watchdog's default).
   */
  export const DEFAULT_REQUEST_TIMEOUT = 120_000;

  export interface IOptions {
    /**
     * Server settings; the WebSocket constructor comes from
     * `serverSettings.WebSocket`. Defaults to `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;
    backoff?: Partial<IBackoff>;
    /**
     * Milliseconds a request may go without a token, proposal, done, error
     * or status from the server before it ends with a `timeout` error and a
     * `cancel` is sent; restarted by each of them, paused while the server
     * waits for the client to run a proposal. Default
     * `DEFAULT_REQUEST_TIMEOUT`; 0 turns the watchdog off.
     */
    requestTimeout?: number;
  }

  export type IChatOptions = requests.IChatOptions;
  export type ICompleteOptions = requests.ICompleteOptions;
  export type IFixOptions = requests.IFixOptions;
  export type ITaskOptions = requests.ITaskOptions;
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
