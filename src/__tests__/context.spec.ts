import {
  ICellContext,
  contextBudgetTokens,
  contextLabel,
  estimateTokens,
  fitSource,
  formatCellContext
} from '../notebook/context';

function cell(overrides: Partial<ICellContext> = {}): ICellContext {
  return {
    notebookPath: 'work/analysis.ipynb',
    cellIndex: 2,
    cellType: 'code',
    language: 'python',
    source: 'df = load()\ndf.describe()',
    selection: null,
    cursor: null,
    ...overrides
  };
}

const numbered = (n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `line_${String(i).padStart(3, '0')}`
  ).join('\n');

describe('budget', () => {
  it('estimates tokens as characters / 3.5', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('x'.repeat(35))).toBe(10);
    expect(estimateTokens('x'.repeat(36))).toBe(11);
  });

  it('uses the setting, else a quarter of n_ctx, else a fallback', () => {
    expect(contextBudgetTokens(300, 8192)).toBe(300);
    expect(contextBudgetTokens(0, 8192)).toBe(2048);
    expect(contextBudgetTokens(0, 4096)).toBe(1024);
    expect(contextBudgetTokens(0, null)).toBe(1024);
    expect(contextBudgetTokens(-5, 2000)).toBe(500);
  });
});

describe('fitSource', () => {
  it('keeps a source that fits', () => {
    expect(fitSource('a\nb', 10)).toEqual({ text: 'a\nb', omittedLines: 0 });
  });

  it('keeps the head when there is no focus, dropping the far end', () => {
    const { text, omittedLines } = fitSource(numbered(100), 200);
    expect(text.length).toBeLessThanOrEqual(200);
    expect(text.startsWith('line_000\nline_001')).toBe(true);
    expect(text).toMatch(/# \.\.\. \((\d+) lines omitted\)$/);
    const kept = text.split('\n').filter(l => l.startsWith('line_'));
    expect(omittedLines).toBe(100 - kept.length);
  });

  it('keeps the lines around the focus and drops both far ends', () => {
    const source = numbered(100);
    const start = source.indexOf('line_050');
    const { text } = fitSource(source, 200, {
      start,
      end: start + 'line_050'.length
    });
    expect(text.length).toBeLessThanOrEqual(200);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^# \.\.\. \(\d+ lines omitted\)$/);
    expect(lines[lines.length - 1]).toMatch(/^# \.\.\. \(\d+ lines omitted\)$/);
    const kept = lines.slice(1, -1).map(l => Number(l.slice(5)));
    expect(kept).toContain(50);
    // Contiguous, and balanced around the focus.
    expect(kept).toEqual(
      Array.from({ length: kept.length }, (_, i) => kept[0] + i)
    );
    expect(
      Math.abs(50 - kept[0] - (kept[kept.length - 1] - 50))
    ).toBeLessThanOrEqual(1);
    // The omitted counts add up.
    const counts = [lines[0], lines[lines.length - 1]].map(l =>
      Number(/\((\d+) lines/.exec(l)![1])
    );
    expect(counts[0] + counts[1] + kept.length).toBe(100);
  });

  it('cuts a focus too long for the budget at its end', () => {
    const source = numbered(100);
    const { text } = fitSource(source, 100, { start: 0, end: source.length });
    expect(text.length).toBeLessThanOrEqual(100);
    expect(text.startsWith('line_000')).toBe(true);
    expect(text).toMatch(/omitted\)$/);
  });
});

describe('formatCellContext', () => {
  it('fences the source with its language and labels the cell', () => {
    const text = formatCellContext(cell(), 1000);
    expect(text).toBe(
      'The active notebook cell (cell 3 of analysis.ipynb, code cell):\n' +
        '```python\ndf = load()\ndf.describe()\n```'
    );
    expect(contextLabel(cell())).toBe('cell 3 of analysis.ipynb');
  });

  it('adds the selection and uses a longer fence around backticks', () => {
    const source = 'x = "```"\ny = x * 2';
    const text = formatCellContext(
      cell({ source, selection: { start: 10, end: 19 } }),
      1000
    );
    expect(text).toContain('````python\nx = "```"\ny = x * 2\n````');
    expect(text).toContain(
      'The selected part of the cell:\n````python\ny = x * 2\n````'
    );
  });

  it('stays within the token budget and keeps the cursor line', () => {
    const source = numbered(400);
    const cursor = source.indexOf('line_300');
    const text = formatCellContext(cell({ source, cursor }), 100);
    expect(estimateTokens(text)).toBeLessThanOrEqual(100);
    expect(text).toContain('line_300');
    expect(text).not.toContain('line_000');
    expect(text).not.toContain('line_399');
  });

  it('says when the active cell is empty', () => {
    expect(formatCellContext(cell({ source: '  \n' }), 100)).toBe(
      'The active notebook cell (cell 3 of analysis.ipynb, code cell) is empty.'
    );
  });

  it('labels markdown cells', () => {
    const text = formatCellContext(
      cell({ cellType: 'markdown', language: '', source: '# Title' }),
      100
    );
    expect(text).toContain('markdown cell):\n```markdown\n# Title\n```');
  });
});

describe('formatCellContext with nearby cells and variables', () => {
  const nearby = [
    { cellIndex: 1, cellType: 'code' as const, source: 'df = load()' },
    { cellIndex: 3, cellType: 'markdown' as const, source: '## Plot' },
    { cellIndex: 0, cellType: 'code' as const, source: 'import pandas as pd' }
  ];

  it('puts variables and cells above first, cells below last, in notebook order', () => {
    const text = formatCellContext(
      cell({
        source: 'df.describe()',
        nearby,
        variables: 'df: pandas.DataFrame shape=(3, 2)'
      }),
      1000
    );
    const order = [
      'Variables defined in the kernel:',
      'df: pandas.DataFrame shape=(3, 2)',
      'Cells above the active cell:',
      'Cell 1 (code):\n```python\nimport pandas as pd\n```',
      'Cell 2 (code):\n```python\ndf = load()\n```',
      'The active notebook cell (cell 3 of analysis.ipynb, code cell):',
      'Cells below the active cell:',
      'Cell 4 (markdown):\n```markdown\n## Plot\n```'
    ].map(part => text.indexOf(part));
    expect(order.every(position => position >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('drops the farthest cells first when the budget is tight', () => {
    const long = (n: number): string =>
      Array.from({ length: 30 }, (_, i) => `c${n}_${i} = ${i}`).join('\n');
    const cells = [2, 4, 1, 5, 0, 6].map(i => ({
      cellIndex: i,
      cellType: 'code' as const,
      source: long(i)
    }));
    const text = formatCellContext(
      cell({ cellIndex: 3, source: 'x = 1', nearby: cells }),
      150
    );
    expect(estimateTokens(text)).toBeLessThanOrEqual(150);
    expect(text).toContain('x = 1');
    expect(text).toContain('Cell 3 (code)');
    expect(text).not.toContain('Cell 1 (code)');
    expect(text).not.toContain('Cell 7 (code)');
    // The nearest cell above keeps its end, the lines next to the active cell.
    expect(text).toContain('c2_29 = 29');
  });

  it('cuts a long variable list to its share of the budget', () => {
    const variables = Array.from(
      { length: 500 },
      (_, i) => `v${i}: int = ${i}`
    );
    const text = formatCellContext(
      cell({ variables: variables.join('\n') }),
      200
    );
    expect(estimateTokens(text)).toBeLessThanOrEqual(200);
    expect(text).toContain('v0: int = 0');
    expect(text).toMatch(/\.\.\. \(\d+ more\)/);
    expect(text).toContain('df.describe()');
  });
});
