// JSON Schemas of the augmentation spec (`augment/*.yaml`, schema: rx.augment/1) and of
// `rx augment preview --json`. The schema checks shapes; which fields an op takes, its
// physical ranges and op-name suggestions are checked in src/augment/spec.ts with locations.

const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;

const bounds = {
  type: 'object',
  additionalProperties: false,
  required: ['min', 'max'],
  properties: { min: num, max: num },
} as const;

const distribution = {
  oneOf: [
    { enum: ['uniform', 'log-uniform', 'truncated-normal', 'choice'] },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: ['uniform', 'log-uniform', 'truncated-normal', 'choice'] },
        mean: num,
        std: { type: 'number', exclusiveMinimum: 0 },
        values: { type: 'array', minItems: 1, items: num },
      },
    },
  ],
} as const;

const schedule = {
  oneOf: [
    { enum: ['constant', 'linear', 'cosine'] },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: ['constant', 'linear', 'cosine', 'step'] },
        /** What the scale multiplies: the magnitude (towards the op's identity), the probability, or both. */
        target: { enum: ['magnitude', 'p', 'both'] },
        scale: { type: 'number', minimum: 0 },
        from: { type: 'number', minimum: 0 },
        to: { type: 'number', minimum: 0 },
        epochs: { type: 'integer', minimum: 1 },
        knots: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['epoch', 'scale'],
            properties: { epoch: int, scale: { type: 'number', minimum: 0 } },
          },
        },
      },
    },
  ],
} as const;

const nameList = { type: 'array', minItems: 1, items: { type: ['string', 'integer'] } } as const;

const when = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    source: { type: 'array', minItems: 1, items: str },
    class: nameList,
    split: { type: 'array', minItems: 1, items: { enum: ['train', 'val', 'test'] } },
    epochs: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { from: int, to: int },
    },
  },
} as const;

export const augmentOpSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['op'],
  properties: {
    op: { type: 'string', minLength: 1 },
    desc: str,
    p: num,
    magnitude: bounds,
    distribution,
    when,
    schedule,
    axis: { enum: ['horizontal', 'vertical'] },
    unit: { enum: ['pixels', 'fraction'] },
    fill: { enum: ['zero', 'edge'] },
    kernel: { type: 'integer', minimum: 1 },
    aspect: bounds,
    value: { oneOf: [num, { const: 'random' }] },
    alpha: num,
  },
} as const;

export const augmentSpecSchema = {
  $id: 'rx/augment.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'seed', 'ops'],
  properties: {
    schema: { const: 'rx.augment/1' },
    desc: str,
    seed: { type: 'integer', minimum: 0, maximum: 9007199254740991 },
    ops: { type: 'array', items: augmentOpSchema },
  },
} as const;

export const augmentPreviewOutputSchema = {
  $id: 'rx/out/augment-preview.json',
  type: 'object',
  additionalProperties: false,
  required: ['out', 'bytes', 'sha256', 'width', 'height', 'scale', 'epoch', 'epochs', 'variants', 'spec', 'data', 'samples'],
  properties: {
    out: str,
    bytes: int,
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    width: int,
    height: int,
    scale: int,
    epoch: int,
    epochs: int,
    variants: int,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'seed', 'ops', 'description'],
      properties: { path: str, seed: int, ops: { type: 'array', items: str }, description: str },
    },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['manifest', 'split', 'height', 'width', 'channels'],
      properties: { manifest: str, split: str, height: int, width: int, channels: int },
    },
    samples: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['row', 'id', 'source', 'label', 'split', 'variants'],
        properties: {
          row: int,
          id: str,
          source: str,
          label: int,
          split: str,
          variants: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['seed', 'applied'],
              properties: {
                seed: int,
                applied: { type: 'array', items: str },
                mix: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['id', 'label', 'lambda'],
                  properties: { id: str, label: int, lambda: num },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
