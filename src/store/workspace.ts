// What a tracked path looks like in the workspace right now: its files with stat keys (a
// column table in path order, read through views), hashes filled from the stat cache or by
// hashing, and the canonical directory manifest whose hash names a directory. Shared by add,
// status and checkout.
import { readdirSync, lstatSync, promises as fsp, type Stats, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { UsageError, isErrno } from '../core/errors.js';
import { compareStrings } from '../core/canonical.js';
import { StatDigest, statKeyOf, type TargetCache, type CacheEntries } from './stat-cache.js';
import { hashFilesInto } from './hash-pool.js';
import { createHasher, formatHash, type HashAlgorithm } from './hash.js';
import type { FileMode } from './link-strategy.js';

/** One file of a scan, as a view of its row in the scan's table. */
export interface WorkspaceFile {
  /** Path within the target, POSIX; '' when the target is a single file. */
  readonly rel: string;
  readonly abs: string;
  readonly size: number;
  readonly mode: FileMode;
  /** The stat key (statKey), made on demand. */
  readonly key: string;
  /** Hard links to the file; 2 or more when it is linked from the store. */
  readonly nlink: number;
  hash?: string;
  /** The file's row in its scan's table. */
  readonly index: number;
}

// Per file: dev, ino, size, mtimeMs, ctimeMs, nlink, exec bit.
const STRIDE = 7;

/**
 * A tracked path's files in path order, kept column by column: paths, hashes and one
 * Float64Array of stat numbers. 100,000 files as objects with key and path strings were 55 MB
 * of heap (and 90 MB of resident memory with the garbage of making them) before anything was
 * hashed; these columns are about 10 MB. Files are read through views (at, iteration),
 * made on demand and writing their hash back to the table.
 */
export class FileTable implements Iterable<WorkspaceFile> {
  private readonly rels: string[] = [];
  private readonly hashes: (string | undefined)[] = [];
  private nums = new Float64Array(STRIDE * 64);

  /** root: the target's absolute path (a single file's own path). */
  constructor(readonly root: string) {}

  get length(): number {
    return this.rels.length;
  }

  push(rel: string, st: Stats): void {
    const i = this.rels.length;
    if ((i + 1) * STRIDE > this.nums.length) {
      const grown = new Float64Array(this.nums.length * 2);
      grown.set(this.nums);
      this.nums = grown;
    }
    const o = i * STRIDE;
    const n = this.nums;
    n[o] = st.dev;
    n[o + 1] = st.ino;
    n[o + 2] = st.size;
    n[o + 3] = st.mtimeMs;
    n[o + 4] = st.ctimeMs;
    n[o + 5] = st.nlink;
    n[o + 6] = (st.mode & 0o111) !== 0 ? 1 : 0;
    this.rels.push(rel);
    this.hashes.push(undefined);
  }

  rel(i: number): string {
    return this.rels[i]!;
  }

  abs(i: number): string {
    const rel = this.rels[i]!;
    return rel === '' ? this.root : this.root + path.sep + (path.sep === '/' ? rel : rel.split('/').join(path.sep));
  }

  size(i: number): number {
    return this.nums[i * STRIDE + 2]!;
  }

  nlink(i: number): number {
    return this.nums[i * STRIDE + 5]!;
  }

  mode(i: number): FileMode {
    return this.nums[i * STRIDE + 6] === 1 ? '755' : '644';
  }

  /** statKey of the file's stats, as it was when scanned. */
  key(i: number): string {
    const n = this.nums;
    const o = i * STRIDE;
    return statKeyOf(n[o]!, n[o + 1]!, n[o + 2]!, n[o + 3]!, n[o + 4]!, n[o + 6]!);
  }

  /** Feeds the file's path and stat key to a digest, making no key string. */
  addTo(d: StatDigest, i: number): void {
    const n = this.nums;
    const o = i * STRIDE;
    d.addNumbers(this.rels[i]!, n[o]!, n[o + 1]!, n[o + 2]!, n[o + 3]!, n[o + 4]!, n[o + 6]!);
  }

  hash(i: number): string | undefined {
    return this.hashes[i];
  }

  setHash(i: number, hash: string | undefined): void {
    this.hashes[i] = hash;
  }

  at(i: number): WorkspaceFile {
    return new FileView(this, i);
  }

  *[Symbol.iterator](): Iterator<WorkspaceFile> {
    for (let i = 0; i < this.rels.length; i++) yield new FileView(this, i);
  }

  totalSize(): number {
    let s = 0;
    for (let i = 0; i < this.rels.length; i++) s += this.nums[i * STRIDE + 2]!;
    return s;
  }

  /** A table of the files that pass, hashes kept. */
  filter(keep: (f: WorkspaceFile) => boolean): FileTable {
    const out = new FileTable(this.root);
    out.nums = new Float64Array(Math.max(STRIDE, this.nums.length));
    for (let i = 0; i < this.rels.length; i++) {
      if (!keep(new FileView(this, i))) continue;
      const j = out.rels.length;
      out.nums.set(this.nums.subarray(i * STRIDE, (i + 1) * STRIDE), j * STRIDE);
      out.rels.push(this.rels[i]!);
      out.hashes.push(this.hashes[i]);
    }
    return out;
  }
}

class FileView implements WorkspaceFile {
  constructor(
    private readonly table: FileTable,
    readonly index: number,
  ) {}
  get rel(): string {
    return this.table.rel(this.index);
  }
  get abs(): string {
    return this.table.abs(this.index);
  }
  get size(): number {
    return this.table.size(this.index);
  }
  get mode(): FileMode {
    return this.table.mode(this.index);
  }
  get key(): string {
    return this.table.key(this.index);
  }
  get nlink(): number {
    return this.table.nlink(this.index);
  }
  get hash(): string | undefined {
    return this.table.hash(this.index);
  }
  set hash(h: string | undefined) {
    this.table.setHash(this.index, h);
  }
}

/** Copies hashes between two scans of one path (both in path order) for the paths they share. */
export function copyHashes(from: FileTable, to: FileTable): void {
  let j = 0;
  for (let i = 0; i < to.length; i++) {
    const rel = to.rel(i);
    while (j < from.length && compareStrings(from.rel(j), rel) < 0) j++;
    to.setHash(i, j < from.length && from.rel(j) === rel ? from.hash(j) : undefined);
  }
}

export type Scan = { kind: 'missing' | 'file' | 'dir'; files: FileTable };

function unsupported(display: string, what: string): UsageError {
  return new UsageError(`${display}: is a ${what}; rx tracks regular files and directories only`, { data: { path: display } });
}

/**
 * A directory's entries in the order of their full paths: names sorted with a '/' after
 * subdirectories' names (the order scans, manifests and stat digests share).
 */
function inPathOrder(dirAbs: string): Dirent[] {
  const ents = readdirSync(dirAbs, { withFileTypes: true });
  const order = ents.map((e) => ({ e, k: e.isDirectory() ? e.name + '/' : e.name }));
  order.sort((a, b) => compareStrings(a.k, b.k));
  return order.map((o) => o.e);
}

/** Lists a tracked path's files (in path order) with their stats; reads no content. */
export function scanPath(abs: string, display: string): Scan {
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return { kind: 'missing', files: new FileTable(abs) };
    throw err;
  }
  const files = new FileTable(abs);
  if (st.isFile()) {
    files.push('', st);
    return { kind: 'file', files };
  }
  if (!st.isDirectory()) throw unsupported(display, st.isSymbolicLink() ? 'symbolic link' : 'special file');
  const walk = (dirAbs: string, dirRel: string) => {
    for (const ent of inPathOrder(dirAbs)) {
      const rel = dirRel === '' ? ent.name : `${dirRel}/${ent.name}`;
      // Plain concatenation: dirAbs is already normal, and path.join was a tenth of a 100k scan.
      const childAbs = dirAbs + path.sep + ent.name;
      if (ent.isDirectory()) walk(childAbs, rel);
      else if (ent.isFile()) files.push(rel, lstatSync(childAbs));
      else throw unsupported(`${display}/${rel}`, ent.isSymbolicLink() ? 'symbolic link' : 'special file');
    }
  };
  walk(abs, '');
  return { kind: 'dir', files };
}

/**
 * The stat digest of a directory's files, walked in the order scanPath sorts them (each
 * directory's names sorted with a '/' after subdirectories' names, which orders them as
 * their full paths would be), keeping nothing per file: how a no-op status checks 100k
 * files at about the cost of a bare lstat loop. Undefined when the path is not a directory
 * or holds something rx does not track (scanPath then says what).
 */
export function digestDir(abs: string): StatDigest | undefined {
  try {
    if (!lstatSync(abs).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const d = new StatDigest();
  const walk = (dirAbs: string, dirRel: string): boolean => {
    for (const e of inPathOrder(dirAbs)) {
      const rel = dirRel === '' ? e.name : `${dirRel}/${e.name}`;
      const childAbs = dirAbs + path.sep + e.name;
      if (e.isDirectory()) {
        if (!walk(childAbs, rel)) return false;
      } else if (e.isFile()) d.addStats(rel, lstatSync(childAbs));
      else return false;
    }
    return true;
  };
  try {
    return walk(abs, '') ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Fills hashes from the cache where the stat key matches; returns the rows still unhashed. */
export function applyStatCache(scan: Scan, cache: TargetCache): number[] {
  const todo: number[] = [];
  const t = scan.files;
  for (let i = 0; i < t.length; i++) {
    const hit = cache.files.size === 0 ? undefined : cache.files.get(t.rel(i));
    if (hit && hit[0] === t.key(i)) t.setHash(i, hit[1]);
    else todo.push(i);
  }
  return todo;
}

/** True when the scan is exactly the cached file set with every stat key unchanged. */
export function scanMatchesCache(scan: Scan, cache: TargetCache): boolean {
  const t = scan.files;
  if (cache.targetHash === undefined || t.length !== cache.files.size) return false;
  for (let i = 0; i < t.length; i++) {
    const hit = cache.files.get(t.rel(i));
    if (!hit || hit[0] !== t.key(i)) return false;
  }
  return true;
}

/** Hashes the given rows of a table (by default all of them). */
export async function hashMissing(files: FileTable, rows: number[] | undefined, algo: HashAlgorithm, onBytes?: (n: number) => void): Promise<void> {
  const count = rows ? rows.length : files.length;
  if (count === 0) return;
  const row = rows ? (k: number) => rows[k]! : (k: number) => k;
  await hashFilesInto(count, (k) => files.abs(row(k)), (k) => files.size(row(k)), algo, (k, r) => files.setHash(row(k), r.hash), onBytes);
}

/** The bytes of the given rows of a table. */
export function sizeOfRows(files: FileTable, rows: number[]): number {
  let s = 0;
  for (const i of rows) s += files.size(i);
  return s;
}

export interface DirEntry {
  path: string;
  hash: string;
  size: number;
  mode: FileMode;
}

export interface DirManifest {
  schema: 1;
  entries: DirEntry[];
}

/**
 * A directory manifest's canonical bytes, as chunks made on demand (100k entries are 15 MB
 * of text, which as one string, then as buffers to hash and to write, made the peak of an
 * add), with the hash that names the directory and the byte count.
 */
export interface ManifestBytes {
  hash: string;
  bytes: number;
  chunks(): Iterable<string>;
}

/** The manifest of scanned files (all hashed). */
export async function dirManifestFor(files: FileTable, algo: HashAlgorithm): Promise<ManifestBytes> {
  return manifestBytes(() => manifestChunks(files.length, (i) => files.rel(i), (i) => ({ hash: files.hash(i), size: files.size(i), mode: files.mode(i) })), algo);
}

/** The same for entries known without a workspace (files of a commit); sorted by path. */
export async function dirManifestOf(entries: DirEntry[], algo: HashAlgorithm): Promise<ManifestBytes> {
  return manifestBytes(() => manifestChunks(entries.length, (i) => entries[i]!.path, (i) => entries[i]!), algo);
}

async function manifestBytes(chunks: () => Iterable<string>, algo: HashAlgorithm): Promise<ManifestBytes> {
  const h = await createHasher(algo);
  let bytes = 0;
  for (const chunk of chunks()) {
    const b = Buffer.from(chunk, 'utf8');
    h.update(b);
    bytes += b.length;
  }
  return { hash: formatHash(algo, h.digest()), bytes, chunks };
}

const MANIFEST_CHUNK = 64 * 1024;

/**
 * canonicalJson of { schema: 1, entries } (the schema's four members per entry, keys sorted),
 * written entry by entry in chunks of about 64 KiB: the same bytes without a sorted copy of
 * every entry or the whole text at once.
 */
export function* manifestChunks(count: number, pathAt: (i: number) => string, at: (i: number) => { hash?: string; size: number; mode: FileMode }): Generator<string> {
  let chunk = '{"entries":[';
  for (let i = 0; i < count; i++) {
    const e = at(i);
    if (e.hash === undefined) throw new Error(`manifest entry ${pathAt(i)} has no hash`);
    chunk += `${i === 0 ? '' : ','}{"hash":${JSON.stringify(e.hash)},"mode":${JSON.stringify(e.mode)},"path":${JSON.stringify(pathAt(i))},"size":${JSON.stringify(e.size)}}`;
    if (chunk.length >= MANIFEST_CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk + '],"schema":1}';
}

/** The whole text of manifestChunks. */
export function manifestText(count: number, pathAt: (i: number) => string, at: (i: number) => { hash?: string; size: number; mode: FileMode }): string {
  return [...manifestChunks(count, pathAt, at)].join('');
}

/** What the stat cache saves of a scan: its hashed files, read from the table as it is written. */
export function cacheFromScan(scan: Scan, targetHash: string | undefined): CacheEntries {
  const t = scan.files;
  return {
    targetHash,
    *entries() {
      for (let i = 0; i < t.length; i++) {
        const hash = t.hash(i);
        if (hash) yield [t.rel(i), t.key(i), hash];
      }
    },
    digest() {
      const d = new StatDigest();
      for (let i = 0; i < t.length; i++) if (t.hash(i)) t.addTo(d, i);
      return d;
    },
  };
}

/** The hash a scanned target has (file hash or directory manifest hash); all files hashed. */
export async function targetHashOf(scan: Scan, algo: HashAlgorithm): Promise<string | undefined> {
  if (scan.kind === 'missing') return undefined;
  if (scan.kind === 'file') return scan.files.hash(0);
  return (await dirManifestFor(scan.files, algo)).hash;
}

/**
 * Makes every file of a workspace path an independent writable copy: a file with other
 * hard links (the store object itself, in hardlink mode) or without write permission is
 * copied beside itself and renamed over, so editing it can never reach another version.
 * Returns the files replaced.
 */
export async function makeIndependent(abs: string, display: string): Promise<string[]> {
  const scan = scanPath(abs, display);
  const replaced: string[] = [];
  for (const f of scan.files) {
    const st = await fsp.lstat(f.abs);
    if (st.nlink === 1 && (st.mode & 0o200) !== 0) continue;
    const tmp = `${f.abs}.rx-unprotect.${process.pid}`;
    try {
      await fsp.copyFile(f.abs, tmp);
      await fsp.chmod(tmp, f.mode === '755' ? 0o755 : 0o644);
      await fsp.rename(tmp, f.abs);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    replaced.push(f.rel === '' ? display : `${display}/${f.rel}`);
  }
  return replaced;
}
