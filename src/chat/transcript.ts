/**
 * The conversation as the model reads it: the `messages` of the next
 * request, built from the panel's entries. Pure functions.
 */
import { taskTranscript } from '../loop/task';
import type { IChatMessage } from '../protocol';
import type { IChatEntry } from './conversation';

/**
 * The message "Ask for a fix" sends after a failed run.
 */
export const FIX_REQUEST =
  'The code failed with the error in the execution result above. Fix it.';

/**
 * The `messages` array of a chat request for a conversation: the system
 * prompt (when set) first, then the turns in order. Answers that failed or
 * are still streaming are left out; a stopped answer keeps what was
 * generated; fixes are not part of it; a task brings its rounds. Consecutive
 * turns of one role are merged so that roles alternate, as chat templates
 * expect.
 */
export function buildMessages(
  entries: ReadonlyArray<IChatEntry>,
  systemPrompt: string
): IChatMessage[] {
  const result: IChatMessage[] = [];
  const push = (role: IChatMessage['role'], content: string): void => {
    const last = result[result.length - 1];
    if (last && last.role === role) {
      last.content = `${last.content}\n\n${content}`;
    } else {
      result.push({ role, content });
    }
  };
  const system = systemPrompt.trim();
  if (system) {
    result.push({ role: 'system', content: system });
  }
  for (const entry of entries) {
    if (entry.kind === 'task') {
      for (const turn of entry.task ? taskTranscript(entry.task) : []) {
        push(turn.role, turn.content);
      }
      continue;
    }
    if (
      entry.role === 'assistant' &&
      (entry.state === 'streaming' ||
        entry.state === 'error' ||
        entry.content.trim() === '')
    ) {
      continue;
    }
    if (entry.kind === 'execution' && entry.state !== 'complete') {
      continue;
    }
    if (entry.kind === 'fix') {
      continue;
    }
    const content = entry.context
      ? `${entry.context.text}\n\n${entry.content}`
      : entry.content;
    push(entry.role, content);
  }
  return result;
}

/**
 * Drop blank lines around a message and trailing whitespace, keeping the
 * indentation of its first line (it may be code).
 */
export function tidy(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
}
