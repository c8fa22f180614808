/**
 * The notebook context sent with a question: the active cell's source and
 * selection, bounded by a token budget. Pure functions.
 */
import { cellLabel } from './cells';
import type { ICellContext } from './types';

export type { ICellContext, ICellSnippet } from './types';

/**
 * Rough characters per token of code and English for the model's tokenizer.
 */
export const CHARS_PER_TOKEN = 3.5;

/**
 * The context budget when neither the setting nor the server's n_ctx is known.
 */
export const FALLBACK_BUDGET_TOKENS = 1024;

/**
 * A rough token count: characters / 3.5.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * The tokens the context may take: the setting when positive, else a quarter
 * of the server's context window, else a fallback.
 */
export function contextBudgetTokens(
  setting: number,
  nCtx: number | null | undefined
): number {
  if (Number.isFinite(setting) && setting > 0) {
    return Math.floor(setting);
  }
  if (typeof nCtx === 'number' && Number.isFinite(nCtx) && nCtx > 0) {
    return Math.floor(nCtx / 4);
  }
  return FALLBACK_BUDGET_TOKENS;
}

/**
 * The part of a cell's source that fits in `maxChars`.
 *
 * Lines are kept around the focus (the selection, else the cursor's line,
 * else the first line) and added alternately above and below it, so the lines
 * farthest from the focus are the ones dropped; a marker line says how many
 * lines were left out on each side. A focus that alone exceeds the budget is
 * cut at its end.
 */
export function fitSource(
  source: string,
  maxChars: number,
  focus: { start: number; end: number } | null = null
): { text: string; omittedLines: number } {
  if (source.length <= maxChars) {
    return { text: source, omittedLines: 0 };
  }
  const lines = source.split('\n');
  const lineAt = (offset: number): number =>
    source.slice(0, Math.max(0, Math.min(offset, source.length))).split('\n')
      .length - 1;
  let first = focus ? lineAt(focus.start) : 0;
  let last = focus ? lineAt(Math.max(focus.start, focus.end - 1)) : 0;
  if (last < first) {
    last = first;
  }
  const marker = (n: number): string =>
    `# ... (${n} line${n === 1 ? '' : 's'} omitted)`;
  const size = (a: number, b: number): number => {
    let total = 0;
    for (let i = a; i <= b; i++) {
      total += lines[i].length + 1;
    }
    // Room for the markers of the lines left out on either side.
    if (a > 0) {
      total += marker(a).length + 1;
    }
    if (b < lines.length - 1) {
      total += marker(lines.length - 1 - b).length + 1;
    }
    return total;
  };

  if (size(first, last) > maxChars) {
    // The focus alone is too long: keep its beginning.
    const focusText = lines.slice(first, last + 1).join('\n');
    const room = Math.max(0, maxChars - marker(lines.length).length * 2 - 2);
    const kept = focusText.slice(0, room);
    const keptLines = kept.split('\n').length;
    const omittedLines = lines.length - keptLines;
    const parts: string[] = [];
    if (first > 0) {
      parts.push(marker(first));
    }
    parts.push(kept);
    const after = lines.length - (first + keptLines);
    if (after > 0) {
      parts.push(marker(after));
    }
    return { text: parts.join('\n'), omittedLines };
  }

  let above = true;
  for (;;) {
    const canUp = first > 0 && size(first - 1, last) <= maxChars;
    const canDown =
      last < lines.length - 1 && size(first, last + 1) <= maxChars;
    if (!canUp && !canDown) {
      break;
    }
    if ((above && canUp) || !canDown) {
      first -= 1;
    } else {
      last += 1;
    }
    above = !above;
  }
  const parts: string[] = [];
  if (first > 0) {
    parts.push(marker(first));
  }
  parts.push(...lines.slice(first, last + 1));
  if (last < lines.length - 1) {
    parts.push(marker(lines.length - 1 - last));
  }
  return {
    text: parts.join('\n'),
    omittedLines: first + (lines.length - 1 - last)
  };
}

/**
 * A short label for the context, e.g. `cell 3 of analysis.ipynb`.
 */
export function contextLabel(context: ICellContext): string {
  return cellLabel(context);
}

/**
 * The text sent to the model before the question: the active cell's source
 * (trimmed around the selection or cursor to fit) and the selection, then,
 * when the snapshot has them, the kernel's variables and the nearby cells,
 * nearest first, all within `maxTokens` (estimated).
 *
 * The active cell has priority: with extras to add it may take three
 * quarters of the budget, and the extras share what it leaves; the cells
 * farthest from it are the first left out.
 */
export function formatCellContext(
  context: ICellContext,
  maxTokens: number
): string {
  const maxChars = Math.max(0, Math.floor(maxTokens * CHARS_PER_TOKEN));
  const nearby = context.nearby ?? [];
  const variables = (context.variables ?? '').trim();
  const hasExtras = nearby.length > 0 || variables !== '';
  const active = formatActiveCell(
    context,
    hasExtras ? Math.floor(maxChars * 0.75) : maxChars
  );
  let room = maxChars - active.length;

  const before: string[] = [];
  if (variables) {
    const header = 'Variables defined in the kernel:';
    const overhead = header.length + 10;
    const budget = Math.min(room, Math.floor(maxChars / 4)) - overhead;
    if (budget >= 40) {
      const text = truncateTail(variables, budget);
      const block = `${header}\n\`\`\`\n${text}\n\`\`\``;
      before.push(block);
      room -= block.length + 2;
    }
  }

  const above: string[] = [];
  const below: string[] = [];
  const aboveTitle = 'Cells above the active cell:';
  const belowTitle = 'Cells below the active cell:';
  for (const cell of nearby) {
    const isAbove = cell.cellIndex < context.cellIndex;
    const language =
      cell.cellType === 'code'
        ? context.language
        : cell.cellType === 'markdown'
          ? 'markdown'
          : '';
    const fence = fenceFor(cell.source);
    const header = `Cell ${cell.cellIndex + 1} (${cell.cellType}):`;
    const side = isAbove ? above : below;
    // The block, its separator, and the side's title for its first block.
    const overhead =
      header.length +
      2 * fence.length +
      language.length +
      5 +
      (side.length === 0 ? (isAbove ? aboveTitle : belowTitle).length + 4 : 0);
    if (room - overhead < 40) {
      break;
    }
    // The end of a cell above and the start of a cell below are nearest.
    const fitted = fitSource(
      cell.source,
      room - overhead,
      isAbove ? { start: cell.source.length, end: cell.source.length } : null
    );
    room -= fitted.text.length + overhead;
    side.push(`${header}\n${fence}${language}\n${fitted.text}\n${fence}`);
    if (fitted.omittedLines > 0) {
      break;
    }
  }
  if (above.length) {
    // In notebook order: the nearest was found first.
    before.push(`${aboveTitle}\n\n${above.reverse().join('\n\n')}`);
  }
  const after = below.length ? [`${belowTitle}\n\n${below.join('\n\n')}`] : [];
  return [...before, active, ...after].join('\n\n');
}

/**
 * The active cell's part of the context, within `maxChars`.
 */
function formatActiveCell(context: ICellContext, maxChars: number): string {
  if (context.source.trim() === '') {
    return `The active notebook cell (${contextLabel(context)}, ${context.cellType} cell) is empty.`;
  }
  const fence = fenceFor(context.source);
  const language =
    context.cellType === 'code'
      ? context.language
      : context.cellType === 'markdown'
        ? 'markdown'
        : '';
  const header = `The active notebook cell (${contextLabel(context)}, ${context.cellType} cell):`;
  const selected =
    context.selection && context.selection.end > context.selection.start
      ? context.source.slice(context.selection.start, context.selection.end)
      : '';
  const overhead =
    header.length +
    2 * fence.length +
    language.length +
    4 +
    (selected ? 2 * fence.length + language.length + 40 : 0);
  let room = Math.max(0, maxChars - overhead);

  let selectionBlock = '';
  if (selected) {
    // The selection takes at most half the room; the cell the rest.
    const fitted = fitSource(selected, Math.floor(room / 2));
    selectionBlock = `\nThe selected part of the cell:\n${fence}${language}\n${fitted.text}\n${fence}`;
    room -= fitted.text.length;
  }
  const focus =
    context.selection ??
    (context.cursor !== null
      ? { start: context.cursor, end: context.cursor }
      : null);
  const cell = fitSource(context.source, room, focus);
  return `${header}\n${fence}${language}\n${cell.text}\n${fence}${selectionBlock}`;
}

/**
 * The head of a text that fits in `maxChars`, cut at a line end, with a
 * note of how many lines were left out.
 */
function truncateTail(text: string, maxChars: number): string {
  if (text.length <= maxChars) {
    return text;
  }
  const lines = text.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > maxChars - 30) {
      break;
    }
    kept.push(line);
    size += line.length + 1;
  }
  return `${kept.join('\n')}\n... (${lines.length - kept.length} more)`;
}

/**
 * A backtick fence longer than any run of backticks in the text.
 */
function fenceFor(text: string): string {
  let longest = 0;
  for (const match of text.match(/`+/g) ?? []) {
    longest = Math.max(longest, match.length);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}
