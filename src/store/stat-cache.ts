// The stat cache: remembers the hash of each file of a tracked path under the key
// (device, inode, size, mtime ns, exec bit), so unchanged files are never re-hashed. One small file
// per tracked path under .rx/tmp/stat/; it is only a cache: unreadable means empty.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';

export function statKey(st: BigIntStats): string {
  // The exec bit is part of what rx tracks, and chmod changes ctime but not mtime.
  const exec = (Number(st.mode) & 0o111) !== 0 ? 'x' : '-';
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${exec}`;
}

export interface TargetCache {
  /** rel path within the target ('' for a single file) -> [stat key, hash] */
  files: Map<string, [string, string]>;
  /** The target's hash when every file matched at the last save. */
  targetHash?: string;
}

interface CacheFile {
  v: 1;
  path: string;
  algo: string;
  targetHash?: string;
  files: [string, string, string][];
}

export class StatCache {
  private readonly dir: string;
  private readonly algo: string;

  private readonly readOnly: boolean;

  /** readOnly: consult the cache but never write it (for strictly read-only commands). */
  constructor(tmpDir: string, algo: string, options: { readOnly?: boolean } = {}) {
    this.dir = path.join(tmpDir, 'stat');
    this.algo = algo;
    this.readOnly = options.readOnly ?? false;
  }

  private fileFor(target: string): string {
    return path.join(this.dir, createHash('sha256').update(target).digest('hex').slice(0, 32) + '.json');
  }

  async load(target: string): Promise<TargetCache> {
    try {
      const data = JSON.parse(await fsp.readFile(this.fileFor(target), 'utf8')) as CacheFile;
      if (data.v !== 1 || data.path !== target || data.algo !== this.algo) return { files: new Map() };
      const files = new Map<string, [string, string]>();
      for (const [rel, key, hash] of data.files) files.set(rel, [key, hash]);
      return { files, targetHash: data.targetHash };
    } catch {
      return { files: new Map() };
    }
  }

  async save(target: string, cache: TargetCache): Promise<void> {
    if (this.readOnly) return;
    const data: CacheFile = {
      v: 1,
      path: target,
      algo: this.algo,
      targetHash: cache.targetHash,
      files: [...cache.files].map(([rel, [key, hash]]) => [rel, key, hash]),
    };
    await fsp.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.fileFor(target), JSON.stringify(data), { durable: false });
  }
}
