/**
 * Conversations that survive: one conversation a notebook, kept by the
 * server in the user's own data (never in the notebook file, which gets
 * shared). The entries go to plain JSON and back here (`entriesToJSON`,
 * `entriesFromJSON`; whatever was still running is saved as ended), and
 * `ConversationSync` shows the conversation of the current notebook: it
 * loads it when the panel moves to a notebook, saves it a second after
 * changes (at once when an answer ends, on Clear and when the page goes),
 * and follows a renamed notebook.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import type { ChatEntryState, Conversation, IChatEntry } from './conversation';

/**
 * Where the conversations are stored (`ConversationsAPI` over REST).
 */
export interface IConversationBackend {
  /** The stored entries of `path`, as plain JSON. */
  load(path: string): Promise<Array<Record<string, unknown>>>;
  /** Store the entries of `path`. */
  save(
    path: string,
    entries: Array<Record<string, unknown>>,
    options?: { keepalive?: boolean }
  ): Promise<void>;
}

/**
 * The notebook whose conversation the panel shows (the current one).
 */
export interface ICurrentNotebook {
  /** The current notebook's path, or null when no notebook is open. */
  readonly path: string | null;
  /** Emits when the current notebook changes or a notebook is renamed. */
  readonly changed: ISignal<ICurrentNotebook, ICurrentNotebook.IChange>;
}

export namespace ICurrentNotebook {
  export interface IChange {
    /** A notebook renamed from `from` to `to`, when that is the change. */
    readonly renamed?: { readonly from: string; readonly to: string };
  }
}

const CHAT_STATES: ReadonlyArray<ChatEntryState> = [
  'complete',
  'streaming',
  'cancelled',
  'error'
];
const ACTIVE_FIX = ['streaming', 'proposed', 'running'];
const ACTIVE_TASK = ['streaming', 'waiting', 'running'];
const UNRUN_STEP = ['pending', 'running'];

/**
 * `entry` as it is once nothing runs any more: a streaming answer is
 * cancelled, a running fix cancelled, a running task interrupted, a running
 * cell not run. A fix that comes back without its session cannot be undone.
 */
export function endedEntry(entry: IChatEntry, interrupted: string): IChatEntry {
  let ended: IChatEntry = entry;
  if (entry.state === 'streaming') {
    ended = { ...ended, state: 'cancelled' };
  }
  if (entry.fix) {
    const fix = entry.fix;
    const active = ACTIVE_FIX.includes(fix.status);
    ended = {
      ...ended,
      fix: {
        ...fix,
        applied: false,
        ...(active ? { status: 'cancelled', message: interrupted } : {})
      }
    };
  }
  if (entry.task) {
    const task = entry.task;
    if (ACTIVE_TASK.includes(task.status)) {
      ended = {
        ...ended,
        task: {
          ...task,
          status: 'interrupted',
          message: interrupted,
          steps: task.steps.map(step =>
            step.cell && UNRUN_STEP.includes(step.cell.status)
              ? { ...step, cell: { ...step.cell, status: 'not-run' } }
              : step
          )
        }
      };
    }
  }
  if (entry.execution?.status === 'running') {
    ended = {
      ...ended,
      execution: { ...entry.execution, status: 'error', text: interrupted }
    };
  }
  return ended;
}

/**
 * What a stored entry says of a run that was going on when it was saved.
 */
export const INTERRUPTED = 'Interrupted: the page was closed or reloaded.';

/**
 * The entries as plain JSON, as they are once nothing runs any more.
 */
export function entriesToJSON(
  entries: ReadonlyArray<IChatEntry>
): Array<Record<string, unknown>> {
  return JSON.parse(
    JSON.stringify(entries.map(entry => endedEntry(entry, INTERRUPTED)))
  );
}

/**
 * The entries stored as JSON; what is not an entry is left out.
 */
export function entriesFromJSON(value: unknown): IChatEntry[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const entries: IChatEntry[] = [];
  const ids = new Set<string>();
  for (const item of value) {
    if (isEntry(item) && !ids.has(item.id)) {
      ids.add(item.id);
      entries.push(endedEntry(item, INTERRUPTED));
    }
  }
  return entries;
}

function isEntry(value: unknown): value is IChatEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const entry = value as Record<string, unknown>;
  if (
    typeof entry.id !== 'string' ||
    entry.id === '' ||
    (entry.role !== 'user' && entry.role !== 'assistant') ||
    typeof entry.content !== 'string' ||
    !CHAT_STATES.includes(entry.state as ChatEntryState)
  ) {
    return false;
  }
  switch (entry.kind) {
    case undefined:
      return true;
    case 'execution':
      return isRecord(entry.execution);
    case 'fix':
      return (
        isRecord(entry.fix) &&
        typeof entry.fix.status === 'string' &&
        typeof entry.fix.label === 'string' &&
        Array.isArray(entry.fix.rounds)
      );
    case 'task':
      return (
        isRecord(entry.task) &&
        typeof entry.task.status === 'string' &&
        Array.isArray(entry.task.steps)
      );
    default:
      return false;
  }
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keeps the conversation the panel shows that of the current notebook:
 * loads it, saves it, follows renames. With no notebook open the panel
 * shows a conversation of its own that is not saved.
 */
export class ConversationSync implements IDisposable {
  constructor(options: ConversationSync.IOptions) {
    this._conversation = options.conversation;
    this._backend = options.backend;
    this._current = options.current;
    this._busy = options.busy;
    this._saveDelay = options.saveDelay ?? 1000;
    this._onError = options.onError ?? (() => undefined);
    this._conversation.changed.connect(this._onConversationChanged, this);
    this._current.changed.connect(this._onCurrentChanged, this);
    this.follow();
  }

  /**
   * The notebook whose conversation is shown, or null (none open).
   */
  get path(): string | null {
    return this._shown;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show the conversation of the current notebook, unless an answer, fix or
   * task still runs in the one shown (then once it has ended).
   */
  follow(): void {
    const target = this._current.path;
    if (this._isDisposed || target === this._shown || this._busy()) {
      return;
    }
    void this.save();
    if (this._shown !== null && this._loaded.has(this._shown)) {
      this._cache.set(this._shown, this._conversation.entries);
    }
    this._shown = target;
    const cached = target === null ? [] : this._cache.get(target);
    this._replace(cached ?? []);
    if (target !== null && cached === undefined) {
      void this._load(target);
    }
  }

  /**
   * Save the conversation shown now (when it changed since it was saved).
   */
  async save(options: { keepalive?: boolean } = {}): Promise<void> {
    this._cancelTimer();
    const path = this._shown;
    if (path === null || !this._dirty || !this._loaded.has(path)) {
      return;
    }
    this._dirty = false;
    const entries = entriesToJSON(this._conversation.entries);
    try {
      await this._backend.save(path, entries, options);
    } catch (reason) {
      this._dirty = true;
      this._onError(`Could not save the conversation: ${message(reason)}`);
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._cancelTimer();
    this._conversation.changed.disconnect(this._onConversationChanged, this);
    this._current.changed.disconnect(this._onCurrentChanged, this);
  }

  private async _load(path: string): Promise<void> {
    let stored: IChatEntry[];
    try {
      stored = entriesFromJSON(await this._backend.load(path));
    } catch (reason) {
      // Not saved either, lest a half conversation replace the stored one.
      this._onError(`Could not load the conversation: ${message(reason)}`);
      return;
    }
    if (this._isDisposed || this._shown !== path) {
      if (!this._cache.has(path)) {
        this._cache.set(path, stored);
        this._loaded.add(path);
      }
      return;
    }
    this._loaded.add(path);
    // What was said while it loaded comes after it.
    const added = this._conversation.entries;
    this._replace([...stored, ...added]);
    if (added.length > 0) {
      this._dirty = true;
      this._schedule();
    }
  }

  private _replace(entries: ReadonlyArray<IChatEntry>): void {
    this._replacing = true;
    try {
      this._conversation.replace(entries);
    } finally {
      this._replacing = false;
    }
    this._dirty = false;
    this._wasBusy = false;
  }

  private _onConversationChanged(): void {
    if (this._replacing || this._isDisposed) {
      return;
    }
    const busy = this._busy();
    const ended = this._wasBusy && !busy;
    this._wasBusy = busy;
    this._dirty = true;
    if (ended) {
      // An answer, fix or task ended: saved now, then the panel may move
      // to the notebook that became current meanwhile.
      void this.save();
      void Promise.resolve().then(() => this.follow());
    } else {
      this._schedule();
    }
  }

  private _onCurrentChanged(
    _: ICurrentNotebook,
    change: ICurrentNotebook.IChange
  ): void {
    const renamed = change.renamed;
    if (renamed) {
      this._rename(renamed.from, renamed.to);
    }
    this.follow();
  }

  /**
   * The server moved the stored conversation; the panel's copies follow.
   */
  private _rename(from: string, to: string): void {
    const cached = this._cache.get(from);
    this._cache.delete(from);
    if (cached) {
      this._cache.set(to, cached);
    }
    if (this._loaded.delete(from)) {
      this._loaded.add(to);
    }
    if (this._shown === from) {
      this._shown = to;
    }
  }

  private _schedule(): void {
    this._cancelTimer();
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.save();
    }, this._saveDelay);
  }

  private _cancelTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _conversation: Conversation;
  private _backend: IConversationBackend;
  private _current: ICurrentNotebook;
  private _busy: () => boolean;
  private _saveDelay: number;
  private _onError: (message: string) => void;
  private _shown: string | null = null;
  private _cache = new Map<string, ReadonlyArray<IChatEntry>>();
  private _loaded = new Set<string>();
  private _dirty = false;
  private _wasBusy = false;
  private _replacing = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _isDisposed = false;
}

export namespace ConversationSync {
  export interface IOptions {
    /** The conversation the panel shows. */
    conversation: Conversation;
    backend: IConversationBackend;
    current: ICurrentNotebook;
    /** Whether an answer, fix or task runs in the conversation shown. */
    busy: () => boolean;
    /** Milliseconds from a change to its save (1000). */
    saveDelay?: number;
    /** Shows why loading or saving failed. */
    onError?: (message: string) => void;
  }
}

function message(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
