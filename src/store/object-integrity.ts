// The integrity errors of the store (a corrupt or missing object, exit 6) and the checks made
// while a workspace file is stored: hashed as it is copied, its stat compared before and
// after, so a file that changed since it was hashed is refused rather than stored.
import { promises as fsp, createReadStream, type BigIntStats } from 'node:fs';
import { StoreIntegrityError } from '../core/errors.js';
import { createHasher, formatHash, parseHash, type HashAlgorithm } from './hash.js';

export function corruptObjectError(hash: string, actual: string, movedTo?: string): StoreIntegrityError {
  return new StoreIntegrityError('RX_OBJECT_CORRUPT', `store object ${hash} is corrupt (its content hashes to ${actual})${movedTo ? `; moved to ${movedTo}` : ''}`, {
    data: { hash, actual, ...(movedTo ? { quarantined: movedTo } : {}) },
    hint: 'run `rx fsck`, then `rx add` a good copy of the data (or fetch it from where it was made)',
  });
}

export function missingObjectError(hash: string): StoreIntegrityError {
  return new StoreIntegrityError('RX_OBJECT_MISSING', `store object ${hash} is missing`, { data: { hash } });
}

export async function checkUnchanged(src: string, before: BigIntStats, hash: string): Promise<void> {
  const now = await fsp.lstat(src, { bigint: true });
  if (now.size !== before.size || now.mtimeNs !== before.mtimeNs || now.ctimeNs !== before.ctimeNs || now.ino !== before.ino) {
    throw new StoreIntegrityError('RX_FILE_CHANGED', `${src}: changed while it was being added (expected ${hash})`, { data: { path: src } });
  }
}

/** Copies a file while hashing it; a source that changed since it was hashed is refused. */
export async function copyChecked(src: string, dest: string, expected: string, size: number): Promise<void> {
  const actual = await copyHashing(src, dest, parseHash(expected).algo);
  if (actual.hash !== expected || actual.size !== size) {
    throw new StoreIntegrityError('RX_FILE_CHANGED', `${src}: changed while it was being added (expected ${expected}, got ${actual.hash})`, {
      data: { path: src },
    });
  }
}

async function copyHashing(src: string, dest: string, algo: HashAlgorithm): Promise<{ hash: string; size: number }> {
  const hasher = await createHasher(algo);
  const out = await fsp.open(dest, 'w', 0o644);
  let size = 0;
  try {
    // One write in flight while the next chunk is read and hashed.
    let writing: Promise<unknown> = Promise.resolve();
    for await (const chunk of createReadStream(src, { highWaterMark: 1024 * 1024 })) {
      const buf = chunk as Buffer;
      hasher.update(buf);
      size += buf.length;
      await writing;
      writing = out.write(buf);
    }
    await writing;
  } finally {
    await out.close();
  }
  return { hash: formatHash(algo, hasher.digest()), size };
}
