import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { AssistantClient, ChatError, ChatStream } from './client';
import { ICodeBlock, extractCodeBlocks } from './codeblocks';
import {
  ICellContext,
  contextBudgetTokens,
  contextLabel,
  formatCellContext
} from './context';
import { FixSession, IFixState, IFixTarget } from './fix';
import {
  ICellLocation,
  IFixRequestArgs,
  INotebookBridge,
  IRunResult
} from './notebook';
import { formatExecutionResult, summarizeOutputs } from './outputs';
import { IChatMessage, IDoneMessage, IStatus } from './protocol';
import {
  ITaskNotebook,
  ITaskState,
  MAX_TASK_ROUNDS,
  TaskConsent,
  TaskSession,
  taskTranscript
} from './task';

/**
 * The frontend knobs, from the settings registry (schema/plugin.json).
 */
export interface IChatSettings {
  /** Upper bound on the tokens of one answer. */
  maxTokens: number;
  /** Sampling temperature. */
  temperature: number;
  /** System prompt; empty means the server's default. */
  systemPrompt: string;
  /** Send the active cell's source (and selection) with each message. */
  includeActiveCell: boolean;
  /** Tokens the cell context may take; 0 means a quarter of n_ctx. */
  contextBudgetTokens: number;
  /** Ask before running code from an answer in the kernel. */
  confirmRun: boolean;
  /** Add the cells around the active one to the context. */
  includeNearbyCells: boolean;
  /** How many non-blank cells above and below the active one to add. */
  nearbyCellCount: number;
  /** Add a summary of the kernel's variables (read silently) to the context. */
  includeKernelVariables: boolean;
  /** Start a fix in the panel as soon as a cell fails. */
  autoFix: boolean;
  /** The most rounds of a fix (sent as `max_rounds`). */
  fixRounds: number;
  /** The most rounds of a task (sent as `max_rounds`). */
  taskRounds: number;
  /** Whether each cell of a task waits for Run (`ask`) or runs at once. */
  taskConsent: TaskConsent;
}

export const DEFAULT_SETTINGS: Readonly<IChatSettings> = Object.freeze({
  maxTokens: 512,
  temperature: 0.2,
  systemPrompt: '',
  includeActiveCell: true,
  contextBudgetTokens: 0,
  confirmRun: true,
  includeNearbyCells: false,
  nearbyCellCount: 2,
  includeKernelVariables: false,
  autoFix: true,
  fixRounds: 3,
  taskRounds: 5,
  taskConsent: 'ask'
});

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
 * The context the next message will carry, as the panel shows it.
 */
export interface IPendingContext {
  readonly label: string;
  /** True when pinned by "Ask about cell", else it follows the active cell. */
  readonly pinned: boolean;
}

/**
 * The conversation and everything the panel shows: messages, the streaming
 * answer, the busy flag, the model's status, the speed of the last answer and
 * errors. All chat logic lives here; views only render it.
 */
export class ChatModel implements IDisposable {
  constructor(options: ChatModel.IOptions) {
    this._client = options.client;
    this._notebook = options.notebook ?? null;
    this._confirmRun = options.confirmRun ?? null;
    this._copy = options.copyToClipboard ?? null;
    this.configure(options.settings ?? {});
    this._notebook?.changed.connect(this._onNotebookChanged, this);
    this._notebook?.fixRequested?.connect(this._onFixRequested, this);
    this._client.statusChanged.connect(this._emitChanged, this);
    this._client.connectionChanged.connect(this._emitChanged, this);
    this._client.errorReceived.connect(this._onServerError, this);
  }

  /**
   * The client the model talks through.
   */
  get client(): AssistantClient {
    return this._client;
  }

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
    return this._messages;
  }

  /**
   * Whether an answer is being generated or a task runs.
   */
  get busy(): boolean {
    return this._current !== null || this._activeTask() !== null;
  }

  /**
   * Whether a task runs.
   */
  get taskRunning(): boolean {
    return this._activeTask() !== null;
  }

  /**
   * Whether the composer sends messages as tasks ("Run as task").
   */
  get taskMode(): boolean {
    return this._taskMode;
  }

  /**
   * Whether tasks can run here (the panel reaches notebooks).
   */
  get canRunTasks(): boolean {
    return typeof this._notebook?.taskNotebook === 'function';
  }

  /**
   * The model's status, or null before the server sent one.
   */
  get status(): IStatus | null {
    return this._client.status;
  }

  /**
   * The WebSocket's state.
   */
  get connectionState(): AssistantClient.ConnectionState {
    return this._client.connectionState;
  }

  /**
   * Tokens per second of the last answer that reported it, else null.
   */
  get lastTokensPerSecond(): number | null {
    return this._lastTokensPerSecond;
  }

  /**
   * The last error not tied to one answer (loading request, server), else null.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * What the last notebook action did ("Inserted the code as cell 3 of
   * analysis.ipynb."), until the next message, action or error; else null.
   */
  get notice(): string | null {
    return this._notice;
  }

  /**
   * The current settings.
   */
  get settings(): Readonly<IChatSettings> {
    return this._settings;
  }

  /**
   * The notebook bridge, when the panel can reach notebooks.
   */
  get notebook(): INotebookBridge | null {
    return this._notebook;
  }

  /**
   * Whether code sent to the kernel from the panel is running.
   */
  get running(): boolean {
    return this._running;
  }

  /**
   * The notebook context the next message will carry, or null: the cell
   * pinned by "Ask about cell", else the active cell when `includeActiveCell`
   * is on and the user did not leave it out.
   */
  get pendingContext(): IPendingContext | null {
    const context = this._nextContext();
    if (!context) {
      return null;
    }
    return {
      label: contextLabel(context),
      pinned: this._pinned !== null
    };
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Update settings; invalid values fall back to the defaults.
   */
  configure(settings: Partial<IChatSettings>): void {
    const merged = { ...this._settings, ...settings };
    type FlagKey = {
      [K in keyof IChatSettings]: IChatSettings[K] extends boolean ? K : never;
    }[keyof IChatSettings];
    const flag = (key: FlagKey): boolean =>
      typeof merged[key] === 'boolean' ? merged[key] : DEFAULT_SETTINGS[key];
    const integer = (
      key: keyof IChatSettings,
      min: number,
      max = Infinity
    ): number => {
      const value = Number(merged[key]);
      return Number.isInteger(value) && value >= min && value <= max
        ? value
        : (DEFAULT_SETTINGS[key] as number);
    };
    const temperature = Number(merged.temperature);
    this._settings = {
      maxTokens: integer('maxTokens', 1),
      temperature:
        Number.isFinite(temperature) && temperature >= 0
          ? temperature
          : DEFAULT_SETTINGS.temperature,
      systemPrompt:
        typeof merged.systemPrompt === 'string' ? merged.systemPrompt : '',
      includeActiveCell: flag('includeActiveCell'),
      contextBudgetTokens: integer('contextBudgetTokens', 0),
      confirmRun: flag('confirmRun'),
      includeNearbyCells: flag('includeNearbyCells'),
      nearbyCellCount: integer('nearbyCellCount', 0),
      includeKernelVariables: flag('includeKernelVariables'),
      autoFix: flag('autoFix'),
      fixRounds: integer('fixRounds', 1),
      taskRounds: integer('taskRounds', 1, MAX_TASK_ROUNDS),
      taskConsent:
        merged.taskConsent === 'auto' || merged.taskConsent === 'ask'
          ? merged.taskConsent
          : DEFAULT_SETTINGS.taskConsent
    };
    this._notebook?.setVariablesEnabled?.(
      this._settings.includeKernelVariables
    );
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
    this._client.connect();
    this._client.load().catch((reason: unknown) => {
      if (!this._isDisposed) {
        this._setError(`Could not load the model: ${describe(reason)}`);
      }
    });
  }

  /**
   * Send a user message and stream the answer. Returns false (and changes
   * nothing) when the text is blank or an answer is still being generated.
   *
   * The message carries the notebook context of `pendingContext` (or
   * `options.context` when given; null sends none), trimmed to the budget.
   */
  send(text: string, options: { context?: ICellContext | null } = {}): boolean {
    const content = tidy(text);
    if (this._isDisposed || this.busy || content === '') {
      return false;
    }
    this._error = null;
    this._notice = null;
    const user = this._userEntry(content, options.context);
    const messages = this.buildMessages([...this._messages, user]);
    const answer: IChatEntry = {
      id: UUID.uuid4(),
      role: 'assistant',
      content: '',
      state: 'streaming'
    };
    this._messages = [...this._messages, user, answer];

    const stream = this._client.chat({
      messages,
      maxTokens: this._settings.maxTokens,
      temperature: this._settings.temperature
    });
    this._current = { stream, entryId: answer.id };
    stream.tokenReceived.connect(this._onToken, this);
    stream.finished.then(
      done => this._onDone(stream, done),
      (error: unknown) => this._onFailed(stream, error)
    );
    this._emitChanged();
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
    const open = this._notebook?.taskNotebook;
    if (!this._notebook || !open) {
      this._setError('Notebooks are not available.');
      return false;
    }
    let notebook: ITaskNotebook;
    try {
      notebook = open.call(this._notebook);
    } catch (reason) {
      this._setError(describe(reason));
      return false;
    }
    const problem = notebook.problem();
    if (problem) {
      notebook.dispose();
      this._setError(problem);
      return false;
    }
    this._error = null;
    this._notice = null;
    // An empty active cell says nothing about the task (and small models
    // echo it): leave it out.
    const context =
      options.context !== undefined ? options.context : this._nextContext();
    const user = this._userEntry(
      content,
      context && isBlankContext(context) ? null : context
    );
    const messages = this.buildMessages([...this._messages, user]);
    const id = UUID.uuid4();
    const session = new TaskSession({
      id,
      client: this._client,
      notebook,
      messages,
      maxRounds: this._settings.taskRounds,
      consent: this._settings.taskConsent,
      maxTokens: this._settings.maxTokens,
      temperature: this._settings.temperature
    });
    this._tasks.set(id, session);
    const entry: IChatEntry = {
      id,
      role: 'assistant',
      kind: 'task',
      content: '',
      state: 'streaming',
      task: session.state
    };
    this._messages = [...this._messages, user, entry];
    session.changed.connect(this._onTaskChanged, this);
    this._emitChanged();
    session.start();
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
   * The tasks shown in the conversation, by entry id.
   */
  taskSession(entryId: string): TaskSession | null {
    return this._tasks.get(entryId) ?? null;
  }

  /**
   * Stop the answer being generated, or the task that runs. The server ends
   * it with `done` (`cancelled: true`); the partial answer stays in the
   * conversation. A cell of the task that runs is not interrupted.
   */
  cancel(): void {
    this._current?.stream.cancel();
    this._activeTask()?.stop();
  }

  /**
   * The tokens the notebook context of a message may take: the
   * `contextBudgetTokens` setting, else a quarter of the server's n_ctx.
   */
  get contextBudget(): number {
    return contextBudgetTokens(
      this._settings.contextBudgetTokens,
      this._client.status?.n_ctx
    );
  }

  /**
   * Pin the active cell as the context of the next message ("Ask about
   * cell"). Returns false, showing why, when no cell is active.
   */
  askAboutCell(): boolean {
    const context = this._snapshot();
    if (!context) {
      this._setError(
        'No notebook cell is active. Select a cell in a notebook first.'
      );
      return false;
    }
    this._pinned = context;
    this._contextLeftOut = false;
    this._error = null;
    this._emitChanged();
    return true;
  }

  /**
   * Ask the model to explain the active cell, sent with the cell as context.
   */
  explainCell(): boolean {
    const context = this._snapshot();
    if (!context) {
      this._setError(
        'No notebook cell is active. Select a cell in a notebook first.'
      );
      return false;
    }
    return this.send('Explain this cell.', { context });
  }

  /**
   * Interrupt the kernel running code from the panel.
   */
  interruptRun(): void {
    if (!this._running || !this._notebook) {
      return;
    }
    this._notebook.interrupt().catch((reason: unknown) => {
      this._setError(`Could not interrupt the kernel: ${describe(reason)}`);
    });
  }

  /**
   * Fix the code whose run failed: with the fix loop on the cell it ran in
   * (the execution entry `entryId`, else the last one) when that cell still
   * holds the error, else by asking in the chat (the execution result is
   * already part of the conversation).
   */
  askForFix(entryId?: string): boolean {
    const id =
      entryId ??
      [...this._messages].reverse().find(e => e.kind === 'execution')?.id;
    const makeTarget = id !== undefined ? this._runTargets.get(id) : undefined;
    const target = makeTarget?.() ?? null;
    if (target) {
      return this.startFix(target) !== null;
    }
    return this.send(FIX_REQUEST);
  }

  /**
   * The fix loops shown in the conversation, by entry id.
   */
  fixSession(entryId: string): FixSession | null {
    return this._fixes.get(entryId) ?? null;
  }

  /**
   * Start the fix loop of a failing cell, shown as a new entry. A cell whose
   * fix is still running keeps that one (returned; the target is disposed).
   */
  startFix(target: IFixTarget): FixSession | null {
    if (this._isDisposed) {
      target.dispose();
      return null;
    }
    for (const session of this._fixes.values()) {
      if (session.active && session.target.key === target.key) {
        target.dispose();
        return session;
      }
    }
    const id = UUID.uuid4();
    const session = new FixSession({
      id,
      client: this._client,
      target,
      maxRounds: this._settings.fixRounds
    });
    this._fixes.set(id, session);
    const entry: IChatEntry = {
      id,
      role: 'assistant',
      kind: 'fix',
      content: '',
      state: 'streaming',
      fix: session.state
    };
    this._messages = [...this._messages, entry];
    this._error = null;
    session.changed.connect((_, state) => {
      this._updateEntry(id, old => ({
        ...old,
        fix: state,
        state: session.active ? 'streaming' : 'complete'
      }));
      if (!session.active) {
        target.dispose();
      }
    }, this);
    this._emitChanged();
    void session.start();
    return session;
  }

  /**
   * Start a fix of the active cell; false, showing why, when it has no error.
   */
  fixActiveCell(): boolean {
    const target = this._notebook?.activeFixTarget?.() ?? null;
    if (!target) {
      this._setError(
        'The active cell has no error to fix. Run it first, or select a cell whose run failed.'
      );
      return false;
    }
    return this.startFix(target) !== null;
  }

  /**
   * Leave the pending context out of the next message (a pinned cell is
   * unpinned). Selecting another cell brings the active-cell context back.
   */
  dismissContext(): void {
    if (this._pinned) {
      this._pinned = null;
    } else {
      this._contextLeftOut = true;
    }
    this._emitChanged();
  }

  /**
   * Insert `code` in a new cell below the active cell of the notebook.
   */
  insertCode(code: string): boolean {
    return this._notebookAction(
      bridge => bridge.insertBelow(code),
      where => `Inserted the code as ${locationLabel(where)}.`
    );
  }

  /**
   * Replace the active cell's source with `code`.
   */
  replaceCell(code: string): boolean {
    return this._notebookAction(
      bridge => bridge.replaceActiveCell(code),
      where => `Replaced ${locationLabel(where)} with the code.`
    );
  }

  /**
   * Copy `code` to the system clipboard.
   */
  copyCode(code: string): boolean {
    if (!this._copy) {
      return false;
    }
    try {
      this._copy(code);
      return true;
    } catch (reason) {
      this._setError(`Could not copy: ${describe(reason)}`);
      return false;
    }
  }

  /**
   * Insert `code` below the active cell and run it in the notebook's kernel
   * (after confirmation, when `confirmRun` is on), then add its outputs to
   * the conversation as an "Execution result" user turn, sent with the next
   * message. Resolves to false, showing why, when it did not run.
   */
  async runCode(code: string): Promise<boolean> {
    const bridge = this._notebook;
    if (this._isDisposed) {
      return false;
    }
    if (!bridge) {
      this._setError('Notebooks are not available.');
      return false;
    }
    if (this._running) {
      this._setError('Code from the assistant is already running.');
      return false;
    }
    try {
      bridge.checkRunnable();
    } catch (reason) {
      this._setError(describe(reason));
      return false;
    }
    this._running = true;
    this._emitChanged();
    let entryId: string | null = null;
    try {
      if (this._settings.confirmRun && this._confirmRun) {
        const confirmed = await this._confirmRun(code);
        if (!confirmed || this._isDisposed) {
          return false;
        }
      }
      const where = bridge.activeCellContext();
      const entry: IChatEntry = {
        id: UUID.uuid4(),
        role: 'user',
        kind: 'execution',
        content: '',
        state: 'streaming',
        execution: {
          status: 'running',
          // The new cell goes below the active one.
          label: where
            ? contextLabel({ ...where, cellIndex: where.cellIndex + 1 })
            : '',
          text: ''
        }
      };
      entryId = entry.id;
      this._messages = [...this._messages, entry];
      this._error = null;
      this._emitChanged();
      const result = await bridge.run(code);
      if (this._isDisposed) {
        return false;
      }
      if (result.makeFixTarget) {
        this._runTargets.set(entry.id, result.makeFixTarget);
      }
      this._updateEntry(entry.id, old => executionEntry(old, result));
      return true;
    } catch (reason) {
      if (this._isDisposed) {
        return false;
      }
      if (entryId !== null) {
        const id = entryId;
        this._messages = this._messages.filter(entry => entry.id !== id);
      }
      this._setError(describe(reason));
      return false;
    } finally {
      if (!this._isDisposed) {
        this._running = false;
        this._emitChanged();
      }
    }
  }

  /**
   * Forget the conversation, stopping any answer being generated.
   */
  clear(): void {
    const current = this._current;
    this._current = null;
    current?.stream.cancel();
    this._disposeFixes();
    this._disposeTasks();
    this._messages = [];
    this._error = null;
    this._notice = null;
    this._emitChanged();
  }

  /**
   * Dismiss the error shown for the panel.
   */
  dismissError(): void {
    this._setError(null);
  }

  /**
   * The `messages` array of a chat request for a conversation: the system
   * prompt (when set) first, then the turns in order. Answers that failed or
   * are still streaming are left out; a stopped answer keeps what was
   * generated. Consecutive turns of one role are merged so that roles
   * alternate, as chat templates expect.
   */
  buildMessages(
    entries: ReadonlyArray<IChatEntry> = this._messages
  ): IChatMessage[] {
    const result: IChatMessage[] = [];
    const push = (role: IChatMessage['role'], content: string): void => {
      const last = result[result.length - 1];
      if (last && last.role === role) {
        last.content = `${last.content}\n\n${content}`;
      } else {
        result.push({ role, content });
      }
    };
    const system = this._settings.systemPrompt.trim();
    if (system) {
      result.push({ role: 'system', content: system });
    }
    for (const entry of entries) {
      if (entry.kind === 'task') {
        for (const turn of entry.task ? taskTranscript(entry.task) : []) {
          push(turn.role, turn.content);
        }
        continue;
      }
      if (
        entry.role === 'assistant' &&
        (entry.state === 'streaming' ||
          entry.state === 'error' ||
          entry.content.trim() === '')
      ) {
        continue;
      }
      if (entry.kind === 'execution' && entry.state !== 'complete') {
        continue;
      }
      if (entry.kind === 'fix') {
        continue;
      }
      const content = entry.context
        ? `${entry.context.text}\n\n${entry.content}`
        : entry.content;
      push(entry.role, content);
    }
    return result;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._current?.stream.cancel();
    this._current = null;
    this._disposeFixes();
    this._disposeTasks();
    Signal.disconnectReceiver(this);
    Signal.clearData(this);
  }

  private _onToken(stream: ChatStream, text: string): void {
    const current = this._current;
    if (!current || current.stream !== stream) {
      return;
    }
    this._updateEntry(current.entryId, entry => ({
      ...entry,
      content: entry.content + text
    }));
  }

  private _onDone(stream: ChatStream, done: IDoneMessage): void {
    const current = this._current;
    if (this._isDisposed || !current || current.stream !== stream) {
      return;
    }
    this._current = null;
    const speed = done.timings?.tokens_per_second;
    const tokensPerSecond =
      typeof speed === 'number' && Number.isFinite(speed) && speed > 0
        ? speed
        : undefined;
    if (tokensPerSecond !== undefined) {
      this._lastTokensPerSecond = tokensPerSecond;
    }
    this._updateEntry(current.entryId, entry => ({
      ...entry,
      state: done.cancelled ? 'cancelled' : 'complete',
      tokensPerSecond,
      codeBlocks: extractCodeBlocks(entry.content)
    }));
  }

  private _onFailed(stream: ChatStream, error: unknown): void {
    const current = this._current;
    if (this._isDisposed || !current || current.stream !== stream) {
      return;
    }
    this._current = null;
    this._updateEntry(current.entryId, entry => ({
      ...entry,
      state: 'error',
      error: describe(error)
    }));
  }

  private _onFixRequested(_: unknown, args: IFixRequestArgs): void {
    if (args.auto && !this._settings.autoFix) {
      args.target.dispose();
      return;
    }
    this.startFix(args.target);
  }

  private _onTaskChanged(session: TaskSession, state: ITaskState): void {
    const active = session.active;
    this._updateEntry(
      session.id,
      old => ({
        ...old,
        task: state,
        state: active
          ? 'streaming'
          : state.status === 'done'
            ? 'complete'
            : state.status === 'stopped'
              ? 'cancelled'
              : 'error'
      }),
      false
    );
    if (!active && state.answer && !this._answered.has(session.id)) {
      // The final answer is a normal answer of the conversation.
      this._answered.add(session.id);
      const answer: IChatEntry = {
        id: UUID.uuid4(),
        role: 'assistant',
        content: state.answer,
        state: 'complete',
        codeBlocks: extractCodeBlocks(state.answer),
        ...(state.tokensPerSecond !== undefined
          ? { tokensPerSecond: state.tokensPerSecond }
          : {})
      };
      const index = this._messages.findIndex(e => e.id === session.id);
      const messages = [...this._messages];
      messages.splice(index + 1, 0, answer);
      this._messages = messages;
    }
    if (!active && state.tokensPerSecond !== undefined) {
      this._lastTokensPerSecond = state.tokensPerSecond;
    }
    this._emitChanged();
  }

  private _activeTask(): TaskSession | null {
    for (const session of this._tasks.values()) {
      if (session.active) {
        return session;
      }
    }
    return null;
  }

  private _disposeTasks(): void {
    for (const session of this._tasks.values()) {
      session.dispose();
    }
    this._tasks.clear();
    this._answered.clear();
  }

  /**
   * A user message with the notebook context of `pendingContext` (or
   * `context` when given; null sends none), trimmed to the budget; the
   * pinned cell is used up.
   */
  private _userEntry(
    content: string,
    context: ICellContext | null | undefined
  ): IChatEntry {
    const cell = context !== undefined ? context : this._nextContext();
    this._pinned = null;
    this._contextLeftOut = false;
    return {
      id: UUID.uuid4(),
      role: 'user',
      content,
      state: 'complete',
      ...(cell
        ? {
            context: {
              label: contextLabel(cell),
              text: formatCellContext(cell, this.contextBudget)
            }
          }
        : {})
    };
  }

  private _disposeFixes(): void {
    for (const session of this._fixes.values()) {
      session.dispose();
      session.target.dispose();
    }
    this._fixes.clear();
    this._runTargets.clear();
  }

  private _onNotebookChanged(): void {
    this._contextLeftOut = false;
    this._emitChanged();
  }

  private _nextContext(): ICellContext | null {
    if (this._pinned) {
      return this._pinned;
    }
    if (
      !this._notebook ||
      !this._settings.includeActiveCell ||
      this._contextLeftOut
    ) {
      return null;
    }
    return this._snapshot();
  }

  /**
   * The active cell with the extras the settings ask for.
   */
  private _snapshot(): ICellContext | null {
    return (
      this._notebook?.activeCellContext({
        nearbyCells: this._settings.includeNearbyCells
          ? this._settings.nearbyCellCount
          : 0,
        variables: this._settings.includeKernelVariables
      }) ?? null
    );
  }

  private _notebookAction(
    action: (bridge: INotebookBridge) => ICellLocation,
    notice: (where: ICellLocation) => string
  ): boolean {
    if (this._isDisposed) {
      return false;
    }
    if (!this._notebook) {
      this._setError('Notebooks are not available.');
      return false;
    }
    let where: ICellLocation;
    try {
      where = action(this._notebook);
    } catch (reason) {
      this._setError(describe(reason));
      return false;
    }
    this._error = null;
    this._notice = notice(where);
    this._emitChanged();
    return true;
  }

  private _onServerError(_: AssistantClient, message: string): void {
    this._setError(message);
  }

  private _updateEntry(
    id: string,
    update: (entry: IChatEntry) => IChatEntry,
    emit = true
  ): void {
    this._messages = this._messages.map(entry =>
      entry.id === id ? update(entry) : entry
    );
    if (emit) {
      this._emitChanged();
    }
  }

  private _setError(error: string | null): void {
    this._error = error;
    if (error !== null) {
      this._notice = null;
    }
    this._emitChanged();
  }

  private _emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit(undefined);
    }
  }

  private _client: AssistantClient;
  private _notebook: INotebookBridge | null;
  private _confirmRun: ((code: string) => Promise<boolean>) | null;
  private _copy: ((text: string) => void) | null;
  private _pinned: ICellContext | null = null;
  private _fixes = new Map<string, FixSession>();
  private _tasks = new Map<string, TaskSession>();
  /** The tasks whose final answer was added as an entry. */
  private _answered = new Set<string>();
  private _taskMode = false;
  private _runTargets = new Map<string, () => IFixTarget | null>();
  private _contextLeftOut = false;
  private _running = false;
  private _notice: string | null = null;
  private _settings: IChatSettings = { ...DEFAULT_SETTINGS };
  private _messages: ReadonlyArray<IChatEntry> = [];
  private _current: { stream: ChatStream; entryId: string } | null = null;
  private _lastTokensPerSecond: number | null = null;
  private _error: string | null = null;
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
  }
}

/**
 * The message "Ask for a fix" sends after a failed run.
 */
export const FIX_REQUEST =
  'The code failed with the error in the execution result above. Fix it.';

/**
 * `cell 3 of analysis.ipynb`.
 */
function locationLabel(where: ICellLocation): string {
  const name = where.notebookPath.split('/').pop() || where.notebookPath;
  return `cell ${where.cellIndex + 1} of ${name}`;
}

/**
 * An execution entry completed with the outputs of its run.
 */
function executionEntry(entry: IChatEntry, result: IRunResult): IChatEntry {
  const summary = summarizeOutputs(result.outputs);
  return {
    ...entry,
    content: formatExecutionResult(result.outputs),
    state: 'complete',
    execution: {
      status: summary.status,
      label: locationLabel(result),
      text: summary.text,
      executionCount: result.executionCount
    }
  };
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

/**
 * Drop blank lines around a message and trailing whitespace, keeping the
 * indentation of its first line (it may be code).
 */
function tidy(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
}

/**
 * A readable reason from anything thrown.
 */
function describe(reason: unknown): string {
  if (reason instanceof ChatError || reason instanceof Error) {
    return reason.message;
  }
  return String(reason);
}
