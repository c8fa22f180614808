import type * as nbformat from '@jupyterlab/nbformat';

import {
  applyCarriageReturns,
  formatError,
  formatExecutionResult,
  formatOutputs,
  pngSize,
  stripAnsi,
  summarizeOutputs,
  truncateHeadTail
} from '../notebook/outputs';

/** A base64 PNG header of the given size (enough for `pngSize`). */
function pngHeader(width: number, height: number): string {
  const bytes = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  bytes.push(0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52);
  for (const value of [width, height]) {
    bytes.push(
      (value >>> 24) & 255,
      (value >>> 16) & 255,
      (value >>> 8) & 255,
      value & 255
    );
  }
  bytes.push(8, 6, 0, 0, 0);
  return btoa(String.fromCharCode(...bytes)) + 'AAAA';
}

const TRACEBACK = [
  '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
  '\u001b[0;31mNameError\u001b[0m                                 Traceback (most recent call last)',
  'Cell \u001b[0;32mIn[3], line 1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m \u001b[38;5;28mprint\u001b[39m(y)',
  "\u001b[0;31mNameError\u001b[0m: name 'y' is not defined"
];

describe('stripAnsi', () => {
  it('removes colours, cursor moves and OSC links', () => {
    expect(stripAnsi('\u001b[1;31mError\u001b[0m: \u001b[2Kdone')).toBe(
      'Error: done'
    );
    expect(stripAnsi('\u001b]8;;http://x\u0007link\u001b]8;;\u0007 text')).toBe(
      'link text'
    );
    expect(stripAnsi('plain [brackets] stay')).toBe('plain [brackets] stay');
  });
});

describe('applyCarriageReturns', () => {
  it('keeps what was written last on each line', () => {
    expect(applyCarriageReturns('10%\r50%\r100%\ndone\r\n')).toBe(
      '100%\ndone\n'
    );
  });
});

describe('truncateHeadTail', () => {
  it('leaves short text alone', () => {
    expect(truncateHeadTail('abc', 10)).toBe('abc');
  });

  it('keeps the head and the tail, on line boundaries, and says what was cut', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const text = lines.join('\n');
    const cut = truncateHeadTail(text, 120);
    const kept = cut.split('\n');
    expect(kept[0]).toBe('line 0');
    expect(kept[kept.length - 1]).toBe('line 99');
    expect(cut).toMatch(/\.\.\. \[\d+ characters, \d+ lines omitted\] \.\.\./);
    expect(cut.length).toBeLessThan(200);
    expect(cut).not.toContain('line 50\n');
    // Whole lines only around the cut.
    for (const line of kept) {
      expect(line).toMatch(/^(line \d+|\.\.\. .*)$/);
    }
  });

  it('cuts a single long line by characters', () => {
    const cut = truncateHeadTail('x'.repeat(1000), 100);
    expect(cut.startsWith('x'.repeat(50))).toBe(true);
    expect(cut.endsWith('x'.repeat(50))).toBe(true);
    expect(cut).toContain('[900 characters, 1 lines omitted]');
  });
});

describe('pngSize', () => {
  it('reads the size from the PNG header', () => {
    expect(pngSize(pngHeader(640, 480))).toEqual({ width: 640, height: 480 });
    expect(pngSize(pngHeader(70000, 3))).toEqual({ width: 70000, height: 3 });
  });

  it('returns null for other data', () => {
    expect(pngSize(btoa('GIF89a and more bytes here, long enough'))).toBeNull();
    expect(pngSize('not base64 !!')).toBeNull();
  });
});

describe('formatOutputs', () => {
  it('joins consecutive stream pieces and applies carriage returns', () => {
    const outputs: nbformat.IOutput[] = [
      { output_type: 'stream', name: 'stdout', text: ['a\n', 'b'] },
      { output_type: 'stream', name: 'stdout', text: '\rc\n' },
      { output_type: 'stream', name: 'stderr', text: 'warning\n' }
    ];
    expect(formatOutputs(outputs)).toBe('a\nc\nwarning');
  });

  it('gives text/plain of results and a note for rich outputs', () => {
    const outputs: nbformat.IOutput[] = [
      {
        output_type: 'display_data',
        data: {
          'image/png': pngHeader(640, 480),
          'text/plain': '<Figure size 640x480 with 1 Axes>'
        },
        metadata: {}
      },
      {
        output_type: 'execute_result',
        execution_count: 3,
        data: { 'text/plain': '   a\n0  1', 'text/html': '<table/>' },
        metadata: {}
      },
      {
        output_type: 'display_data',
        data: { 'image/jpeg': '/9j/' },
        metadata: { 'image/jpeg': { width: 20, height: 10 } }
      }
    ];
    expect(formatOutputs(outputs)).toBe(
      [
        '<Figure size 640x480 with 1 Axes>',
        '[image/png output, 640x480]',
        '   a',
        '0  1',
        '[text/html output]',
        '[image/jpeg output, 20x10]'
      ].join('\n')
    );
  });

  it('gives errors as the ANSI-stripped traceback', () => {
    const error: nbformat.IError = {
      output_type: 'error',
      ename: 'NameError',
      evalue: "name 'y' is not defined",
      traceback: TRACEBACK
    };
    const text = formatOutputs([
      { output_type: 'stream', name: 'stdout', text: 'before\n' },
      error
    ]);
    expect(text).not.toContain('\u001b');
    expect(text.startsWith('before\n---')).toBe(true);
    expect(text).toContain('----> 1 print(y)');
    expect(text.endsWith("NameError: name 'y' is not defined")).toBe(true);
    // The summary line is not repeated when the traceback ends with it.
    expect(text.match(/NameError: name/g)).toHaveLength(1);
  });

  it('cuts long output to head and tail', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `${i}`).join('\n');
    const formatted = formatOutputs(
      [{ output_type: 'stream', name: 'stdout', text }],
      500
    );
    expect(formatted.length).toBeLessThan(600);
    expect(formatted.startsWith('0\n1\n')).toBe(true);
    expect(formatted.endsWith('4998\n4999')).toBe(true);
    expect(formatted).toContain('omitted');
  });
});

describe('formatError', () => {
  it('adds ename: evalue when the traceback lacks it', () => {
    expect(
      formatError({
        output_type: 'error',
        ename: 'KeyboardInterrupt',
        evalue: '',
        traceback: []
      })
    ).toBe('KeyboardInterrupt');
    expect(
      formatError({
        output_type: 'error',
        ename: 'ValueError',
        evalue: 'bad',
        traceback: ['\u001b[31mFile x, line 2\u001b[0m']
      })
    ).toBe('File x, line 2\nValueError: bad');
    // An interrupted run: IPython's last line is `KeyboardInterrupt: `.
    expect(
      formatError({
        output_type: 'error',
        ename: 'KeyboardInterrupt',
        evalue: '',
        traceback: [
          '\u001b[0;31mKeyboardInterrupt\u001b[0m Traceback',
          '\u001b[0;31mKeyboardInterrupt\u001b[0m: '
        ]
      })
    ).toBe('KeyboardInterrupt Traceback\nKeyboardInterrupt:');
  });
});

describe('formatExecutionResult and summarizeOutputs', () => {
  it('starts with the header and names an empty run', () => {
    expect(formatExecutionResult([])).toBe('Execution result:\n[No output]');
    expect(
      formatExecutionResult([
        { output_type: 'stream', name: 'stdout', text: '42\n' }
      ])
    ).toBe('Execution result:\n42');
  });

  it('summarizes errors, one line and many lines', () => {
    expect(
      summarizeOutputs([
        {
          output_type: 'error',
          ename: 'ZeroDivisionError',
          evalue: 'division by zero',
          traceback: []
        }
      ])
    ).toEqual({
      status: 'error',
      text: 'ZeroDivisionError: division by zero'
    });
    expect(
      summarizeOutputs([
        { output_type: 'stream', name: 'stdout', text: 'hello\n' }
      ])
    ).toEqual({ status: 'ok', text: 'hello' });
    expect(
      summarizeOutputs([
        { output_type: 'stream', name: 'stdout', text: '1\n2\n3\n' }
      ])
    ).toEqual({ status: 'ok', text: '3 lines of output' });
    expect(summarizeOutputs([])).toEqual({ status: 'ok', text: 'No output' });
  });
});
