/**
 * How the panel reads a fix's rounds: the prose of a round that proposed
 * code, and why the server did not accept a run that passed in the kernel.
 */
import type { IFixRound, IFixState } from './fixstate';
import { noteText } from './rounds';

/**
 * The prose of a round that proposed code: its explanation, else the
 * answer without its code blocks (the code is in the diff); '' when none.
 */
export function proposalProse(round: IFixRound): string {
  return (
    (round.explanation ?? '').trim() ||
    round.text.replace(/```[^\n]*\n[\s\S]*?(?:```|$)/g, '').trim()
  );
}

const NOT_ACCEPTED = /^Ran, but not accepted:\s*/i;

/**
 * Why the server did not accept a round whose run passed in the kernel
 * (the run showed nothing where the cell shows something, left names unset,
 * …): `{ reason }`, the reason '' when the server gave none; null when the
 * run did not pass, was accepted, or the server has not judged it yet. The
 * server says so in the round's note, or by going on with another round,
 * or by ending the fix unfixed: a run it accepted ends the fix as fixed.
 */
export function notAccepted(
  fix: IFixState,
  round: IFixRound
): { reason: string } | null {
  if (round.result?.status !== 'ok') {
    return null;
  }
  const note = noteText(round.note);
  const movedOn =
    fix.rounds.some(r => r.round > round.round) || fix.status === 'failed';
  if (!NOT_ACCEPTED.test(note) && !movedOn) {
    return null;
  }
  return { reason: note.replace(NOT_ACCEPTED, '').replace(/\.$/, '') };
}
