/**
 * The client's watchdog over its requests: a request the server has said
 * nothing about for too long is ended by the client, so that a silent server
 * (a crashed handler, a lost message) never leaves the panel waiting forever.
 */
import { IDisposable } from '@lumino/disposable';

/**
 * One timer a request: started when the request is sent, restarted by every
 * message of the server for it, paused while the server waits on the client
 * (a proposal being run, or waiting for the user's consent). When a timer
 * runs out, `expired` is called with the request's id, once.
 */
export class RequestWatchdog implements IDisposable {
  constructor(options: RequestWatchdog.IOptions) {
    this._timeout = options.timeout;
    this._expired = options.expired;
  }

  /**
   * Milliseconds of silence after which a request expires; 0 (or less, or
   * not finite) turns the watchdog off.
   */
  get timeout(): number {
    return this._timeout;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Start watching a request (restarting its timer when already watched).
   */
  watch(id: string): void {
    if (this._isDisposed) {
      return;
    }
    this._requests.set(id, { timer: null, paused: false });
    this._start(id);
  }

  /**
   * The server sent something for the request: its timer starts over
   * (unless paused).
   */
  heard(id: string): void {
    const request = this._requests.get(id);
    if (request && !request.paused) {
      this._start(id);
    }
  }

  /**
   * The server said something not tied to a request (a status push, e.g.
   * load progress while requests wait for the model): every running timer
   * starts over.
   */
  heardAll(): void {
    for (const id of this._requests.keys()) {
      this.heard(id);
    }
  }

  /**
   * The server waits on the client for the request: stop its timer until
   * `resume`.
   */
  pause(id: string): void {
    const request = this._requests.get(id);
    if (request) {
      this._clear(request);
      request.paused = true;
    }
  }

  /**
   * The client answered (or cancelled) the request: the server owes it a
   * message again, so its timer starts over.
   */
  resume(id: string): void {
    const request = this._requests.get(id);
    if (request?.paused) {
      request.paused = false;
      this._start(id);
    }
  }

  /**
   * Stop watching a request (it ended).
   */
  forget(id: string): void {
    const request = this._requests.get(id);
    if (request) {
      this._clear(request);
      this._requests.delete(id);
    }
  }

  /**
   * Stop watching every request.
   */
  forgetAll(): void {
    for (const id of [...this._requests.keys()]) {
      this.forget(id);
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.forgetAll();
    this._isDisposed = true;
  }

  private _start(id: string): void {
    const request = this._requests.get(id);
    if (!request) {
      return;
    }
    this._clear(request);
    const timeout = this._timeout;
    if (!Number.isFinite(timeout) || timeout <= 0) {
      return;
    }
    request.timer = setTimeout(() => {
      request.timer = null;
      if (this._requests.get(id) === request) {
        this._requests.delete(id);
        this._expired(id);
      }
    }, timeout);
  }

  private _clear(request: Private.IRequest): void {
    if (request.timer !== null) {
      clearTimeout(request.timer);
      request.timer = null;
    }
  }

  private _timeout: number;
  private _expired: (id: string) => void;
  private _requests = new Map<string, Private.IRequest>();
  private _isDisposed = false;
}

export namespace RequestWatchdog {
  export interface IOptions {
    /** Milliseconds of silence before a request expires; 0 turns it off. */
    timeout: number;
    /** Called once with the id of a request whose time ran out. */
    expired: (id: string) => void;
  }

  /**
   * The sentence a request expired with, e.g. `The server sent nothing for
   * 120 s; the request was stopped.`
   */
  export function message(timeout: number): string {
    const seconds = Math.round(timeout / 100) / 10;
    return `The server sent nothing for ${seconds} s; the request was stopped.`;
  }
}

namespace Private {
  export interface IRequest {
    timer: ReturnType<typeof setTimeout> | null;
    paused: boolean;
  }
}
