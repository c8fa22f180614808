import type { IChatEntry } from '../chat/conversation';
import { buildMessages } from '../chat/transcript';
import type { ITaskState } from '../loop/task';
import type { IChatMessage } from '../protocol';
import { taskOutcome } from './fakes';

/**
 * A finished or stopped task entry.
 */
function taskEntry(state: Partial<ITaskState>): IChatEntry {
  return {
    id: 'task-1',
    role: 'assistant',
    content: '',
    state: 'complete',
    kind: 'task',
    task: {
      status: 'done',
      notebook: 'analysis.ipynb',
      consent: 'auto',
      maxRounds: null,
      round: 2,
      steps: [
        {
          round: 1,
          text: 'Run it.\n```python\nx = 6 * 7\n```',
          code: 'x = 6 * 7'
        }
      ],
      ...state
    }
  };
}

const turn = (
  id: string,
  role: 'user' | 'assistant',
  content: string,
  extra: Partial<IChatEntry> = {}
): IChatEntry => ({ id, role, content, state: 'complete', ...extra });

/** What the server's loop says the model saw, up to the task's answer. */
const TRANSCRIPT: IChatMessage[] = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello.' },
  {
    role: 'user',
    content: 'Compute x\n\n(Start with the code to run for the first step.)'
  },
  { role: 'assistant', content: 'Run it.\n```python\nx = 6 * 7\n```' },
  { role: 'user', content: 'Output:\n[no output]' },
  { role: 'assistant', content: 'x is 42.' }
];

describe('the messages of the next request', () => {
  it("replays a finished task's transcript in place of the turns before it", () => {
    const entries: IChatEntry[] = [
      turn('u1', 'user', 'Hi'),
      turn('a1', 'assistant', 'Hello.'),
      turn('u2', 'user', 'Compute x'),
      taskEntry({
        outcome: taskOutcome({
          rounds: 2,
          answer: 'x is 42.',
          transcript: TRANSCRIPT
        }),
        answer: 'x is 42.'
      }),
      // The final answer, shown as an answer: already the transcript's last turn.
      turn('a2', 'assistant', 'x is 42.', { fromTask: 'task-1' }),
      turn('u3', 'user', 'And x + 1?')
    ];
    expect(buildMessages(entries, 'Be brief.')).toEqual([
      { role: 'system', content: 'Be brief.' },
      ...TRANSCRIPT,
      { role: 'user', content: 'And x + 1?' }
    ]);
    expect(JSON.stringify(buildMessages(entries, ''))).not.toContain(
      'Execution result'
    );
  });

  it('goes on from the latest task, whose transcript holds the earlier ones', () => {
    const second: IChatMessage[] = [
      ...TRANSCRIPT,
      { role: 'user', content: 'Now y' },
      { role: 'assistant', content: 'y is 1.' }
    ];
    const entries: IChatEntry[] = [
      turn('u2', 'user', 'Compute x'),
      taskEntry({ outcome: taskOutcome({ transcript: TRANSCRIPT }) }),
      turn('u3', 'user', 'Now y'),
      {
        ...taskEntry({ outcome: taskOutcome({ transcript: second }) }),
        id: 'task-2'
      },
      turn('u4', 'user', 'Thanks')
    ];
    expect(buildMessages(entries, '')).toEqual([
      ...second,
      { role: 'user', content: 'Thanks' }
    ]);
  });

  it("keeps a stopped task's answers, as a stopped answer, without its runs", () => {
    const entries: IChatEntry[] = [
      turn('u2', 'user', 'Compute x'),
      taskEntry({ status: 'stopped' }),
      turn('u3', 'user', 'Go on')
    ];
    expect(buildMessages(entries, '')).toEqual([
      { role: 'user', content: 'Compute x' },
      { role: 'assistant', content: 'Run it.\n```python\nx = 6 * 7\n```' },
      { role: 'user', content: 'Go on' }
    ]);
  });
});
