import { diffLines, hasChanges } from '../loop/diff';

function show(before: string, after: string): string[] {
  return diffLines(before, after).map(
    line =>
      (line.kind === 'del' ? '-' : line.kind === 'add' ? '+' : ' ') + line.text
  );
}

describe('diffLines', () => {
  it('keeps equal texts as they are', () => {
    expect(show('a\nb', 'a\nb')).toEqual([' a', ' b']);
    expect(hasChanges(diffLines('a\nb', 'a\nb\n'))).toBe(false);
  });

  it('marks a changed line as removed then added, in place', () => {
    expect(show('x = 1\nprint(y)\nz = 3', 'x = 1\nprint(x)\nz = 3')).toEqual([
      ' x = 1',
      '-print(y)',
      '+print(x)',
      ' z = 3'
    ]);
  });

  it('finds the longest common subsequence of lines', () => {
    expect(show('a\nb\nc\nd', 'b\nc\ne\nd\nf')).toEqual([
      '-a',
      ' b',
      ' c',
      '+e',
      ' d',
      '+f'
    ]);
  });

  it('handles empty sides and insertions at the start', () => {
    expect(show('', 'a\nb')).toEqual(['+a', '+b']);
    expect(show('a\nb', '')).toEqual(['-a', '-b']);
    expect(show('b', 'import a\nb')).toEqual(['+import a', ' b']);
    expect(hasChanges(diffLines('', 'a'))).toBe(true);
  });

  it('treats CRLF like LF', () => {
    expect(show('a\r\nb', 'a\nb')).toEqual([' a', ' b']);
  });
});
