// The stat cache: remembers the hash of each file of a tracked path under the key
// (device, inode, size, mtime ns, ctime ns, exec bit), so unchanged files are never re-hashed. One small file
// per tracked path under .rx/tmp/stat/; it is only a cache: unreadable means empty.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { advisoryWrite } from '../core/errors.js';
import { compareStrings } from '../core/canonical.js';

export function statKey(st: Stats): string {
  // The exec bit is part of what rx tracks. ctime is in the key because an edit whose mtime
  // was put back (touch -r, a same-size rewrite with utimes) still moves it, and nothing
  // but the kernel can set it. Plain (not bigint) stats: times in fractional milliseconds
  // keep sub-microsecond resolution, and bigint stats cost status a third of its time in GC.
  return statKeyOf(st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs, (st.mode & 0o111) !== 0 ? 1 : 0);
}

/** statKey from the numbers a scan keeps of the stats (exec: 1 or 0). */
export function statKeyOf(dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number, exec: number): string {
  return `${dev}:${ino}:${size}:${mtimeMs}:${ctimeMs}:${exec === 1 ? 'x' : '-'}`;
}

/**
 * A digest of (path, stat key) pairs in path order: equal digests mean nothing was touched.
 * Fed either with stats (a walk that makes no key strings and keeps no per-file objects:
 * those cost a no-op status of 100k files a third of its time) or with saved keys, parsed
 * back to the very same numbers (a number's shortest decimal form reads back to the same
 * double), so a fresh walk can be checked against the summary of the last save.
 */
export class StatDigest {
  private readonly paths = createHash('sha256');
  private readonly stats = createHash('sha256');
  private batch = '';
  private readonly buf = new Float64Array(6 * 4096);
  private used = 0;
  count = 0;
  size = 0;

  addStats(rel: string, st: Stats): void {
    this.push(rel, st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs, (st.mode & 0o111) !== 0 ? 1 : 0);
  }

  /** A key made by statKey. */
  addKey(rel: string, key: string): void {
    const p = key.split(':');
    this.push(rel, Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3]), Number(p[4]), p[5] === 'x' ? 1 : 0);
  }

  /** The numbers of a stat key (exec: 1 or 0). */
  addNumbers(rel: string, dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number, exec: number): void {
    this.push(rel, dev, ino, size, mtimeMs, ctimeMs, exec);
  }

  private push(rel: string, dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number, exec: number): void {
    // Paths are separated by NUL, which no file name contains.
    this.batch += rel + '\0';
    if (this.batch.length > 65536) {
      this.paths.update(this.batch);
      this.batch = '';
    }
    const b = this.buf;
    let i = this.used;
    b[i++] = dev;
    b[i++] = ino;
    b[i++] = size;
    b[i++] = mtimeMs;
    b[i++] = ctimeMs;
    b[i++] = exec;
    this.used = i;
    if (i === b.length) this.flushStats();
    this.count += 1;
    this.size += size;
  }

  private flushStats(): void {
    this.stats.update(new Uint8Array(this.buf.buffer, 0, this.used * 8));
    this.used = 0;
  }

  /** The digest of everything added; call once. */
  digest(): string {
    this.paths.update(this.batch);
    this.flushStats();
    return createHash('sha256').update(`${this.count}\n${this.paths.digest('hex')}\n${this.stats.digest('hex')}`).digest('hex');
  }
}

/** The digest of (path, stat key) pairs given in path order. */
export function statDigest(entries: Iterable<[string, string]>): string {
  const d = new StatDigest();
  for (const [rel, key] of entries) d.addKey(rel, key);
  return d.digest();
}

/** What the last save of a target's cache says of the whole target. */
export interface CacheSummary {
  targetHash: string;
  digest: string;
  count: number;
}

// 4: the digest of StatDigest (3 hashed the key strings).
const SUMMARY_VERSION = 4;

export interface TargetCache {
  /** rel path within the target ('' for a single file) -> [stat key, hash] */
  files: Map<string, [string, string]>;
  /** The target's hash when every file matched at the last save. */
  targetHash?: string;
}

/**
 * What a save writes: the target's hashed files as (path, stat key, hash) in path order, read
 * once for the file, and their stat digest for the summary. A scan gives them from its table
 * without a map of every entry (cacheFromScan).
 */
export interface CacheEntries {
  targetHash?: string;
  entries(): Iterable<[string, string, string]>;
  digest(): StatDigest;
}

/** CacheEntries of a map of rel -> [key, hash], in any order. */
export function cacheEntriesOf(files: Map<string, [string, string]>, targetHash?: string): CacheEntries {
  const rels = () => [...files.keys()].sort(compareStrings);
  return {
    targetHash,
    *entries() {
      for (const rel of rels()) yield [rel, ...files.get(rel)!];
    },
    digest() {
      const d = new StatDigest();
      for (const rel of rels()) d.addKey(rel, files.get(rel)![0]);
      return d;
    },
  };
}

interface CacheFile {
  v: 3;
  path: string;
  algo: string;
  targetHash?: string;
  files: [string, string, string][];
}

/** A CacheFile's JSON in chunks of a few thousand entries (100k files make 15 MB). */
function* cacheFileChunks(head: Omit<CacheFile, 'files'>, files: Iterable<[string, string, string]>): Generator<string> {
  const opening = JSON.stringify({ ...head, files: [] });
  yield opening.slice(0, -2); // ends with "files":[
  let batch: [string, string, string][] = [];
  let first = true;
  const out = () => {
    const text = JSON.stringify(batch).slice(1, -1);
    const chunk = first ? text : ',' + text;
    first = false;
    batch = [];
    return chunk;
  };
  for (const entry of files) {
    batch.push(entry);
    if (batch.length === 4096) yield out();
  }
  if (batch.length > 0) yield out();
  yield ']}';
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
  async loadSummary(target: string): Promise<CacheSummary | undefined> {
    try {
      const s = JSON.parse(await fsp.readFile(this.fileFor(target, '.summary.json'), 'utf8')) as CacheSummary & { v: number; path: string; algo: string };
      return s.v === SUMMARY_VERSION && s.path === target && s.algo === this.algo ? s : undefined;
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

  async save(target: string, cache: CacheEntries): Promise<void> {
    if (this.readOnly) return;
    const head: Omit<CacheFile, 'files'> = { v: 3, path: target, algo: this.algo, targetHash: cache.targetHash };
    // Only a cache: a read-only or full .rx/tmp makes the next run hash again, nothing more.
    await advisoryWrite(async () => {
      await fsp.mkdir(this.dir, { recursive: true });
      // The summary goes first and is removed when stale, so it never vouches for another cache.
      const summaryFile = this.fileFor(target, '.summary.json');
      await fsp.rm(summaryFile, { force: true });
      await writeFileAtomic(this.fileFor(target), cacheFileChunks(head, cache.entries()), { durable: false });
      await this.writeSummary(target, cache);
    });
  }

  /**
   * Writes the summary of a cache already on disk that vouches for its whole target (a
   * cache saved by an rx whose summaries were of another version has none).
   */
  async saveSummary(target: string, cache: CacheEntries): Promise<void> {
    if (this.readOnly) return;
    await advisoryWrite(async () => {
      await fsp.mkdir(this.dir, { recursive: true });
      await this.writeSummary(target, cache);
    });
  }

  private async writeSummary(target: string, cache: CacheEntries): Promise<void> {
    if (cache.targetHash === undefined) return;
    const d = cache.digest();
    if (d.count === 0) return;
    const summary = { v: SUMMARY_VERSION, path: target, algo: this.algo, targetHash: cache.targetHash, digest: d.digest(), count: d.count };
    await writeFileAtomic(this.fileFor(target, '.summary.json'), JSON.stringify(summary), { durable: false });
  }
}
