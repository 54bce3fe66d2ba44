// rx fsck: re-hashes store objects (all, or a rotating sample with --quick) and reports
// corrupt ones, objects the workspace names (pointers, rx.lock, the run cache) but the
// store lacks, and directory manifests that are unreadable or list missing objects.
// --repair moves corrupt objects to .rx/tmp/corrupt/ (never deletes) and drops the stat
// cache that vouched for them. Objects a gc removes while fsck runs are not findings.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { openProject } from '../store/project.js';
import { readLock } from '../pipeline/lock.js';
import { readDirManifest, looksLikeDirManifest } from '../store/tracked.js';
import { reachableObjects } from '../store/reachability.js';
import { withProjectLock } from '../store/project-lock.js';
import { parseHash } from '../store/hash.js';
import { isErrno } from '../core/errors.js';

export interface FsckOptions {
  quick?: boolean;
  repair?: boolean;
}

export interface FsckResult {
  checked: number;
  total: number;
  corrupt: { hash: string; actual: string }[];
  missing: { hash: string; referencedBy: string }[];
  dangling: { hash: string; reason: string }[];
  repaired: string[];
}

const QUICK_BUCKETS = 16;

async function readHead(file: string): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(12);
    const { bytesRead } = await fh.read(buf, 0, 12, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function fsck(ctx: Context, options: FsckOptions): Promise<FsckResult> {
  const project = await openProject(ctx.cwd);
  const run = async (): Promise<FsckResult> => {
    const objects = await project.store.list();
    // --quick checks one of 16 buckets of objects, a different one each minute of the clock.
    const bucket = Math.floor(ctx.clock.now().getTime() / 60000) % QUICK_BUCKETS;
    const sample = options.quick ? objects.filter((o) => parseInt(parseHash(o.hash).hex.slice(0, 2), 16) % QUICK_BUCKETS === bucket) : objects;
    const corrupt: FsckResult['corrupt'] = [];
    const dangling: FsckResult['dangling'] = [];
    const repaired: string[] = [];
    const totalBytes = sample.reduce((s, o) => s + o.size, 0);
    const bar = ctx.reporter.progress('checking objects', totalBytes, 'bytes');
    const corruptSet = new Set<string>();
    try {
      for (const obj of sample) {
        let actual: string;
        try {
          actual = await project.store.rehash(obj.hash);
        } catch (err) {
          if (isErrno(err, 'ENOENT')) continue; // removed by a gc since the listing
          throw err;
        }
        bar.tick(obj.size);
        if (actual !== obj.hash) {
          corrupt.push({ hash: obj.hash, actual });
          corruptSet.add(obj.hash);
          continue;
        }
        await project.store.markVerified(obj.hash);
        const head = obj.size >= 12 ? await readHead(project.store.objectPath(obj.hash)).catch(() => undefined) : undefined;
        if (head && looksLikeDirManifest(head)) {
          try {
            const m = await readDirManifest(project.store, obj.hash, undefined, { quarantine: false });
            const lacking: string[] = [];
            for (const e of m.entries) if (!(await project.store.has(e.hash))) lacking.push(e.path);
            // A gc removes a manifest before what it lists: one gone since is no finding.
            if (lacking.length > 0 && (await project.store.has(obj.hash))) dangling.push({ hash: obj.hash, reason: `lists ${lacking.length} missing object(s), e.g. ${lacking[0]}` });
          } catch (err) {
            if (await project.store.has(obj.hash)) dangling.push({ hash: obj.hash, reason: (err as Error).message });
          }
        }
      }
    } finally {
      bar.stop();
    }
    await project.store.flush();
    await readLock(project.root, project.parsed); // the path guard: a crafted lock is exit 4
    const refs = await reachableObjects(project, ['workspace'], ctx.reporter, { runCache: false });
    const missing: FsckResult['missing'] = [];
    for (const [hash, by] of refs.all) {
      if (corruptSet.has(hash) || !(await project.store.has(hash))) missing.push({ hash, referencedBy: by });
    }
    for (const [hash, reason] of refs.unreadableManifests) if (!dangling.some((d) => d.hash === hash)) dangling.push({ hash, reason });
    for (const hash of refs.missingManifests) if (!missing.some((m) => m.hash === hash)) missing.push({ hash, referencedBy: refs.roots.get(hash)?.where ?? '' });
    if (options.repair && corrupt.length > 0) {
      for (const c of corrupt) repaired.push(path.relative(project.root, await project.store.quarantine(c.hash)));
      await fsp.rm(path.join(project.tmpDir, 'stat'), { recursive: true, force: true });
    }
    return { checked: sample.length, total: objects.length, corrupt, missing, dangling, repaired };
  };
  return options.repair ? withProjectLock(ctx, project, run) : run();
}
