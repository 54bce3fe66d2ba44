// Hashing a workspace file and storing it as an object in one read: the bytes read for the
// hash are written to a temp file in the store, which is renamed to the object's name once
// the hash is known (or dropped when the object exists). Synchronous, so the hash pool's
// workers run it in parallel; the main thread records the new objects' syncs and keys.
import { openSync, writeSync, closeSync, renameSync, mkdirSync, unlinkSync, lstatSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { hashFileSync, parseHash, type Hasher, type HashAlgorithm } from './hash.js';
import { objectStatKey } from './object-keys.js';

export interface IngestResult {
  hash: string;
  size: number;
  stored: 'created' | 'present';
  /** The new object's stat key (created only). */
  key?: string;
}

let counter = 0;

export function objectPathIn(storeDir: string, hash: string): string {
  const { algo, hex } = parseHash(hash);
  return path.join(storeDir, algo, hex.slice(0, 2), hex.slice(2));
}

export function ingestFileSync(file: string, algo: HashAlgorithm, hasher: Hasher, buffer: Buffer, storeDir: string, onBytes?: (n: number) => void): IngestResult {
  counter += 1;
  // The pid in the name marks it as this process's for the store's temp cleaner.
  const tmp = path.join(storeDir, 'tmp', `.obj.${process.pid}.w${threadId}-${counter}.tmp`);
  const out = openSync(tmp, 'wx', 0o444);
  let result: { hash: string; size: number };
  try {
    result = hashFileSync(file, algo, hasher, buffer, onBytes, (chunk) => {
      for (let off = 0; off < chunk.length; ) off += writeSync(out, chunk, off, chunk.length - off);
    });
  } catch (err) {
    closeSync(out);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(out);
  const dest = objectPathIn(storeDir, result.hash);
  if (existsSync(dest)) {
    unlinkSync(tmp);
    return { ...result, stored: 'present' };
  }
  try {
    renameSync(tmp, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      unlinkSync(tmp);
      throw err;
    }
    mkdirSync(path.dirname(dest), { recursive: true });
    renameSync(tmp, dest);
  }
  return { ...result, stored: 'created', key: objectStatKey(lstatSync(dest, { bigint: true })) };
}
