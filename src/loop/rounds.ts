/**
 * The per-round entries of a loop shown in the panel (a fix's rounds, a
 * task's steps): pure, immutable updates shared by both state machines.
 */

/**
 * What every round entry has: its number and its streamed text.
 */
export interface IRoundEntry {
  readonly round: number;
  readonly text: string;
  /** The proposed code, once the round's proposal came. */
  readonly code?: string;
  /** The proposal's explanation, once it came. */
  readonly explanation?: string;
  /**
   * What the server streamed for the round after its proposal: a note on
   * its run (e.g. `*Ran, but not accepted: …*` when a run that passed in the
   * kernel did not do the cell's work), not part of the answer.
   */
  readonly note?: string;
}

/**
 * `entries` with the entry of `round` replaced by `update(entry)`.
 */
export function updateRound<T extends IRoundEntry>(
  entries: ReadonlyArray<T>,
  round: number,
  update: (entry: T) => T
): T[] {
  return entries.map(e => (e.round === round ? update(e) : e));
}

/**
 * `entries` with an entry for `round`: an empty one is appended when missing
 * (the other fields of a round entry are optional).
 */
export function ensureRound<T extends IRoundEntry>(
  entries: ReadonlyArray<T>,
  round: number
): ReadonlyArray<T> {
  return entries.some(e => e.round === round)
    ? entries
    : [...entries, { round, text: '' } as T];
}

/**
 * `entries` with `text` appended to the streamed text of `round`, or to its
 * `note` once its proposal came (the answer ends with its proposal).
 */
export function appendRoundText<T extends IRoundEntry>(
  entries: ReadonlyArray<T>,
  round: number,
  text: string
): T[] {
  return updateRound(ensureRound(entries, round), round, e =>
    e.code === undefined
      ? { ...e, text: e.text + text }
      : { ...e, note: (e.note ?? '') + text }
  );
}

/**
 * A note of the server as plain text: its emphasis and blank lines dropped.
 */
export function noteText(note: string | undefined): string {
  return (note ?? '')
    .split('\n')
    .map(line =>
      line
        .trim()
        .replace(/^[*_]+|[*_]+$/g, '')
        .trim()
    )
    .filter(line => line !== '')
    .join(' ');
}
