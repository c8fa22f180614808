/**
 * What an inline completion request sends: the code around the cursor and the
 * cells above, bounded. Pure functions.
 */

/** Mime types of the editors that get completions (Python only). */
export const PYTHON_MIME_TYPES = ['text/x-ipython', 'text/x-python'];

/** Characters of the cells above sent at most (the server cuts by tokens). */
export const MAX_CONTEXT_CHARS = 24_000;

/** Characters around the cursor sent at most (huge cells stay cheap). */
export const MAX_PREFIX_CHARS = 24_000;
export const MAX_SUFFIX_CHARS = 4_000;

export interface ICompletionInput {
  prefix: string;
  suffix: string;
  context: string[];
  /** Lines the suggestion may take: one when text follows the cursor. */
  maxLines: number;
}

/**
 * The request for a cursor at `offset` in `text`, below `cellsAbove`; null
 * when no suggestion should be asked for (not Python, nothing typed yet).
 */
export function completionInput(
  text: string,
  offset: number,
  mimeType: string,
  cellsAbove: ReadonlyArray<string>,
  maxLines: number
): ICompletionInput | null {
  if (!PYTHON_MIME_TYPES.includes(mimeType)) {
    return null;
  }
  const prefix = text.slice(Math.max(0, offset - MAX_PREFIX_CHARS), offset);
  const suffix = text.slice(offset, offset + MAX_SUFFIX_CHARS);
  if (!prefix.trim()) {
    return null; // an empty cell: nothing to go on yet
  }
  const restOfLine = suffix.split('\n', 1)[0];
  return {
    prefix,
    suffix,
    context: nearestCells(cellsAbove, MAX_CONTEXT_CHARS),
    maxLines: restOfLine.trim() ? 1 : Math.max(1, Math.floor(maxLines))
  };
}

/**
 * The cells nearest the cursor (last ones) that fit in `budget` characters,
 * in their order; empty cells left out.
 */
export function nearestCells(
  cells: ReadonlyArray<string>,
  budget: number
): string[] {
  const kept: string[] = [];
  let room = budget;
  for (let i = cells.length - 1; i >= 0; i--) {
    const cell = cells[i];
    if (!cell.trim()) {
      continue;
    }
    if (cell.length > room) {
      break;
    }
    kept.unshift(cell);
    room -= cell.length;
  }
  return kept;
}
