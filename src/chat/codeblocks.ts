/**
 * Fenced code blocks of a markdown answer, read from the markdown source (not
 * from the rendered HTML), following the CommonMark rules for fences.
 */

/**
 * One fenced code block of a markdown text.
 */
export interface ICodeBlock {
  /** Position among the fenced blocks of the text, from 0. */
  readonly index: number;
  /** The first word of the info string, lower-cased ('' when none). */
  readonly language: string;
  /** The code, without the fences and without the final newline. */
  readonly code: string;
  /** False when the text ended before the closing fence. */
  readonly closed: boolean;
}

const OPENING = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/**
 * The fenced code blocks of a markdown text, in order.
 *
 * A fence is three or more backticks or tildes indented by at most three
 * spaces; the block ends at a fence of the same character at least as long,
 * or at the end of the text (then `closed` is false). The opening fence's
 * indentation is removed from the code lines, as CommonMark does. Blocks whose
 * code is blank are left out.
 */
export function extractCodeBlocks(markdown: string): ICodeBlock[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: ICodeBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = OPENING.exec(lines[i]);
    i += 1;
    if (!open) {
      continue;
    }
    const [, indent, fence, info] = open;
    // A backtick fence's info string may not contain a backtick.
    if (fence[0] === '`' && info.includes('`')) {
      continue;
    }
    const closing = new RegExp(
      `^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`
    );
    const body: string[] = [];
    let closed = false;
    while (i < lines.length) {
      const line = lines[i];
      i += 1;
      if (closing.test(line)) {
        closed = true;
        break;
      }
      body.push(stripIndent(line, indent.length));
    }
    const code = body.join('\n');
    if (code.trim() === '') {
      continue;
    }
    blocks.push({
      index: blocks.length,
      language: (info.trim().split(/\s+/)[0] ?? '').toLowerCase(),
      code,
      closed
    });
  }
  return blocks;
}

function stripIndent(line: string, width: number): string {
  let n = 0;
  while (n < width && line[n] === ' ') {
    n += 1;
  }
  return line.slice(n);
}
