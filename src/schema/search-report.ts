// The JSON Schema of `rx search report --json` (rx.search-report/1): what a chart or a CI
// check may rely on. Numbers are finite; intervals are {low, high}.
const num = { type: 'number' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const interval = { type: 'object', additionalProperties: false, required: ['low', 'high'], properties: { low: num, high: num } } as const;
const bootstrap = {
  type: 'object',
  required: ['estimate', 'percentile', 'bca', 'level', 'resamples', 'seed'],
  properties: { estimate: num, percentile: interval, bca: interval, level: num, resamples: { type: 'integer', minimum: 2000 }, seed: num },
} as const;
const seedStats = { type: 'object', required: ['n', 'mean', 'iqm', 'sd'], properties: { n: int, mean: bootstrap, iqm: bootstrap, sd: num } } as const;
const config = { type: 'object' } as const;
const family = { enum: ['architecture', 'data', 'augmentation', 'training', 'other'] } as const;

export const searchReportSchema = {
  $id: 'rx/search-report.json',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'search', 'baseline', 'objective', 'seeds', 'finished', 'counts', 'stop', 'winner', 'nearTop', 'racing', 'importance', 'interactions', 'sensitivity', 'curve', 'prunes', 'failures'],
  properties: {
    format: { const: 'rx.search-report/1' },
    search: { type: 'string' },
    baseline: { type: 'string', pattern: '^[0-9a-f]{40}$' },
    objective: { type: 'object', required: ['metric', 'direction'], properties: { metric: { type: 'string' }, direction: { enum: ['maximize', 'minimize'] } } },
    seeds: { type: 'array', items: int },
    finished: { type: 'boolean' },
    counts: { type: 'object', required: ['trials', 'complete', 'failed', 'pruned', 'pending'], properties: { trials: int, complete: int, failed: int, pruned: int, incomplete: int, pending: int } },
    stop: { oneOf: [{ type: 'null' }, { type: 'object', required: ['reason', 'values'], properties: { reason: { type: 'string' }, values: { type: 'object' } } }] },
    winner: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['trial', 'config', 'seeds', 'values', 'stats', 'refs', 'reproduce'],
          properties: {
            trial: int,
            config,
            seeds: { type: 'array', items: int, minItems: 1 },
            values: { type: 'array', items: num, minItems: 1 },
            stats: seedStats,
            refs: { type: 'object', additionalProperties: { type: 'string' } },
            reproduce: { type: 'object', required: ['commands', 'ref'], properties: { commands: { type: 'array', items: { type: 'string' } }, ref: { type: 'string', pattern: '^refs/rx/exps/' } } },
          },
        },
      ],
    },
    nearTop: {
      type: 'object',
      required: ['alpha', 'rows', 'rejected'],
      properties: {
        alpha: num,
        rejected: { type: 'array', items: int },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            required: ['trial', 'config', 'seeds', 'mean', 'interval', 'difference', 'probabilityOfImprovement', 'differs'],
            properties: {
              trial: int,
              config,
              seeds: { type: 'array', items: int },
              mean: num,
              interval,
              difference: { type: 'object', required: ['mean', 'interval', 'p', 'adjusted'], properties: { mean: num, interval, p: { type: 'number', minimum: 0, maximum: 1 }, adjusted: { type: 'number', minimum: 0, maximum: 1 } } },
              probabilityOfImprovement: { type: 'number', minimum: 0, maximum: 1 },
              differs: { type: 'object' },
            },
          },
        },
      },
    },
    racing: { oneOf: [{ type: 'null' }, { type: 'object', required: ['rounds', 'decisions'], properties: { rounds: int, decisions: {
              type: 'array',
              items: {
                type: 'object',
                required: ['type', 'round', 'seeds', 'incumbent', 'tests', 'next', 'reason'],
                properties: {
                  type: { const: 'race' },
                  round: int,
                  seeds: { type: 'array', items: int },
                  incumbent: { type: 'object', required: ['trial', 'mean'], properties: { trial: int, mean: num } },
                  tests: { type: 'array', items: { type: 'object', required: ['trial', 'p', 'adjusted', 'dropped'], properties: { trial: int, p: num, adjusted: num, dropped: { type: 'boolean' } } } },
                  next: { type: ['integer', 'null'] },
                  reason: { enum: ['racing', 'settled', 'max-seeds', 'budget'] },
                  spent: { enum: ['time', 'cpu'] },
                  unsettled: { type: 'array', items: int },
                },
              },
            } } }] },
    importance: {
      type: 'array',
      items: { type: 'object', required: ['param', 'family', 'importance', 'interval', 'normalized'], properties: { param: { type: 'string' }, family, importance: { type: 'number', minimum: 0 }, interval, normalized: num } },
    },
    interactions: {
      type: 'array',
      items: { type: 'object', required: ['a', 'b', 'families', 'strength', 'interval'], properties: { a: { type: 'string' }, b: { type: 'string' }, families: { type: 'array', items: family, minItems: 2, maxItems: 2 }, strength: { type: 'number', minimum: 0 }, interval } },
    },
    sensitivity: {
      type: 'array',
      items: {
        type: 'object',
        required: ['param', 'family', 'points', 'range'],
        properties: { param: { type: 'string' }, family, range: num, points: { type: 'array', items: { type: 'object', required: ['value', 'objective', 'trial'], properties: { value: { type: ['number', 'string'] }, objective: num, trial: int } } } },
      },
    },
    curve: {
      type: 'object',
      required: ['trials', 'values', 'best', 'random'],
      properties: { trials: { type: 'array', items: int }, values: { type: 'array', items: { type: ['number', 'null'] } }, best: { type: 'array', items: { type: ['number', 'null'] } }, random: { type: 'array', items: num } },
    },
    prunes: { type: 'array', items: { type: 'object', required: ['trial', 'step', 'value', 'seeds'], properties: { trial: int, step: int, value: num, seeds: { type: 'object' } } } },
    failures: { type: 'array', items: { type: 'object', required: ['trial', 'seed'], properties: { trial: int, seed: int, exitCode: { type: 'integer' }, error: { type: 'string' }, log: { type: 'string' } } } },
  },
} as const;
