/**
 * The TypeScript side of the protocol contract (see protocol.spec.ts): a
 * table of every type of src/protocol.ts, its fields, its nullable fields
 * and the members of its literal unions, and typed fixtures of every type
 * and every variant. Each table is typed so that it does not compile until
 * it follows a change of the types; protocol.spec.ts compares them with the
 * server's schema.
 */
import * as P from '../protocol';

/* ------------------------------ the tables ------------------------------ */

/**
 * Each model of the schema and its TypeScript type.
 */
export interface IModels {
  CancelRequest: P.ICancelRequest;
  CompleteRequest: P.ICompleteRequest;
  ChatRequest: P.IChatRequest;
  ConversationDocument: P.IConversationDocument;
  ConversationUpdate: P.IConversationUpdate;
  DoneMessage: P.IDoneMessage;
  ErrorMessage: P.IErrorMessage;
  ExecutionResultMessage: P.IExecutionResultRequest;
  FailingCell: P.IFixCell;
  FixCause: P.IFixCause;
  FixOutcome: P.IFixOutcome;
  FixRequest: P.IFixRequest;
  Message: P.IChatMessage;
  ModelList: P.IModelList;
  ModelOption: P.IModelOption;
  ModelPreparation: P.IModelPreparation;
  ModelSwitch: P.IModelSwitch;
  ProposalMessage: P.IProposalMessage;
  Status: P.IStatus;
  StatusMessage: P.IStatusMessage;
  TaskOutcome: P.ITaskOutcome;
  TaskRequest: P.ITaskRequest;
  Timings: P.ITimings;
  TokenMessage: P.ITokenMessage;
  Usage: P.IUsage;
}
export type ModelName = keyof IModels;

/** The unions of the schema: not models of their own. */
export const UNIONS = ['ClientMessage', 'ServerMessage'];

/** Whether a key of `T` is required or optional. */
export type KeyKinds<T> = {
  [K in keyof T]-?: Pick<T, K> extends Required<Pick<T, K>>
    ? 'required'
    : 'optional';
};

/** The keys of `T` whose value may be null. */
export type NullableKeys<T> = {
  [K in keyof T]-?: null extends T[K] ? K : never;
}[keyof T];

/**
 * The fields of every type, required or optional: this does not compile
 * unless it lists exactly the keys of each TypeScript type, each as the
 * type has it.
 */
export const KEYS: { [N in ModelName]: KeyKinds<IModels[N]> } = {
  CancelRequest: { type: 'required', id: 'required' },
  ConversationDocument: {
    version: 'required',
    path: 'required',
    updated: 'required',
    entries: 'required'
  },
  ConversationUpdate: { entries: 'required' },
  ModelList: {
    models: 'required',
    current: 'required',
    preparing: 'required',
    error: 'required'
  },
  ModelOption: {
    key: 'required',
    name: 'required',
    description: 'required',
    source: 'required',
    size: 'required',
    present: 'required',
    detail: 'required',
    tokens_per_second: 'required'
  },
  ModelPreparation: {
    model: 'required',
    name: 'required',
    state: 'required',
    message: 'required',
    progress: 'required',
    bytes_done: 'required',
    bytes_total: 'required'
  },
  ModelSwitch: { model: 'required' },
  ChatRequest: {
    type: 'required',
    id: 'required',
    messages: 'required',
    max_tokens: 'optional',
    temperature: 'optional'
  },
  DoneMessage: {
    type: 'required',
    id: 'required',
    usage: 'required',
    timings: 'required',
    cancelled: 'required',
    outcome: 'required'
  },
  ErrorMessage: { type: 'required', id: 'required', message: 'required' },
  ExecutionResultMessage: {
    type: 'required',
    id: 'required',
    round: 'required',
    status: 'required',
    outputs: 'optional',
    message: 'optional'
  },
  FailingCell: { source: 'required', outputs: 'required' },
  FixCause: {
    cell: 'required',
    names: 'required',
    cause_source: 'required',
    cell_source: 'required'
  },
  FixOutcome: {
    kind: 'required',
    status: 'required',
    source: 'required',
    rounds: 'required',
    message: 'required',
    cause: 'required'
  },
  FixRequest: {
    type: 'required',
    id: 'required',
    cell: 'required',
    context: 'optional',
    variables: 'optional',
    language: 'optional',
    max_rounds: 'optional',
    candidates: 'optional',
    kernel_id: 'optional'
  },
  Message: { role: 'required', content: 'required' },
  ProposalMessage: {
    type: 'required',
    id: 'required',
    round: 'required',
    code: 'required',
    explanation: 'required',
    tried: 'required',
    preview: 'required'
  },
  Status: {
    model: 'required',
    source: 'required',
    state: 'required',
    progress: 'required',
    message: 'required',
    n_ctx: 'required',
    n_threads: 'required',
    n_gpu_layers: 'required',
    gpu_offload: 'required',
    endpoint: 'required'
  },
  StatusMessage: { type: 'required', status: 'required' },
  TaskOutcome: {
    kind: 'required',
    status: 'required',
    rounds: 'required',
    message: 'required',
    answer: 'required',
    transcript: 'required'
  },
  CompleteRequest: {
    type: 'required',
    id: 'required',
    prefix: 'required',
    suffix: 'optional',
    context: 'optional',
    max_lines: 'optional',
    model: 'optional'
  },
  TaskRequest: {
    type: 'required',
    id: 'required',
    messages: 'required',
    language: 'optional',
    max_rounds: 'optional',
    max_tokens: 'optional',
    temperature: 'optional'
  },
  Timings: { first_token_s: 'required', tokens_per_second: 'required' },
  TokenMessage: {
    type: 'required',
    id: 'required',
    text: 'required',
    round: 'optional'
  },
  Usage: { prompt_tokens: 'required', completion_tokens: 'required' }
};

/**
 * The fields that may be null, for every type: this does not compile unless
 * it lists exactly the keys whose TypeScript type admits null.
 */
export const NULLABLE: {
  [N in ModelName]: Record<NullableKeys<IModels[N]>, true>;
} = {
  CancelRequest: {},
  ChatRequest: { max_tokens: true, temperature: true },
  CompleteRequest: {},
  ConversationDocument: {},
  ConversationUpdate: {},
  ModelList: { preparing: true },
  ModelOption: { size: true, tokens_per_second: true },
  ModelPreparation: { progress: true, bytes_done: true, bytes_total: true },
  ModelSwitch: {},
  DoneMessage: { outcome: true },
  ErrorMessage: { id: true },
  ExecutionResultMessage: {},
  FailingCell: {},
  FixCause: { cause_source: true, cell_source: true },
  FixOutcome: { cause: true },
  FixRequest: { max_rounds: true, candidates: true, kernel_id: true },
  Message: {},
  ProposalMessage: {},
  Status: { progress: true },
  StatusMessage: {},
  TaskOutcome: {},
  TaskRequest: { max_rounds: true, max_tokens: true, temperature: true },
  Timings: { first_token_s: true, tokens_per_second: true },
  TokenMessage: { round: true },
  Usage: {}
};

/** Each client message type and its model. */
export const CLIENT_TYPES: Record<P.ClientMessage['type'], ModelName> = {
  chat: 'ChatRequest',
  cancel: 'CancelRequest',
  fix: 'FixRequest',
  task: 'TaskRequest',
  complete: 'CompleteRequest',
  execution_result: 'ExecutionResultMessage'
};

/** Each server message type and its model. */
export const SERVER_TYPES: Record<P.ServerMessage['type'], ModelName> = {
  status: 'StatusMessage',
  token: 'TokenMessage',
  proposal: 'ProposalMessage',
  done: 'DoneMessage',
  error: 'ErrorMessage'
};

/** Each outcome kind and its model. */
export const OUTCOME_KINDS: Record<P.Outcome['kind'], ModelName> = {
  fix: 'FixOutcome',
  task: 'TaskOutcome'
};

/* Every member of every literal union. */
export const ROLES: Record<P.Role, true> = {
  system: true,
  user: true,
  assistant: true
};
export const MODEL_SOURCES: Record<P.ModelSource, true> = {
  path: true,
  hub: true,
  embedded: true,
  remote: true
};
export const MODEL_STATES: Record<P.ModelState, true> = {
  absent: true,
  loading: true,
  ready: true,
  error: true
};
export const EXECUTION_STATUSES: Record<P.ExecutionStatus, true> = {
  ok: true,
  error: true,
  timeout: true,
  dead: true
};
export const FIX_STATUSES: Record<P.FixOutcomeStatus, true> = {
  fixed: true,
  failed: true,
  no_code: true,
  unchanged: true
};
export const MODEL_OPTION_SOURCES: Record<P.ModelOptionSource, true> = {
  embedded: true,
  hub: true,
  path: true,
  remote: true
};
export const PREPARATION_STATES: Record<P.ModelPreparationState, true> = {
  preparing: true,
  loading: true
};
export const TASK_STATUSES: Record<P.TaskOutcomeStatus, true> = {
  answered: true,
  max_rounds: true,
  repeated: true
};

/**
 * Each enumerated field of the schema and the members of its TypeScript
 * union (the `type` and `kind` constants are checked with the unions).
 */
export const ENUMS: Array<[ModelName, string, Record<string, true>]> = [
  ['Message', 'role', ROLES],
  ['Status', 'source', MODEL_SOURCES],
  ['Status', 'state', MODEL_STATES],
  ['ExecutionResultMessage', 'status', EXECUTION_STATUSES],
  ['FixOutcome', 'status', FIX_STATUSES],
  ['TaskOutcome', 'status', TASK_STATUSES],
  ['ModelOption', 'source', MODEL_OPTION_SOURCES],
  ['ModelPreparation', 'state', PREPARATION_STATES]
];

/* ------------------------------ the fixtures ------------------------------ */

export const message: P.IChatMessage = { role: 'user', content: 'Plot df.' };
export const status: P.IStatus = {
  model: 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M',
  source: 'embedded',
  state: 'ready',
  progress: null,
  message: '',
  n_ctx: 8192,
  n_threads: 2,
  n_gpu_layers: 0,
  gpu_offload: false,
  endpoint: ''
};
export const remoteStatus: P.IStatus = {
  model: 'Qwen/Qwen2.5-Coder-7B-Instruct',
  source: 'remote',
  state: 'ready',
  progress: null,
  message: '',
  n_ctx: 32768,
  n_threads: 0,
  n_gpu_layers: 0,
  gpu_offload: false,
  endpoint: 'http://gpu-box:8000/v1'
};
export const error: unknown = {
  output_type: 'error',
  ename: 'NameError',
  evalue: "name 'y' is not defined",
  traceback: []
};
export const fixOutcome: P.IFixOutcome = {
  kind: 'fix',
  status: 'fixed',
  source: 'print(x)',
  rounds: 2,
  message: 'Fixed in 2 rounds.',
  cause: null
};
export const taskOutcome: P.ITaskOutcome = {
  kind: 'task',
  status: 'answered',
  rounds: 2,
  message: '',
  answer: 'The mean is 3.',
  transcript: [
    { role: 'user', content: 'What is the mean of df.x?' },
    { role: 'assistant', content: '```python\ndf.x.mean()\n```' },
    { role: 'user', content: 'Output:\n3.0' },
    { role: 'assistant', content: 'The mean is 3.' }
  ]
};
export const modelOption: P.IModelOption = {
  key: 'qwen2.5-coder-0.5b',
  name: 'Qwen2.5-Coder-0.5B-Instruct Q4_K_M',
  description: 'Twice as fast.',
  source: 'embedded',
  size: 491400064,
  present: true,
  detail: 'assembled in the cache',
  tokens_per_second: null
};
export const preparation: P.IModelPreparation = {
  model: 'opencodeinterpreter-ds-1.3b',
  name: 'OpenCodeInterpreter-DS-1.3B Q4_K_M',
  state: 'preparing',
  message: 'Downloading',
  progress: 0.5,
  bytes_done: 400,
  bytes_total: 800
};
export const usage: P.IUsage = { prompt_tokens: 12, completion_tokens: 3 };
export const timings: P.ITimings = {
  first_token_s: 0.2,
  tokens_per_second: 18.5
};

/**
 * For every type, a fixture with its required fields only and one with
 * every field: a new required field in the schema fails the first, a field
 * the schema does not have fails the second.
 */
export const FIXTURES: {
  [N in ModelName]: { minimal: IModels[N]; full: Required<IModels[N]> };
} = {
  CancelRequest: {
    minimal: { type: 'cancel', id: 'r1' },
    full: { type: 'cancel', id: 'r1' }
  },
  ConversationDocument: {
    minimal: { version: 1, path: 'a.ipynb', updated: 0, entries: [] },
    full: {
      version: 1,
      path: 'dir/a.ipynb',
      updated: 1767225600.5,
      entries: [{ id: 'e1', role: 'user', content: 'hi', state: 'complete' }]
    }
  },
  ModelList: {
    minimal: { models: [], current: 'm', preparing: null, error: '' },
    full: {
      models: [modelOption],
      current: 'qwen2.5-coder-1.5b',
      preparing: preparation,
      error: 'Could not download it.'
    }
  },
  ModelOption: { minimal: modelOption, full: modelOption },
  ModelPreparation: { minimal: preparation, full: preparation },
  ModelSwitch: {
    minimal: { model: 'qwen2.5-coder-0.5b' },
    full: { model: '/models/my.gguf' }
  },
  ConversationUpdate: {
    minimal: { entries: [] },
    full: { entries: [{ id: 'e1', role: 'user', content: 'hi' }] }
  },
  ChatRequest: {
    minimal: { type: 'chat', id: 'r1', messages: [message] },
    full: {
      type: 'chat',
      id: 'r1',
      messages: [message],
      max_tokens: 32768,
      temperature: 2
    }
  },
  DoneMessage: {
    minimal: {
      type: 'done',
      id: 'r1',
      usage,
      timings,
      cancelled: false,
      outcome: null
    },
    full: {
      type: 'done',
      id: 'r1',
      usage,
      timings,
      cancelled: false,
      outcome: fixOutcome
    }
  },
  ErrorMessage: {
    minimal: { type: 'error', id: null, message: 'Malformed JSON' },
    full: { type: 'error', id: 'r1', message: 'Model failed' }
  },
  ExecutionResultMessage: {
    minimal: { type: 'execution_result', id: 'r1', round: 1, status: 'ok' },
    full: {
      type: 'execution_result',
      id: 'r1',
      round: 2,
      status: 'dead',
      outputs: [],
      message: 'The kernel died.'
    }
  },
  FailingCell: {
    minimal: { source: 'print(y)', outputs: [error] },
    full: { source: 'print(y)', outputs: [error] }
  },
  FixCause: {
    minimal: { cell: 0, names: ['x'], cause_source: null, cell_source: null },
    full: {
      cell: 1,
      names: ['normalize', 'df'],
      cause_source: 'def normalize(x):\n    return x',
      cell_source: 'normalize(df)'
    }
  },
  FixOutcome: {
    minimal: fixOutcome,
    full: {
      ...fixOutcome,
      cause: {
        cell: 0,
        names: ['x'],
        cause_source: 'def x():\n    return 1',
        cell_source: 'x()'
      }
    }
  },
  FixRequest: {
    minimal: {
      type: 'fix',
      id: 'r1',
      cell: { source: 'print(y)', outputs: [error] }
    },
    full: {
      type: 'fix',
      id: 'r1',
      cell: { source: 'print(y)', outputs: [error] },
      context: ['x = 1'],
      variables: 'x: int = 1',
      language: 'python',
      max_rounds: 10,
      candidates: 5,
      kernel_id: '2c7b3a52-0b53-4a5e-9a54-4f0a1d3c9e21'
    }
  },
  Message: {
    minimal: message,
    full: { role: 'assistant', content: 'Done.' }
  },
  ProposalMessage: {
    minimal: {
      type: 'proposal',
      id: 'r1',
      round: 1,
      code: 'print(x)',
      explanation: 'y is not defined; x is.',
      tried: false,
      preview: ''
    },
    full: {
      type: 'proposal',
      id: 'r1',
      round: 1,
      code: 'print(x)',
      explanation: '',
      tried: true,
      preview: 'x: int = 1'
    }
  },
  Status: {
    minimal: status,
    full: { ...status, state: 'loading', progress: 0.5 }
  },
  StatusMessage: {
    minimal: { type: 'status', status },
    full: { type: 'status', status: remoteStatus }
  },
  TaskOutcome: {
    minimal: taskOutcome,
    full: { ...taskOutcome, transcript: [] }
  },
  CompleteRequest: {
    minimal: { type: 'complete', id: 'r1', prefix: 'x = ' },
    full: {
      type: 'complete',
      id: 'r1',
      prefix: 'x = ',
      suffix: '\nprint(x)',
      context: ['import numpy as np'],
      max_lines: 20,
      model: 'chat'
    }
  },
  TaskRequest: {
    minimal: { type: 'task', id: 'r1', messages: [message] },
    full: {
      type: 'task',
      id: 'r1',
      messages: [message],
      language: 'python',
      max_rounds: 20,
      max_tokens: 1,
      temperature: 0
    }
  },
  Timings: {
    minimal: timings,
    full: { first_token_s: null, tokens_per_second: null }
  },
  TokenMessage: {
    minimal: { type: 'token', id: 'r1', text: 'Hel' },
    full: { type: 'token', id: 'r1', text: 'lo', round: 2 }
  },
  Usage: { minimal: usage, full: usage }
};

/**
 * A fixture with every nullable field null.
 */
export function withNulls(name: ModelName): unknown {
  const nulls = Object.fromEntries(
    Object.keys(NULLABLE[name]).map(key => [key, null])
  );
  return { ...FIXTURES[name].full, ...nulls };
}

/**
 * One fixture for each member of each literal union, with the model it is
 * checked against.
 */
export function variants(): Array<[string, ModelName, unknown]> {
  const result: Array<[string, ModelName, unknown]> = [];
  for (const role of Object.keys(ROLES) as P.Role[]) {
    const turn: P.IChatMessage = { role, content: 'x' };
    result.push([`message from ${role}`, 'Message', turn]);
  }
  for (const source of Object.keys(MODEL_SOURCES) as P.ModelSource[]) {
    for (const state of Object.keys(MODEL_STATES) as P.ModelState[]) {
      const base = source === 'remote' ? remoteStatus : status;
      const pushed: P.IStatus = { ...base, source, state };
      result.push([`status ${source} ${state}`, 'Status', pushed]);
    }
  }
  for (const run of Object.keys(EXECUTION_STATUSES) as P.ExecutionStatus[]) {
    const answer: P.IExecutionResultRequest = {
      ...FIXTURES.ExecutionResultMessage.full,
      status: run
    };
    result.push([`execution_result ${run}`, 'ExecutionResultMessage', answer]);
  }
  for (const fix of Object.keys(FIX_STATUSES) as P.FixOutcomeStatus[]) {
    const outcome: P.IFixOutcome = { ...fixOutcome, status: fix };
    result.push([`fix outcome ${fix}`, 'FixOutcome', outcome]);
  }
  for (const task of Object.keys(TASK_STATUSES) as P.TaskOutcomeStatus[]) {
    const outcome: P.ITaskOutcome = { ...taskOutcome, status: task };
    result.push([`task outcome ${task}`, 'TaskOutcome', outcome]);
  }
  return result;
}

/**
 * The outcome fixtures, each in a `done`.
 */
export function doneWithOutcomes(): P.IDoneMessage[] {
  return variants()
    .filter(([, model]) => model === 'FixOutcome' || model === 'TaskOutcome')
    .map(([, , outcome]) => ({
      ...FIXTURES.DoneMessage.minimal,
      outcome: outcome as P.Outcome
    }));
}
