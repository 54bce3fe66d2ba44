// JSON Schema of the search spec (`search/*.yaml`, schema: rx.search/1). The schema checks
// shapes; bounds, priors against bounds, conditions, cycles and the budget of phases are
// checked with locations in src/search/spec.ts, and the paths into the project in targets.ts.

const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
const seedInt = { type: 'integer', minimum: 0, maximum: 9007199254740991 } as const;
const posInt = { type: 'integer', minimum: 1 } as const;
const scalar = { type: ['string', 'number', 'boolean'] } as const;

/** `file:dotted.key` into a project file. */
const targetPath = { type: 'string', pattern: '^[^:]+:[^:]+$', description: 'a path FILE:KEY, e.g. params.yaml:train.lr' } as const;

const methodName = { enum: ['grid', 'random', 'qmc', 'tpe', 'gp', 'auto'] } as const;

/** One of `normal: {mean, sd}` or `lognormal: {mu, sigma}` (one mapping, so errors point inside it). */
const numericPrior = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    normal: { type: 'object', additionalProperties: false, required: ['mean', 'sd'], properties: { mean: num, sd: { type: 'number', exclusiveMinimum: 0 } } },
    lognormal: { type: 'object', additionalProperties: false, required: ['mu', 'sigma'], properties: { mu: num, sigma: { type: 'number', exclusiveMinimum: 0 } } },
  },
} as const;

const when = {
  type: 'object',
  minProperties: 1,
  additionalProperties: { oneOf: [scalar, { type: 'array', minItems: 1, items: scalar }] },
} as const;

const common = { path: targetPath, description: str, when } as const;

const floatParam = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'type', 'low', 'high'],
  properties: {
    ...common,
    type: { const: 'float' },
    low: num,
    high: num,
    log: { type: 'boolean' },
    step: { type: 'number', exclusiveMinimum: 0 },
    prior: numericPrior,
    grid: { type: 'array', minItems: 1, items: num },
  },
} as const;

const intParam = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'type', 'low', 'high'],
  properties: {
    ...common,
    type: { const: 'int' },
    low: { type: 'integer' },
    high: { type: 'integer' },
    log: { type: 'boolean' },
    step: posInt,
    prior: numericPrior,
    grid: { type: 'array', minItems: 1, items: { type: 'integer' } },
  },
} as const;

const categoricalParam = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'type', 'choices'],
  properties: {
    ...common,
    type: { const: 'categorical' },
    choices: { type: 'array', minItems: 1, items: scalar },
    prior: {
      type: 'object',
      additionalProperties: false,
      required: ['weights'],
      properties: {
        weights: {
          oneOf: [
            { type: 'array', minItems: 1, items: { type: 'number', minimum: 0 }, description: 'a list of weights, one per choice' },
            { type: 'object', minProperties: 1, additionalProperties: { type: 'number', minimum: 0 }, description: 'a mapping choice: weight' },
          ],
        },
      },
    },
  },
} as const;

const simplexParam = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'type', 'over'],
  properties: {
    ...common,
    type: { const: 'simplex' },
    over: { type: 'array', minItems: 2, items: { type: 'string', minLength: 1 } },
    prior: {
      type: 'object',
      additionalProperties: false,
      required: ['dirichlet'],
      properties: { dirichlet: { type: 'array', minItems: 2, items: { type: 'number', exclusiveMinimum: 0 } } },
    },
    total: posInt,
  },
} as const;

const phase = {
  type: 'object',
  additionalProperties: false,
  required: ['method'],
  properties: {
    method: methodName,
    trials: posInt,
    options: { type: 'object' },
    refine: {
      type: 'object',
      additionalProperties: false,
      required: ['shrink'],
      properties: { shrink: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } },
    },
    /** Accepted only when equal to the search's `seeds`: configurations are compared seed by seed. */
    seeds: { type: 'array', minItems: 1, items: seedInt },
  },
} as const;

const duration = {
  oneOf: [
    { type: 'number', exclusiveMinimum: 0, description: 'seconds' },
    { type: 'string', pattern: '^(?=\\d)(\\d+(\\.\\d+)?d)?(\\d+(\\.\\d+)?h)?(\\d+(\\.\\d+)?m)?(\\d+(\\.\\d+)?s)?$', description: 'a duration such as "2h", "30m", "1h30m", "90s"' },
  ],
} as const;

export const searchSpecSchema = {
  $id: 'rx/search.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'objective', 'seed', 'seeds', 'budget', 'space'],
  properties: {
    schema: { const: 'rx.search/1' },
    description: str,
    objective: {
      type: 'object',
      additionalProperties: false,
      required: ['metric', 'direction'],
      properties: {
        metric: { type: 'string', pattern: '^[^:]+:[^:]+$', description: 'a metric FILE:KEY, e.g. metrics.json:val_accuracy' },
        direction: { enum: ['maximize', 'minimize'] },
      },
    },
    seed: seedInt,
    seeds: { type: 'array', minItems: 1, items: seedInt },
    parallel: posInt,
    budget: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        trials: posInt,
        time: { ...duration, description: 'wall time over every run of the search' },
        cpu: { ...duration, description: 'CPU time of the search and its runs (user + system), over every run of the search' },
      },
    },
    stop: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { no_improvement: posInt, target: num },
    },
    /** Racing: near-top contenders get one more seed at a time, up to max_seeds, until paired tests settle the winner. */
    racing: {
      type: 'object',
      additionalProperties: false,
      properties: { max_seeds: posInt, alpha: num, top: { type: 'integer', minimum: 2, description: 'contenders kept after the first decision, the incumbent included (default 4)' } },
    },
    /** Multi-fidelity pruning over a per-epoch metric. */
    pruning: {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'min', 'max'],
      properties: {
        method: { enum: ['asha', 'hyperband'] },
        resource: { enum: ['epochs'], description: 'what the rungs count (epochs reported per epoch by the training stage)' },
        min: num,
        max: num,
        eta: num,
        metric: { type: 'string', minLength: 1, description: 'the per-epoch key (default: the objective key)' },
        bootstrap: { enum: ['promote', 'best'], description: 'the first eta - 1 runs at a rung: all go on (promote, the default), or only one at least as good as every earlier run (best, as Optuna)' },
      },
    },
    method: methodName,
    /** Sampler options of a single-method search (with `phases:`, each phase has its own). */
    options: { type: 'object' },
    phases: { type: 'array', minItems: 1, items: phase },
    space: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['path', 'type'],
        properties: { type: { enum: ['float', 'int', 'categorical', 'simplex'] } },
        allOf: [
          { if: { properties: { type: { const: 'float' } } }, then: floatParam },
          { if: { properties: { type: { const: 'int' } } }, then: intParam },
          { if: { properties: { type: { const: 'categorical' } } }, then: categoricalParam },
          { if: { properties: { type: { const: 'simplex' } } }, then: simplexParam },
        ],
      },
    },
  },
} as const;
