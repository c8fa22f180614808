/**
 * The tasks of the conversation: one `TaskSession` a message sent as a task,
 * shown by a `task` entry; its final answer becomes an answer of the
 * conversation.
 */
import { UUID } from '@lumino/coreutils';

import { errorMessage } from '../api/errors';
import { ITaskState, TaskSession } from '../loop/task';
import type { ITaskNotebook } from '../loop/targets';
import type { IChatMessage } from '../protocol';
import { extractCodeBlocks } from './codeblocks';
import type { ChatEntryState, IChatEntry } from './conversation';
import { NO_NOTEBOOKS } from './runner';
import { SessionList } from './sessions';

/**
 * The task sessions, by entry id.
 */
export class TaskSessions extends SessionList<TaskSession> {
  /**
   * Whether tasks can run here (the panel reaches notebooks).
   */
  get available(): boolean {
    return typeof this.notebook?.taskNotebook === 'function';
  }

  /**
   * The current notebook as the workspace of a new task; null, showing why,
   * when no notebook can run one.
   */
  open(): ITaskNotebook | null {
    const open = this.notebook?.taskNotebook;
    if (!this.notebook || !open) {
      this.conversation.setError(NO_NOTEBOOKS);
      return null;
    }
    let notebook: ITaskNotebook;
    try {
      notebook = open.call(this.notebook);
    } catch (reason) {
      this.conversation.setError(errorMessage(reason));
      return null;
    }
    const problem = notebook.problem();
    if (problem) {
      notebook.dispose();
      this.conversation.setError(problem);
      return null;
    }
    return notebook;
  }

  /**
   * Start a task in `notebook` for the conversation `messages` (whose last
   * user message, `user`, is the task), shown after `user`.
   */
  start(
    notebook: ITaskNotebook,
    user: IChatEntry,
    messages: IChatMessage[]
  ): TaskSession {
    const settings = this.settings();
    const session = new TaskSession({
      id: UUID.uuid4(),
      client: this.client,
      notebook,
      messages,
      maxRounds: settings.taskRounds,
      consent: settings.taskConsent,
      maxTokens: settings.maxTokens,
      temperature: settings.temperature
    });
    this._add(session, [user], () => session.start());
    return session;
  }

  clear(): void {
    super.clear();
    this._answered.clear();
  }

  protected _show(session: TaskSession, state: ITaskState) {
    return {
      kind: 'task' as const,
      task: state,
      state: entryState(session.active, state)
    };
  }

  /**
   * Once a task ended: its final answer is a normal answer of the
   * conversation, and its speed the last one.
   */
  protected _onShown(session: TaskSession, state: ITaskState): void {
    if (session.active) {
      return;
    }
    if (state.answer && !this._answered.has(session.id)) {
      this._answered.add(session.id);
      this.conversation.insertAfter(
        session.id,
        {
          id: UUID.uuid4(),
          role: 'assistant',
          content: state.answer,
          state: 'complete',
          codeBlocks: extractCodeBlocks(state.answer),
          fromTask: session.id,
          ...(state.tokensPerSecond !== undefined
            ? { tokensPerSecond: state.tokensPerSecond }
            : {})
        },
        false
      );
    }
    this.conversation.recordSpeed(state.tokensPerSecond);
  }

  /** The tasks whose final answer was added as an entry. */
  private _answered = new Set<string>();
}

export namespace TaskSessions {
  export type IOptions = SessionList.IOptions;
}

/**
 * How the entry of a task shows where it stands.
 */
function entryState(active: boolean, state: ITaskState): ChatEntryState {
  if (active) {
    return 'streaming';
  }
  switch (state.status) {
    case 'done':
      return 'complete';
    case 'stopped':
      return 'cancelled';
    default:
      return 'error';
  }
}
