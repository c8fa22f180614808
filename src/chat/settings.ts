/**
 * The panel's settings, from the settings registry (schema/plugin.json):
 * their defaults and how a raw value is read. The limits of the request
 * settings are not restated here: the registry holds them to
 * schema/plugin.json, whose bounds a test checks against the server's
 * protocol schema, and the server holds every request to them.
 */
import type { TaskConsent } from '../loop/task';

/**
 * The frontend knobs, from the settings registry (schema/plugin.json).
 */
export interface IChatSettings {
  /** Upper bound on the tokens of one answer; null: the server's default. */
  maxTokens: number | null;
  /** Sampling temperature; null: the server's default. */
  temperature: number | null;
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
  /** The most rounds of a fix (`max_rounds`); null: the server's default. */
  fixRounds: number | null;
  /**
   * Fixes tried per round in a copy of the kernel before one is proposed
   * (`candidates`); null: the server's default.
   */
  fixCandidates: number | null;
  /** The most rounds of a task (`max_rounds`); null: the server's default. */
  taskRounds: number | null;
  /** Whether each cell of a task waits for Run (`ask`) or runs at once. */
  taskConsent: TaskConsent;
}

export const DEFAULT_SETTINGS: Readonly<IChatSettings> = Object.freeze({
  maxTokens: null,
  temperature: null,
  systemPrompt: '',
  includeActiveCell: true,
  contextBudgetTokens: 0,
  confirmRun: true,
  includeNearbyCells: false,
  nearbyCellCount: 2,
  includeKernelVariables: false,
  autoFix: true,
  fixRounds: null,
  fixCandidates: null,
  taskRounds: null,
  taskConsent: 'ask'
});

/**
 * `current` with `changes` applied; a value of the wrong type or out of
 * range falls back to its default (for the request settings, null: the
 * server's default).
 */
export function mergeSettings(
  current: Readonly<IChatSettings>,
  changes: Partial<IChatSettings>
): IChatSettings {
  const merged = { ...current, ...changes };
  type FlagKey = {
    [K in keyof IChatSettings]: IChatSettings[K] extends boolean ? K : never;
  }[keyof IChatSettings];
  const flag = (key: FlagKey): boolean =>
    typeof merged[key] === 'boolean' ? merged[key] : DEFAULT_SETTINGS[key];
  const integer = (key: keyof IChatSettings, min: number): number => {
    const value = Number(merged[key]);
    return Number.isInteger(value) && value >= min
      ? value
      : (DEFAULT_SETTINGS[key] as number);
  };
  // Unset (null, or left out): the server's default.
  const optional = (
    key:
      | 'maxTokens'
      | 'temperature'
      | 'fixRounds'
      | 'fixCandidates'
      | 'taskRounds',
    valid: (value: number) => boolean
  ): number | null => {
    const raw = merged[key];
    return typeof raw === 'number' && valid(raw) ? raw : DEFAULT_SETTINGS[key];
  };
  const positiveInteger = (value: number): boolean =>
    Number.isInteger(value) && value >= 1;
  return {
    maxTokens: optional('maxTokens', positiveInteger),
    temperature: optional(
      'temperature',
      value => Number.isFinite(value) && value >= 0
    ),
    systemPrompt:
      typeof merged.systemPrompt === 'string' ? merged.systemPrompt : '',
    includeActiveCell: flag('includeActiveCell'),
    contextBudgetTokens: integer('contextBudgetTokens', 0),
    confirmRun: flag('confirmRun'),
    includeNearbyCells: flag('includeNearbyCells'),
    nearbyCellCount: integer('nearbyCellCount', 0),
    includeKernelVariables: flag('includeKernelVariables'),
    autoFix: flag('autoFix'),
    fixRounds: optional('fixRounds', positiveInteger),
    fixCandidates: optional('fixCandidates', positiveInteger),
    taskRounds: optional('taskRounds', positiveInteger),
    taskConsent:
      merged.taskConsent === 'auto' || merged.taskConsent === 'ask'
        ? merged.taskConsent
        : DEFAULT_SETTINGS.taskConsent
  };
}
