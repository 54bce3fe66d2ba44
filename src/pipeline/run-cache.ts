// The run cache: for each set of stage inputs seen before (the hash of the canonical lock
// entry without outputs), the outputs it produced. A stage whose inputs match an entry
// whose objects are all in the store is restored instead of re-run.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import type { LockFileEntry } from './lock.js';

function entryPath(storeDir: string, key: string): string {
  return path.join(storeDir, 'runs', key.slice(0, 2), `${key.slice(2)}.json`);
}

export async function readRunCache(storeDir: string, key: string): Promise<LockFileEntry[] | undefined> {
  try {
    const data = JSON.parse(await fsp.readFile(entryPath(storeDir, key), 'utf8')) as { outs?: LockFileEntry[] };
    return Array.isArray(data.outs) ? data.outs : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRunCache(storeDir: string, key: string, outs: LockFileEntry[]): Promise<void> {
  const file = entryPath(storeDir, key);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ outs }) + '\n');
}
