/// <reference types="node" />
/**
 * The protocol contract: the TypeScript types of src/protocol.ts against the
 * JSON Schema the server generates from its pydantic models and checks in
 * (opencodeinterpreter_lab/protocol.schema.json). Every model of the schema
 * has a TypeScript type with the same fields (required where it is required,
 * nullable where it is nullable), every literal union has the same members,
 * and typed fixtures of every message and every variant validate. The tables
 * below are typed so that a change on the TypeScript side does not compile
 * until they follow it, and compared with the schema so that a change on the
 * server's side fails here: either way one side alone cannot drift.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';

import { chatRequest, fixRequest, taskRequest } from '../api/requests';
import * as P from '../protocol';

const SCHEMA_PATH = path.join(
  __dirname,
  '..',
  '..',
  'opencodeinterpreter_lab',
  'protocol.schema.json'
);
const PLUGIN_SCHEMA_PATH = path.join(
  __dirname,
  '..',
  '..',
  'schema',
  'plugin.json'
);

type Json = any;

const schema: Json = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf-8'));
const defs: Record<string, Json> = schema.$defs;

/* ------------------------------ the tables ------------------------------ */

/**
 * Each model of the schema and its TypeScript type.
 */
interface IModels {
  CancelRequest: P.ICancelRequest;
  ChatRequest: P.IChatRequest;
  DoneMessage: P.IDoneMessage;
  ErrorMessage: P.IErrorMessage;
  ExecutionResultMessage: P.IExecutionResultRequest;
  FailingCell: P.IFixCell;
  FixCause: P.IFixCause;
  FixOutcome: P.IFixOutcome;
  FixRequest: P.IFixRequest;
  Message: P.IChatMessage;
  ProposalMessage: P.IProposalMessage;
  Status: P.IStatus;
  StatusMessage: P.IStatusMessage;
  TaskOutcome: P.ITaskOutcome;
  TaskRequest: P.ITaskRequest;
  Timings: P.ITimings;
  TokenMessage: P.ITokenMessage;
  Usage: P.IUsage;
}
type ModelName = keyof IModels;

/** The unions of the schema: not models of their own. */
const UNIONS = ['ClientMessage', 'ServerMessage'];

/** Whether a key of `T` is required or optional. */
type KeyKinds<T> = {
  [K in keyof T]-?: Pick<T, K> extends Required<Pick<T, K>>
    ? 'required'
    : 'optional';
};

/** The keys of `T` whose value may be null. */
type NullableKeys<T> = {
  [K in keyof T]-?: null extends T[K] ? K : never;
}[keyof T];

/**
 * The fields of every type, required or optional: this does not compile
 * unless it lists exactly the keys of each TypeScript type, each as the
 * type has it.
 */
const KEYS: { [N in ModelName]: KeyKinds<IModels[N]> } = {
  CancelRequest: { type: 'required', id: 'required' },
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
  FixCause: { cell: 'required', names: 'required' },
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
    kernel_id: 'optional'
  },
  Message: { role: 'required', content: 'required' },
  ProposalMessage: {
    type: 'required',
    id: 'required',
    round: 'required',
    code: 'required',
    explanation: 'required'
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
    gpu_offload: 'required'
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
const NULLABLE: {
  [N in ModelName]: Record<NullableKeys<IModels[N]>, true>;
} = {
  CancelRequest: {},
  ChatRequest: { max_tokens: true, temperature: true },
  DoneMessage: { outcome: true },
  ErrorMessage: { id: true },
  ExecutionResultMessage: {},
  FailingCell: {},
  FixCause: {},
  FixOutcome: { cause: true },
  FixRequest: { max_rounds: true, kernel_id: true },
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
const CLIENT_TYPES: Record<P.ClientMessage['type'], ModelName> = {
  chat: 'ChatRequest',
  cancel: 'CancelRequest',
  fix: 'FixRequest',
  task: 'TaskRequest',
  execution_result: 'ExecutionResultMessage'
};

/** Each server message type and its model. */
const SERVER_TYPES: Record<P.ServerMessage['type'], ModelName> = {
  status: 'StatusMessage',
  token: 'TokenMessage',
  proposal: 'ProposalMessage',
  done: 'DoneMessage',
  error: 'ErrorMessage'
};

/** Each outcome kind and its model. */
const OUTCOME_KINDS: Record<P.Outcome['kind'], ModelName> = {
  fix: 'FixOutcome',
  task: 'TaskOutcome'
};

/* Every member of every literal union. */
const ROLES: Record<P.Role, true> = {
  system: true,
  user: true,
  assistant: true
};
const MODEL_SOURCES: Record<P.ModelSource, true> = {
  path: true,
  hub: true,
  embedded: true
};
const MODEL_STATES: Record<P.ModelState, true> = {
  absent: true,
  loading: true,
  ready: true,
  error: true
};
const EXECUTION_STATUSES: Record<P.ExecutionStatus, true> = {
  ok: true,
  error: true,
  timeout: true,
  dead: true
};
const FIX_STATUSES: Record<P.FixOutcomeStatus, true> = {
  fixed: true,
  failed: true,
  no_code: true,
  unchanged: true
};
const TASK_STATUSES: Record<P.TaskOutcomeStatus, true> = {
  answered: true,
  max_rounds: true,
  repeated: true
};

/**
 * Each enumerated field of the schema and the members of its TypeScript
 * union (the `type` and `kind` constants are checked with the unions).
 */
const ENUMS: Array<[ModelName, string, Record<string, true>]> = [
  ['Message', 'role', ROLES],
  ['Status', 'source', MODEL_SOURCES],
  ['Status', 'state', MODEL_STATES],
  ['ExecutionResultMessage', 'status', EXECUTION_STATUSES],
  ['FixOutcome', 'status', FIX_STATUSES],
  ['TaskOutcome', 'status', TASK_STATUSES]
];

/* ------------------------------ the fixtures ------------------------------ */

const message: P.IChatMessage = { role: 'user', content: 'Plot df.' };
const status: P.IStatus = {
  model: 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M',
  source: 'embedded',
  state: 'ready',
  progress: null,
  message: '',
  n_ctx: 8192,
  n_threads: 2,
  n_gpu_layers: 0,
  gpu_offload: false
};
const error: unknown = {
  output_type: 'error',
  ename: 'NameError',
  evalue: "name 'y' is not defined",
  traceback: []
};
const fixOutcome: P.IFixOutcome = {
  kind: 'fix',
  status: 'fixed',
  source: 'print(x)',
  rounds: 2,
  message: 'Fixed in 2 rounds.',
  cause: null
};
const taskOutcome: P.ITaskOutcome = {
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
const usage: P.IUsage = { prompt_tokens: 12, completion_tokens: 3 };
const timings: P.ITimings = { first_token_s: 0.2, tokens_per_second: 18.5 };

/**
 * For every type, a fixture with its required fields only and one with
 * every field: a new required field in the schema fails the first, a field
 * the schema does not have fails the second.
 */
const FIXTURES: {
  [N in ModelName]: { minimal: IModels[N]; full: Required<IModels[N]> };
} = {
  CancelRequest: {
    minimal: { type: 'cancel', id: 'r1' },
    full: { type: 'cancel', id: 'r1' }
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
    minimal: { cell: 0, names: ['x'] },
    full: { cell: 1, names: ['normalize', 'df'] }
  },
  FixOutcome: {
    minimal: fixOutcome,
    full: { ...fixOutcome, cause: { cell: 0, names: ['x'] } }
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
      explanation: 'y is not defined; x is.'
    },
    full: {
      type: 'proposal',
      id: 'r1',
      round: 1,
      code: 'print(x)',
      explanation: ''
    }
  },
  Status: {
    minimal: status,
    full: { ...status, state: 'loading', progress: 0.5 }
  },
  StatusMessage: {
    minimal: { type: 'status', status },
    full: { type: 'status', status }
  },
  TaskOutcome: {
    minimal: taskOutcome,
    full: { ...taskOutcome, transcript: [] }
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
function withNulls(name: ModelName): unknown {
  const nulls = Object.fromEntries(
    Object.keys(NULLABLE[name]).map(key => [key, null])
  );
  return { ...FIXTURES[name].full, ...nulls };
}

/**
 * One fixture for each member of each literal union, with the model it is
 * checked against.
 */
function variants(): Array<[string, ModelName, unknown]> {
  const result: Array<[string, ModelName, unknown]> = [];
  for (const role of Object.keys(ROLES) as P.Role[]) {
    const turn: P.IChatMessage = { role, content: 'x' };
    result.push([`message from ${role}`, 'Message', turn]);
  }
  for (const source of Object.keys(MODEL_SOURCES) as P.ModelSource[]) {
    for (const state of Object.keys(MODEL_STATES) as P.ModelState[]) {
      const pushed: P.IStatus = { ...status, source, state };
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
function doneWithOutcomes(): P.IDoneMessage[] {
  return variants()
    .filter(([, model]) => model === 'FixOutcome' || model === 'TaskOutcome')
    .map(([, , outcome]) => ({
      ...FIXTURES.DoneMessage.minimal,
      outcome: outcome as P.Outcome
    }));
}

/* ------------------------------ the checks ------------------------------ */

/**
 * The schema as the contract reads it: an object with listed fields admits
 * no other field (pydantic ignores unknown fields; a field only one side
 * knows is drift all the same).
 */
function closed(node: Json): Json {
  if (Array.isArray(node)) {
    return node.map(closed);
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const copy: Json = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] = key === 'properties' ? mapValues(value, closed) : closed(value);
  }
  if (copy.type === 'object' && copy.properties) {
    copy.additionalProperties = false;
  }
  return copy;
}

function mapValues(record: Json, fn: (value: Json) => Json): Json {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key, fn(value)])
  );
}

const SCHEMA_ID = 'https://opencodeinterpreter-lab/protocol.schema.json';
const ajv = new Ajv2020({ allErrors: true, strict: true });
// OpenAPI's discriminator annotates the unions; `oneOf` checks them.
ajv.addKeyword('discriminator');
ajv.addSchema({ ...closed(schema), $id: SCHEMA_ID });

/**
 * The validation errors of `value` against `#/$defs/<name>`, or [] when it
 * is valid.
 */
function problems(name: string, value: unknown): string[] {
  const validate = ajv.compile({ $ref: `${SCHEMA_ID}#/$defs/${name}` });
  return validate(value)
    ? []
    : (validate.errors ?? []).map(
        e => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`
      );
}

/** The branches of a property's schema (`anyOf` for the nullable ones). */
function branches(property: Json): Json[] {
  return property.anyOf ?? [property];
}

/** The literal values of a property's schema, when it enumerates them. */
function literals(property: Json): string[] | null {
  for (const branch of branches(property)) {
    if (Array.isArray(branch.enum)) {
      return [...branch.enum].sort();
    }
    if (branch.const !== undefined) {
      return [branch.const];
    }
  }
  return null;
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe('the protocol contract (src/protocol.ts ↔ protocol.schema.json)', () => {
  it('has a TypeScript type for every model of the schema, and no other', () => {
    const models = Object.keys(defs).filter(name => !UNIONS.includes(name));
    expect(sorted(models)).toEqual(sorted(Object.keys(KEYS)));
    for (const union of UNIONS) {
      expect(defs[union]).toBeDefined();
    }
  });

  it.each(Object.keys(KEYS) as ModelName[])(
    '%s has the same fields, required and optional, on both sides',
    name => {
      const model = defs[name];
      const kinds: Record<string, string> = KEYS[name];
      expect(sorted(Object.keys(model.properties))).toEqual(
        sorted(Object.keys(kinds))
      );
      expect(sorted(model.required ?? [])).toEqual(
        sorted(Object.keys(kinds).filter(key => kinds[key] === 'required'))
      );
    }
  );

  it.each(Object.keys(NULLABLE) as ModelName[])(
    '%s has the same nullable fields on both sides',
    name => {
      const properties: Record<string, Json> = defs[name].properties;
      const nullable = Object.keys(properties).filter(key =>
        branches(properties[key]).some(branch => branch.type === 'null')
      );
      expect(sorted(nullable)).toEqual(sorted(Object.keys(NULLABLE[name])));
    }
  );

  it('has the same members in every literal union', () => {
    for (const [model, field, members] of ENUMS) {
      expect([model, field, literals(defs[model].properties[field])]).toEqual([
        model,
        field,
        sorted(Object.keys(members))
      ]);
    }
  });

  it('tells the messages and the outcomes apart by the same constants', () => {
    const mapping = (union: Json): Record<string, string> =>
      mapValues(union.discriminator.mapping, (ref: string) =>
        ref.replace('#/$defs/', '')
      );
    expect(defs.ClientMessage.discriminator.propertyName).toBe('type');
    expect(mapping(defs.ClientMessage)).toEqual(CLIENT_TYPES);
    expect(defs.ServerMessage.discriminator.propertyName).toBe('type');
    expect(mapping(defs.ServerMessage)).toEqual(SERVER_TYPES);
    const outcome = branches(defs.DoneMessage.properties.outcome).find(
      branch => branch.discriminator
    );
    expect(outcome.discriminator.propertyName).toBe('kind');
    expect(mapping(outcome)).toEqual(OUTCOME_KINDS);
    const constants: Array<[Record<string, ModelName>, string]> = [
      [CLIENT_TYPES, 'type'],
      [SERVER_TYPES, 'type'],
      [OUTCOME_KINDS, 'kind']
    ];
    for (const [table, field] of constants) {
      for (const [value, model] of Object.entries(table)) {
        expect([model, literals(defs[model].properties[field])]).toEqual([
          model,
          [value]
        ]);
      }
    }
  });

  it('covers every enumerated field of the schema', () => {
    const covered = new Set(ENUMS.map(([model, field]) => `${model}.${field}`));
    for (const table of [CLIENT_TYPES, SERVER_TYPES]) {
      for (const model of Object.values(table)) {
        covered.add(`${model}.type`);
      }
    }
    for (const model of Object.values(OUTCOME_KINDS)) {
      covered.add(`${model}.kind`);
    }
    const enumerated: string[] = [];
    for (const [model, def] of Object.entries(defs)) {
      for (const [field, property] of Object.entries<Json>(
        def.properties ?? {}
      )) {
        if (literals(property)) {
          enumerated.push(`${model}.${field}`);
        }
      }
    }
    expect(sorted(enumerated)).toEqual(sorted(covered));
  });

  it.each(Object.keys(FIXTURES) as ModelName[])(
    'validates the fixtures of %s (required fields only, every field, nulls)',
    name => {
      const { minimal, full } = FIXTURES[name];
      expect(problems(name, minimal)).toEqual([]);
      expect(problems(name, full)).toEqual([]);
      expect(problems(name, withNulls(name))).toEqual([]);
    }
  );

  it('validates every message as a member of its union', () => {
    for (const [type, name] of Object.entries(CLIENT_TYPES)) {
      for (const fixture of Object.values(FIXTURES[name])) {
        expect([type, problems('ClientMessage', fixture)]).toEqual([type, []]);
      }
    }
    for (const [type, name] of Object.entries(SERVER_TYPES)) {
      for (const fixture of Object.values(FIXTURES[name])) {
        expect([type, problems('ServerMessage', fixture)]).toEqual([type, []]);
      }
    }
  });

  it.each(variants())(
    'validates a fixture of each variant: %s',
    (_, model, value) => {
      expect(problems(model, value)).toEqual([]);
    }
  );

  it('validates a done with each outcome as a server message', () => {
    for (const done of doneWithOutcomes()) {
      expect([done.outcome?.status, problems('ServerMessage', done)]).toEqual([
        done.outcome?.status,
        []
      ]);
    }
  });

  it('rejects what the schema does not describe', () => {
    expect(
      problems('ServerMessage', {
        ...FIXTURES.DoneMessage.minimal,
        outcome: { ...taskOutcome, status: 'no_code' }
      })
    ).not.toEqual([]);
    expect(
      problems('ServerMessage', {
        ...FIXTURES.DoneMessage.minimal,
        outcome: { ...fixOutcome, kind: 'task' }
      })
    ).not.toEqual([]);
    expect(
      problems('ClientMessage', { ...FIXTURES.FixRequest.minimal, cells: [] })
    ).not.toEqual([]);
  });

  it('holds requests to the limits of the server', () => {
    const limited: Array<[ModelName, string]> = [
      ['ChatRequest', 'max_tokens'],
      ['ChatRequest', 'temperature'],
      ['FixRequest', 'max_rounds'],
      ['TaskRequest', 'max_rounds'],
      ['TaskRequest', 'max_tokens'],
      ['TaskRequest', 'temperature']
    ];
    for (const [name, field] of limited) {
      const { minimum, maximum } = limit(name, field);
      expect([name, field, Number.isFinite(minimum)]).toEqual([
        name,
        field,
        true
      ]);
      const request = FIXTURES[name].minimal;
      expect(problems(name, { ...request, [field]: maximum })).toEqual([]);
      for (const outside of [minimum - 1, maximum + 1]) {
        expect(problems(name, { ...request, [field]: outside })).not.toEqual(
          []
        );
      }
    }
  });

  it("bounds the panel's settings by the server's limits (schema/plugin.json)", () => {
    const plugin: Json = JSON.parse(
      fs.readFileSync(PLUGIN_SCHEMA_PATH, 'utf-8')
    );
    const settings: Array<[string, string, string]> = [
      ['maxTokens', 'ChatRequest', 'max_tokens'],
      ['maxTokens', 'TaskRequest', 'max_tokens'],
      ['temperature', 'ChatRequest', 'temperature'],
      ['temperature', 'TaskRequest', 'temperature'],
      ['fixRounds', 'FixRequest', 'max_rounds'],
      ['taskRounds', 'TaskRequest', 'max_rounds']
    ];
    for (const [setting, name, field] of settings) {
      const property = plugin.properties[setting];
      expect([setting, property.minimum, property.maximum]).toEqual([
        setting,
        limit(name, field).minimum,
        limit(name, field).maximum
      ]);
      // Unset means the server's default.
      expect([setting, property.default, property.type]).toEqual([
        setting,
        null,
        [numericType(defs[name].properties[field]), 'null']
      ]);
    }
  });

  it('builds requests the schema accepts, leaving unset options out', () => {
    const requests: P.ClientMessage[] = [
      chatRequest('r1', { messages: [message] }),
      chatRequest('r2', {
        messages: [message],
        maxTokens: null,
        temperature: null
      }),
      chatRequest('r3', { messages: [message], maxTokens: 64, temperature: 0 }),
      fixRequest('r4', {
        cell: { source: 'print(y)', outputs: [error] },
        maxRounds: null,
        kernelId: null,
        variables: null
      }),
      fixRequest('r5', {
        cell: { source: 'print(y)', outputs: [error] },
        context: ['x = 1'],
        variables: 'x: int = 1',
        language: 'python',
        maxRounds: 3,
        kernelId: 'k1'
      }),
      taskRequest('r6', {
        messages: [message],
        maxRounds: null,
        maxTokens: null,
        temperature: null
      }),
      taskRequest('r7', {
        messages: [message],
        maxRounds: 5,
        maxTokens: 512,
        temperature: 0.2,
        language: 'python'
      })
    ];
    for (const request of requests) {
      expect([request.id, problems('ClientMessage', request)]).toEqual([
        request.id,
        []
      ]);
    }
    expect(Object.keys(requests[1])).toEqual(['type', 'id', 'messages']);
    expect(Object.keys(requests[3])).toEqual(['type', 'id', 'cell']);
    expect(Object.keys(requests[5])).toEqual(['type', 'id', 'messages']);
    expect(requests[4]).toMatchObject({ kernel_id: 'k1', max_rounds: 3 });
  });

  it("accepts every server fixture in the client's own checks", () => {
    const server = Object.entries(SERVER_TYPES).flatMap(([, name]) =>
      Object.values(FIXTURES[name])
    );
    for (const msg of [...server, ...doneWithOutcomes()]) {
      expect(P.parseServerMessage(JSON.stringify(msg))).toEqual(msg);
    }
    for (const fix of Object.keys(FIX_STATUSES) as P.FixOutcomeStatus[]) {
      const outcome = { ...fixOutcome, status: fix };
      expect(P.isFixOutcome(outcome)).toBe(true);
      expect(P.isTaskOutcome(outcome)).toBe(false);
    }
    for (const task of Object.keys(TASK_STATUSES) as P.TaskOutcomeStatus[]) {
      const outcome = { ...taskOutcome, status: task };
      expect(P.isTaskOutcome(outcome)).toBe(true);
      expect(P.isFixOutcome(outcome)).toBe(false);
    }
    expect(P.isTaskOutcome({ ...taskOutcome, status: 'no_code' })).toBe(false);
    expect(P.isFixOutcome({ ...fixOutcome, kind: undefined })).toBe(false);
  });
});

/** The bounds of a numeric request field. */
function limit(
  name: string,
  field: string
): { minimum: number; maximum: number } {
  const numeric = branches(defs[name].properties[field]).find(
    branch => branch.type !== 'null'
  );
  return { minimum: numeric.minimum, maximum: numeric.maximum };
}

/** `integer` or `number`: the JSON type of a numeric request field. */
function numericType(property: Json): string {
  return branches(property).find(branch => branch.type !== 'null').type;
}
