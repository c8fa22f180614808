/**
 * The words that changed within a changed line: a removed line and the added
 * line that replaces it are compared word by word (longest common
 * subsequence of words, spaces and punctuation), as nbdime and GitHub show
 * them, so that a change at the end of a long line stands out. Pure
 * functions.
 */
import { commonEnds, lcsTable } from './diff';
import type { IDiffLine } from './diff';

/**
 * A piece of a line: kept, or changed (removed from the removed line, added
 * in the added line).
 */
export interface IWordSegment {
  readonly text: string;
  readonly changed: boolean;
}

/**
 * A removed line and its added counterpart, each cut into segments.
 */
export interface IWordDiff {
  readonly before: ReadonlyArray<IWordSegment>;
  readonly after: ReadonlyArray<IWordSegment>;
}

/**
 * A line of a diff, with its segments when it is one of a pair of a removed
 * and an added line that have words in common.
 */
export interface IDiffRow extends IDiffLine {
  readonly segments?: ReadonlyArray<IWordSegment>;
}

/**
 * The most words compared pairwise (beyond: the changed middle is marked
 * whole), so that a minified line does not stall the panel.
 */
const MAX_CELLS = 250_000;

/**
 * Words (letters, digits, `_`), runs of white space, and single other
 * characters.
 */
const TOKEN = /[\p{L}\p{N}_]+|\s+|[^\p{L}\p{N}_\s]/gu;

/**
 * The words of `before` and `after` that differ; null when the two lines
 * have nothing but white space in common (they are not one line changed,
 * but one line replaced by another: nothing to mark within them).
 */
export function diffWords(before: string, after: string): IWordDiff | null {
  const a = before.match(TOKEN) ?? [];
  const b = after.match(TOKEN) ?? [];
  const [head, tail] = commonEnds(a, b);
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const [keptX, keptY] =
    x.length * y.length > MAX_CELLS
      ? [none(x.length), none(y.length)]
      : commonTokens(x, y);
  const keep = (kept: boolean[]): boolean[] => [
    ...new Array<boolean>(head).fill(true),
    ...kept,
    ...new Array<boolean>(tail).fill(true)
  ];
  const flagsA = keep(keptX);
  const flagsB = keep(keptY);
  const shared = a.some((token, i) => flagsA[i] && token.trim() !== '');
  if (!shared) {
    return null;
  }
  return { before: segments(a, flagsA), after: segments(b, flagsB) };
}

/**
 * The rows of a line diff, where each removed line of a run of changes is
 * paired (in order) with an added line of the same run and both carry the
 * words that changed between them.
 */
export function diffRows(lines: ReadonlyArray<IDiffLine>): IDiffRow[] {
  const rows: IDiffRow[] = [...lines];
  let start = 0;
  while (start < rows.length) {
    if (rows[start].kind === 'same') {
      start++;
      continue;
    }
    let end = start;
    while (end < rows.length && rows[end].kind !== 'same') {
      end++;
    }
    const run = Array.from({ length: end - start }, (_, k) => start + k);
    const dels = run.filter(i => rows[i].kind === 'del');
    const adds = run.filter(i => rows[i].kind === 'add');
    for (let k = 0; k < Math.min(dels.length, adds.length); k++) {
      const words = diffWords(rows[dels[k]].text, rows[adds[k]].text);
      if (words) {
        rows[dels[k]] = { ...rows[dels[k]], segments: words.before };
        rows[adds[k]] = { ...rows[adds[k]], segments: words.after };
      }
    }
    start = end;
  }
  return rows;
}

/**
 * `length` flags, all false.
 */
function none(length: number): boolean[] {
  return new Array<boolean>(length).fill(false);
}

/**
 * Which tokens of `x` and of `y` belong to their longest common
 * subsequence.
 */
function commonTokens(x: string[], y: string[]): [boolean[], boolean[]] {
  const n = x.length;
  const m = y.length;
  const lcs = lcsTable(x, y);
  const keptX = none(n);
  const keptY = none(m);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      keptX[i++] = true;
      keptY[j++] = true;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      i++;
    } else {
      j++;
    }
  }
  return [keptX, keptY];
}

/**
 * The tokens as segments: neighbours of the same kind joined, and white
 * space kept between two changes counted as changed (one mark, not two).
 */
function segments(tokens: string[], kept: boolean[]): IWordSegment[] {
  const changed = tokens.map(
    (token, i) =>
      !kept[i] ||
      (token.trim() === '' &&
        i > 0 &&
        i < tokens.length - 1 &&
        !kept[i - 1] &&
        !kept[i + 1])
  );
  const result: IWordSegment[] = [];
  tokens.forEach((text, i) => {
    const last = result[result.length - 1];
    if (last && last.changed === changed[i]) {
      result[result.length - 1] = {
        text: last.text + text,
        changed: last.changed
      };
    } else {
      result.push({ text, changed: changed[i] });
    }
  });
  return result;
}
