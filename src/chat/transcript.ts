/**
 * The conversation as the model reads it: the `messages` of the next
 * request, built from the panel's entries. Pure functions.
 */
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
 * generated; fixes are not part of it. A finished task brings the server's
 * transcript: the conversation as the model saw it up to the task's final
 * answer, the turns before the task included, so it replaces them (the
 * server's loop is the one source of what the model was told of each run;
 * the panel never re-words it). A task that ended without one (stopped,
 * failed) brings what the model wrote, as a stopped answer does, but no
 * results of its runs: only the server words those. Consecutive turns of
 * one role are merged so that roles alternate, as chat templates expect.
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
  const start = (): void => {
    result.length = 0;
    if (system) {
      result.push({ role: 'system', content: system });
    }
  };
  start();
  for (const entry of entries) {
    if (entry.kind === 'task') {
      const transcript = entry.task?.outcome?.transcript;
      if (transcript) {
        start();
        for (const turn of transcript) {
          if (turn.role !== 'system') {
            push(turn.role, turn.content);
          }
        }
      } else {
        for (const step of entry.task?.steps ?? []) {
          if (step.text.trim()) {
            push('assistant', step.text);
          }
        }
      }
      continue;
    }
    if (entry.fromTask !== undefined) {
      // The task's final answer: the last turn of its transcript.
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
