// JSON Schemas (2020-12) of the files rx reads and writes. Each file kind carries a
// `schema:` version so later releases can migrate older files instead of rejecting them.

const hashPattern = '^(sha256|blake3|xxh128|md5):[0-9a-f]+$';

export const hashSchema = { type: 'string', pattern: hashPattern } as const;

export const configSchema = {
  $id: 'rx/config.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema'],
  properties: {
    schema: { const: 1 },
    hash: { enum: ['sha256', 'blake3', 'xxh128', 'md5'] },
    link: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['reflink', 'hardlink', 'copy'] },
    },
    cache: { type: 'string', minLength: 1 },
  },
} as const;

export const pointerSchema = {
  $id: 'rx/pointer.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'path', 'type', 'hash', 'size', 'nfiles'],
  properties: {
    schema: { const: 1 },
    path: { type: 'string', minLength: 1, pattern: '^[^/]+$' },
    type: { enum: ['file', 'dir'] },
    hash: hashSchema,
    size: { type: 'integer', minimum: 0 },
    nfiles: { type: 'integer', minimum: 0 },
    mode: { enum: ['644', '755'] },
    desc: { type: 'string' },
  },
} as const;

export const dirManifestSchema = {
  $id: 'rx/dir-manifest.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'entries'],
  properties: {
    schema: { const: 1 },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'hash', 'size', 'mode'],
        properties: {
          path: { type: 'string', minLength: 1 },
          hash: hashSchema,
          size: { type: 'integer', minimum: 0 },
          mode: { enum: ['644', '755'] },
        },
      },
    },
  },
} as const;
