/**
 * The chat model: the conversation the panel shows and what the user can do
 * in it. It sends messages (as chats or tasks) and owns the parts that do
 * the rest, each in its own module: the answer being generated (`answers`),
 * the notebook context of the next message (`context`), running and
 * inserting code (`runner`), and the loop sessions of fixes and tasks
 * (`fixes`, `tasks`). Views render it and call
 * it; they hold no logic of their own.
 */
import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { AssistantClient } from '../api/client';
import { errorMessage } from '../api/errors';
import type { ICellContext } from '../notebook/context';
import type { INotebookBridge } from '../notebook/types';
import type { IChatMessage, IStatus } from '../protocol';
import { ChatAnswers } from './answers';
import { ContextModel, NO_ACTIVE_CELL } from './context';
import { Conversation, IChatEntry, IRevealRequest } from './conversation';
import { FixSessions } from './fixes';
import { conversationToMarkdown, exportFileName } from './markdown';
import { CodeRunner } from './runner';
import { DEFAULT_SETTINGS, IChatSettings, mergeSettings } from './settings';
import {
  ConversationSync,
  IConversationBackend,
  ICurrentNotebook
} from './store';
import { TaskSessions } from './tasks';
import { FIX_REQUEST, buildMessages, tidy } from './transcript';

/**
 * The conversation and everything the panel shows: messages, the streaming
 * answer, the busy flag, the model's status, the speed of the last answer and
 * errors.
 */
export class ChatModel implements IDisposable {
  constructor(options: ChatModel.IOptions) {
    this.client = options.client;
    this.notebook = options.notebook ?? null;
    const settings = () => this._settings;
    const parts = {
      client: this.client,
      conversation: this._conversation,
      notebook: this.notebook,
      settings
    };
    this._answers = new ChatAnswers(parts);
    this.context = new ContextModel(parts);
    this.runner = new CodeRunner({
      ...parts,
      confirmRun: options.confirmRun,
      copyToClipboard: options.copyToClipboard
    });
    this.fixes = new FixSessions(parts);
    this.tasks = new TaskSessions(parts);
    this.configure(options.settings ?? {});
    this._conversation.changed.connect(this._emitChanged, this);
    this.context.changed.connect(this._emitChanged, this);
    this.runner.changed.connect(this._emitChanged, this);
    this.client.statusChanged.connect(this._emitChanged, this);
    this.client.connectionChanged.connect(this._emitChanged, this);
    this.client.errorReceived.connect(this._onServerError, this);
    if (options.conversations && options.currentNotebook) {
      this._sync = new ConversationSync({
        conversation: this._conversation,
        backend: options.conversations,
        current: options.currentNotebook,
        busy: () => this.busy,
        onError: error => this._conversation.setError(error)
      });
    }
  }

  /**
   * The client the model talks through.
   */
  readonly client: AssistantClient;

  /**
   * The notebook bridge, when the panel can reach notebooks.
   */
  readonly notebook: INotebookBridge | null;

  /**
   * The notebook context of the next message ("Ask about cell", leaving the
   * active cell out).
   */
  readonly context: ContextModel;

  /**
   * What the code blocks of answers can do: insert, replace, copy, run.
   */
  readonly runner: CodeRunner;

  /**
   * The fixes shown in the conversation, by entry id.
   */
  readonly fixes: FixSessions;

  /**
   * The tasks shown in the conversation, by entry id.
   */
  readonly tasks: TaskSessions;

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
    return this._conversation.entries;
  }

  /**
   * Whether an answer is being generated or a task runs.
   */
  get busy(): boolean {
    return this._answers.streaming || this.taskRunning;
  }

  /**
   * Whether a task runs.
   */
  get taskRunning(): boolean {
    return this.tasks.active() !== null;
  }

  /**
   * Whether the composer sends messages as tasks ("Run as task").
   */
  get taskMode(): boolean {
    return this._taskMode;
  }

  /**
   * The model's status, or null before the server sent one.
   */
  get status(): IStatus | null {
    return this.client.status;
  }

  /**
   * The WebSocket's state.
   */
  get connectionState(): AssistantClient.ConnectionState {
    return this.client.connectionState;
  }

  /**
   * Tokens per second of the last answer that reported it, else null.
   */
  get lastTokensPerSecond(): number | null {
    return this._conversation.lastTokensPerSecond;
  }

  /**
   * The last error not tied to one answer (loading request, server), else null.
   */
  get error(): string | null {
    return this._conversation.error;
  }

  /**
   * The entry the panel was last asked to bring into view (a fix whose
   * cell's Fix button was clicked), or null.
   */
  get revealed(): IRevealRequest | null {
    return this._conversation.revealed;
  }

  /**
   * What the last notebook action did ("Inserted the code as cell 3 of
   * analysis.ipynb."), until the next message, action or error; else null.
   */
  get notice(): string | null {
    return this._conversation.notice;
  }

  /**
   * The notebook whose conversation is shown (saved for it, loaded again
   * with it); null when the conversation is not saved.
   */
  get conversationPath(): string | null {
    return this._sync?.path ?? null;
  }

  /**
   * The conversation as a Markdown document, with the name to save it as.
   */
  exportMarkdown(): { name: string; text: string } {
    const path = this.conversationPath;
    return {
      name: exportFileName(path),
      text: conversationToMarkdown(this.messages, path)
    };
  }

  /**
   * Save the conversation now, if it changed (e.g. as the page goes:
   * `keepalive` lets the request outlive it).
   */
  saveConversation(options: { keepalive?: boolean } = {}): Promise<void> {
    return this._sync?.save(options) ?? Promise.resolve();
  }

  /**
   * The current settings.
   */
  get settings(): Readonly<IChatSettings> {
    return this._settings;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Update settings; invalid values fall back to the defaults.
   */
  configure(settings: Partial<IChatSettings>): void {
    this._settings = mergeSettings(this._settings, settings);
    this.notebook?.setVariablesEnabled?.(this._settings.includeKernelVariables);
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
    this.client.connect();
    this.client.load().catch((reason: unknown) => {
      if (!this._isDisposed) {
        this._conversation.setError(
          `Could not load the model: ${errorMessage(reason)}`
        );
      }
    });
  }

  /**
   * Send a user message and stream the answer. Returns false (and changes
   * nothing) when the text is blank or an answer is still being generated.
   *
   * The message carries the notebook context of `context.pending` (or
   * `options.context` when given; null sends none), trimmed to the budget.
   */
  send(text: string, options: { context?: ICellContext | null } = {}): boolean {
    const content = tidy(text);
    if (this._isDisposed || this.busy || content === '') {
      return false;
    }
    this._conversation.clearNotes();
    const user = this._userEntry(content, options.context);
    const messages = this.buildMessages([...this.messages, user]);
    const answer = this._answers.start(messages);
    this._conversation.add([user, answer]);
    return true;
  }

  /**
   * Send a user message as a task in the current notebook: the model's code
   * goes into new cells below the active one, runs in the kernel (after Run,
   * when `taskConsent` is `ask`) and its outputs go back to the model, round
   * after round until it answers without code. Returns false, showing why,
   * when no notebook can run it; false without change when the text is blank
   * or the panel is busy.
   */
  sendTask(
    text: string,
    options: { context?: ICellContext | null } = {}
  ): boolean {
    const content = tidy(text);
    if (this._isDisposed || this.busy || content === '') {
      return false;
    }
    const notebook = this.tasks.open();
    if (!notebook) {
      return false;
    }
    this._conversation.clearNotes();
    // An empty active cell says nothing about the task (and small models
    // echo it): leave it out.
    const context =
      options.context !== undefined ? options.context : this.context.next();
    const user = this._userEntry(
      content,
      context && isBlankContext(context) ? null : context
    );
    const messages = this.buildMessages([...this.messages, user]);
    this.tasks.start(notebook, user, messages);
    return true;
  }

  /**
   * Turn "Run as task" on or off.
   */
  setTaskMode(on: boolean): void {
    if (this._taskMode !== on) {
      this._taskMode = on;
      this._emitChanged();
    }
  }

  /**
   * Stop the answer being generated, or the task that runs. The server ends
   * it with `done` (`cancelled: true`); the partial answer stays in the
   * conversation. A cell of the task that runs is not interrupted.
   */
  cancel(): void {
    this._answers.cancel();
    this.tasks.active()?.stop();
  }

  /**
   * Ask the model to explain the active cell, sent with the cell as context.
   */
  explainCell(): boolean {
    const context = this.context.snapshot();
    if (!context) {
      this._conversation.setError(NO_ACTIVE_CELL);
      return false;
    }
    return this.send('Explain this cell.', { context });
  }

  /**
   * Fix the code whose run failed: with the fix loop on the cell it ran in
   * (the execution entry `entryId`, else the last one) when that cell still
   * holds the error, else by asking in the chat (the execution result is
   * already part of the conversation).
   */
  askForFix(entryId?: string): boolean {
    const target = this.runner.fixTarget(entryId);
    if (target) {
      return this.fixes.start(target) !== null;
    }
    return this.send(FIX_REQUEST);
  }

  /**
   * Forget the conversation, stopping any answer being generated.
   */
  clear(): void {
    this._answers.forget();
    this.fixes.clear();
    this.tasks.clear();
    this.runner.forget();
    this._conversation.clear();
    // The empty conversation is saved at once.
    void this._sync?.save();
  }

  /**
   * Dismiss the error shown for the panel.
   */
  dismissError(): void {
    this._conversation.setError(null);
  }

  /**
   * The `messages` of a chat request for these entries (the conversation by
   * default): see `buildMessages` in transcript.ts.
   */
  buildMessages(
    entries: ReadonlyArray<IChatEntry> = this.messages
  ): IChatMessage[] {
    return buildMessages(entries, this._settings.systemPrompt);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._sync?.dispose();
    this._answers.dispose();
    this.fixes.dispose();
    this.tasks.dispose();
    this.runner.dispose();
    this.context.dispose();
    this._conversation.dispose();
    Signal.disconnectReceiver(this);
    Signal.clearData(this);
  }

  /**
   * A user message with the notebook context of `context.pending` (or
   * `context` when given; null sends none); the pinned cell is used up.
   */
  private _userEntry(
    content: string,
    context: ICellContext | null | undefined
  ): IChatEntry {
    const attached = this.context.take(context);
    return {
      id: UUID.uuid4(),
      role: 'user',
      content,
      state: 'complete',
      ...(attached ? { context: attached } : {})
    };
  }

  private _onServerError(_: AssistantClient, message: string): void {
    this._conversation.setError(message);
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _conversation = new Conversation();
  private _settings: IChatSettings = { ...DEFAULT_SETTINGS };
  /** The answer being generated. */
  private _answers: ChatAnswers;
  private _sync: ConversationSync | null = null;
  private _taskMode = false;
  private _started = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace ChatModel {
  export interface IOptions {
    client: AssistantClient;
    settings?: Partial<IChatSettings>;
    /** The notebook bridge; without it the panel has no notebook actions. */
    notebook?: INotebookBridge;
    /** Asked before code runs when `confirmRun` is on; true runs it. */
    confirmRun?: (code: string) => Promise<boolean>;
    /** Copies text to the system clipboard. */
    copyToClipboard?: (text: string) => void;
    /**
     * Where each notebook's conversation is stored; with `currentNotebook`,
     * the panel shows (and saves) the current notebook's conversation.
     */
    conversations?: IConversationBackend;
    /** The notebook whose conversation the panel shows. */
    currentNotebook?: ICurrentNotebook;
  }
}

/**
 * Whether a cell context carries nothing: an empty cell, with no nearby
 * cells or variables.
 */
function isBlankContext(context: ICellContext): boolean {
  return (
    context.source.trim() === '' &&
    !context.nearby?.length &&
    !context.variables?.trim()
  );
}
