/**
 * The panel's settings, from the settings registry (schema/plugin.json):
 * their defaults and how a raw value is read.
 */
import { MAX_TASK_ROUNDS, TaskConsent } from '../loop/task';

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
 * `current` with `changes` applied; a value of the wrong type or out of
 * range falls back to its default.
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
  return {
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
}
