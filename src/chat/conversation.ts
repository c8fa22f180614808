/**
 * The conversation as the panel shows it: its entries (immutable, replaced
 * on each update so that views compare them by identity), the error and the
 * notice of the panel, and the speed of the last answer. The chat model and
 * its parts write here; `changed` tells the views.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IFixState } from '../loop/fix';
import type { ITaskState } from '../loop/task';
import type { ICodeBlock } from './codeblocks';

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
  /**
   * `execution`: a user turn carrying the outputs of code run from the panel
   * (its content is the "Execution result:" text sent to the model).
   */
  readonly kind?: 'execution' | 'fix' | 'task';
  /** The fix loop a `fix` entry shows. */
  readonly fix?: IFixState;
  /** The task a `task` entry shows. */
  readonly task?: ITaskState;
  /** The notebook context sent before a user message. */
  readonly context?: IEntryContext;
  /** The fenced code blocks of a finished answer. */
  readonly codeBlocks?: ReadonlyArray<ICodeBlock>;
  /** What an execution entry shows in short. */
  readonly execution?: IExecutionSummary;
  /**
   * The id of the task entry whose final answer this entry shows: the
   * task's transcript holds it already.
   */
  readonly fromTask?: string;
}

/**
 * The notebook context attached to a user message.
 */
export interface IEntryContext {
  /** e.g. `cell 3 of analysis.ipynb`. */
  readonly label: string;
  /** The text sent to the model before the message. */
  readonly text: string;
}

/**
 * The short form of a run's outcome.
 */
export interface IExecutionSummary {
  /** `running` until the outputs are back. */
  readonly status: 'running' | 'ok' | 'error';
  /** Where the code ran, e.g. `cell 4 of analysis.ipynb`. */
  readonly label: string;
  /** e.g. `NameError: name 'x' is not defined`, `3 lines of output`. */
  readonly text: string;
  readonly executionCount?: number | null;
}

/**
 * A request to bring an entry into view.
 */
export interface IRevealRequest {
  /** The entry's id. */
  readonly id: string;
  /** Counts the requests, from 1. */
  readonly request: number;
}

/**
 * The entries, error, notice and last speed of the panel.
 */
export class Conversation implements IDisposable {
  /**
   * Emits after a change (unless a change asked not to, for a caller that
   * emits once after several).
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The entries, oldest first.
   */
  get entries(): ReadonlyArray<IChatEntry> {
    return this._entries;
  }

  /**
   * The last error not tied to one answer, else null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * What the last notebook action did, until the next message, action or
   * error; else null.
   */
  get notice(): string | null {
    return this._notice;
  }

  /**
   * Tokens per second of the last answer that reported it, else null
   * (kept when the conversation is cleared).
   */
  get lastTokensPerSecond(): number | null {
    return this._lastTokensPerSecond;
  }

  /**
   * The entry the panel was last asked to bring into view, with the number
   * of that request (each request, even for the same entry, has a new
   * one); null before the first.
   */
  get revealed(): IRevealRequest | null {
    return this._revealed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Ask the views to bring the entry `id` into view.
   */
  reveal(id: string, emit = true): void {
    this._revealed = { id, request: (this._revealed?.request ?? 0) + 1 };
    this._emit(emit);
  }

  /**
   * Append entries.
   */
  add(entries: ReadonlyArray<IChatEntry>, emit = true): void {
    this._entries = [...this._entries, ...entries];
    this._emit(emit);
  }

  /**
   * Insert an entry right after the entry `id`.
   */
  insertAfter(id: string, entry: IChatEntry, emit = true): void {
    const index = this._entries.findIndex(e => e.id === id);
    const entries = [...this._entries];
    entries.splice(index + 1, 0, entry);
    this._entries = entries;
    this._emit(emit);
  }

  /**
   * Replace the entry `id` by `update(entry)`.
   */
  update(
    id: string,
    update: (entry: IChatEntry) => IChatEntry,
    emit = true
  ): void {
    this._entries = this._entries.map(entry =>
      entry.id === id ? update(entry) : entry
    );
    this._emit(emit);
  }

  /**
   * Drop the entry `id`.
   */
  remove(id: string, emit = true): void {
    this._entries = this._entries.filter(entry => entry.id !== id);
    this._emit(emit);
  }

  /**
   * Show `entries` instead (another notebook's conversation), without the
   * error and the notice.
   */
  replace(entries: ReadonlyArray<IChatEntry>): void {
    this._entries = entries;
    this._error = null;
    this._notice = null;
    this._emit(true);
  }

  /**
   * Drop every entry, the error and the notice.
   */
  clear(): void {
    this._entries = [];
    this._error = null;
    this._notice = null;
    this._emit(true);
  }

  /**
   * Show an error (it replaces the notice), or none.
   */
  setError(error: string | null, emit = true): void {
    this._error = error;
    if (error !== null) {
      this._notice = null;
    }
    this._emit(emit);
  }

  /**
   * Show what a notebook action did (it replaces the error).
   */
  setNotice(notice: string): void {
    this._error = null;
    this._notice = notice;
    this._emit(true);
  }

  /**
   * Forget the error and the notice (a new message is on its way).
   */
  clearNotes(): void {
    this._error = null;
    this._notice = null;
  }

  /**
   * Remember the speed of an answer, when it reported one.
   */
  recordSpeed(tokensPerSecond: number | undefined): void {
    if (tokensPerSecond !== undefined) {
      this._lastTokensPerSecond = tokensPerSecond;
    }
  }

  /**
   * Tell the views (after changes made with `emit` false).
   */
  emitChanged(): void {
    this._emit(true);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _emit(emit: boolean): void {
    if (emit && !this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _entries: ReadonlyArray<IChatEntry> = [];
  private _error: string | null = null;
  private _notice: string | null = null;
  private _lastTokensPerSecond: number | null = null;
  private _revealed: IRevealRequest | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
