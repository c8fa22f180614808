/**
 * The fakes of every boundary the specs cross (the socket, the server's
 * messages, the notebook bridge, fix targets and the cells they name, task
 * notebooks and cells), in one module so that each spec imports them from
 * one place. Over 500 lines for that reason: split it by boundary when one
 * grows.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { ServerConnection } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import {
  ICellRunResult,
  IFixCauseCell,
  IFixContextCell,
  IFixTarget,
  IRegressionWatch,
  ITaskCell,
  ITaskNotebook
} from '../loop/targets';
import { NotebookError } from '../notebook/errors';
import {
  ICellContext,
  ICellLocation,
  IContextOptions,
  IFixRequestArgs,
  INotebookBridge,
  IRunResult
} from '../notebook/types';
import { IFixOutcome, IStatus, ITaskOutcome } from '../protocol';

/**
 * A stand-in for the browser's WebSocket: records what the client sends and
 * lets a test open, feed and drop the connection. Nothing else is mocked.
 */
export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  /** Every socket constructed since the last `reset()`, oldest first. */
  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!socket) {
      throw new Error('No WebSocket was opened');
    }
    return socket;
  }

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  readyState = FakeWebSocket.CONNECTING;
  sent: string[] = [];
  closeCalls = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  send(data: string): void {
    if (this.readyState !== FakeWebSocket.OPEN) {
      throw new Error('send() on a WebSocket that is not open');
    }
    this.sent.push(data);
  }

  close(): void {
    this.closeCalls += 1;
    this.drop(1000);
  }

  /** The messages sent so far, parsed. */
  get messages(): any[] {
    return this.sent.map(data => JSON.parse(data));
  }

  /** The server accepts the connection. */
  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.(new Event('open'));
  }

  /** The server sends a message. */
  receive(message: unknown): void {
    const data =
      typeof message === 'string' ? message : JSON.stringify(message);
    this.onmessage?.(new MessageEvent('message', { data }));
  }

  /** The connection drops (or is refused). */
  drop(code = 1006): void {
    if (this.readyState === FakeWebSocket.CLOSED) {
      return;
    }
    this.readyState = FakeWebSocket.CLOSED;
    this.onerror?.(new Event('error'));
    this.onclose?.({ code, reason: '', wasClean: code === 1000 } as CloseEvent);
  }
}

/**
 * Server settings whose WebSocket is the fake, and whose fetch is `fetch`.
 */
export function makeSettings(
  options: Partial<ServerConnection.ISettings> = {}
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/base/',
    wsUrl: 'ws://localhost:8888/base/',
    token: 'secret token',
    appendToken: true,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    fetch: () => Promise.reject(new Error('unexpected fetch')),
    ...options
  });
}

/**
 * A `Status` with overrides.
 */
export function makeStatus(overrides: Partial<IStatus> = {}): IStatus {
  return {
    model: 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M',
    source: 'embedded',
    state: 'absent',
    progress: null,
    message: '',
    n_ctx: 8192,
    n_threads: 2,
    n_gpu_layers: 0,
    gpu_offload: false,
    endpoint: '',
    ...overrides
  };
}

/**
 * A fix's outcome (`kind: 'fix'`), fixed in one round unless overridden.
 */
export function fixOutcome(overrides: Partial<IFixOutcome> = {}): IFixOutcome {
  return {
    kind: 'fix',
    status: 'fixed',
    source: 'x = 1\nprint(x)',
    rounds: 1,
    message: '',
    cause: null,
    ...overrides
  };
}

/**
 * A task's outcome (`kind: 'task'`), answered unless overridden.
 */
export function taskOutcome(
  overrides: Partial<ITaskOutcome> = {}
): ITaskOutcome {
  return {
    kind: 'task',
    status: 'answered',
    rounds: 1,
    message: '',
    answer: '',
    transcript: [],
    ...overrides
  };
}

/**
 * A `done` message for a request (no outcome unless the test adds one).
 */
export function doneMessage(
  id: string,
  overrides: { cancelled?: boolean; tokensPerSecond?: number | null } = {}
): Record<string, unknown> {
  return {
    type: 'done',
    id,
    usage: { prompt_tokens: 12, completion_tokens: 3 },
    timings: {
      first_token_s: 0.2,
      tokens_per_second:
        overrides.tokensPerSecond === undefined
          ? 18.5
          : overrides.tokensPerSecond
    },
    cancelled: overrides.cancelled ?? false,
    outcome: null
  };
}

/**
 * Let pending promise callbacks run (works with fake timers too).
 */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

/**
 * A notebook bridge that records what the chat model asks of it; a test sets
 * the active cell and settles runs by hand.
 */
export class FakeBridge implements INotebookBridge {
  readonly changed: Signal<INotebookBridge, void> = new Signal(this);
  context: ICellContext | null = {
    notebookPath: 'work/analysis.ipynb',
    cellIndex: 1,
    cellType: 'code',
    language: 'python',
    source: 'df = load()\ndf.head()',
    selection: null,
    cursor: null
  };
  inserted: string[] = [];
  replaced: string[] = [];
  ran: string[] = [];
  /** Thrown by checkRunnable (and so by run) when set. */
  notRunnable: NotebookError | null = null;
  private _runs: PromiseDelegate<IRunResult>[] = [];

  /** The options of each activeCellContext call. */
  contextOptions: Array<IContextOptions | undefined> = [];
  variablesEnabled: boolean | null = null;

  activeCellContext(options?: IContextOptions): ICellContext | null {
    this.contextOptions.push(options);
    return this.context;
  }

  setVariablesEnabled(enabled: boolean): void {
    this.variablesEnabled = enabled;
  }

  insertBelow(code: string): ICellLocation {
    const where = this._where();
    this.inserted.push(code);
    return { ...where, cellIndex: where.cellIndex + 1 };
  }

  replaceActiveCell(code: string): ICellLocation {
    const where = this._where();
    this.replaced.push(code);
    return where;
  }

  checkRunnable(): void {
    this._where();
    if (this.notRunnable) {
      throw this.notRunnable;
    }
  }

  run(code: string): Promise<IRunResult> {
    this.checkRunnable();
    this.ran.push(code);
    const run = new PromiseDelegate<IRunResult>();
    this._runs.push(run);
    return run.promise;
  }

  /** Settle the oldest run with these outputs. */
  finishRun(
    outputs: nbformat.IOutput[],
    executionCount = 5,
    makeFixTarget?: () => IFixTarget | null
  ): void {
    this._runs.shift()!.resolve({
      notebookPath: 'work/analysis.ipynb',
      cellIndex: 2,
      outputs,
      executionCount,
      status: outputs.some(o => o.output_type === 'error') ? 'error' : 'ok',
      ...(makeFixTarget ? { makeFixTarget } : {})
    });
  }

  /** Emits fix requests, as the notebook's failures and Fix buttons do. */
  readonly fixRequested: Signal<INotebookBridge, IFixRequestArgs> = new Signal(
    this
  );

  /** What `activeFixTarget` returns. */
  activeTarget: IFixTarget | null = null;

  activeFixTarget(): IFixTarget | null {
    return this.activeTarget;
  }

  interrupts = 0;

  async interrupt(): Promise<void> {
    this.interrupts += 1;
  }

  /** What `taskNotebook` returns next; null throws no-notebook. */
  taskTarget: FakeTaskNotebook | null = new FakeTaskNotebook();

  taskNotebook(): ITaskNotebook {
    if (!this.taskTarget) {
      throw new NotebookError('no-notebook');
    }
    return this.taskTarget;
  }

  /** Fail the oldest run. */
  failRun(error: Error): void {
    this._runs.shift()!.reject(error);
  }

  private _where(): ICellLocation {
    if (!this.context) {
      throw new NotebookError('no-notebook');
    }
    return {
      notebookPath: this.context.notebookPath,
      cellIndex: this.context.cellIndex
    };
  }
}

/**
 * The error output of the failing cell of the fix tests.
 */
export const ERROR: nbformat.IOutput = {
  output_type: 'error',
  ename: 'NameError',
  evalue: "name 'y' is not defined",
  traceback: []
};

/**
 * A failing cell that records what the fix does to it; a test settles runs.
 */
export class FakeTarget implements IFixTarget {
  key = 'cell-1';
  label = 'cell 3 of analysis.ipynb';
  source = 'x = 1\nprint(y)';
  outputs = [ERROR];
  context = ['import math', 'x = 1'];
  language = 'python';
  variables: string | null = 'x: int = 1';
  edited: Signal<IFixTarget, void> = new Signal(this);
  lost: Signal<IFixTarget, string> = new Signal(this);
  notRunnable: string | null = null;
  writes: string[] = [];
  runs: PromiseDelegate<ICellRunResult>[] = [];
  isDisposed = false;

  problem(): string | null {
    return this.notRunnable;
  }
  async readVariables(): Promise<string | null> {
    return this.variables;
  }
  /** The notebook's kernel. */
  kernel: string | null = 'kernel-1';
  kernelId(): string | null {
    return this.kernel;
  }
  setSource(source: string): void {
    this.writes.push(source);
    this.source = source;
  }
  run(): Promise<ICellRunResult> {
    const run = new PromiseDelegate<ICellRunResult>();
    this.runs.push(run);
    return run.promise;
  }
  /** The cells of `context`, at positions 1 and 2 of the notebook. */
  contextCells = [
    new FakeContextCell(1, 'import math'),
    new FakeContextCell(2, 'x = 1')
  ];
  contextCell(index: number): IFixCauseCell | null {
    return this.contextCells[index] ?? null;
  }
  /** What `watchBelow` returns; each call is counted. */
  watch: FakeRegressionWatch | null = new FakeRegressionWatch();
  watchCalls = 0;
  watchBelow(): IRegressionWatch | null {
    this.watchCalls += 1;
    return this.watch;
  }
  dispose(): void {
    this.isDisposed = true;
  }
}

/**
 * The watch over the cells below a fixed cell; a test makes them fail or
 * pass again.
 */
export class FakeRegressionWatch implements IRegressionWatch {
  failed: Signal<IRegressionWatch, IFixContextCell> = new Signal(this);
  recovered: Signal<IRegressionWatch, IFixContextCell> = new Signal(this);
  isDisposed = false;

  /** A cell at `number` that passed before the fix fails. */
  fail(number: number): FakeContextCell {
    const cell = new FakeContextCell(number);
    this.failed.emit(cell);
    return cell;
  }
  /** A failed cell passes again (and is disposed, as the watch does). */
  recover(cell: FakeContextCell): void {
    this.recovered.emit(cell);
    cell.dispose();
  }
  dispose(): void {
    this.isDisposed = true;
  }
}

/**
 * An earlier cell of a fix target; a test moves or deletes it, edits it,
 * and settles its runs.
 */
export class FakeContextCell implements IFixCauseCell {
  constructor(
    public number: number | null,
    /** The cell's source (null: gone). */
    public text: string | null = null
  ) {}

  changed: Signal<IFixContextCell, void> = new Signal(this);
  reveals = 0;
  isDisposed = false;
  notRunnable: string | null = null;
  writes: string[] = [];
  runs: PromiseDelegate<ICellRunResult>[] = [];

  position(): number | null {
    return this.number;
  }
  source(): string | null {
    return this.number === null ? null : this.text;
  }
  setSource(source: string): void {
    if (this.number === null) {
      throw new Error('The cell was deleted.');
    }
    this.writes.push(source);
    this.text = source;
  }
  problem(): string | null {
    return this.notRunnable;
  }
  run(): Promise<ICellRunResult> {
    const run = new PromiseDelegate<ICellRunResult>();
    this.runs.push(run);
    return run.promise;
  }
  reveal(): boolean {
    if (this.number === null) {
      return false;
    }
    this.reveals += 1;
    return true;
  }
  /** The cell moves to `number`, or is deleted (null). */
  move(number: number | null): void {
    this.number = number;
    this.changed.emit();
  }
  dispose(): void {
    this.isDisposed = true;
  }
}

/**
 * The notebook of a task: records the cells inserted; a test settles runs.
 */
export class FakeTaskNotebook implements ITaskNotebook {
  name = 'analysis.ipynb';
  language = 'python';
  lost: Signal<ITaskNotebook, string> = new Signal(this);
  notRunnable: string | null = null;
  /** Thrown by `insert` when set. */
  insertError: Error | null = null;
  cells: FakeTaskCell[] = [];
  /** For each insert, the key of the cell it went below (null: active). */
  below: Array<string | null> = [];
  isDisposed = false;

  problem(): string | null {
    return this.notRunnable;
  }

  insert(code: string, after: ITaskCell | null): ITaskCell {
    if (this.insertError) {
      throw this.insertError;
    }
    const cell = new FakeTaskCell(code, this.cells.length + 3);
    this.cells.push(cell);
    this.below.push(after?.key ?? null);
    return cell;
  }

  dispose(): void {
    this.isDisposed = true;
  }
}

/**
 * A cell a task inserted; a test settles its runs.
 */
export class FakeTaskCell implements ITaskCell {
  constructor(
    readonly source: string,
    readonly number: number
  ) {
    this.key = `task-cell-${number}`;
  }

  readonly key: string;
  lost: Signal<ITaskCell, string> = new Signal(this);
  notRunnable: string | null = null;
  runs: PromiseDelegate<ICellRunResult>[] = [];
  reveals = 0;
  isDisposed = false;

  label(): string {
    return `cell ${this.number} of analysis.ipynb`;
  }
  problem(): string | null {
    return this.notRunnable;
  }
  run(): Promise<ICellRunResult> {
    const run = new PromiseDelegate<ICellRunResult>();
    this.runs.push(run);
    return run.promise;
  }
  reveal(): void {
    this.reveals += 1;
  }
  dispose(): void {
    this.isDisposed = true;
  }
}
