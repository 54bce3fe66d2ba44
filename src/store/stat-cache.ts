// The stat cache: remembers the hash of each file of a tracked path under the key
// (device, inode, size, mtime ns, ctime ns, exec bit), so unchanged files are never re-hashed. One small file
// per tracked path under .rx/tmp/stat/; it is only a cache: unreadable means empty.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { advisoryWrite } from '../core/errors.js';

export function statKey(st: Stats): string {
  // The exec bit is part of what rx tracks. ctime is in the key because an edit whose mtime
  // was put back (touch -r, a same-size rewrite with utimes) still moves it, and nothing
  // but the kernel can set it. Plain (not bigint) stats: times in fractional milliseconds
  // keep sub-microsecond resolution, and bigint stats cost status a third of its time in GC.
  const exec = (st.mode & 0o111) !== 0 ? 'x' : '-';
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${exec}`;
}

/** A digest of (path, stat key) pairs in order: equal digests mean nothing was touched. */
export function statDigest(entries: Iterable<[string, string]>): string {
  const h = createHash('sha256');
  // Fed in batches: one update per entry made hashing 100k entries a tenth of status.
  let batch = '';
  for (const [rel, key] of entries) {
    batch += `${rel}\0${key}\n`;
    if (batch.length > 65536) {
      h.update(batch);
      batch = '';
    }
  }
  h.update(batch);
  return h.digest('hex');
}

export interface TargetCache {
  /** rel path within the target ('' for a single file) -> [stat key, hash] */
  files: Map<string, [string, string]>;
  /** The target's hash when every file matched at the last save. */
  targetHash?: string;
}

interface CacheFile {
  v: 3;
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

  private fileFor(target: string, suffix = '.json'): string {
    return path.join(this.dir, createHash('sha256').update(target).digest('hex').slice(0, 32) + suffix);
  }

  /**
   * The small summary saved beside the full cache: when a fresh scan has the same digest,
   * the target is unchanged and the full cache (megabytes for 100k files) is never parsed.
   */
  async loadSummary(target: string): Promise<{ targetHash: string; digest: string; count: number } | undefined> {
    try {
      const s = JSON.parse(await fsp.readFile(this.fileFor(target, '.summary.json'), 'utf8')) as { v: number; path: string; algo: string; targetHash: string; digest: string; count: number };
      return s.v === 3 && s.path === target && s.algo === this.algo ? s : undefined;
    } catch {
      return undefined;
    }
  }

  async load(target: string): Promise<TargetCache> {
    try {
      const data = JSON.parse(await fsp.readFile(this.fileFor(target), 'utf8')) as CacheFile;
      if (data.v !== 3 || data.path !== target || data.algo !== this.algo) return { files: new Map() };
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
      v: 3,
      path: target,
      algo: this.algo,
      targetHash: cache.targetHash,
      files: [...cache.files].map(([rel, [key, hash]]) => [rel, key, hash]),
    };
    // Only a cache: a read-only or full .rx/tmp makes the next run hash again, nothing more.
    await advisoryWrite(async () => {
      await fsp.mkdir(this.dir, { recursive: true });
      // The summary goes first and is removed when stale, so it never vouches for another cache.
      const summaryFile = this.fileFor(target, '.summary.json');
      await fsp.rm(summaryFile, { force: true });
      await writeFileAtomic(this.fileFor(target), JSON.stringify(data), { durable: false });
      if (cache.targetHash !== undefined && cache.files.size > 0) {
        const digest = statDigest([...cache.files].map(([rel, [key]]) => [rel, key]));
        const summary = { v: 3, path: target, algo: this.algo, targetHash: cache.targetHash, digest, count: cache.files.size };
        await writeFileAtomic(summaryFile, JSON.stringify(summary), { durable: false });
      }
    });
  }
}
