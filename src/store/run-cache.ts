// The run cache: for each set of stage inputs seen before (the hash of the canonical lock
// entry without outputs), the outputs it produced. A stage whose inputs match an entry
// whose objects are all in the store is restored instead of re-run. Entries live in the
// store (<store>/runs/<2 hex>/<rest>.json), so reachability counts their objects.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { isErrno } from '../core/errors.js';

/** An output as the lock records it (the lock's own type is the pipeline's). */
export interface RunCacheOutput {
  path: string;
  type?: 'dir';
  hash: string;
  size: number;
  nfiles: number;
}

function runsDir(storeDir: string): string {
  return path.join(storeDir, 'runs');
}

function entryPath(storeDir: string, key: string): string {
  return path.join(runsDir(storeDir), key.slice(0, 2), `${key.slice(2)}.json`);
}

function parseEntry(text: string): RunCacheOutput[] | undefined {
  try {
    const data = JSON.parse(text) as { outs?: unknown };
    if (!Array.isArray(data.outs)) return undefined;
    const ok = data.outs.every((o) => typeof o === 'object' && o !== null && typeof (o as RunCacheOutput).hash === 'string' && typeof (o as RunCacheOutput).path === 'string');
    return ok ? (data.outs as RunCacheOutput[]) : undefined;
  } catch {
    return undefined;
  }
}

export async function readRunCache<T extends RunCacheOutput>(storeDir: string, key: string): Promise<T[] | undefined> {
  try {
    return parseEntry(await fsp.readFile(entryPath(storeDir, key), 'utf8')) as T[] | undefined;
  } catch {
    return undefined;
  }
}

export async function writeRunCache(storeDir: string, key: string, outs: RunCacheOutput[]): Promise<void> {
  const file = entryPath(storeDir, key);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ outs }) + '\n');
}

/** Every run-cache entry: its key and outputs (unreadable entries have none). */
export async function listRunCache(storeDir: string): Promise<{ key: string; outs: RunCacheOutput[] }[]> {
  const out: { key: string; outs: RunCacheOutput[] }[] = [];
  let prefixes: string[];
  try {
    prefixes = (await fsp.readdir(runsDir(storeDir))).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return out;
    throw err;
  }
  for (const prefix of prefixes) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const name of (await fsp.readdir(path.join(runsDir(storeDir), prefix))).sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const text = await fsp.readFile(path.join(runsDir(storeDir), prefix, name), 'utf8').catch(() => '');
      out.push({ key: prefix + name.slice(0, -'.json'.length), outs: parseEntry(text) ?? [] });
    }
  }
  return out;
}

/** Removes one entry (gc --drop-run-cache). */
export async function removeRunCache(storeDir: string, key: string): Promise<void> {
  await fsp.rm(entryPath(storeDir, key), { force: true });
}
