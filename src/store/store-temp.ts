// The store's temp directory (<cache>/tmp): where objects and links are made before their
// rename into place, and the clean-up of what processes that died left there.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { oldestOtherWriter } from './live-writers.js';

/**
 * Removes temp files left by processes that died: those older than the oldest live writer
 * of the store at storeDir (all of them when no other writer is live), never this process's own.
 */
export async function cleanStaleTemp(storeDir: string, tmpDir: string): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await fsp.readdir(tmpDir);
  } catch {
    return 0;
  }
  const bound = oldestOtherWriter(storeDir) ?? Infinity;
  const mine = `.${process.pid}.`;
  for (const name of names) {
    if (name === 'live' || name.includes(mine)) continue;
    const p = path.join(tmpDir, name);
    try {
      const st = await fsp.lstat(p);
      if (st.mtimeMs < bound) {
        await fsp.rm(p, { recursive: true, force: true });
        removed += 1;
      }
    } catch {
      // raced with another cleaner
    }
  }
  return removed;
}
