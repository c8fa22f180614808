/**
 * The bodies of the REST routes beside the WebSocket: each notebook's stored
 * conversation (/conversations) and the model picker (/models), with their
 * runtime checks. Mirrored from opencodeinterpreter_lab/protocol.py like the
 * messages in src/protocol.ts.
 */
import { isObject } from './protocolchecks';

// ---- conversations (REST: /api/opencodeinterpreter/conversations) ---------

/**
 * The body of `PUT /conversations?path=…`: the panel's entries of one
 * notebook's conversation, oldest first, as plain JSON (src/chat/store.ts).
 */
export interface IConversationUpdate {
  entries: Array<Record<string, unknown>>;
}

/**
 * What `GET /conversations?path=…` answers: the stored conversation of the
 * notebook `path` (no entries and `updated` 0 when none is stored).
 */
export interface IConversationDocument {
  /** The file format's version (1). */
  version: number;
  path: string;
  /** When it was last saved, in seconds since the epoch; 0: never. */
  updated: number;
  entries: Array<Record<string, unknown>>;
}

export function isConversationDocument(
  value: unknown
): value is IConversationDocument {
  return (
    isObject(value) &&
    value.version === 1 &&
    typeof value.path === 'string' &&
    Array.isArray(value.entries)
  );
}

// ---- the model picker (REST: /api/opencodeinterpreter/models) -------------

export type ModelOptionSource = 'embedded' | 'hub' | 'path' | 'remote';
export type ModelPreparationState = 'preparing' | 'loading';

/**
 * A model the picker offers (`ModelOption` in protocol.py).
 */
export interface IModelOption {
  /** What to POST: a catalog key, a path, hub:<repo>/<file> or remote:<id>. */
  key: string;
  name: string;
  description: string;
  source: ModelOptionSource;
  /** Bytes, when known. */
  size: number | null;
  /** Usable without a download. */
  present: boolean;
  detail: string;
  /** Decode speed last measured on this machine; null: never. */
  tokens_per_second: number | null;
}

/**
 * A model being prepared while the current one keeps serving.
 */
export interface IModelPreparation {
  model: string;
  name: string;
  state: ModelPreparationState;
  message: string;
  progress: number | null;
  bytes_done: number | null;
  bytes_total: number | null;
}

/**
 * What `GET /models` (and POST, DELETE) answers.
 */
export interface IModelList {
  models: IModelOption[];
  current: string;
  preparing: IModelPreparation | null;
  /** Why the last preparation failed; empty when it did not. */
  error: string;
}

/**
 * The body of `POST /models`.
 */
export interface IModelSwitch {
  model: string;
}

export function isModelList(value: unknown): value is IModelList {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as IModelList).models) &&
    typeof (value as IModelList).current === 'string' &&
    typeof (value as IModelList).error === 'string' &&
    'preparing' in value
  );
}
