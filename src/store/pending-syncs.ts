// The pending syncs: new objects are synced once, before any pointer, lock entry or ref names
// them, with one filesystem sync (as git's core.fsyncMethod=batch does), or an fsync per
// object and directory where syncfs is unavailable.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fsyncDir } from '../core/atomic.js';

const execFileP = promisify(execFile);

export class PendingSyncs {
  /** Objects by hash: their paths are only made when syncfs is unavailable. */
  private pending: string[] = [];

  constructor(private readonly pathOf: (hash: string) => string) {}

  add(hash: string): void {
    this.pending.push(hash);
  }

  /** Syncs every object added since the last call, on the filesystem holding dir. */
  async flush(dir: string): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    if (pending.length > 0) await syncObjects(dir, pending, this.pathOf);
  }
}

async function syncObjects(dir: string, hashes: string[], pathOf: (hash: string) => string): Promise<void> {
  try {
    await execFileP('sync', ['-f', dir]);
    return;
  } catch {
    // no coreutils sync -f: per-file fsync below
  }
  const dirs = new Set<string>();
  for (const hash of hashes) {
    const file = pathOf(hash);
    const fh = await fsp.open(file, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    dirs.add(path.dirname(file));
  }
  for (const d of dirs) await fsyncDir(d);
}
