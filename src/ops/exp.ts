// Experiments: `rx exp run` runs the pipeline on HEAD plus the working tree's uncommitted
// changes plus -S overrides, in a sandbox sharing the store (exp/sandbox.ts), and records the
// result as a commit under refs/rx/exps/<baseline sha>/<name>, without moving HEAD or
// touching the index or working tree. The rest (list, show, diff, apply, branch, rm)
// reads and manages those refs. With --seeds, one configuration runs once per seed (RX_SEED)
// as NAME/s<seed>, and exp show summarises such a group (exp/seeds.ts).
import { promises as fsp, existsSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Context } from '../core/context.js';
import { UsageError, RxError, ExitCode } from '../core/errors.js';
import { absPath } from '../core/paths.js';
import { compareStrings } from '../core/canonical.js';
import { parseYaml } from '../core/yaml.js';
import { openProject, RX_DIR } from '../store/project.js';
import { listCommitFiles, setRef, removeRef, refsUnder, readBlobBytes, blobOid } from '../git/tree.js';
import { loadPipelineFrom } from '../pipeline/definition.js';
import { parseOverride } from '../pipeline/overrides.js';
import { flatten } from '../pipeline/values.js';
import { getPath } from '../pipeline/template.js';
import { projectRepo, type ProjectRepo } from '../git/project-repo.js';
import { headCommit, uniqueName, nameTaken, listExperiments, findExperiment, overrideKeys, experimentMessage, type ExpInfo } from '../exp/refs.js';
import { seedExperimentName, seedGroups, summariseSeeds, groupStatsSeed, type SeedGroup, type SeedMetric, type GroupableRow } from '../exp/seeds.js';
import { checkoutWorkspace } from '../pipeline/checkout.js';
import type { StageOutcome } from '../pipeline/run.js';
import { LocalExecutor } from '../exp/executors/local.js';
import { paramsDiff, metricsDiff, type DiffResult } from './params-metrics.js';

export { EXP_REFS, type ExpInfo } from '../exp/refs.js';
export { listExperiments, findExperiment };

export interface ExpRunOptions {
  overrides: string[];
  name?: string;
  stages: string[];
  jobs?: number;
}

export interface ExpRunResult {
  name: string;
  ref: string;
  commit: string;
  baseline: string;
  overrides: string[];
  stages: StageOutcome[];
  failed: string[];
}

export async function expRun(ctx: Context, options: ExpRunOptions): Promise<ExpRunResult> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const { repo } = pr;
  const baseline = await headCommit(repo);
  // Refused before anything is written.
  options.overrides.forEach(parseOverride);
  const seed = createHash('sha256').update(`${ctx.clock.now().toISOString()}:${process.pid}:${options.overrides.join(' ')}`).digest().readUInt32BE(0);
  const name = await uniqueName(repo, baseline, options.name, seed);
  const r = await new LocalExecutor(ctx).run({
    base: baseline,
    source: 'worktree',
    overrides: options.overrides,
    stages: options.stages,
    jobs: options.jobs,
    kind: 'exp',
    label: name,
    record: {
      name,
      message: (n) => experimentMessage(`rx exp run ${n}`, options.overrides),
      // Experiments run concurrently may pick the same name: a generated one is chosen again.
      nextName: async (attempt) => {
        if (options.name !== undefined) throw new UsageError(`an experiment named ${name} was recorded on this baseline while this one ran`, { hint: 'run it again with another -n' });
        return uniqueName(repo, baseline, undefined, seed + attempt);
      },
    },
  });
  const recorded = r.recorded ?? { name, ref: '', commit: '' };
  return { ...recorded, baseline, overrides: options.overrides, stages: r.stages, failed: r.failed };
}

export interface ExpSeedRun {
  seed: number;
  /** NAME/s<seed>. */
  name: string;
  /** '' when not recorded (a stage failed). */
  ref: string;
  commit: string;
  stages: StageOutcome[];
  failed: string[];
  /** Its metrics as exp show reads them (file:key -> number or boolean); empty when not recorded. */
  metrics: Record<string, unknown>;
  /** With seedJobs > 1: where its stage output went (project-relative). */
  log?: string;
}

export interface ExpRunSeedsResult {
  /** The group: every seed's experiment is named <group>/s<seed>. */
  group: string;
  baseline: string;
  overrides: string[];
  /** In the order of --seeds. */
  seeds: ExpSeedRun[];
  /** Seeds whose run failed (not recorded). */
  failedSeeds: number[];
  /** The bootstrap seed of the intervals: groupStatsSeed(group). */
  statsSeed: number;
  /** Per numeric metric of the recorded seeds: values by ascending seed and describe() of them. */
  summary: Record<string, SeedMetric>;
}

/**
 * One configuration (HEAD + working tree + overrides) run once per seed with RX_SEED set
 * (recorded in the lock's env and the run-cache key, so seeds never share a cached result),
 * each recorded as <group>/s<seed>: one after the other, or up to seedJobs at once, whose stage
 * output then goes to a log per seed instead of the terminal. The group's name is checked free
 * first; a seed's record also refuses a group that got experiments of another run meanwhile, so
 * a group only ever holds one run's seeds. A failed seed is not recorded; the others still run.
 */
export async function expRunSeeds(ctx: Context, options: ExpRunOptions & { seeds: number[]; seedJobs?: number }): Promise<ExpRunSeedsResult> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const { repo } = pr;
  const baseline = await headCommit(repo);
  options.overrides.forEach(parseOverride);
  if (options.seeds.length === 0) throw new UsageError('--seeds needs at least one seed');
  const slots = Math.max(1, Math.min(options.seedJobs ?? 1, options.seeds.length));
  const nameSeed = createHash('sha256').update(`${ctx.clock.now().toISOString()}:${process.pid}:${options.overrides.join(' ')}:seeds`).digest().readUInt32BE(0);
  let group = await uniqueName(repo, baseline, options.name, nameSeed);
  const ours = new Set<string>();
  // Renaming the group is one step at a time, so seeds recording at once agree on the new name.
  let renaming: Promise<unknown> = Promise.resolve();
  // At once, stage output would interleave: each seed's goes to its log, the terminal gets a line per seed.
  const parallel = slots > 1;
  const runCtx: Context = parallel ? { ...ctx, reporter: { ...ctx.reporter, info: () => {}, stageOutput: () => {} } } : ctx;
  const executor = new LocalExecutor(runCtx, { slots });
  const runOne = async (s: number): Promise<ExpSeedRun> => {
    let tried = group;
    const log = parallel ? `${RX_DIR}/tmp/runs/exp/${group}/s${s}.log` : undefined;
    ctx.reporter.info(`seed ${s}: ${seedExperimentName(group, s)}${log ? ` (output in ${log})` : ''}`);
    const r = await executor.run({
      base: baseline,
      source: 'worktree',
      overrides: options.overrides,
      stages: options.stages,
      jobs: options.jobs,
      env: { RX_SEED: String(s) },
      kind: 'exp',
      label: `${group}-s${s}`,
      ...(log ? { logFile: absPath(project.root, log) } : {}),
      record: {
        name: seedExperimentName(group, s),
        message: (n) => experimentMessage(`rx exp run ${n} (RX_SEED=${s})`, options.overrides),
        // Taken: the name as for any experiment, or a group holding another run's experiments.
        // This run's own seeds may be recorded at any moment by the other slots (--seed-jobs),
        // before `ours` hears of them: a name of this run's seed list is never another run's sign
        // (another run that took one of them is caught when that seed is recorded, by nameTaken).
        clashes: (taken, n) => {
          const prefix = n.slice(0, n.lastIndexOf('/'));
          const mine = new Set(options.seeds.map((x) => seedExperimentName(prefix, x)));
          return nameTaken(taken, n) || taken.some((t) => t.startsWith(`${prefix}/`) && !ours.has(t) && !mine.has(t));
        },
        // A generated group name another run took meanwhile is chosen again, while none of this run's seeds is recorded.
        nextName: (attempt) => {
          const next = renaming.then(async () => {
            if (group === tried) {
              if (options.name !== undefined || ours.size > 0) throw new UsageError(`experiments named ${group}/... were recorded on this baseline by another run while this one ran`, { hint: 'run it again with another -n' });
              group = await uniqueName(repo, baseline, undefined, nameSeed + attempt);
            }
            tried = group;
            return seedExperimentName(group, s);
          });
          renaming = next.catch(() => undefined);
          return next;
        },
      },
    });
    if (r.recorded) ours.add(r.recorded.name);
    if (parallel) ctx.reporter.info(`seed ${s}: ${r.recorded ? `recorded ${r.recorded.name}` : `failed: ${r.failed.join(', ')}`}`);
    const run: ExpSeedRun = { seed: s, name: r.recorded?.name ?? seedExperimentName(group, s), ref: r.recorded?.ref ?? '', commit: r.recorded?.commit ?? '', stages: r.stages, failed: r.failed, metrics: r.recorded ? (await valuesAt(pr, r.recorded.commit)).metrics : {} };
    if (log) run.log = log;
    return run;
  };
  let runs: ExpSeedRun[] = [];
  if (parallel) {
    // Every seed's job is waited for: a failing one (an interrupt) must not leave others running unseen.
    const settled = await Promise.allSettled(options.seeds.map(runOne));
    const rejected = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (rejected) throw rejected.reason;
    runs = settled.map((x) => (x as PromiseFulfilledResult<ExpSeedRun>).value);
  } else for (const s of options.seeds) runs.push(await runOne(s));
  const recorded = runs.filter((r) => r.commit !== '');
  return {
    group,
    baseline,
    overrides: options.overrides,
    seeds: runs,
    failedSeeds: runs.filter((r) => r.commit === '').map((r) => r.seed),
    statsSeed: groupStatsSeed(group),
    summary: summariseSeeds(group, recorded),
  };
}

export async function expList(ctx: Context, options: { allBaselines?: boolean }): Promise<{ baseline?: string; experiments: ExpInfo[] }> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const baseline = options.allBaselines ? undefined : await headCommit(pr.repo);
  const r: { baseline?: string; experiments: ExpInfo[] } = { experiments: await listExperiments(pr, baseline) };
  if (baseline) r.baseline = baseline;
  return r;
}

/** An experiment row of `exp show` (the shape seed groups are built from). */
export type ExpRow = GroupableRow;

async function valuesAt(pr: ProjectRepo, commit: string, extra: { file: string; key: string }[] = []): Promise<{ params: Record<string, unknown>; metrics: Record<string, unknown> }> {
  const files = await listCommitFiles(pr.repo, commit, pr.prefix);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const read = async (rel: string) => {
    const f = byPath.get(rel);
    return f ? Buffer.from(await readBlobBytes(pr.repo, f.oid)).toString('utf8') : undefined;
  };
  const params: Record<string, unknown> = {};
  const metrics: Record<string, unknown> = {};
  const pipeline = await loadPipelineFrom(read);
  if (!pipeline) return { params, metrics };
  const used = new Map<string, Set<string> | null>();
  for (const s of pipeline.stages) for (const p of s.params) used.set(p.file, p.keys === null || used.get(p.file) === null ? null : new Set([...(used.get(p.file) ?? []), ...p.keys]));
  // Overrides of files no stage lists as params (models/cnn.yaml:blocks.0.filters) get their column too.
  for (const x of extra) if (used.get(x.file) !== null) used.set(x.file, new Set([...(used.get(x.file) ?? []), x.key]));
  for (const [file, keys] of used) {
    const t = await read(file);
    if (t === undefined) continue;
    const doc = parseYaml(t, file);
    const label = (k: string) => (file === 'params.yaml' ? k : `${file}:${k}`);
    for (const [k, v] of flatten(doc)) if (keys === null || [...keys].some((key) => k === key || k.startsWith(key + '.'))) params[label(k)] = v;
    // Keys into lists (blocks.0.filters) are not among the flattened ones: read them by path.
    for (const key of keys ?? []) {
      if (label(key) in params) continue;
      const r = getPath(doc, key);
      if (r.found) for (const [k, v] of flatten(r.value, key)) params[label(k)] = v;
    }
  }
  for (const s of pipeline.stages) {
    for (const o of s.outs) {
      if (o.kind !== 'metric') continue;
      const t = await read(o.path);
      if (t === undefined) continue;
      for (const [k, v] of flatten(parseYaml(t, o.path))) if (typeof v === 'number' || typeof v === 'boolean') metrics[`${o.path}:${k}`] = v;
    }
  }
  return { params, metrics };
}

export interface ExpShowResult {
  /** HEAD (when not --all-baselines) and every experiment, seed groups' experiments included. */
  rows: ExpRow[];
  /** The seed groups among the experiments (NAME/s0, NAME/s1, ...), each summarised. */
  groups: SeedGroup[];
}

/** What a table shows as one line: an experiment (or HEAD), or a seed group summarised. */
export type ShowItem = { kind: 'experiment'; row: ExpRow } | { kind: 'group'; group: SeedGroup };

/** The value --sort-by KEY names among values keyed file:key (the key alone will do). */
function valueFor(values: Record<string, unknown>, key: string): unknown {
  return Object.entries(values).find(([k]) => k === key || k.endsWith(`:${key}`))?.[1];
}

const rowValue = (row: ExpRow, key: string) => valueFor({ ...row.metrics, ...row.params }, key);
/** A group sorts by the mean of a metric, or by a param all its seeds share. */
const groupValue = (group: SeedGroup, key: string) => valueFor({ ...Object.fromEntries(Object.entries(group.metrics).map(([k, m]) => [k, m.stats.mean.estimate])), ...group.params }, key);

/** Sorted by a value (stable; numbers as numbers, the rest as strings; items without one last). */
function sortedBy<T>(items: T[], valueOf: (item: T) => unknown, descending = false): T[] {
  const dir = descending ? -1 : 1;
  const keyed = items.map((item) => ({ item, value: valueOf(item) }));
  keyed.sort((a, b) => {
    const [x, y] = [a.value, b.value];
    if (x === undefined) return y === undefined ? 0 : 1;
    if (y === undefined) return -1;
    return (typeof x === 'number' && typeof y === 'number' ? x - y : compareStrings(String(x), String(y))) * dir;
  });
  return keyed.map((k) => k.item);
}

/** Table lines sorted by a param or metric, a group by its mean. */
export function sortShowItems(items: ShowItem[], key: string, descending = false): ShowItem[] {
  return sortedBy(items, (i) => (i.kind === 'experiment' ? rowValue(i.row, key) : groupValue(i.group, key)), descending);
}

/**
 * The lines of exp show's table: with perSeed every row; else each seed group's rows are one
 * line for the group, where its first row was (or, sorted, where its mean puts it).
 */
export function showItems(result: ExpShowResult, options: { perSeed?: boolean; sortBy?: string; descending?: boolean } = {}): ShowItem[] {
  if (options.perSeed) return result.rows.map((row) => ({ kind: 'experiment', row }));
  const member = new Map<string, SeedGroup>();
  for (const g of result.groups) for (const e of g.experiments) member.set(`${g.baseline}\0${e.name}`, g);
  const items: ShowItem[] = [];
  const placed = new Set<SeedGroup>();
  for (const row of result.rows) {
    const g = row.name === 'HEAD' ? undefined : member.get(`${row.baseline}\0${row.name}`);
    if (!g) items.push({ kind: 'experiment', row });
    else if (!placed.has(g)) {
      placed.add(g);
      items.push({ kind: 'group', group: g });
    }
  }
  return options.sortBy ? sortShowItems(items, options.sortBy, options.descending) : items;
}

export async function expShow(ctx: Context, options: { allBaselines?: boolean; sortBy?: string; descending?: boolean }): Promise<ExpShowResult> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const baseline = options.allBaselines ? undefined : await headCommit(pr.repo);
  let rows: ExpRow[] = [];
  const experiments = await listExperiments(pr, baseline);
  const extra = overrideKeys(experiments.flatMap((e) => e.overrides));
  if (baseline) rows.push({ name: 'HEAD', commit: baseline, baseline, ...(await valuesAt(pr, baseline, extra)) });
  const expRows: ExpRow[] = [];
  for (const e of experiments) expRows.push({ name: e.name, commit: e.commit, baseline: e.baseline, ...(await valuesAt(pr, e.commit, extra)) });
  rows.push(...expRows);
  let { groups } = seedGroups(expRows);
  if (options.sortBy) {
    const key = options.sortBy;
    // A group's values come from its rows: no row with the key, no group with it either.
    if (!rows.some((r) => rowValue(r, key) !== undefined)) throw new UsageError(`--sort-by ${key}: no experiment has that param or metric`);
    rows = sortedBy(rows, (r) => rowValue(r, key), options.descending);
    groups = sortedBy(groups, (g) => groupValue(g, key), options.descending);
  }
  return { rows, groups };
}

/** Writes an experiment's files into the working tree and restores its data and outputs. */
export async function expApply(ctx: Context, options: { name: string; force?: boolean }): Promise<{ name: string; commit: string; written: string[] }> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const exp = await findExperiment(pr, options.name);
  const [expFiles, headFiles] = [await listCommitFiles(pr.repo, exp.commit, pr.prefix), await listCommitFiles(pr.repo, await headCommit(pr.repo), pr.prefix)];
  const headByPath = new Map(headFiles.map((f) => [f.path, f]));
  const changed = expFiles.filter((f) => headByPath.get(f.path)?.oid !== f.oid || headByPath.get(f.path)?.mode !== f.mode);
  const conflicts: string[] = [];
  for (const f of changed) {
    const abs = absPath(project.root, f.path);
    if (!existsSync(abs)) continue;
    const current = blobOid(await fsp.readFile(abs));
    const head = headByPath.get(f.path);
    if (current !== f.oid && current !== head?.oid) conflicts.push(f.path);
  }
  if (conflicts.length > 0 && !options.force) {
    throw new RxError('RX_WOULD_OVERWRITE', ExitCode.differences, `applying ${exp.name} would overwrite uncommitted changes:\n  ${conflicts.join('\n  ')}`, { hint: 'commit or stash them, or pass --force' });
  }
  for (const f of changed) {
    const abs = absPath(project.root, f.path);
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.rx-apply.${process.pid}`;
    await fsp.writeFile(tmp, await readBlobBytes(pr.repo, f.oid), { mode: f.mode === '100755' ? 0o755 : 0o644 });
    await fsp.rename(tmp, abs);
  }
  // Data and stage outputs follow the applied pointer files and rx.lock.
  await checkoutWorkspace(ctx, { paths: [], force: options.force });
  return { name: exp.name, commit: exp.commit, written: changed.map((f) => f.path) };
}

export async function expBranch(ctx: Context, options: { name: string; branch: string }): Promise<{ branch: string; commit: string }> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const exp = await findExperiment(pr, options.name);
  const ref = `refs/heads/${options.branch}`;
  if ((await refsUnder(pr.repo, 'refs/heads')).some((r) => r.ref === ref)) throw new UsageError(`branch ${options.branch} already exists`);
  await setRef(pr.repo, ref, exp.commit);
  return { branch: options.branch, commit: exp.commit };
}

export async function expRemove(ctx: Context, options: { names: string[] }): Promise<{ removed: string[] }> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const removed: string[] = [];
  for (const n of options.names) {
    const exp = await findExperiment(pr, n);
    await removeRef(pr.repo, exp.ref);
    removed.push(exp.ref);
  }
  return { removed };
}

/** Params and metrics of two experiments (or an experiment and HEAD), compared. */
export async function expDiff(ctx: Context, options: { a: string; b?: string; all?: boolean }): Promise<{ a: string; b: string; params: DiffResult; metrics: DiffResult }> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const resolve = async (n: string) => (n === 'HEAD' ? { commit: await headCommit(pr.repo), overrides: [] as string[] } : await findExperiment(pr, n));
  const b = options.b ?? 'HEAD';
  const [ea, eb] = [await resolve(options.a), await resolve(b)];
  const [ca, cb] = [ea.commit, eb.commit];
  const label = (r: DiffResult) => ({ ...r, a: options.a, b });
  return {
    a: options.a,
    b,
    params: label(await paramsDiff(ctx, { revisions: [ca, cb], all: options.all, extra: overrideKeys([...ea.overrides, ...eb.overrides]) })),
    metrics: label(await metricsDiff(ctx, { revisions: [ca, cb], all: options.all })),
  };
}
