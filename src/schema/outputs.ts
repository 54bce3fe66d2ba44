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
  properties: { root: str, createdGitRepo: { type: 'boolean' }, created: { type: 'array', items: str } },
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
  required: ['paths'],
  properties: {
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
  required: ['scope', 'dry', 'kept', 'removed', 'removedBytes', 'commitsScanned'],
  properties: {
    scope: { enum: ['workspace', 'all-commits'] },
    dry: { type: 'boolean' },
    kept: int,
    removed: { type: 'array', items: hashSchema },
    removedBytes: int,
    commitsScanned: int,
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
