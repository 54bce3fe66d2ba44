// JSON Schemas of every --json output, so scripts and CI can rely on their shape.
// Tests validate the real output of each command against these.
import { hashSchema } from './files.js';

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;

export const errorOutputSchema = {
  $id: 'rx/out/error.json',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'exitCode', 'message'],
      properties: { code: str, exitCode: { type: 'integer' }, message: str, hint: str, data: { type: 'object' } },
    },
  },
} as const;

export const initOutputSchema = {
  $id: 'rx/out/init.json',
  type: 'object',
  additionalProperties: false,
  required: ['root', 'createdGitRepo', 'created'],
  properties: {
    root: str,
    createdGitRepo: { type: 'boolean' },
    created: { type: 'array', items: str },
    template: { enum: ['empty', 'digits', 'fashion-mnist'] },
    tracked: { type: 'array', items: str },
  },
} as const;

const addedEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'pointer', 'type', 'hash', 'size', 'nfiles', 'changed', 'hashedFiles', 'newObjects'],
  properties: {
    path: str,
    pointer: str,
    type: { enum: ['file', 'dir'] },
    hash: hashSchema,
    size: int,
    nfiles: int,
    changed: { type: 'boolean' },
    hashedFiles: int,
    newObjects: int,
  },
} as const;

export const addOutputSchema = {
  $id: 'rx/out/add.json',
  type: 'object',
  additionalProperties: false,
  required: ['added'],
  properties: { added: { type: 'array', items: addedEntry } },
} as const;

export const checkoutOutputSchema = {
  $id: 'rx/out/checkout.json',
  type: 'object',
  additionalProperties: false,
  required: ['paths', 'unrestorable'],
  properties: {
    unrestorable: { type: 'array', items: str },
    paths: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'action', 'written', 'removed'],
        properties: {
          path: str,
          action: { enum: ['unchanged', 'restored', 'updated'] },
          written: int,
          removed: int,
        },
      },
    },
  },
} as const;

export const statusStates = ['unchanged', 'modified', 'missing-workspace', 'missing-store', 'untracked-ignored'] as const;

export const statusOutputSchema = {
  $id: 'rx/out/status.json',
  type: 'object',
  additionalProperties: false,
  required: ['clean', 'entries', 'stages'],
  properties: {
    clean: { type: 'boolean' },
    stages: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'state', 'reasons', 'changes'],
        properties: {
          name: str,
          state: { enum: ['up-to-date', 'changed', 'never-run', 'frozen'] },
          reasons: { type: 'array', items: str },
          changes: {
            type: 'object',
            additionalProperties: false,
            required: ['command', 'settings', 'deps', 'params', 'outs'],
            properties: {
              command: { type: 'boolean' },
              settings: { type: 'array', items: str },
              deps: { type: 'array', items: str },
              params: { type: 'array', items: str },
              outs: { type: 'array', items: str },
            },
          },
        },
      },
    },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'state'],
        properties: {
          path: str,
          pointer: str,
          state: { enum: statusStates },
          hash: hashSchema,
          changes: {
            type: 'object',
            additionalProperties: false,
            required: ['added', 'modified', 'deleted'],
            properties: {
              added: { type: 'array', items: str },
              modified: { type: 'array', items: str },
              deleted: { type: 'array', items: str },
            },
          },
          missingObjects: int,
        },
      },
    },
  },
} as const;

export const gcOutputSchema = {
  $id: 'rx/out/gc.json',
  type: 'object',
  additionalProperties: false,
  required: ['scopes', 'dry', 'kept', 'inFlight', 'removed', 'details', 'removedBytes', 'commitsScanned', 'runCacheEntriesRemoved'],
  properties: {
    scopes: { type: 'array', items: { enum: ['workspace', 'all-branches', 'all-tags', 'all-commits', 'all-experiments'] } },
    dry: { type: 'boolean' },
    kept: int,
    inFlight: int,
    removed: { type: 'array', items: hashSchema },
    details: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['hash', 'size', 'reason'], properties: { hash: hashSchema, size: int, reason: str } },
    },
    removedBytes: int,
    commitsScanned: int,
    runCacheEntriesRemoved: int,
  },
} as const;

export const fsckOutputSchema = {
  $id: 'rx/out/fsck.json',
  type: 'object',
  additionalProperties: false,
  required: ['checked', 'total', 'corrupt', 'missing', 'dangling', 'repaired'],
  properties: {
    checked: int,
    total: int,
    corrupt: { type: 'array', items: { type: 'object', required: ['hash', 'actual'], properties: { hash: hashSchema, actual: str } } },
    missing: { type: 'array', items: { type: 'object', required: ['hash', 'referencedBy'], properties: { hash: hashSchema, referencedBy: str } } },
    dangling: { type: 'array', items: { type: 'object', required: ['hash', 'reason'], properties: { hash: hashSchema, reason: str } } },
    repaired: { type: 'array', items: str },
  },
} as const;

const anyValue = {} as const;
const strArr = { type: 'array', items: str } as const;

const stageOutcome = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'action', 'reasons'],
  properties: {
    name: str,
    action: { enum: ['up-to-date', 'ran', 'restored', 'run-cache', 'failed', 'would-run', 'frozen', 'not-run'] },
    reasons: strArr,
    exitCode: { type: 'integer' },
    failedCommand: str,
    message: str,
  },
} as const;

export const reproOutputSchema = {
  $id: 'rx/out/repro.json',
  type: 'object',
  additionalProperties: false,
  required: ['stages', 'failed', 'recovered'],
  properties: { stages: { type: 'array', items: stageOutcome }, failed: strArr, recovered: strArr },
} as const;

const verdict = { enum: ['bitwise', 'within-tolerance', 'diverged'] } as const;

/** A command a commit's rx.yaml defines (after templating), in the order repro --rev runs them. */
const plannedCommand = {
  type: 'object',
  additionalProperties: false,
  required: ['stage', 'wdir', 'cmd'],
  properties: { stage: str, wdir: str, cmd: str },
} as const;

/** rx repro --dry --rev: what would run; nothing ran. */
export const revReproPlanOutputSchema = {
  $id: 'rx/out/repro-rev-dry.json',
  type: 'object',
  additionalProperties: false,
  required: ['rev', 'commit', 'dry', 'commands', 'frozen'],
  properties: {
    rev: str,
    commit: { type: 'string', pattern: '^[0-9a-f]{40}$' },
    dry: { const: true },
    commands: { type: 'array', items: plannedCommand },
    frozen: strArr,
  },
} as const;

export const revReproOutputSchema = {
  $id: 'rx/out/repro-rev.json',
  type: 'object',
  additionalProperties: false,
  required: ['rev', 'commit', 'commands', 'verdict', 'lockIdentical', 'envChanged', 'envDifferences', 'lockDifferences', 'reasons', 'stages', 'failed', 'run'],
  properties: {
    rev: str,
    commit: { type: 'string', pattern: '^[0-9a-f]{40}$' },
    commands: { type: 'array', items: plannedCommand },
    verdict,
    lockIdentical: { type: 'boolean' },
    envChanged: { type: 'boolean' },
    envDifferences: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['fact'],
        properties: { fact: str, expected: { type: ['string', 'boolean'] }, actual: { type: ['string', 'boolean'] } },
      },
    },
    lockDifferences: strArr,
    reasons: strArr,
    dir: str,
    failed: strArr,
    run: { type: 'array', items: stageOutcome },
    stages: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'verdict', 'outputs', 'metrics', 'reasons'],
        properties: {
          name: str,
          verdict,
          reasons: strArr,
          outputs: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['path', 'metric'], properties: { path: str, expected: hashSchema, actual: hashSchema, metric: { type: 'boolean' } } } },
          metrics: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['file', 'key', 'within'],
              properties: { file: str, key: str, expected: anyValue, actual: anyValue, tolerance: { type: 'number' }, within: { type: 'boolean' } },
            },
          },
        },
      },
    },
  },
} as const;

export const verifyOutputSchema = {
  $id: 'rx/out/verify.json',
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'stages', 'pointers', 'findings'],
  properties: {
    ok: { type: 'boolean' },
    stages: int,
    pointers: int,
    findings: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'file', 'message'],
        properties: { code: { type: 'string', pattern: '^RX_VERIFY_[A-Z_]+$' }, file: str, stage: str, path: str, message: str },
      },
    },
    rev: str,
    commit: { type: 'string', pattern: '^[0-9a-f]{40}$' },
  },
} as const;

const valueRow = {
  type: 'object',
  additionalProperties: false,
  required: ['file', 'key', 'change'],
  properties: { file: str, key: str, old: anyValue, new: anyValue, change: { enum: ['added', 'removed', 'modified', 'unchanged'] }, delta: { type: 'number' } },
} as const;

export const valueDiffOutputSchema = {
  $id: 'rx/out/value-diff.json',
  type: 'object',
  additionalProperties: false,
  required: ['a', 'b', 'rows'],
  properties: { a: str, b: str, rows: { type: 'array', items: valueRow } },
} as const;

export const metricsShowOutputSchema = {
  $id: 'rx/out/metrics-show.json',
  type: 'object',
  additionalProperties: false,
  required: ['revision', 'metrics'],
  properties: {
    revision: str,
    metrics: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['file', 'key', 'value'], properties: { file: str, key: str, value: anyValue } } },
  },
} as const;

export const dagOutputSchema = {
  $id: 'rx/out/dag.json',
  type: 'object',
  additionalProperties: false,
  required: ['stages', 'edges'],
  properties: {
    stages: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'cmd', 'deps', 'outs', 'frozen'],
        properties: { name: str, cmd: { anyOf: [str, strArr] }, deps: strArr, outs: strArr, frozen: { type: 'boolean' } },
      },
    },
    edges: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: str, to: str } } },
  },
} as const;

const sizes = { type: 'object', additionalProperties: false, required: ['size', 'nfiles', 'hash'], properties: { size: int, nfiles: int, hash: hashSchema } } as const;

export const diffOutputSchema = {
  $id: 'rx/out/diff.json',
  type: 'object',
  additionalProperties: false,
  required: ['a', 'b', 'params', 'metrics', 'stages', 'data', 'ml', 'changed'],
  properties: {
    a: str,
    b: str,
    changed: { type: 'boolean' },
    params: { type: 'array', items: valueRow },
    metrics: { type: 'array', items: valueRow },
    stages: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['name', 'change', 'reasons'], properties: { name: str, change: { enum: ['added', 'removed', 'modified'] }, reasons: strArr } },
    },
    data: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'change'],
        properties: {
          path: str,
          change: { enum: ['added', 'removed', 'modified'] },
          before: sizes,
          after: sizes,
          files: { type: 'object', additionalProperties: false, required: ['added', 'removed', 'modified'], properties: { added: strArr, removed: strArr, modified: strArr } },
        },
      },
    },
    ml: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'kind', 'change', 'lines'],
        properties: { path: str, kind: { enum: ['augment', 'model', 'data-spec', 'manifest'] }, change: { enum: ['added', 'removed', 'modified'] }, lines: strArr },
      },
    },
  },
} as const;

const expInfo = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'ref', 'commit', 'baseline', 'timestamp', 'message', 'overrides'],
  properties: { name: str, ref: str, commit: str, baseline: str, timestamp: int, message: str, overrides: strArr },
} as const;

export const expRunOutputSchema = {
  $id: 'rx/out/exp-run.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'ref', 'commit', 'baseline', 'overrides', 'stages', 'failed'],
  properties: { name: str, ref: str, commit: str, baseline: str, overrides: strArr, stages: { type: 'array', items: stageOutcome }, failed: strArr },
} as const;

const num = { type: 'number' } as const;
const interval = { type: 'object', additionalProperties: false, required: ['low', 'high'], properties: { low: num, high: num } } as const;
const bootstrapResult = {
  type: 'object',
  additionalProperties: false,
  required: ['estimate', 'percentile', 'bca', 'level', 'resamples', 'seed'],
  properties: { estimate: num, percentile: interval, bca: interval, level: num, resamples: int, seed: int },
} as const;
/** search/stats.ts describe(): n, mean and IQM with their bootstrap intervals, sample sd. */
const seedStats = { type: 'object', additionalProperties: false, required: ['n', 'mean', 'iqm', 'sd'], properties: { n: int, mean: bootstrapResult, iqm: bootstrapResult, sd: num } } as const;
/** One metric of a seed group: its values by ascending seed, and describe() of them. */
const seedMetric = {
  type: 'object',
  additionalProperties: false,
  required: ['seeds', 'values', 'stats'],
  properties: { seeds: { type: 'array', items: int }, values: { type: 'array', items: num }, stats: seedStats },
} as const;
const seedSummary = { type: 'object', additionalProperties: seedMetric } as const;

export const expRunSeedsOutputSchema = {
  $id: 'rx/out/exp-run-seeds.json',
  type: 'object',
  additionalProperties: false,
  required: ['group', 'baseline', 'overrides', 'seeds', 'failedSeeds', 'statsSeed', 'summary'],
  properties: {
    group: str,
    baseline: str,
    overrides: strArr,
    seeds: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['seed', 'name', 'ref', 'commit', 'stages', 'failed', 'metrics'],
        properties: { seed: int, name: str, ref: str, commit: str, stages: { type: 'array', items: stageOutcome }, failed: strArr, metrics: { type: 'object' }, log: str },
      },
    },
    failedSeeds: { type: 'array', items: int },
    statsSeed: int,
    summary: seedSummary,
  },
} as const;

export const expListOutputSchema = {
  $id: 'rx/out/exp-list.json',
  type: 'object',
  additionalProperties: false,
  required: ['experiments'],
  properties: { baseline: str, experiments: { type: 'array', items: expInfo } },
} as const;

export const expShowOutputSchema = {
  $id: 'rx/out/exp-show.json',
  type: 'object',
  additionalProperties: false,
  required: ['rows', 'groups'],
  properties: {
    rows: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'commit', 'baseline', 'params', 'metrics'],
        properties: { name: str, commit: str, baseline: str, params: { type: 'object' }, metrics: { type: 'object' } },
      },
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'baseline', 'statsSeed', 'experiments', 'params', 'metrics'],
        properties: {
          name: str,
          baseline: str,
          statsSeed: int,
          experiments: {
            type: 'array',
            items: { type: 'object', additionalProperties: false, required: ['seed', 'name', 'commit', 'metrics'], properties: { seed: int, name: str, commit: str, metrics: { type: 'object' } } },
          },
          params: { type: 'object' },
          metrics: seedSummary,
        },
      },
    },
  },
} as const;

const valueDiff = { type: 'object', additionalProperties: false, required: ['a', 'b', 'rows'], properties: { a: str, b: str, rows: { type: 'array', items: valueRow } } } as const;

export const expDiffOutputSchema = {
  $id: 'rx/out/exp-diff.json',
  type: 'object',
  additionalProperties: false,
  required: ['a', 'b', 'params', 'metrics'],
  properties: { a: str, b: str, params: valueDiff, metrics: valueDiff },
} as const;

export const logOutputSchema = {
  $id: 'rx/out/log.json',
  type: 'object',
  additionalProperties: false,
  required: ['entries'],
  properties: {
    entries: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['commit', 'timestamp', 'author', 'subject', 'metrics'], properties: { commit: str, timestamp: int, author: str, subject: str, metrics: { type: 'object' } } },
    },
  },
} as const;

export const installHooksOutputSchema = {
  $id: 'rx/out/install-hooks.json',
  type: 'object',
  additionalProperties: false,
  required: ['gitattributes', 'config', 'hooks', 'skipped'],
  properties: { gitattributes: str, config: strArr, hooks: strArr, skipped: strArr },
} as const;

const locatedProblem = {
  type: 'object',
  additionalProperties: false,
  required: ['file', 'message'],
  properties: { file: str, line: int, column: int, field: str, message: str },
} as const;

export const migrateDvcOutputSchema = {
  $id: 'rx/out/migrate-dvc.json',
  type: 'object',
  additionalProperties: false,
  required: ['root', 'source', 'target', 'dry', 'written', 'initialised', 'stages', 'warnings', 'problems', 'text'],
  properties: {
    root: str,
    source: str,
    target: str,
    dry: { type: 'boolean' },
    written: { type: 'boolean' },
    initialised: { type: 'boolean' },
    stages: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['dvc', 'rx'], properties: { dvc: str, rx: { type: 'array', items: str } } },
    },
    warnings: {
      type: 'array',
      items: { ...locatedProblem, required: ['code', 'file', 'message'], properties: { ...locatedProblem.properties, code: str } },
    },
    problems: { type: 'array', items: locatedProblem },
    text: str,
  },
} as const;
