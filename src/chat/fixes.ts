/**
 * The fixes of the conversation: one `FixSession` a failing cell, started
 * from the notebook (a cell failed, its Fix button), a command or a failed
 * run of the panel, each shown by a `fix` entry.
 */
import { UUID } from '@lumino/coreutils';

import { FixSession, IFixState } from '../loop/fix';
import type { IFixTarget } from '../loop/targets';
import type { IFixRequestArgs } from '../notebook/types';
import { SessionList } from './sessions';

/**
 * The fix sessions, by entry id.
 */
export class FixSessions extends SessionList<FixSession> {
  constructor(options: FixSessions.IOptions) {
    super(options);
    this.notebook?.fixRequested?.connect(this._onFixRequested, this);
  }

  /**
   * Start the fix loop of a failing cell, shown as a new entry. A cell whose
   * fix is still running keeps that one (returned; the target is disposed).
   * The cell's Fix button follows the fix either way.
   */
  start(target: IFixTarget): FixSession | null {
    if (this.isDisposed) {
      target.dispose();
      return null;
    }
    const running = this.find(
      session => session.active && session.target.key === target.key
    );
    if (running) {
      target.dispose();
      this.notebook?.followFix?.(running);
      return running;
    }
    const session = new FixSession({
      id: UUID.uuid4(),
      client: this.client,
      target,
      maxRounds: this.settings().fixRounds,
      candidates: this.settings().fixCandidates
    });
    this.conversation.setError(null, false);
    this._add(session, [], () => void session.start());
    this.notebook?.followFix?.(session);
    return session;
  }

  /**
   * Start a fix of the active cell; false, showing why, when it has no error.
   */
  fixActiveCell(): boolean {
    const target = this.notebook?.activeFixTarget?.() ?? null;
    if (!target) {
      this.conversation.setError(
        'The active cell has no error to fix. Run it first, or select a cell whose run failed.'
      );
      return false;
    }
    return this._startShown(target);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.notebook?.fixRequested?.disconnect(this._onFixRequested, this);
    super.dispose();
  }

  protected _show(session: FixSession, state: IFixState) {
    return {
      kind: 'fix' as const,
      fix: state,
      state: session.active ? ('streaming' as const) : ('complete' as const)
    };
  }

  protected _onShown(session: FixSession): void {
    if (!session.active) {
      session.target.dispose();
    }
  }

  protected _disposeSession(session: FixSession): void {
    session.dispose();
    session.target.dispose();
  }

  private _onFixRequested(_: unknown, args: IFixRequestArgs): void {
    if (args.auto) {
      // Started by itself: the panel is not brought forward; the cell's
      // Fix button shows where the fix stands.
      if (this.settings().autoFix) {
        this.start(args.target);
      } else {
        args.target.dispose();
      }
      return;
    }
    this._startShown(args.target);
  }

  /**
   * Start a fix the user asked for (or find the cell's running one) and
   * ask the panel to bring it into view.
   */
  private _startShown(target: IFixTarget): boolean {
    const session = this.start(target);
    if (session) {
      this.conversation.reveal(session.id);
    }
    return session !== null;
  }
}

export namespace FixSessions {
  export type IOptions = SessionList.IOptions;
}
