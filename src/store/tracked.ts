// The state of one tracked path: its workspace content hash (from the stat cache when
// nothing changed, else by hashing) and its directory manifest read from the store.
import { StoreIntegrityError, type FileProblem } from '../core/errors.js';
import { absPath, unsafePathReason, UnsafePathError } from '../core/paths.js';
import { parseJsonValidated } from '../schema/validate.js';
import { dirManifestSchema } from '../schema/files.js';
import type { Project } from './project.js';
import type { StatCache } from './stat-cache.js';
import { digestDir, scanPath, scanMatchesCache, applyStatCache, hashMissing, sizeOfRows, targetHashOf, cacheFromScan, type Scan, type DirManifest } from './workspace.js';
import type { ObjectStore } from './objects.js';
import type { HashWork } from './hash-progress.js';
import type { FileMode } from './link-strategy.js';

export interface TargetState {
  scan: Scan;
  /** Hash of what is in the workspace now; undefined when the path is missing. */
  currentHash: string | undefined;
  /** Files whose content had to be read. */
  hashed: number;
  /** The stat cache vouched for the whole target: nothing changed since its last save. */
  vouched: boolean;
}

export async function evaluateTarget(project: Project, statCache: StatCache, targetRel: string, work?: HashWork): Promise<TargetState> {
  const scan = scanPath(absPath(project.root, targetRel), targetRel);
  if (scan.kind === 'missing') return { scan, currentHash: undefined, hashed: 0, vouched: false };
  const cache = await statCache.load(targetRel);
  if (scanMatchesCache(scan, cache)) {
    applyStatCache(scan, cache);
    return { scan, currentHash: cache.targetHash, hashed: 0, vouched: true };
  }
  const todo = applyStatCache(scan, cache);
  if (work && todo.length > 0) work.planned(todo.length, sizeOfRows(scan.files, todo));
  await hashMissing(scan.files, todo, project.algo, work && ((n) => work.hashed(n)));
  const currentHash = await targetHashOf(scan, project.algo);
  await statCache.save(targetRel, cacheFromScan(scan, currentHash));
  return { scan, currentHash, hashed: todo.length, vouched: false };
}

/** What callers that need only a target's hash, size and file count learn of it. */
export interface TargetSummary {
  kind: Scan['kind'];
  currentHash: string | undefined;
  nfiles: number;
  size: number;
  /** A single file's mode. */
  mode?: FileMode;
  vouched: boolean;
  /** The full evaluation, when one was made (anything but a directory the summary vouched for). */
  state?: TargetState;
}

/**
 * A target's hash without per-file hashes: a directory whose walk matches the digest its
 * last stat-cache save recorded is vouched for without building a scan or parsing the
 * full cache (megabytes for 100k files); anything else is evaluated in full.
 */
export async function summarizeTarget(project: Project, statCache: StatCache, targetRel: string, work?: HashWork): Promise<TargetSummary> {
  const summary = await statCache.loadSummary(targetRel);
  if (summary) {
    const walked = digestDir(absPath(project.root, targetRel));
    if (walked && walked.count === summary.count && walked.digest() === summary.digest) {
      return { kind: 'dir', currentHash: summary.targetHash, nfiles: walked.count, size: walked.size, vouched: true };
    }
  }
  const state = await evaluateTarget(project, statCache, targetRel, work);
  const { scan } = state;
  // The full cache vouched but no summary did (none saved yet, or of an older rx): save one.
  if (state.vouched && scan.kind === 'dir') await statCache.saveSummary(targetRel, cacheFromScan(scan, state.currentHash));
  return {
    kind: scan.kind,
    currentHash: state.currentHash,
    nfiles: scan.files.length,
    size: scan.files.totalSize(),
    ...(scan.kind === 'file' ? { mode: scan.files.mode(0) } : {}),
    vouched: state.vouched,
    state,
  };
}

/**
 * Reads a directory manifest from the store, checked: its bytes must hash to its name
 * (exit 6 otherwise), and every entry must be a safe path (exit 4, naming the entry),
 * listed once, and no entry may be both a file and a directory. `named` says who names
 * it (a pointer, a lock entry), for the messages.
 */
export async function readDirManifest(store: ObjectStore, hash: string, named?: string, options: { quarantine?: boolean } = {}): Promise<DirManifest> {
  const bytes = await store.readVerified(hash, options);
  const shown = named ? `directory manifest ${hash} (${named})` : `directory manifest ${hash}`;
  let manifest: DirManifest;
  try {
    manifest = parseJsonValidated<DirManifest>(`store object ${hash}`, bytes.toString('utf8'), dirManifestSchema);
  } catch (err) {
    throw new StoreIntegrityError('RX_MANIFEST_CORRUPT', `${shown} is unreadable: ${(err as Error).message}`, {
      data: { hash },
      hint: 'run `rx fsck` to check the store',
    });
  }
  const problems: FileProblem[] = [];
  const files = new Set<string>();
  manifest.entries.forEach((e, i) => {
    const reason = unsafePathReason(e.path);
    if (reason !== undefined) problems.push({ file: shown, field: `entries[${i}].path`, message: `${JSON.stringify(e.path)} ${reason}` });
    else if (files.has(e.path)) problems.push({ file: shown, field: `entries[${i}].path`, message: `${JSON.stringify(e.path)} is listed twice` });
    files.add(e.path);
  });
  for (const f of files) {
    for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) {
      if (files.has(f.slice(0, i))) problems.push({ file: shown, message: `${JSON.stringify(f.slice(0, i))} is listed as a file and as a directory (of ${JSON.stringify(f)})` });
    }
  }
  if (problems.length > 0) throw new UnsafePathError(problems.slice(0, 20));
  return manifest;
}

/** True if bytes look like a directory manifest (canonical JSON starts with its sorted keys). */
export function looksLikeDirManifest(head: Buffer): boolean {
  return head.toString('utf8', 0, 12) === '{"entries":[';
}
