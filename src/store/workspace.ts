// What a tracked path looks like in the workspace right now: its files with stat keys,
// hashes filled from the stat cache or by hashing, and the canonical directory manifest
// whose hash names a directory. Shared by add, status and checkout.
import { readdirSync, lstatSync, promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import { UsageError, isErrno } from '../core/errors.js';
import { compareStrings } from '../core/canonical.js';
import { statKey, StatDigest, type TargetCache } from './stat-cache.js';
import { hashFiles } from './hash-pool.js';
import { createHasher, formatHash, type HashAlgorithm } from './hash.js';
import type { FileMode } from './link-strategy.js';

export interface WorkspaceFile {
  /** Path within the target, POSIX; '' when the target is a single file. */
  rel: string;
  abs: string;
  size: number;
  mode: FileMode;
  key: string;
  /** Hard links to the file; 2 or more when it is linked from the store. */
  nlink: number;
  hash?: string;
}

export type Scan =
  | { kind: 'missing'; files: [] }
  | { kind: 'file'; files: [WorkspaceFile] }
  | { kind: 'dir'; files: WorkspaceFile[] };

function modeOf(st: Stats): FileMode {
  return (st.mode & 0o111) !== 0 ? '755' : '644';
}

function fileEntry(rel: string, abs: string, st: Stats): WorkspaceFile {
  return { rel, abs, size: st.size, mode: modeOf(st), key: statKey(st), nlink: st.nlink };
}

function unsupported(display: string, what: string): UsageError {
  return new UsageError(`${display}: is a ${what}; rx tracks regular files and directories only`, { data: { path: display } });
}

/** Lists a tracked path's files (sorted by path) with their stats; reads no content. */
export function scanPath(abs: string, display: string): Scan {
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return { kind: 'missing', files: [] };
    throw err;
  }
  if (st.isFile()) return { kind: 'file', files: [fileEntry('', abs, st)] };
  if (!st.isDirectory()) throw unsupported(display, st.isSymbolicLink() ? 'symbolic link' : 'special file');
  const files: WorkspaceFile[] = [];
  const walk = (dirAbs: string, dirRel: string) => {
    for (const ent of readdirSync(dirAbs, { withFileTypes: true })) {
      const rel = dirRel === '' ? ent.name : `${dirRel}/${ent.name}`;
      // Plain concatenation: dirAbs is already normal, and path.join was a tenth of a 100k scan.
      const childAbs = dirAbs + path.sep + ent.name;
      if (ent.isDirectory()) walk(childAbs, rel);
      else if (ent.isFile()) files.push(fileEntry(rel, childAbs, lstatSync(childAbs)));
      else throw unsupported(`${display}/${rel}`, ent.isSymbolicLink() ? 'symbolic link' : 'special file');
    }
  };
  walk(abs, '');
  files.sort((a, b) => compareStrings(a.rel, b.rel));
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
    const ents = readdirSync(dirAbs, { withFileTypes: true });
    const order = ents.map((e) => ({ e, k: e.isDirectory() ? e.name + '/' : e.name }));
    order.sort((a, b) => compareStrings(a.k, b.k));
    for (const { e } of order) {
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

/** Fills hashes from the cache where the stat key matches; returns the files still unhashed. */
export function applyStatCache(scan: Scan, cache: TargetCache): WorkspaceFile[] {
  const todo: WorkspaceFile[] = [];
  for (const f of scan.files) {
    const hit = cache.files.get(f.rel);
    if (hit && hit[0] === f.key) f.hash = hit[1];
    else todo.push(f);
  }
  return todo;
}

/** True when the scan is exactly the cached file set with every stat key unchanged. */
export function scanMatchesCache(scan: Scan, cache: TargetCache): boolean {
  if (cache.targetHash === undefined || scan.files.length !== cache.files.size) return false;
  for (const f of scan.files) {
    const hit = cache.files.get(f.rel);
    if (!hit || hit[0] !== f.key) return false;
  }
  return true;
}

export async function hashMissing(files: WorkspaceFile[], algo: HashAlgorithm, onBytes?: (n: number) => void): Promise<void> {
  if (files.length === 0) return;
  const results = await hashFiles(files.map((f) => ({ path: f.abs, size: f.size })), algo, onBytes);
  results.forEach((r, i) => {
    files[i]!.hash = r.hash;
  });
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
export async function dirManifestFor(files: WorkspaceFile[], algo: HashAlgorithm): Promise<ManifestBytes> {
  return manifestBytes(() => manifestChunks(files.length, (i) => files[i]!.rel, (i) => files[i]!), algo);
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

export function cacheFromScan(scan: Scan, targetHash: string | undefined): TargetCache {
  const files = new Map<string, [string, string]>();
  for (const f of scan.files) if (f.hash) files.set(f.rel, [f.key, f.hash]);
  return { files, targetHash };
}

/** The hash a scanned target has (file hash or directory manifest hash); all files hashed. */
export async function targetHashOf(scan: Scan, algo: HashAlgorithm): Promise<string | undefined> {
  if (scan.kind === 'missing') return undefined;
  if (scan.kind === 'file') return scan.files[0].hash;
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
