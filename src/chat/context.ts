/**
 * Which notebook cell the next message is about: the active cell (when the
 * `includeActiveCell` setting is on and the user did not leave it out), or
 * the cell pinned by "Ask about cell"; and its text, trimmed to the budget.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { AssistantClient } from '../api/client';
import {
  ICellContext,
  contextBudgetTokens,
  contextLabel,
  formatCellContext
} from '../notebook/context';
import type { INotebookBridge } from '../notebook/types';
import type { Conversation, IEntryContext } from './conversation';
import type { IChatSettings } from './settings';

/**
 * The context the next message will carry, as the panel shows it.
 */
export interface IPendingContext {
  readonly label: string;
  /** True when pinned by "Ask about cell", else it follows the active cell. */
  readonly pinned: boolean;
}

/**
 * The error shown when a cell action finds no active cell.
 */
export const NO_ACTIVE_CELL =
  'No notebook cell is active. Select a cell in a notebook first.';

/**
 * The notebook context of the next message.
 */
export class ContextModel {
  constructor(options: ContextModel.IOptions) {
    this._notebook = options.notebook;
    this._client = options.client;
    this._conversation = options.conversation;
    this._settings = options.settings;
    this._notebook?.changed.connect(this._onNotebookChanged, this);
  }

  /**
   * Emits when the pending context changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The notebook context the next message will carry, or null: the cell
   * pinned by "Ask about cell", else the active cell when
   * `includeActiveCell` is on and the user did not leave it out.
   */
  get pending(): IPendingContext | null {
    const context = this.next();
    if (!context) {
      return null;
    }
    return { label: contextLabel(context), pinned: this._pinned !== null };
  }

  /**
   * The tokens the notebook context of a message may take: the
   * `contextBudgetTokens` setting, else a quarter of the server's n_ctx.
   */
  get budget(): number {
    return contextBudgetTokens(
      this._settings().contextBudgetTokens,
      this._client.status?.n_ctx
    );
  }

  /**
   * The cell the next message is about (see `pending`), or null.
   */
  next(): ICellContext | null {
    if (this._pinned) {
      return this._pinned;
    }
    if (
      !this._notebook ||
      !this._settings().includeActiveCell ||
      this._leftOut
    ) {
      return null;
    }
    return this.snapshot();
  }

  /**
   * The active cell now, with the extras the settings ask for; null when
   * no cell is active.
   */
  snapshot(): ICellContext | null {
    const settings = this._settings();
    return (
      this._notebook?.activeCellContext({
        nearbyCells: settings.includeNearbyCells ? settings.nearbyCellCount : 0,
        variables: settings.includeKernelVariables
      }) ?? null
    );
  }

  /**
   * Pin the active cell as the context of the next message ("Ask about
   * cell"). Returns false, showing why, when no cell is active.
   */
  askAboutCell(): boolean {
    const context = this.snapshot();
    if (!context) {
      this._conversation.setError(NO_ACTIVE_CELL);
      return false;
    }
    this._pinned = context;
    this._leftOut = false;
    this._conversation.setError(null, false);
    this._changed.emit(undefined);
    return true;
  }

  /**
   * Leave the pending context out of the next message (a pinned cell is
   * unpinned). Selecting another cell brings the active-cell context back.
   */
  dismiss(): void {
    if (this._pinned) {
      this._pinned = null;
    } else {
      this._leftOut = true;
    }
    this._changed.emit(undefined);
  }

  /**
   * The context of a message being sent: `context` when given (null: none),
   * else `next()`; as the entry shows and sends it, trimmed to the budget.
   * The pinned cell is used up.
   */
  take(context?: ICellContext | null): IEntryContext | null {
    const cell = context !== undefined ? context : this.next();
    this._pinned = null;
    this._leftOut = false;
    return cell
      ? {
          label: contextLabel(cell),
          text: formatCellContext(cell, this.budget)
        }
      : null;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _onNotebookChanged(): void {
    this._leftOut = false;
    this._changed.emit(undefined);
  }

  private _notebook: INotebookBridge | null;
  private _client: AssistantClient;
  private _conversation: Conversation;
  private _settings: () => Readonly<IChatSettings>;
  private _pinned: ICellContext | null = null;
  private _leftOut = false;
  private _changed = new Signal<this, void>(this);
}

export namespace ContextModel {
  export interface IOptions {
    notebook: INotebookBridge | null;
    /** For the server's n_ctx. */
    client: AssistantClient;
    /** Where errors show. */
    conversation: Conversation;
    settings: () => Readonly<IChatSettings>;
  }
}
