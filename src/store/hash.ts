// Content hashing: the algorithms a project may choose and streaming, constant-memory
// file hashing. Hashes are always written `algo:hex` so a store can hold several.
// sha256 and md5 use node:crypto (SHA-NI accelerated); blake3 and xxh128 use hash-wasm.
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { RxError, ExitCode } from '../core/errors.js';

export const hashAlgorithms = ['sha256', 'blake3', 'xxh128', 'md5'] as const;
export type HashAlgorithm = (typeof hashAlgorithms)[number];

export interface Hasher {
  update(data: Uint8Array): void;
  /** Hex digest; the hasher is spent afterwards. */
  digest(): string;
}

/**
 * Returns a function making fresh hashers of one algorithm. The wasm-backed ones reuse a
 * single instance (re-initialised per hash), since instantiating wasm costs far more than
 * hashing a small file; hash-wasm itself is loaded only when a project uses it.
 */
export async function hasherFactory(algo: HashAlgorithm): Promise<() => Hasher> {
  if (algo === 'sha256' || algo === 'md5') {
    return () => {
      const h = createHash(algo);
      return { update: (d) => void h.update(d), digest: () => h.digest('hex') };
    };
  }
  const wasm = await import('hash-wasm');
  const instance = algo === 'blake3' ? await wasm.createBLAKE3() : await wasm.createXXHash128();
  return () => {
    instance.init();
    return { update: (d) => void instance.update(d), digest: () => instance.digest('hex') };
  };
}

export async function createHasher(algo: HashAlgorithm): Promise<Hasher> {
  return (await hasherFactory(algo))();
}

export function formatHash(algo: HashAlgorithm, hex: string): string {
  return `${algo}:${hex}`;
}

export interface ParsedHash {
  algo: HashAlgorithm;
  hex: string;
}

export function parseHash(value: string): ParsedHash {
  const i = value.indexOf(':');
  const algo = value.slice(0, i) as HashAlgorithm;
  const hex = value.slice(i + 1);
  if (i < 0 || !hashAlgorithms.includes(algo) || !/^[0-9a-f]{16,}$/.test(hex)) {
    throw new RxError('RX_BAD_HASH', ExitCode.invalidFile, `not a valid hash: ${JSON.stringify(value)}`);
  }
  return { algo, hex };
}

export async function hashBytes(algo: HashAlgorithm, data: Uint8Array | string): Promise<string> {
  const h = await createHasher(algo);
  h.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  return formatHash(algo, h.digest());
}

export const CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * Hashes a file synchronously in fixed-size chunks (used inside hash workers and for
 * small batches on the main thread). Memory is one chunk, whatever the file size.
 */
export function hashFileSync(
  file: string,
  algo: HashAlgorithm,
  hasher: Hasher,
  buffer: Buffer,
  onBytes?: (n: number) => void,
  /** Also receives every chunk read: hashing and copying a file in one read. */
  sink?: (chunk: Buffer) => void,
): { hash: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      const chunk = n === buffer.length ? buffer : buffer.subarray(0, n);
      hasher.update(chunk);
      sink?.(chunk);
      size += n;
      onBytes?.(n);
    }
    // A file that grew or shrank while we read it is caught by comparing with fstat.
    const st = fstatSync(fd);
    if (st.size !== size) {
      throw new RxError('RX_FILE_CHANGED', ExitCode.usage, `${file}: changed while it was being hashed`);
    }
    return { hash: formatHash(algo, hasher.digest()), size };
  } finally {
    closeSync(fd);
  }
}
