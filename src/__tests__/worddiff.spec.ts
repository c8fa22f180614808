import { diffLines } from '../loop/diff';
import { IWordSegment, diffRows, diffWords } from '../loop/worddiff';

/** Segments as text, the changed ones in brackets. */
function show(segments: ReadonlyArray<IWordSegment> | undefined): string {
  return (segments ?? [])
    .map(s => (s.changed ? `[${s.text}]` : s.text))
    .join('');
}

function words(before: string, after: string): [string, string] | null {
  const diff = diffWords(before, after);
  return diff ? [show(diff.before), show(diff.after)] : null;
}

describe('diffWords', () => {
  it('marks the changed word at the end of a long line', () => {
    expect(
      words(
        'total_of_all_the_measured_prices_in_the_table = sum(prcies)',
        'total_of_all_the_measured_prices_in_the_table = sum(prices)'
      )
    ).toEqual([
      'total_of_all_the_measured_prices_in_the_table = sum([prcies])',
      'total_of_all_the_measured_prices_in_the_table = sum([prices])'
    ]);
  });

  it('keeps the text of each side whole', () => {
    const before = 'roots = [math.sqroot(v) for v in values]';
    const after = 'roots = [math.sqrt(v) for v in values if v >= 0]';
    const diff = diffWords(before, after)!;
    expect(diff.before.map(s => s.text).join('')).toBe(before);
    expect(diff.after.map(s => s.text).join('')).toBe(after);
    expect(show(diff.before)).toBe(
      'roots = [math.[sqroot](v) for v in values]'
    );
    expect(show(diff.after)).toBe(
      'roots = [math.[sqrt](v) for v in values[ if v >= 0]]'
    );
  });

  it('marks words, not characters, and joins changes across a space', () => {
    expect(words('x = a + b', 'x = c - d')).toEqual([
      'x = [a + b]',
      'x = [c - d]'
    ]);
    expect(words('print(y)', 'print(x)')).toEqual(['print([y])', 'print([x])']);
  });

  it('marks insertions and deletions on one side only', () => {
    expect(words('f(a)', 'f(a, b)')).toEqual(['f(a)', 'f(a[, b])']);
    expect(words('f(a, b)', 'f(a)')).toEqual(['f(a[, b])', 'f(a)']);
    // Indentation is a change too.
    expect(words('print(x)', '    print(x)')).toEqual([
      'print(x)',
      '[    ]print(x)'
    ]);
  });

  it('reads letters beyond ASCII as words', () => {
    expect(words('größe = 1', 'größe = 2')).toEqual([
      'größe = [1]',
      'größe = [2]'
    ]);
  });

  it('finds nothing to mark in lines with nothing but spaces in common', () => {
    expect(diffWords('import math', 'print(total)')).toBeNull();
    expect(diffWords('', 'x = 1')).toBeNull();
  });

  it('marks the middle whole when the lines are too long to compare', () => {
    const a = Array.from({ length: 600 }, (_, i) => `a${i}`).join(' ');
    const b = Array.from({ length: 600 }, (_, i) => `b${i}`).join(' ');
    const diff = diffWords(`keep(${a})`, `keep(${b})`)!;
    expect(diff.before.map(s => s.changed)).toEqual([false, true, false]);
    expect(diff.after[1].text).toBe(b);
  });
});

describe('diffRows', () => {
  it('pairs removed and added lines in order within a run of changes', () => {
    const rows = diffRows(
      diffLines(
        'prices = [1, 2, 3]\ntotal = sum(prcies)\nmean = total / lne(prices)\nprint(mean)',
        'prices = [1, 2, 3]\ntotal = sum(prices)\nmean = total / len(prices)\nprint(mean)'
      )
    );
    expect(rows.map(r => r.kind)).toEqual([
      'same',
      'del',
      'del',
      'add',
      'add',
      'same'
    ]);
    expect(rows.map(r => show(r.segments))).toEqual([
      '',
      'total = sum([prcies])',
      'mean = total / [lne](prices)',
      'total = sum([prices])',
      'mean = total / [len](prices)',
      ''
    ]);
  });

  it('leaves unpaired lines and unrelated pairs without segments', () => {
    const rows = diffRows(diffLines('import math\nx = 1', 'x = 1\nprint(x)'));
    expect(rows).toEqual([
      { kind: 'del', text: 'import math' },
      { kind: 'same', text: 'x = 1' },
      { kind: 'add', text: 'print(x)' }
    ]);
    expect(diffRows(diffLines('import math', 'print(x)'))).toEqual([
      { kind: 'del', text: 'import math' },
      { kind: 'add', text: 'print(x)' }
    ]);
  });
});
