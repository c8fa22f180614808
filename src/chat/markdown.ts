/**
 * A conversation as a Markdown document (Export): the questions and answers,
 * the code run from the panel and its outcome, each fix with its rounds'
 * code and how it ended, each task with its cells and their outputs.
 */
import type { IFixState } from '../loop/fix';
import type { ITaskState } from '../loop/task';
import type { IChatEntry } from './conversation';

/**
 * The Markdown of `entries`, titled after the notebook (when there is one).
 */
export function conversationToMarkdown(
  entries: ReadonlyArray<IChatEntry>,
  notebookPath: string | null
): string {
  const title = notebookPath
    ? `# Conversation about ${notebookPath}`
    : '# Conversation';
  const parts = [title];
  for (const entry of entries) {
    parts.push(entryMarkdown(entry));
  }
  return parts.filter(part => part !== '').join('\n\n') + '\n';
}

/**
 * The file name an export of the conversation of `notebookPath` gets, e.g.
 * `analysis-conversation.md`.
 */
export function exportFileName(notebookPath: string | null): string {
  const base = (notebookPath ?? '').split('/').pop() ?? '';
  const stem = base.replace(/\.ipynb$/i, '').replace(/[^\w.-]+/g, '_');
  return `${stem || 'assistant'}-conversation.md`;
}

function entryMarkdown(entry: IChatEntry): string {
  if (entry.kind === 'fix' && entry.fix) {
    return fixMarkdown(entry.fix);
  }
  if (entry.kind === 'task' && entry.task) {
    return taskMarkdown(entry.task);
  }
  if (entry.kind === 'execution') {
    const run = entry.execution;
    const head = run
      ? `**Execution result** (${run.label}): ${run.text}`
      : '**Execution result**';
    return `${head}\n\n${fence(entry.content)}`;
  }
  if (entry.role === 'user') {
    const context = entry.context ? ` _(about ${entry.context.label})_` : '';
    return `## You${context}\n\n${entry.content}`;
  }
  const ended =
    entry.state === 'cancelled'
      ? '\n\n_(stopped)_'
      : entry.state === 'error'
        ? `\n\n_(failed: ${entry.error ?? 'unknown error'})_`
        : '';
  return `## Assistant\n\n${entry.content}${ended}`;
}

function fixMarkdown(fix: IFixState): string {
  const parts = [`## Fix of ${fix.label}`, `Error: \`${oneLine(fix.error)}\``];
  if (fix.original) {
    parts.push(`Original:\n\n${fence(fix.original, 'python')}`);
  }
  for (const round of fix.rounds) {
    const lines = [`### Round ${round.round}`];
    const prose = (round.explanation ?? '').trim();
    if (prose) {
      lines.push(prose);
    }
    if (round.code !== undefined) {
      lines.push(fence(round.code, 'python'));
    }
    if (round.result) {
      lines.push(`Run: ${round.result.status}. ${oneLine(round.result.text)}`);
    }
    parts.push(lines.join('\n\n'));
  }
  parts.push(
    `**${fix.status}**${fix.message ? `: ${oneLine(fix.message)}` : ''}`
  );
  return parts.join('\n\n');
}

function taskMarkdown(task: ITaskState): string {
  const parts = [`## Task in ${task.notebook}`];
  for (const step of task.steps) {
    const lines = [`### Step ${step.round}`];
    const prose = (step.explanation ?? '').trim();
    if (prose) {
      lines.push(prose);
    }
    if (step.code !== undefined) {
      lines.push(fence(step.code, 'python'));
    }
    if (step.cell) {
      lines.push(
        `${step.cell.label}: ${step.cell.status}. ${step.cell.summary}`
      );
      if (step.cell.output) {
        lines.push(fence(step.cell.output));
      }
    }
    parts.push(lines.join('\n\n'));
  }
  parts.push(
    `**${task.status}**${task.message ? `: ${oneLine(task.message)}` : ''}`
  );
  return parts.join('\n\n');
}

/**
 * `text` in a code fence longer than any run of backticks it holds.
 */
function fence(text: string, language = ''): string {
  const longest = Math.max(
    2,
    ...(text.match(/`+/g) ?? []).map(run => run.length)
  );
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${text.replace(/\n$/, '')}\n${ticks}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
