// rx repro --rev REV: re-executes the pipeline of any commit and says whether it reproduced.
// The commit's tree is written blob by blob into .rx/tmp/rev/ (never `git checkout`, which
// would rewrite the user's index), its tracked data is linked from the shared store, every
// selected stage is run (no run cache: this is a re-execution), and outputs, metrics and
// the re-written rx.lock are compared with the commit's own. The user's working tree,
// index, HEAD and refs are untouched; the directory is removed afterwards, also on signals.
import { promises as fsp, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError, StoreIntegrityError } from '../core/errors.js';
import { onExit } from '../core/cleanup.js';
import { parseYaml, stringifyYaml } from '../core/yaml.js';
import { openProject, CONFIG_FILE, POINTER_SUFFIX, type Project } from '../store/project.js';
import { readDirManifest } from '../store/tracked.js';
import { listCommitFiles, materialiseFiles, readBlobBytes, type TreeFile } from '../git/tree.js';
import { resolveRevision } from '../git/revision.js';
import { loadPipeline, PIPELINE_FILE } from '../pipeline/definition.js';
import { parseLock, readLock, LOCK_FILE } from '../pipeline/lock.js';
import { flatten } from '../pipeline/values.js';
import { compareRuns, type MetricValues, type RunComparison } from '../pipeline/verdict.js';
import { projectRepo } from './revisions.js';
import { checkout } from './checkout.js';
import { repro, type StageOutcome } from './repro.js';

export interface RevReproOptions {
  rev: string;
  stages: string[];
  keep?: boolean;
  jobs?: number;
}

export interface RevReproResult extends RunComparison {
  rev: string;
  commit: string;
  /** The directory it ran in, when kept. */
  dir?: string;
  failed: string[];
  run: StageOutcome[];
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** Every object the commit's pointer files need, checked before anything runs. */
async function missingData(project: Project, repoFiles: TreeFile[], read: (f: TreeFile) => Promise<string>): Promise<string[]> {
  const missing: string[] = [];
  for (const f of repoFiles) {
    if (!f.path.endsWith(POINTER_SUFFIX)) continue;
    let p: { hash?: unknown; type?: unknown };
    try {
      p = parseYaml(await read(f)) as { hash?: unknown; type?: unknown };
    } catch {
      continue; // an unreadable pointer fails the checkout with its location
    }
    if (typeof p?.hash !== 'string') continue;
    if (!(await project.store.has(p.hash))) {
      missing.push(`${p.hash} (${f.path})`);
      continue;
    }
    if (p.type === 'dir') {
      for (const e of (await readDirManifest(project.store, p.hash)).entries) {
        if (!(await project.store.has(e.hash))) missing.push(`${e.hash} (${f.path.slice(0, -POINTER_SUFFIX.length)}/${e.path})`);
      }
    }
  }
  return missing;
}

async function metricValues(files: string[], read: (rel: string) => Promise<string | undefined>): Promise<MetricValues> {
  const out: MetricValues = new Map();
  for (const file of files) {
    const t = await read(file);
    if (t === undefined) continue;
    try {
      out.set(file, flatten(parseYaml(t)));
    } catch {
      out.set(file, new Map([['(unparseable)', t]]));
    }
  }
  return out;
}

export async function reproRev(ctx: Context, options: RevReproOptions): Promise<RevReproResult> {
  const project = await openProject(ctx.cwd);
  const { repo, prefix } = projectRepo(project);
  const commit = await resolveRevision(repo, options.rev);
  const files = await listCommitFiles(repo, commit, prefix);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const readAt = async (rel: string) => {
    const f = byPath.get(rel);
    return f ? text(await readBlobBytes(repo, f.oid)) : undefined;
  };
  if (!byPath.has(PIPELINE_FILE)) throw new UsageError(`${options.rev} (${commit.slice(0, 12)}) has no ${PIPELINE_FILE}${prefix ? ` in ${prefix}/` : ''}: nothing to reproduce`);
  const beforeText = await readAt(LOCK_FILE);
  if (beforeText === undefined) throw new UsageError(`${options.rev} (${commit.slice(0, 12)}) has no ${LOCK_FILE}: there is no recorded result to compare with`);
  const before = parseLock(beforeText, `${options.rev}:${LOCK_FILE}`);
  const missing = await missingData(project, files, async (f) => text(await readBlobBytes(repo, f.oid)));
  if (missing.length > 0) {
    throw new StoreIntegrityError('RX_OBJECT_MISSING', `${missing.length} object(s) the commit needs are not in the store; nothing was run:\n  ${missing.join('\n  ')}`, {
      data: { missing },
      hint: 'fetch the store the data was added to, or re-add the data at that commit',
    });
  }

  const dir = path.join(project.tmpDir, 'rev', `${commit.slice(0, 12)}-${process.pid}`);
  const dispose = options.keep ? () => {} : onExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    await materialiseFiles(repo, files, dir);
    // The copy shares the project's store, with the commit's own settings otherwise.
    const config = (parseYaml((await readAt(CONFIG_FILE)) ?? 'schema: 1') ?? { schema: 1 }) as Record<string, unknown>;
    await fsp.mkdir(path.join(dir, '.rx'), { recursive: true });
    await fsp.writeFile(path.join(dir, CONFIG_FILE), stringifyYaml({ ...config, cache: project.store.dir }));
    const inner: Context = { ...ctx, cwd: dir };
    if (files.some((f) => f.path.endsWith(POINTER_SUFFIX))) await checkout(inner, { paths: [], force: true, outputs: false });
    const run = await repro(inner, { targets: options.stages, force: true, runCache: false, jobs: options.jobs });

    const pipeline = (await loadPipeline(dir))!;
    const selected = new Set(run.stages.filter((s) => s.action === 'ran').map((s) => s.name));
    const afterText = await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8');
    const after = (await readLock(dir))!;
    const metricFiles = pipeline.stages.flatMap((s) => s.outs.filter((o) => o.kind === 'metric').map((o) => o.path));
    const comparison = compareRuns({
      stages: pipeline.stages.filter((s) => selected.has(s.name) || run.stages.some((r) => r.name === s.name && r.action === 'failed')),
      before,
      after,
      beforeText,
      afterText,
      metricsBefore: await metricValues(metricFiles, readAt),
      metricsAfter: await metricValues(metricFiles, async (rel) => fsp.readFile(path.join(dir, rel), 'utf8').catch(() => undefined)),
    });
    const result: RevReproResult = { rev: options.rev, commit, ...comparison, failed: run.failed, run: run.stages };
    if (run.failed.length > 0) result.verdict = 'diverged';
    if (options.keep) result.dir = dir;
    return result;
  } finally {
    if (!options.keep) {
      dispose();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}
