/**
 * What the toolbar of a code block does: insert the code below the active
 * cell, replace the active cell with it, copy it, or run it in a new cell
 * (after confirmation) and add its outputs to the conversation as an
 * "Execution result" turn, sent with the next message.
 */
import { UUID } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from '../api/errors';
import type { IFixTarget } from '../loop/targets';
import { cellLabel } from '../notebook/cells';
import { formatExecutionResult, summarizeOutputs } from '../notebook/outputs';
import type {
  ICellLocation,
  INotebookBridge,
  IRunResult
} from '../notebook/types';
import type { Conversation, IChatEntry } from './conversation';
import type { IChatSettings } from './settings';

/**
 * The error shown when the panel cannot reach notebooks.
 */
export const NO_NOTEBOOKS = 'Notebooks are not available.';

/**
 * Runs, inserts and copies the code of answers.
 */
export class CodeRunner {
  constructor(options: CodeRunner.IOptions) {
    this._notebook = options.notebook;
    this._conversation = options.conversation;
    this._settings = options.settings;
    this._confirmRun = options.confirmRun ?? null;
    this._copy = options.copyToClipboard ?? null;
  }

  /**
   * Emits when `running` changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether code sent to the kernel from the panel is running.
   */
  get running(): boolean {
    return this._running;
  }

  /**
   * Insert `code` in a new cell below the active cell of the notebook.
   */
  insertCode(code: string): boolean {
    return this._notebookAction(
      bridge => bridge.insertBelow(code),
      where => `Inserted the code as ${cellLabel(where)}.`
    );
  }

  /**
   * Replace the active cell's source with `code`.
   */
  replaceCell(code: string): boolean {
    return this._notebookAction(
      bridge => bridge.replaceActiveCell(code),
      where => `Replaced ${cellLabel(where)} with the code.`
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
      this._conversation.setError(`Could not copy: ${errorMessage(reason)}`);
      return false;
    }
  }

  /**
   * Insert `code` below the active cell and run it in the notebook's kernel
   * (after confirmation, when `confirmRun` is on), then add its outputs to
   * the conversation as an "Execution result" user turn. Resolves to false,
   * showing why, when it did not run.
   */
  async runCode(code: string): Promise<boolean> {
    const bridge = this._notebook;
    if (this._isDisposed) {
      return false;
    }
    if (!bridge) {
      this._conversation.setError(NO_NOTEBOOKS);
      return false;
    }
    if (this._running) {
      this._conversation.setError(
        'Code from the assistant is already running.'
      );
      return false;
    }
    try {
      bridge.checkRunnable();
    } catch (reason) {
      this._conversation.setError(errorMessage(reason));
      return false;
    }
    this._setRunning(true);
    let entryId: string | null = null;
    try {
      if (this._settings().confirmRun && this._confirmRun) {
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
            ? cellLabel({ ...where, cellIndex: where.cellIndex + 1 })
            : '',
          text: ''
        }
      };
      entryId = entry.id;
      this._conversation.setError(null, false);
      this._conversation.add([entry]);
      const result = await bridge.run(code);
      if (this._isDisposed) {
        return false;
      }
      if (result.makeFixTarget) {
        this._runTargets.set(entry.id, result.makeFixTarget);
      }
      this._conversation.update(entry.id, old => executionEntry(old, result));
      return true;
    } catch (reason) {
      if (this._isDisposed) {
        return false;
      }
      if (entryId !== null) {
        this._conversation.remove(entryId, false);
      }
      this._conversation.setError(errorMessage(reason));
      return false;
    } finally {
      if (!this._isDisposed) {
        this._setRunning(false);
      }
    }
  }

  /**
   * Interrupt the kernel running code from the panel.
   */
  interrupt(): void {
    if (!this._running || !this._notebook) {
      return;
    }
    this._notebook.interrupt().catch((reason: unknown) => {
      this._conversation.setError(
        `Could not interrupt the kernel: ${errorMessage(reason)}`
      );
    });
  }

  /**
   * The cell whose run the execution entry `entryId` shows (else the last
   * execution entry's) as a fix target, when it still holds the error; null
   * otherwise.
   */
  fixTarget(entryId?: string): IFixTarget | null {
    const id =
      entryId ??
      [...this._conversation.entries]
        .reverse()
        .find(e => e.kind === 'execution')?.id;
    const makeTarget = id !== undefined ? this._runTargets.get(id) : undefined;
    return makeTarget?.() ?? null;
  }

  /**
   * Forget the runs (the conversation was cleared).
   */
  forget(): void {
    this._runTargets.clear();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._runTargets.clear();
    Signal.clearData(this);
  }

  private _notebookAction(
    action: (bridge: INotebookBridge) => ICellLocation,
    notice: (where: ICellLocation) => string
  ): boolean {
    if (this._isDisposed) {
      return false;
    }
    if (!this._notebook) {
      this._conversation.setError(NO_NOTEBOOKS);
      return false;
    }
    let where: ICellLocation;
    try {
      where = action(this._notebook);
    } catch (reason) {
      this._conversation.setError(errorMessage(reason));
      return false;
    }
    this._conversation.setNotice(notice(where));
    return true;
  }

  private _setRunning(running: boolean): void {
    this._running = running;
    this._changed.emit(undefined);
  }

  private _notebook: INotebookBridge | null;
  private _conversation: Conversation;
  private _settings: () => Readonly<IChatSettings>;
  private _confirmRun: ((code: string) => Promise<boolean>) | null;
  private _copy: ((text: string) => void) | null;
  private _runTargets = new Map<string, () => IFixTarget | null>();
  private _running = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

export namespace CodeRunner {
  export interface IOptions {
    notebook: INotebookBridge | null;
    /** Where runs, errors and notices show. */
    conversation: Conversation;
    settings: () => Readonly<IChatSettings>;
    /** Asked before code runs when `confirmRun` is on; true runs it. */
    confirmRun?: (code: string) => Promise<boolean>;
    /** Copies text to the system clipboard. */
    copyToClipboard?: (text: string) => void;
  }
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
      label: cellLabel(result),
      text: summary.text,
      executionCount: result.executionCount
    }
  };
}
