/**
 * The streams of requests: what the client hands to its callers for one
 * request (tokens as a signal, the end as a promise) and, for the requests
 * that run code through the client (`fix`, `task`), proposals and the
 * `execution_result` answers.
 */
import { PromiseDelegate } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IDoneMessage,
  IExecutionResultRequest,
  IProposalMessage
} from '../protocol';
import { ChatError } from './errors';

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
      outputs: result.outputs ?? []
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
 * The generation speed a `done` reports, when it is a usable number.
 */
export function tokensPerSecond(done: IDoneMessage): number | undefined {
  const speed = done.timings?.tokens_per_second;
  return typeof speed === 'number' && Number.isFinite(speed) && speed > 0
    ? speed
    : undefined;
}
