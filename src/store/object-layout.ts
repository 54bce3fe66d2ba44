// Where objects live: <cache>/<algo>/<2 hex>/<rest>, with tmp/, runs/ and keys/ beside the
// algorithm directories, and the quarantine name of a corrupt object. Reads no content.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isErrno } from '../core/errors.js';
import { parseHash, hashAlgorithms } from './hash.js';

export function objectPathIn(dir: string, hash: string): string {
  const { algo, hex } = parseHash(hash);
  return path.join(dir, algo, hex.slice(0, 2), hex.slice(2));
}

/** Where a quarantined object is moved to inside the quarantine directory. */
export function quarantinePathIn(dir: string, hash: string): string {
  return path.join(dir, hash.replace(':', '-'));
}

/** Every object in the store at dir, as `algo:hex` with its size and change time (ms). */
export async function listObjects(dir: string): Promise<{ hash: string; size: number; ctimeMs: number }[]> {
  const out: { hash: string; size: number; ctimeMs: number }[] = [];
  let algos: string[];
  try {
    algos = await fsp.readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return out;
    throw err;
  }
  for (const algo of algos.sort()) {
    // Only algorithm directories hold objects (tmp/, runs/, keys/ live beside them).
    if (!(hashAlgorithms as readonly string[]).includes(algo)) continue;
    const algoDir = path.join(dir, algo);
    for (const prefix of (await fsp.readdir(algoDir)).sort()) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      const prefixDir = path.join(algoDir, prefix);
      for (const rest of (await fsp.readdir(prefixDir)).sort()) {
        if (rest.startsWith('.')) continue;
        const st = await fsp.lstat(path.join(prefixDir, rest)).catch(() => undefined);
        if (st) out.push({ hash: `${algo}:${prefix}${rest}`, size: st.size, ctimeMs: Math.max(st.ctimeMs, st.mtimeMs) });
      }
    }
  }
  return out;
}
