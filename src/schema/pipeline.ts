// JSON Schemas of rx.yaml (the pipeline a person writes) and rx.lock (what rx records).
import { hashSchema } from './files.js';

const stageName = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
const nonEmpty = { type: 'string', minLength: 1 } as const;

/**
 * An output entry: a path, rx's mapping {path: PATH, ...flags}, or DVC's {PATH: {...flags}}
 * (several paths in one mapping, as DVC allows). A mapping with a string `path` is rx's form;
 * any other mapping is DVC's, so each form's own problems are reported, not both.
 */
function outputEntry(flags: Record<string, object>, what: string) {
  const names = Object.keys(flags).join(', ');
  return {
    anyOf: [
      { ...nonEmpty, description: 'a path string' },
      {
        type: 'object',
        description: `a mapping {PATH: {${names}}} (DVC's form) or {path: PATH, ${names}}`,
        if: { required: ['path'], properties: { path: { type: 'string' } } },
        then: { additionalProperties: false, required: ['path'], properties: { path: nonEmpty, ...flags } },
        else: {
          minProperties: 1,
          propertyNames: nonEmpty,
          // `- PATH:` with nothing after it is PATH with no settings.
          additionalProperties: { type: ['object', 'null'], description: `the ${what}'s settings {${names}}`, additionalProperties: false, properties: flags },
        },
      },
    ],
  } as const;
}

const bool = { type: 'boolean' } as const;
// DVC's output keys rx has equivalents for; the others (remote, push, type, labels, meta,
// checkpoint, template, x_label, y_label, header) are refused where they are written.
const outEntry = outputEntry({ cache: bool, persist: bool, desc: { type: 'string' } }, 'output');
const metricEntry = outputEntry(
  { cache: bool, persist: bool, desc: { type: 'string' }, tolerance: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } } },
  'metric',
);
const plotEntry = outputEntry(
  {
    cache: bool,
    persist: bool,
    desc: { type: 'string' },
    x: nonEmpty,
    y: { anyOf: [nonEmpty, { type: 'array', items: nonEmpty }] },
    title: { type: 'string' },
  },
  'plot',
);

const paramEntry = {
  anyOf: [
    { ...nonEmpty, description: 'a key of params.yaml' },
    {
      type: 'object',
      description: 'a mapping {FILE: [KEY, ...]} (or {FILE: null} for the whole file)',
      minProperties: 1,
      additionalProperties: { anyOf: [{ type: 'null' }, { type: 'array', items: nonEmpty }] },
    },
  ],
} as const;

const stageBody = {
  cmd: { anyOf: [nonEmpty, { type: 'array', minItems: 1, items: nonEmpty }] },
  wdir: nonEmpty,
  deps: { type: 'array', items: nonEmpty },
  params: { type: 'array', items: paramEntry },
  outs: { type: 'array', items: outEntry },
  metrics: { type: 'array', items: metricEntry },
  plots: { type: 'array', items: plotEntry },
  desc: { type: 'string' },
  frozen: { type: 'boolean' },
  always_changed: { type: 'boolean' },
  env: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  seeds: { type: 'object', additionalProperties: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
} as const;

const plainStage = {
  type: 'object',
  additionalProperties: false,
  required: ['cmd'],
  properties: stageBody,
} as const;

const matrixStage = {
  type: 'object',
  additionalProperties: false,
  required: ['cmd', 'matrix'],
  properties: {
    ...stageBody,
    matrix: { anyOf: [{ type: 'object', minProperties: 1, additionalProperties: { anyOf: [{ type: 'array', minItems: 1 }, nonEmpty] } }] },
  },
} as const;

const foreachStage = {
  type: 'object',
  additionalProperties: false,
  required: ['foreach', 'do'],
  properties: {
    foreach: { anyOf: [{ type: 'array', minItems: 1 }, { type: 'object', minProperties: 1 }, nonEmpty] },
    do: plainStage,
  },
} as const;

export const pipelineSchema = {
  $id: 'rx/pipeline.json',
  type: 'object',
  additionalProperties: false,
  // schema: may be left out (the current version is assumed); rx init and migrate write it.
  required: ['stages'],
  properties: {
    schema: { const: 1 },
    vars: { type: 'object' },
    stages: {
      type: 'object',
      propertyNames: { pattern: stageName },
      additionalProperties: {
        type: 'object',
        // Exactly one of the three shapes, told apart by their keys so errors are precise.
        if: { properties: { foreach: true }, required: ['foreach'] },
        then: foreachStage,
        else: { if: { properties: { matrix: true }, required: ['matrix'] }, then: matrixStage, else: plainStage },
      },
    },
  },
} as const;

const lockFile = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'hash', 'size', 'nfiles'],
  properties: {
    path: nonEmpty,
    type: { const: 'dir' },
    hash: hashSchema,
    size: { type: 'integer', minimum: 0 },
    nfiles: { type: 'integer', minimum: 0 },
  },
} as const;

export const lockStageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cmd'],
  properties: {
    cmd: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    wdir: nonEmpty,
    deps: { type: 'array', items: lockFile },
    params: { type: 'object', additionalProperties: { type: 'object' } },
    outs: { type: 'array', items: lockFile },
    seeds: { type: 'object', additionalProperties: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    // Only what rx itself sets for a run: a lock from an untrusted commit cannot hand a re-execution
    // (rx repro --rev) other variables (LD_PRELOAD, NODE_OPTIONS, ...).
    run_env: {
      type: 'object',
      additionalProperties: false,
      properties: { RX_SEED: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$', description: 'the replication seed rx exp run --seeds or rx search set' } },
    },
  },
} as const;

export const lockSchema = {
  $id: 'rx/lock.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'stages'],
  properties: {
    schema: { const: 1 },
    env: {
      type: 'object',
      additionalProperties: false,
      required: ['rx', 'node', 'platform', 'arch'],
      properties: {
        rx: nonEmpty,
        node: nonEmpty,
        platform: nonEmpty,
        arch: nonEmpty,
        npm_lock: hashSchema,
        tfjs_backend: nonEmpty,
        tfjs_simd: { type: 'boolean' },
      },
    },
    stages: { type: 'object', additionalProperties: lockStageSchema },
  },
} as const;
