// JSON Schemas of the data domain: the data spec (data/*.yaml, `schema: rx.data/1`), the
// manifest it builds into (`schema: rx.manifest/1`) and the --json outputs of
// `rx data build|show|diff|audit`. Semantic rules a schema cannot say (fractions summing to
// 1, `from` naming a source, generator cycles, budgets within what a source holds) live in
// src/data/spec.ts and src/data/resolve.ts, as do the fields a source's kind or a read
// format requires, and report located problems the same way.

const str = { type: 'string' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const int = { type: 'integer', minimum: 0 } as const;
const posInt = { type: 'integer', minimum: 1 } as const;
const seed = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;
const unit = { type: 'number', minimum: 0, maximum: 1 } as const;
const splitName = { enum: ['train', 'val', 'test'] } as const;
const sha256Hex = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const rowsSlice = { type: 'string', pattern: '^\\d*:\\d*$' } as const;

const provenance = {
  type: 'object',
  additionalProperties: false,
  properties: {
    origin: nonEmpty,
    licence: nonEmpty,
    collected: { anyOf: [nonEmpty, { type: 'integer' }] },
    description: str,
    authors: str,
    citation: str,
    notes: str,
  },
} as const;

const readSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    format: { enum: ['digits-csv', 'idx', 'png-dir'] },
    /** digits-csv: the CSV (gzip or not); png-dir: the directory. */
    path: nonEmpty,
    /** Slice of the samples as read, Python style `start:end` (end exclusive). */
    rows: rowsSlice,
    /** idx: the image and label files (gzip or not). */
    images: nonEmpty,
    labels: nonEmpty,
    /** Class names in label order (idx); png-dir: `labels` is `folders` or a CSV file. */
    classes: { type: 'array', minItems: 1, uniqueItems: true, items: nonEmpty },
    /** png-dir: 1 (greyscale) or 3 (RGB); default 1 when every image is greyscale. */
    channels: { enum: [1, 3] },
  },
} as const;

const preprocessStep = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  properties: {
    'label-noise': {
      type: 'object',
      additionalProperties: false,
      required: ['rate'],
      properties: { rate: unit, seed },
    },
    normalise: {
      type: 'object',
      additionalProperties: false,
      required: ['max'],
      properties: { max: { type: 'integer', minimum: 1, maximum: 255 } },
    },
    resize: {
      type: 'object',
      additionalProperties: false,
      required: ['height', 'width'],
      properties: { height: { type: 'integer', minimum: 1, maximum: 4096 }, width: { type: 'integer', minimum: 1, maximum: 4096 } },
    },
  },
} as const;

const generatorSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'method'],
  properties: {
    from: nonEmpty,
    method: { enum: ['shifted-copies'] },
    copies: { type: 'integer', minimum: 1, maximum: 64 },
    seed,
    /** Largest translation in pixels (each axis); default 1. */
    maxShift: { type: 'integer', minimum: 0, maximum: 16 },
    /** Largest rotation in degrees (either way); default 0. */
    maxRotate: { type: 'number', minimum: 0, maximum: 45 },
  },
} as const;

const budgetSpec = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { count: int, fraction: unit },
} as const;

const sourceSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { enum: ['real', 'synthetic'] },
    description: str,
    provenance,
    read: readSpec,
    generator: generatorSpec,
    preprocess: { type: 'array', items: preprocessStep },
    budget: budgetSpec,
    split: splitName,
  },
} as const;

export const dataSpecSchema = {
  $id: 'rx/data-spec.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'sources', 'split'],
  properties: {
    schema: { const: 'rx.data/1' },
    description: str,
    /** Seed of the per-class selection ranks (default 0). */
    seed,
    total: posInt,
    /** Class names in label order; default: the union of the sources' classes. */
    classes: { type: 'array', minItems: 1, uniqueItems: true, items: nonEmpty },
    stratify: { type: 'array', uniqueItems: true, items: { enum: ['label'] } },
    split: {
      type: 'object',
      additionalProperties: false,
      required: ['seed', 'fractions'],
      properties: {
        seed,
        fractions: {
          type: 'object',
          additionalProperties: false,
          required: ['train', 'val', 'test'],
          properties: { train: unit, val: unit, test: unit },
        },
      },
    },
    leakage: {
      type: 'object',
      additionalProperties: false,
      properties: {
        /** Identical content hashes across splits: fail the build (default) or warn. */
        exact: { enum: ['error', 'warn'] },
        /** Near-duplicates across splits by a 64-bit perceptual hash; `false` turns the check off. */
        near: {
          anyOf: [
            { const: false },
            {
              type: 'object',
              additionalProperties: false,
              properties: { method: { enum: ['dhash', 'ahash'] }, size: { enum: [8, 16] }, distance: { type: 'integer', minimum: 0, maximum: 64 } },
            },
          ],
        },
      },
    },
    sources: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
      additionalProperties: sourceSpec,
    },
  },
} as const;

// ---------------------------------------------------------------- manifest

const sampleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'hash', 'source', 'label', 'split'],
  properties: {
    id: nonEmpty,
    hash: sha256Hex,
    source: nonEmpty,
    label: int,
    split: splitName,
    group: sha256Hex,
    meta: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  },
} as const;

const manifestBudget = {
  anyOf: [
    { type: 'object', additionalProperties: false, required: ['count'], properties: { count: int } },
    { type: 'object', additionalProperties: false, required: ['fraction', 'of'], properties: { fraction: unit, of: int } },
  ],
} as const;

const fractions = {
  type: 'object',
  additionalProperties: false,
  required: ['train', 'val', 'test'],
  properties: { train: unit, val: unit, test: unit },
} as const;

export const manifestSchema = {
  $id: 'rx/manifest.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'spec', 'image', 'classes', 'split', 'stratify', 'pixels', 'sources', 'samples'],
  properties: {
    schema: { const: 'rx.manifest/1' },
    spec: { type: 'object', additionalProperties: false, required: ['path', 'hash'], properties: { path: str, hash: sha256Hex } },
    image: {
      type: 'object',
      additionalProperties: false,
      required: ['height', 'width', 'channels', 'maxValue'],
      properties: { height: posInt, width: posInt, channels: posInt, maxValue: { type: 'integer', minimum: 1, maximum: 255 } },
    },
    classes: { type: 'array', items: nonEmpty },
    split: { type: 'object', additionalProperties: false, required: ['seed', 'fractions'], properties: { seed, fractions } },
    stratify: { type: 'array', items: str },
    pixels: {
      type: 'object',
      additionalProperties: false,
      required: ['file', 'sha256', 'bytes'],
      properties: { file: { type: 'string', pattern: '^[^/]+$' }, sha256: sha256Hex, bytes: int },
    },
    leakage: {
      type: 'object',
      additionalProperties: false,
      required: ['exact', 'near'],
      properties: {
        exact: { enum: ['error', 'warn'] },
        near: {
          anyOf: [
            { const: false },
            { type: 'object', additionalProperties: false, required: ['method', 'distance'], properties: { method: { enum: ['dhash', 'ahash'] }, size: { enum: [8, 16] }, distance: int } },
          ],
        },
      },
    },
    sources: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'available', 'selected', 'budget', 'provenance'],
        properties: {
          kind: { enum: ['real', 'synthetic'] },
          available: int,
          selected: int,
          budget: manifestBudget,
          provenance: { type: 'object' },
          split: splitName,
          preprocess: { type: 'array', items: { type: 'object' } },
          generator: { type: 'object' },
          flipped: int,
        },
      },
    },
    samples: { type: 'array', items: sampleSchema },
  },
} as const;

// ---------------------------------------------------------------- --json outputs

const splitCounts = {
  type: 'object',
  additionalProperties: false,
  required: ['train', 'val', 'test'],
  properties: { train: int, val: int, test: int },
} as const;

const countRow = (key: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: [key, 'count', 'fraction', 'splits'],
    properties: { [key]: str, count: int, fraction: unit, splits: splitCounts },
  }) as const;

const summaryProperties = {
  manifest: str,
  spec: { type: 'object', additionalProperties: false, required: ['path', 'hash'], properties: { path: str, hash: sha256Hex } },
  image: { type: 'object', additionalProperties: false, required: ['height', 'width', 'channels', 'maxValue'], properties: { height: int, width: int, channels: int, maxValue: int } },
  total: int,
  classes: { type: 'array', items: str },
  splits: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['split', 'count', 'fraction', 'target'],
      properties: { split: splitName, count: int, fraction: unit, target: unit },
    },
  },
  sources: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'kind', 'available', 'selected', 'fraction', 'splits', 'flipped'],
      properties: {
        source: str,
        kind: { enum: ['real', 'synthetic'] },
        available: int,
        selected: int,
        fraction: unit,
        splits: splitCounts,
        flipped: int,
        pinned: splitName,
      },
    },
  },
  byClass: { type: 'array', items: countRow('class') },
  cells: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['source', 'class', 'split', 'count'],
      properties: { source: str, class: str, split: splitName, count: posInt },
    },
  },
} as const;

export const dataShowOutputSchema = {
  $id: 'rx/out/data-show.json',
  type: 'object',
  additionalProperties: false,
  required: Object.keys(summaryProperties),
  properties: summaryProperties,
} as const;

export const dataBuildOutputSchema = {
  $id: 'rx/out/data-build.json',
  type: 'object',
  additionalProperties: false,
  required: ['manifest', 'pixels', 'manifestSha256', 'summary', 'warnings'],
  properties: {
    manifest: str,
    pixels: { type: 'object', additionalProperties: false, required: ['file', 'sha256', 'bytes'], properties: { file: str, sha256: sha256Hex, bytes: int } },
    manifestSha256: sha256Hex,
    summary: { type: 'object', additionalProperties: false, required: Object.keys(summaryProperties), properties: summaryProperties },
    warnings: { type: 'array', items: str },
  },
} as const;

const sourceFacts = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'available', 'selected', 'budget'],
  properties: { kind: { enum: ['real', 'synthetic'] }, available: int, selected: int, budget: manifestBudget, split: splitName },
} as const;

const addRemove = (key: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: [key, 'added', 'removed', 'before', 'after'],
    properties: { [key]: str, added: int, removed: int, before: int, after: int },
  }) as const;

export const dataDiffOutputSchema = {
  $id: 'rx/out/data-diff.json',
  type: 'object',
  additionalProperties: false,
  required: ['a', 'b', 'changed', 'header', 'sources', 'samples', 'bySource', 'byClass', 'bySplit', 'moves'],
  properties: {
    a: str,
    b: str,
    changed: { type: 'boolean' },
    /** Manifest-level fields that differ (classes, image, split, stratify, spec). */
    header: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['field', 'before', 'after'], properties: { field: str, before: {}, after: {} } },
    },
    sources: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['source', 'change', 'fields'],
        properties: {
          source: str,
          change: { enum: ['added', 'removed', 'changed', 'unchanged'] },
          fields: { type: 'array', items: str },
          before: sourceFacts,
          after: sourceFacts,
        },
      },
    },
    samples: {
      type: 'object',
      additionalProperties: false,
      required: ['before', 'after', 'added', 'removed', 'modified', 'relabelled', 'moved', 'examples'],
      properties: {
        before: int,
        after: int,
        added: int,
        removed: int,
        modified: int,
        relabelled: int,
        moved: int,
        examples: {
          type: 'object',
          additionalProperties: false,
          required: ['added', 'removed', 'modified', 'relabelled', 'moved'],
          properties: {
            added: { type: 'array', items: str },
            removed: { type: 'array', items: str },
            modified: { type: 'array', items: str },
            relabelled: { type: 'array', items: str },
            moved: { type: 'array', items: str },
          },
        },
      },
    },
    bySource: { type: 'array', items: addRemove('source') },
    byClass: { type: 'array', items: addRemove('class') },
    bySplit: { type: 'array', items: addRemove('split') },
    moves: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['from', 'to', 'count'], properties: { from: splitName, to: splitName, count: posInt } },
    },
  },
} as const;

export const dataAuditOutputSchema = {
  $id: 'rx/out/data-audit.json',
  type: 'object',
  additionalProperties: false,
  required: ['manifest', 'ok', 'imbalanceThreshold', 'near', 'counts', 'findings'],
  properties: {
    manifest: str,
    ok: { type: 'boolean' },
    imbalanceThreshold: { type: 'number', minimum: 1 },
    nearTruncated: { type: 'boolean' },
    near: {
      anyOf: [
        { const: false },
        { type: 'object', additionalProperties: false, required: ['method', 'distance'], properties: { method: { enum: ['dhash', 'ahash'] }, size: { enum: [8, 16] }, distance: int } },
      ],
    },
    counts: {
      type: 'object',
      additionalProperties: false,
      required: ['provenance', 'imbalance', 'leakage', 'near-duplicate'],
      properties: { provenance: int, imbalance: int, leakage: int, 'near-duplicate': int },
    },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'severity', 'message'],
        properties: {
          kind: { enum: ['provenance', 'imbalance', 'leakage', 'near-duplicate'] },
          severity: { enum: ['error', 'warning'] },
          message: str,
          source: str,
          split: splitName,
          missing: { type: 'array', items: str },
          samples: { type: 'array', items: str },
          ratio: { type: 'number' },
          counts: { type: 'object', additionalProperties: int },
          hash: sha256Hex,
          distance: int,
        },
      },
    },
  },
} as const;
