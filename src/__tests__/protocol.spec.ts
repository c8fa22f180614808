/// <reference types="node" />
/**
 * The protocol contract: the TypeScript types of src/protocol.ts against the
 * JSON Schema the server generates from its pydantic models and checks in
 * (opencodeinterpreter_lab/protocol.schema.json). Every model of the schema
 * has a TypeScript type with the same fields (required where it is required,
 * nullable where it is nullable), every literal union has the same members,
 * and typed fixtures of every message and every variant validate. The tables
 * (protocol.tables.ts) are typed so that a change on the TypeScript side does
 * not compile until they follow it, and compared here with the schema so that
 * a change on the server's side fails: either way one side alone cannot
 * drift. The request limits are read from the schema, never restated.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';

import { chatRequest, fixRequest, taskRequest } from '../api/requests';
import * as P from '../protocol';
import {
  CLIENT_TYPES,
  ENUMS,
  FIXTURES,
  FIX_STATUSES,
  KEYS,
  ModelName,
  NULLABLE,
  OUTCOME_KINDS,
  SERVER_TYPES,
  TASK_STATUSES,
  UNIONS,
  doneWithOutcomes,
  error,
  fixOutcome,
  message,
  taskOutcome,
  variants,
  withNulls
} from './protocol.tables';

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
      ['FixRequest', 'candidates'],
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
      ['fixCandidates', 'FixRequest', 'candidates'],
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
