/**
 * The model picker's state: the models offered, the preparation under way
 * (followed by asking the server every `pollInterval` ms until it ends) and
 * errors. The view (widgets/ModelPicker.tsx) renders it and calls it.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from '../api/errors';
import type { ModelsAPI } from '../api/models';
import type { IModelList, IModelOption, IModelPreparation } from '../protocol';

export class ModelPickerModel {
  constructor(
    readonly api: Pick<ModelsAPI, 'list' | 'switch' | 'cancel'>,
    readonly pollInterval = 500
  ) {}

  /** Emits whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether the picker is open. */
  get isOpen(): boolean {
    return this._open;
  }

  /** False once the server said the administrator turned the picker off. */
  get available(): boolean {
    return this._available;
  }

  get models(): readonly IModelOption[] {
    return this._list?.models ?? [];
  }

  get current(): string | null {
    return this._list?.current ?? null;
  }

  get preparing(): IModelPreparation | null {
    return this._list?.preparing ?? null;
  }

  /** Why the last switch or request failed, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the list has been received at least once. */
  get loaded(): boolean {
    return this._list !== null;
  }

  /** Open (and refresh) or close the picker. */
  toggle(): void {
    this._open = !this._open;
    this._changed.emit();
    if (this._open) {
      void this.refresh();
    }
  }

  close(): void {
    if (this._open) {
      this._open = false;
      this._changed.emit();
    }
  }

  /** Ask the server for the list; follows a preparation until it ends. */
  async refresh(): Promise<void> {
    await this._call(() => this.api.list());
  }

  /** Switch the server to `key`; the current model serves until it is ready. */
  async choose(key: string): Promise<void> {
    if (key === this.current || this.preparing) {
      return;
    }
    await this._call(() => this.api.switch(key));
  }

  /** Cancel the preparation under way. */
  async cancel(): Promise<void> {
    await this._call(() => this.api.cancel());
  }

  dispose(): void {
    this._stopPolling();
    Signal.clearData(this);
  }

  private async _call(request: () => Promise<IModelList>): Promise<void> {
    try {
      this._apply(await request());
    } catch (reason) {
      if (
        reason instanceof ServerConnection.ResponseError &&
        reason.response.status === 403
      ) {
        this._available = false;
        this._open = false;
      }
      this._error = errorMessage(reason);
      this._changed.emit();
    }
  }

  private _apply(list: IModelList): void {
    const wasPreparing = this._list?.preparing ?? null;
    this._list = list;
    this._error = list.error || null;
    if (list.preparing) {
      this._schedulePoll();
    } else {
      this._stopPolling();
      if (wasPreparing && !list.error && list.current === wasPreparing.model) {
        this._open = false; // switched: the header names the new model
      }
    }
    this._changed.emit();
  }

  private _schedulePoll(): void {
    this._stopPolling();
    this._poll = setTimeout(() => {
      this._poll = null;
      void this.refresh();
    }, this.pollInterval);
  }

  private _stopPolling(): void {
    if (this._poll !== null) {
      clearTimeout(this._poll);
      this._poll = null;
    }
  }

  private _changed = new Signal<this, void>(this);
  private _list: IModelList | null = null;
  private _error: string | null = null;
  private _open = false;
  private _available = true;
  private _poll: ReturnType<typeof setTimeout> | null = null;
}

/**
 * A byte count for people: "491 MB", "1.1 GB".
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) {
    return '—';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/**
 * The speed column: "23.4 tok/s", or "—" when never measured.
 */
export function formatSpeed(tokensPerSecond: number | null): string {
  return tokensPerSecond === null ? '—' : `${tokensPerSecond.toFixed(1)} tok/s`;
}

/**
 * The progress line of a preparation: "Downloading x… 12.0 MB of 491 MB (2%)".
 */
export function describePreparation(preparation: IModelPreparation): {
  text: string;
  percent: number | null;
} {
  const percent =
    preparation.progress === null
      ? null
      : Math.round(Math.min(Math.max(preparation.progress, 0), 1) * 100);
  const bytes =
    preparation.bytes_done !== null && preparation.bytes_total
      ? ` ${formatBytes(preparation.bytes_done)} of ${formatBytes(preparation.bytes_total)}`
      : '';
  const share = percent === null ? '' : ` (${percent}%)`;
  return { text: `${preparation.message}…${bytes}${share}`, percent };
}
