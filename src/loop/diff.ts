/**
 * A line diff (longest common subsequence) between two texts. Pure functions.
 */

/**
 * One line of a diff: kept, removed from the original or added.
 */
export interface IDiffLine {
  readonly kind: 'same' | 'del' | 'add';
  readonly text: string;
}

/**
 * How many leading and trailing items `a` and `b` share (the tail never
 * overlaps the head): what a diff keeps as it is before comparing the rest.
 */
export function commonEnds<T>(
  a: ReadonlyArray<T>,
  b: ReadonlyArray<T>
): [number, number] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  return [head, tail];
}

/**
 * `lcs[i][j]`: the length of the longest common subsequence of `x[i:]` and
 * `y[j:]` (what both diffs walk to choose between keeping, removing, adding).
 */
export function lcsTable<T>(
  x: ReadonlyArray<T>,
  y: ReadonlyArray<T>
): number[][] {
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = [];
  for (let i = 0; i <= n; i++) {
    lcs.push(new Array<number>(m + 1).fill(0));
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        x[i] === y[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  return lcs;
}

/**
 * The lines of `before` and `after` as a diff: the longest common
 * subsequence of lines is kept, the rest removed or added; removed lines come
 * before the added lines that replace them.
 */
export function diffLines(before: string, after: string): IDiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // Common head and tail are kept as they are.
  const [head, tail] = commonEnds(a, b);
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const n = x.length;
  const m = y.length;
  const lcs = lcsTable(x, y);
  const result: IDiffLine[] = a
    .slice(0, head)
    .map(text => ({ kind: 'same', text }));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      result.push({ kind: 'same', text: x[i] });
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      result.push({ kind: 'del', text: x[i] });
      i++;
    } else {
      result.push({ kind: 'add', text: y[j] });
      j++;
    }
  }
  for (const text of a.slice(a.length - tail)) {
    result.push({ kind: 'same', text });
  }
  return result;
}

/**
 * Whether a diff changes anything.
 */
export function hasChanges(diff: ReadonlyArray<IDiffLine>): boolean {
  return diff.some(line => line.kind !== 'same');
}

/**
 * The lines of a text; an empty text has none, and a final newline does not
 * make an empty last line.
 */
function splitLines(text: string): string[] {
  if (text === '') {
    return [];
  }
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}
