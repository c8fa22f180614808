/**
 * Turning a cell's outputs into text the model can read: ANSI codes removed,
 * rich outputs named, long output cut to its head and tail. Pure functions.
 */

import type * as nbformat from '@jupyterlab/nbformat';

/**
 * The first line of an execution-result message, as OpenCodeInterpreter's
 * feedback turns start.
 */
export const EXECUTION_RESULT_HEADER = 'Execution result:';

/**
 * Default bound on the characters of the formatted outputs of one run.
 */
export const DEFAULT_MAX_OUTPUT_CHARS = 2000;

const ANSI_PATTERN = new RegExp(
  [
    // CSI sequences: colours, cursor moves (ESC [ … final byte).
    '\\u001b\\[[0-?]*[ -/]*[@-~]',
    // OSC sequences: titles, hyperlinks (ESC ] … BEL or ESC \).
    '\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)',
    // Other two-character escapes.
    '\\u001b[@-Z\\\\-_]',
    // 8-bit CSI.
    '\\u009b[0-?]*[ -/]*[@-~]'
  ].join('|'),
  'g'
);

/**
 * Remove ANSI escape sequences (colours of tracebacks, cursor moves).
 */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/**
 * Apply carriage returns the way a terminal shows them: on each line only
 * what was written after the last `\r` stays (progress bars).
 */
export function applyCarriageReturns(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map(line => {
      const parts = line.split('\r').filter(part => part !== '');
      return parts.length ? parts[parts.length - 1] : '';
    })
    .join('\n');
}

/**
 * Cut a text longer than `maxChars` to its head and tail, with a marker
 * saying how much was left out between them. Cuts fall on line boundaries
 * when one is near, so that lines stay whole.
 */
export function truncateHeadTail(text: string, maxChars: number): string {
  if (maxChars <= 0 || text.length <= maxChars) {
    return text;
  }
  const headBudget = Math.ceil(maxChars / 2);
  const tailBudget = maxChars - headBudget;
  let headEnd = headBudget;
  const lastBreak = text.lastIndexOf('\n', headBudget);
  if (lastBreak >= headBudget / 2) {
    headEnd = lastBreak;
  }
  let tailStart = text.length - tailBudget;
  const firstBreak = text.indexOf('\n', tailStart);
  if (firstBreak !== -1 && firstBreak - tailStart <= tailBudget / 2) {
    tailStart = firstBreak + 1;
  }
  const head = text.slice(0, headEnd).replace(/\n$/, '');
  const tail = text.slice(tailStart);
  const omitted = text.length - head.length - tail.length;
  const lines = countLines(text.slice(head.length, tailStart));
  return `${head}\n... [${omitted} characters, ${lines} lines omitted] ...\n${tail}`;
}

/**
 * The width and height of a base64-encoded PNG image, read from its header,
 * or null when the data is not a PNG.
 */
export function pngSize(
  base64: string
): { width: number; height: number } | null {
  const head = base64.replace(/\s+/g, '').slice(0, 32);
  let bytes: string;
  try {
    bytes = atob(head);
  } catch {
    return null;
  }
  if (
    bytes.length < 24 ||
    bytes.slice(1, 4) !== 'PNG' ||
    bytes.slice(12, 16) !== 'IHDR'
  ) {
    return null;
  }
  const u32 = (offset: number): number =>
    ((bytes.charCodeAt(offset) << 24) >>> 0) +
    (bytes.charCodeAt(offset + 1) << 16) +
    (bytes.charCodeAt(offset + 2) << 8) +
    bytes.charCodeAt(offset + 3);
  return { width: u32(16), height: u32(20) };
}

/**
 * A text for one rich (non text/plain) output, e.g. `[image/png output, 640x480]`.
 */
export function describeRichOutput(
  mimeType: string,
  data: unknown,
  metadata?: nbformat.OutputMetadata
): string {
  let size: { width: number; height: number } | null = null;
  if (mimeType === 'image/png' && typeof data === 'string') {
    size = pngSize(data);
  }
  const meta = metadata?.[mimeType];
  if (!size && meta && typeof meta === 'object' && !Array.isArray(meta)) {
    const { width, height } = meta as Record<string, unknown>;
    if (typeof width === 'number' && typeof height === 'number') {
      size = { width, height };
    }
  }
  return size
    ? `[${mimeType} output, ${size.width}x${size.height}]`
    : `[${mimeType} output]`;
}

/**
 * The outputs of a cell as text: streams as printed, `text/plain` of results
 * and displays (with a note for each rich representation), errors as their
 * ANSI-stripped traceback ending with `ename: evalue`. The whole is cut to its
 * head and tail when longer than `maxChars`.
 */
export function formatOutputs(
  outputs: ReadonlyArray<nbformat.IOutput>,
  maxChars: number = DEFAULT_MAX_OUTPUT_CHARS
): string {
  const parts: string[] = [];
  let stream: { name: string; text: string } | null = null;
  const flush = (): void => {
    if (stream) {
      parts.push(
        applyCarriageReturns(stripAnsi(stream.text)).replace(/\n$/, '')
      );
      stream = null;
    }
  };
  for (const output of outputs) {
    switch (output.output_type) {
      case 'stream': {
        const { name, text } = output as nbformat.IStream;
        const piece = joinMultiline(text);
        if (stream && stream.name === name) {
          stream.text += piece;
        } else {
          flush();
          stream = { name, text: piece };
        }
        break;
      }
      case 'execute_result':
      case 'display_data':
      case 'update_display_data': {
        flush();
        const { data, metadata } = output as nbformat.IDisplayData;
        const lines: string[] = [];
        const plain = data['text/plain'];
        if (plain !== undefined) {
          lines.push(
            stripAnsi(joinMultiline(plain as nbformat.MultilineString))
          );
        }
        for (const mimeType of Object.keys(data)) {
          if (mimeType !== 'text/plain') {
            lines.push(describeRichOutput(mimeType, data[mimeType], metadata));
          }
        }
        parts.push(lines.join('\n'));
        break;
      }
      case 'error': {
        flush();
        parts.push(formatError(output as nbformat.IError));
        break;
      }
      default:
        flush();
    }
  }
  flush();
  const text = parts.filter(part => part !== '').join('\n');
  return truncateHeadTail(text, maxChars);
}

/**
 * An error output as text: the ANSI-stripped traceback, ending with the
 * `ename: evalue` line.
 */
export function formatError(error: nbformat.IError): string {
  const summary = error.evalue
    ? `${error.ename}: ${error.evalue}`
    : error.ename;
  const traceback = stripAnsi((error.traceback ?? []).join('\n')).replace(
    /\s+$/,
    ''
  );
  if (!traceback) {
    return summary;
  }
  // IPython ends the traceback with `ename: evalue` (`ename:` when evalue is
  // empty); add that line only when it is missing.
  const lastLine = (traceback.split('\n').pop() ?? '').trim();
  const same = (a: string): string => a.replace(/:\s*$/, '').trim();
  return same(lastLine) === same(summary)
    ? traceback
    : `${traceback}\n${summary}`;
}

/**
 * The user turn that brings a run's outputs back to the model.
 */
export function formatExecutionResult(
  outputs: ReadonlyArray<nbformat.IOutput>,
  maxChars: number = DEFAULT_MAX_OUTPUT_CHARS
): string {
  const text = formatOutputs(outputs, maxChars);
  return `${EXECUTION_RESULT_HEADER}\n${text === '' ? '[No output]' : text}`;
}

/**
 * A one-line summary of a run's outputs for the panel.
 */
export function summarizeOutputs(outputs: ReadonlyArray<nbformat.IOutput>): {
  status: 'ok' | 'error';
  text: string;
} {
  const error = outputs.find(output => output.output_type === 'error') as
    nbformat.IError | undefined;
  if (error) {
    return {
      status: 'error',
      text: error.evalue ? `${error.ename}: ${error.evalue}` : error.ename
    };
  }
  const text = formatOutputs(outputs, 0);
  if (text === '') {
    return { status: 'ok', text: 'No output' };
  }
  const lines = countLines(text);
  return {
    status: 'ok',
    text: lines === 1 ? text.slice(0, 80) : `${lines} lines of output`
  };
}

function joinMultiline(text: nbformat.MultilineString): string {
  return Array.isArray(text) ? text.join('') : text;
}

function countLines(text: string): number {
  const trimmed = text.replace(/^\n+|\n+$/g, '');
  return trimmed === '' ? 0 : trimmed.split('\n').length;
}
