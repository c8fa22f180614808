/**
 * The loop sessions of the conversation (fixes, tasks), each shown by one
 * entry whose id is the session's: kept by entry id, and followed so that
 * the entry shows the session's state.
 */
import { IDisposable } from '@lumino/disposable';

import type { AssistantClient } from '../api/client';
import type { LoopSession } from '../loop/session';
import type { INotebookBridge } from '../notebook/types';
import type { ChatEntryState, Conversation, IChatEntry } from './conversation';
import type { IChatSettings } from './settings';

/**
 * The sessions of one kind, by entry id.
 */
export abstract class SessionList<
  T extends LoopSession<any, any>
> implements IDisposable {
  constructor(options: SessionList.IOptions) {
    this.client = options.client;
    this.conversation = options.conversation;
    this.notebook = options.notebook;
    this.settings = options.settings;
  }

  /**
   * The client the sessions' requests go through.
   */
  protected readonly client: AssistantClient;

  /**
   * Where the sessions' entries are.
   */
  protected readonly conversation: Conversation;

  /**
   * Where the sessions' cells are, when the panel reaches notebooks.
   */
  protected readonly notebook: INotebookBridge | null;

  /**
   * The panel's settings now.
   */
  protected readonly settings: () => Readonly<IChatSettings>;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The session shown by the entry `entryId`, or null.
   */
  get(entryId: string): T | null {
    return this._sessions.get(entryId) ?? null;
  }

  /**
   * The first session that still runs, or null.
   */
  active(): T | null {
    return this.find(session => session.active);
  }

  /**
   * The first session for which `predicate` is true, or null.
   */
  find(predicate: (session: T) => boolean): T | null {
    for (const session of this._sessions.values()) {
      if (predicate(session)) {
        return session;
      }
    }
    return null;
  }

  /**
   * Dispose every session (the conversation is cleared).
   */
  clear(): void {
    for (const session of this._sessions.values()) {
      this._disposeSession(session);
    }
    this._sessions.clear();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.clear();
  }

  /**
   * The entry fields that show a session's state.
   */
  protected abstract _show(
    session: T,
    state: T['state']
  ): Partial<IChatEntry> & { state: ChatEntryState };

  /**
   * Called after the entry of a session was updated, before the views are
   * told.
   */
  protected _onShown(session: T, state: T['state']): void {
    // Nothing by default.
  }

  /**
   * Dispose a session and what it owns.
   */
  protected _disposeSession(session: T): void {
    session.dispose();
  }

  /**
   * Keep a new session and add its entry after `before` (e.g. the user's
   * message), then start it with `start`.
   */
  protected _add(
    session: T,
    before: ReadonlyArray<IChatEntry>,
    start: () => void
  ): void {
    this._sessions.set(session.id, session);
    const entry: IChatEntry = {
      id: session.id,
      role: 'assistant',
      content: '',
      ...this._show(session, session.state)
    };
    this.conversation.add([...before, entry]);
    session.changed.connect(this._onChanged, this);
    start();
  }

  private _onChanged(session: T, state: T['state']): void {
    this.conversation.update(
      session.id,
      old => ({ ...old, ...this._show(session, state) }),
      false
    );
    this._onShown(session, state);
    this.conversation.emitChanged();
  }

  private _sessions = new Map<string, T>();
  private _isDisposed = false;
}

export namespace SessionList {
  export interface IOptions {
    client: AssistantClient;
    conversation: Conversation;
    notebook: INotebookBridge | null;
    settings: () => Readonly<IChatSettings>;
  }
}
