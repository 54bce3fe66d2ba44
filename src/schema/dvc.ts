// JSON Schema of DVC's dvc.yaml as `rx migrate dvc` reads it: the shapes DVC itself
// requires, loosely (keys rx does not know are the converter's to report, not errors here).
const str = { type: 'string' } as const;
const pathEntry = { anyOf: [{ type: 'string', description: 'a path' }, { type: 'object', description: 'a mapping {PATH: {settings}}' }] } as const;

const stageBody = {
  cmd: { anyOf: [{ type: 'string', description: 'a command' }, { type: 'array', description: 'a list of commands', items: str }] },
  wdir: str,
  deps: { type: 'array', items: str },
  params: { type: 'array', items: { anyOf: [{ type: 'string', description: 'a key of params.yaml' }, { type: 'object', description: 'a mapping {FILE: [KEY, ...]}' }] } },
  outs: { type: 'array', items: pathEntry },
  metrics: { type: 'array', items: pathEntry },
  plots: { type: 'array', items: pathEntry },
  frozen: { type: 'boolean' },
  always_changed: { type: 'boolean' },
  desc: str,
  vars: { type: ['array', 'object'] },
  matrix: { type: 'object' },
} as const;

export const dvcPipelineSchema = {
  $id: 'rx/dvc-pipeline.json',
  type: 'object',
  properties: {
    stages: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        if: { properties: { foreach: true }, required: ['foreach'] },
        then: { required: ['do'], properties: { foreach: { type: ['array', 'object', 'string'] }, do: { type: 'object', required: ['cmd'], properties: stageBody } } },
        else: { required: ['cmd'], properties: stageBody },
      },
    },
    vars: { type: ['array', 'object'] },
    params: { type: 'array', items: str },
    metrics: { type: 'array', items: str },
    plots: { type: ['array', 'object'] },
    artifacts: { type: 'object' },
  },
} as const;
