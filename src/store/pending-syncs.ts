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
  private pending: string[] = [];

  add(file: string): void {
    this.pending.push(file);
  }

  /** Syncs every file added since the last call, on the filesystem holding dir. */
  async flush(dir: string): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    if (pending.length > 0) await syncObjects(dir, pending);
  }
}

async function syncObjects(dir: string, pending: string[]): Promise<void> {
  try {
    await execFileP('sync', ['-f', dir]);
    return;
  } catch {
    // no coreutils sync -f: per-file fsync below
  }
  const dirs = new Set<string>();
  for (const file of pending) {
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
