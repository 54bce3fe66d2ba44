// The pipeline run behind rx repro (and every sandbox run): brings stages up to date. Plans with a pure function over the graph, decides
// per stage with pure change detection, and for each stage that must change either
// restores outputs from the store (only outputs missing), restores from the run cache
// (inputs seen before), or runs it with outputs moved aside until it succeeds. The lock
// entry is written atomically after each stage succeeds; a failed stage keeps its previous
// outputs and lock entry.
import { existsSync } from 'node:fs';
import type { Context } from '../core/context.js';
import { InvalidFileError, InterruptedError, StoreIntegrityError, type FileProblem } from '../core/errors.js';
import { absPath, assertNoSymlinkAbove } from '../core/paths.js';
import { removeStaleTemps } from '../core/atomic.js';
import { fieldPath } from '../schema/validate.js';
import { StatCache } from '../store/stat-cache.js';
import { saveTarget } from '../store/save.js';
import { planRestore, applyRestore } from '../store/restore.js';
import type { Project } from '../store/project.js';
import { independentLinkOrder, type LinkType } from '../store/link-strategy.js';
import { ignoreTarget } from '../git/ignore.js';
import { PIPELINE_FILE, type Stage } from './definition.js';
import { producerOf, type Graph } from './graph.js';
import { planRepro, resolveTargets } from './plan.js';
import { describeReason } from './changes.js';
import { assessStage } from './assess.js';
import { lockEntryFor, readLock, writeLock, emptyLock, runCacheKey, type Lock, type LockFileEntry, type LockStage } from './lock.js';
import { environmentFingerprint } from './env.js';
import { workspaceParamsReader, type ParamsReader } from './params.js';
import { observationMemo, type ObservationMemo } from './observe.js';
import { moveOutputsAside, restoreOutputs, dropStaging, recoverStaging, recordGroup } from './staging.js';
import { stopGraceMs } from './process-group.js';
import { interruption, onInterrupt } from '../core/interrupt.js';
import { executeStage } from './execute.js';
import { probeIsolation } from './isolate.js';
import { readRunCache, writeRunCache } from '../store/run-cache.js';
import { withProjectLock } from '../store/project-lock.js';
import { openPipeline } from './open.js';

export interface ReproOptions {
  targets: string[];
  force?: boolean;
  dry?: boolean;
  downstream?: boolean;
  jobs?: number;
  keepGoing?: boolean;
  /** Use the run cache (default true). */
  runCache?: boolean;
  /** Run each stage command under bubblewrap (no network, only the project tree writable). */
  isolate?: boolean;
  /**
   * Extra environment for every stage's commands (a search trial's RX_SEED), over the stage's
   * own env: recorded in each entry's run_env, so it is part of the run-cache key and a result
   * made with one value is never reused for another, while rx.yaml still matches env.
   */
  env?: Record<string, string>;
  /** Per stage, over env (rx repro --rev gives each stage the run_env its lock entry recorded). */
  stageEnv?: Record<string, Record<string, string>>;
  /**
   * The run is in a temporary tree (an experiment, rx repro --rev): what the first SIGINT/SIGTERM
   * says is left to do, and what the InterruptedError says it left and to do next. Default: the
   * workspace's (the next rx repro undoes what is left).
   */
  temporaryTree?: { note: string; left: string; hint: string };
  /** Cancels the run: running commands are stopped (outputs put back), no stage starts after. */
  signal?: AbortSignal;
}

export type StageAction = 'up-to-date' | 'ran' | 'restored' | 'run-cache' | 'failed' | 'would-run' | 'frozen' | 'not-run';

export interface StageOutcome {
  name: string;
  action: StageAction;
  reasons: string[];
  exitCode?: number;
  failedCommand?: string;
  message?: string;
}

export interface ReproResult {
  stages: StageOutcome[];
  failed: string[];
  /** Stages whose interrupted runs (a killed rx) were undone before starting. */
  recovered: string[];
}

/**
 * Outputs are written (by the command, and by rx: staging, .gitignore) where rx.yaml says:
 * a directory on the way that is a symbolic link could point anywhere, so it is refused
 * before anything runs (exit 4, naming the output).
 */
function checkOutputPaths(project: Project, graph: Graph, order: string[]): void {
  for (const name of order) {
    for (const out of graph.stages.get(name)!.outs) assertNoSymlinkAbove(project.root, out.path, `${PIPELINE_FILE}: stage ${name}: output ${out.path}`);
  }
}

/** Deps that no stage produces must exist before anything runs. */
function checkSourceDeps(project: Project, pipeline: { locate: (p: (string | number)[]) => { line: number; column: number } | undefined }, graph: Graph, order: string[]): void {
  const problems: FileProblem[] = [];
  for (const name of order) {
    const stage = graph.stages.get(name)!;
    for (const dep of stage.deps) {
      if (producerOf(graph, dep) === undefined && !existsSync(absPath(project.root, dep))) {
        const index = stage.depIndex?.[dep];
        const at = index === undefined ? [...stage.defPath, 'deps'] : [...stage.defPath, 'deps', index];
        problems.push({ file: PIPELINE_FILE, ...pipeline.locate(at), field: fieldPath(at), message: `dependency ${dep} of stage ${name} does not exist and no stage produces it` });
      }
    }
  }
  if (problems.length > 0) throw new InvalidFileError(problems);
}

interface Runner {
  ctx: Context;
  project: Project;
  graph: Graph;
  options: ReproOptions;
  lock: Lock;
  statCache: StatCache;
  readParams: ParamsReader;
  env: Awaited<ReturnType<typeof environmentFingerprint>>;
  willRun: Set<string>;
  writeQueue: Promise<void>;
  /** Dependencies no stage writes are observed once per run. */
  memo: ObservationMemo;
}

/**
 * Outputs kept in git (metrics, plots, cache: false) are stored too, for the run cache, but
 * the workspace keeps ordinary writable copies of them. Same store object, so its pending
 * syncs are flushed before the lock names them.
 */
function linkOrderFor(project: Project, cached: boolean): LinkType[] {
  return cached ? project.store.linkOrder : independentLinkOrder;
}

/** Every output object present (restoring checks each before use: a corrupt one is quarantined and refused, exit 6). */
async function allInStore(project: Project, outs: LockFileEntry[]): Promise<boolean> {
  for (const o of outs) if (!(await project.store.has(o.hash))) return false;
  return true;
}

async function restoreFromStore(r: Runner, stage: Stage, outs: LockFileEntry[]): Promise<void> {
  for (const out of outs) {
    const spec = stage.outs.find((o) => o.path === out.path);
    const missing = new Set<string>();
    const { plan } = await planRestore(r.project, r.statCache, { rel: out.path, type: out.type ?? 'file', hash: out.hash, size: out.size }, true, missing);
    if (missing.size > 0) throw new StoreIntegrityError('RX_OBJECT_MISSING', `stage ${stage.name}: ${missing.size} object(s) of ${out.path} are missing from the store:\n  ${[...missing].sort().join('\n  ')}`, { data: { missing: [...missing].sort() } });
    if (plan) await applyRestore(r.ctx.reporter, r.project, r.statCache, plan, { linkOrder: linkOrderFor(r.project, spec?.cache ?? true) });
    if (spec?.cache ?? true) await ignoreTarget(r.project.root, out.path);
  }
}

/** What a stage's built-in ML commands reported (the tfjs backend) goes into the lock's env. */
function absorbEnvFacts(r: Runner, facts: Record<string, string | boolean>): void {
  if (typeof facts.tfjs_backend === 'string') r.env.tfjs_backend = facts.tfjs_backend;
  if (typeof facts.tfjs_simd === 'boolean') r.env.tfjs_simd = facts.tfjs_simd;
}

function commitEntry(r: Runner, name: string, entry: LockStage): Promise<void> {
  r.lock.stages[name] = entry;
  const known = new Set(r.graph.stages.keys());
  const next = r.writeQueue.then(async () => {
    const stages: Lock['stages'] = {};
    for (const [n, e] of Object.entries(r.lock.stages)) if (known.has(n)) stages[n] = e;
    await writeLock(r.project.root, { schema: 1, env: r.env, stages });
  });
  r.writeQueue = next.catch(() => {});
  return next;
}

/**
 * Entries of stages no longer in rx.yaml leave the lock also when no stage wrote it (each
 * write drops them): otherwise the commit that removes a stage records a lock that no
 * re-execution of it rewrites byte for byte. The fingerprint stays the lock's own.
 */
async function dropRemovedStages(r: Runner): Promise<void> {
  const removed = Object.keys(r.lock.stages).filter((n) => !r.graph.stages.has(n));
  if (removed.length === 0) return;
  for (const n of removed) delete r.lock.stages[n];
  await writeLock(r.project.root, { schema: 1, env: r.lock.env ?? r.env, stages: r.lock.stages });
}

async function saveOutputs(r: Runner, stage: Stage): Promise<LockFileEntry[]> {
  const outs: LockFileEntry[] = [];
  for (const o of stage.outs) {
    const saved = await saveTarget(r.project, r.statCache, r.ctx.reporter, o.path, { linkOrder: linkOrderFor(r.project, o.cache) });
    const entry: LockFileEntry = { path: o.path, hash: saved.hash, size: saved.size, nfiles: saved.nfiles };
    if (saved.type === 'dir') entry.type = 'dir';
    outs.push(entry);
    if (o.cache) await ignoreTarget(r.project.root, o.path);
  }
  // Durability barrier: objects on disk before the lock entry naming them.
  await r.project.store.flush();
  return outs;
}

async function processStage(r: Runner, name: string): Promise<StageOutcome> {
  const stage = r.graph.stages.get(name)!;
  const { reporter } = r.ctx;
  if (stage.frozen) return { name, action: 'frozen', reasons: [] };
  const previous = r.lock.stages[name];
  const { deps, params, outs: outsNow, reasons } = await assessStage(r.project, r.statCache, r.readParams, stage, previous, { force: r.options.force, memo: r.memo });
  if (r.options.dry) {
    for (const u of r.graph.upstream.get(name) ?? []) if (r.willRun.has(u)) reasons.push({ kind: 'upstream', stage: u });
    if (reasons.length === 0) return { name, action: 'up-to-date', reasons: [] };
    r.willRun.add(name);
    return { name, action: 'would-run', reasons: reasons.map(describeReason) };
  }
  const described = reasons.map(describeReason);
  if (reasons.length === 0) {
    reporter.debug(`stage ${name}: up to date`);
    return { name, action: 'up-to-date', reasons: [] };
  }

  // Only outputs are gone: put back what the lock names.
  if (previous && reasons.every((x) => x.kind === 'out' && x.change === 'missing') && (await allInStore(r.project, previous.outs ?? []))) {
    reporter.info(`stage ${name}: restoring outputs from the store (${described.join('; ')})`);
    await restoreFromStore(r, stage, (previous.outs ?? []).filter((o) => !outsNow.get(o.path)));
    return { name, action: 'restored', reasons: described };
  }

  const inputs = lockEntryFor(stage, { deps: [...deps.values()].filter((d): d is LockFileEntry => d !== undefined), params, outs: [] });
  const key = runCacheKey(inputs);
  if (r.options.runCache !== false && !r.options.force && !stage.alwaysChanged) {
    const cached = await readRunCache(r.project.store.dir, key);
    if (cached && cached.length === stage.outs.length && (await allInStore(r.project, cached))) {
      reporter.info(`stage ${name}: restored from the run cache (${described.join('; ')})`);
      await restoreFromStore(r, stage, cached);
      await commitEntry(r, name, lockEntryFor(stage, { deps: inputs.deps ?? [], params, outs: cached }));
      return { name, action: 'run-cache', reasons: described };
    }
  }

  const signal = interruption();
  if (signal) return { name, action: 'not-run', reasons: [`rx received ${signal}`] };
  if (r.options.signal?.aborted) return { name, action: 'not-run', reasons: ['the run was cancelled'] };
  reporter.info(`running stage ${name}: ${described.join('; ')}`);
  const staging = await moveOutputsAside(r.project.root, r.project.tmpDir, stage);
  let outcome: StageOutcome;
  try {
    const run = await executeStage(stage, {
      root: r.project.root,
      tmpDir: r.project.tmpDir,
      env: r.ctx.env,
      reporter,
      clock: r.ctx.clock,
      isolate: r.options.isolate,
      onGroup: (pgid) => recordGroup(staging, pgid),
      signal: r.options.signal,
    });
    if (!run.ok) {
      await restoreOutputs(r.project.root, staging);
      const how = run.interrupted
        ? `was stopped: rx received ${run.signal}; the previous outputs were put back`
        : run.cancelled
          ? 'was stopped: the run was cancelled; the previous outputs were put back'
          : run.signal
          ? `was killed by ${run.signal}`
          : run.error
            ? `could not start: ${run.error}`
            : `exited with code ${run.exitCode}`;
      outcome = { name, action: 'failed', reasons: described, failedCommand: run.failedCommand, message: `stage ${name}: command ${JSON.stringify(run.failedCommand)} ${how}` };
      if (run.exitCode !== undefined) outcome.exitCode = run.exitCode;
      return outcome;
    }
    const absent = stage.outs.filter((o) => !existsSync(absPath(r.project.root, o.path))).map((o) => o.path);
    if (absent.length > 0) {
      await restoreOutputs(r.project.root, staging);
      return { name, action: 'failed', reasons: described, message: `stage ${name}: the command succeeded but did not produce ${absent.join(', ')}` };
    }
    if (run.envFacts) absorbEnvFacts(r, run.envFacts);
    const outs = await saveOutputs(r, stage);
    await dropStaging(staging);
    await writeRunCache(r.project.store.dir, key, outs);
    await commitEntry(r, name, lockEntryFor(stage, { deps: inputs.deps ?? [], params, outs }));
    return { name, action: 'ran', reasons: described };
  } catch (err) {
    await restoreOutputs(r.project.root, staging).catch(() => {});
    throw err;
  }
}

/** Runs the plan with up to `jobs` independent stages at once; upstream failures block. */
async function schedule(r: Runner, order: string[]): Promise<StageOutcome[]> {
  // A dry run decides "would run" from upstream answers, so it goes one stage at a time.
  const jobs = r.options.dry ? 1 : Math.max(1, r.options.jobs ?? 1);
  const inPlan = new Set(order);
  const outcomes = new Map<string, StageOutcome>();
  const running = new Map<string, Promise<void>>();
  let fatal: unknown;
  let stopping = false;
  const pending = [...order];
  const blockedBy = (name: string) => [...(r.graph.upstream.get(name) ?? [])].find((u) => inPlan.has(u) && ['failed', 'not-run'].includes(outcomes.get(u)?.action ?? ''));
  const isReady = (name: string) => [...(r.graph.upstream.get(name) ?? [])].every((u) => !inPlan.has(u) || outcomes.has(u));
  while (pending.length > 0 || running.size > 0) {
    if (interruption() || r.options.signal?.aborted) stopping = true;
    for (let i = 0; i < pending.length && running.size < jobs && !stopping; ) {
      const name = pending[i]!;
      if (!isReady(name)) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      const blocker = blockedBy(name);
      if (blocker) {
        outcomes.set(name, { name, action: 'not-run', reasons: [`upstream stage ${blocker} failed`] });
        continue;
      }
      running.set(
        name,
        processStage(r, name).then(
          (o) => {
            outcomes.set(name, o);
            if (o.action === 'failed' && !r.options.keepGoing) stopping = true;
          },
          (err) => {
            fatal ??= err;
            stopping = true;
            outcomes.set(name, { name, action: 'failed', reasons: [], message: (err as Error).message });
          },
        ).finally(() => running.delete(name)),
      );
    }
    if (running.size === 0) {
      // Nothing can start: the rest are blocked or we are stopping.
      const why = interruption() ? `rx received ${interruption()}` : r.options.signal?.aborted ? 'the run was cancelled' : stopping ? 'stopped after a failure' : 'upstream did not run';
      for (const name of pending.splice(0)) outcomes.set(name, { name, action: 'not-run', reasons: [why] });
      break;
    }
    await Promise.race(running.values());
  }
  await r.writeQueue;
  if (fatal !== undefined) throw fatal;
  return order.map((n) => outcomes.get(n)!);
}

/**
 * Built-in rx commands whose results do not depend on a run's env (RX_SEED seeds rx train only),
 * each alone on its line with plain arguments: no shell syntax that could run anything else.
 */
const RUN_ENV_FREE = /^rx\s+(data\s+build|evaluate)(\s+[A-Za-z0-9_./:=,@+%-]+)*$/;

/**
 * Whether a stage's result may depend on the run's env: false only for a stage made of nothing
 * but built-in rx commands that ignore it, which then gets no run_env, so the replication seeds
 * of one configuration share its result through the run cache instead of re-making it per seed.
 */
export function readsRunEnv(stage: Pick<Stage, 'cmd'>): boolean {
  return !(Array.isArray(stage.cmd) ? stage.cmd : [stage.cmd]).every((c) => RUN_ENV_FREE.test(c.trim()));
}

/** The graph with the run's environment set on every stage that may read it (over the stage's own; see Stage.runEnv). */
function withRunEnv(graph: Graph, env: Record<string, string> | undefined, stageEnv: Record<string, Record<string, string>> = {}): Graph {
  // What a commit's lock recorded for a stage (stageEnv) is given back as it is.
  const runEnvOf = (name: string) => ({ ...(readsRunEnv(graph.stages.get(name)!) ? env : {}), ...stageEnv[name] });
  if (![...graph.stages.keys()].some((n) => Object.keys(runEnvOf(n)).length > 0)) return graph;
  return { ...graph, stages: new Map([...graph.stages].map(([n, s]) => [n, Object.keys(runEnvOf(n)).length > 0 ? { ...s, runEnv: runEnvOf(n) } : s])) };
}

export async function runPipeline(ctx: Context, options: ReproOptions): Promise<ReproResult> {
  const opened = await openPipeline(ctx);
  const { project, pipeline } = opened;
  const graph = withRunEnv(opened.graph, options.env, options.stageEnv);
  const targets = resolveTargets(graph.stages.keys(), options.targets);
  const order = planRepro(graph, targets, { downstream: options.downstream });
  // Refused before anything is touched when bwrap is missing or cannot build its sandbox.
  if (options.isolate && !options.dry) await probeIsolation(ctx.env);
  const run = async (): Promise<ReproResult> => {
    const recovered = options.dry ? [] : await recoverStaging(project.root, project.tmpDir, stopGraceMs(ctx.env), (m) => ctx.reporter.warn(m));
    // A killed rx may have left the temp file of an rx.lock write beside it.
    if (!options.dry) await removeStaleTemps(project.root);
    for (const s of recovered) ctx.reporter.warn(`stage ${s} was interrupted by a killed rx; its previous outputs were put back`);
    checkSourceDeps(project, pipeline, graph, order);
    checkOutputPaths(project, graph, order);
    const r: Runner = {
      ctx,
      project,
      graph,
      options,
      lock: (await readLock(project.root, project.parsed)) ?? emptyLock(),
      statCache: new StatCache(project.tmpDir, project.algo),
      readParams: workspaceParamsReader(project.root),
      env: await environmentFingerprint(project.root, ctx.runtime),
      willRun: new Set(),
      writeQueue: Promise.resolve(),
      memo: observationMemo((rel) => producerOf(graph, rel) === undefined && ![...graph.producers.keys()].some((o) => o.startsWith(rel + '/'))),
    };
    // Outputs made earlier with a tfjs backend keep that fact until a stage reports anew.
    if (r.lock.env?.tfjs_backend) {
      r.env.tfjs_backend = r.lock.env.tfjs_backend;
      if (r.lock.env.tfjs_simd !== undefined) r.env.tfjs_simd = r.lock.env.tfjs_simd;
    }
    // A first signal lets the run stop at a safe point: running commands are stopped and
    // their outputs put back, finished ones recorded, none started; a second one exits now.
    const stopAtSafePoint = options.dry ? () => {} : onInterrupt((signal, again) => {
      if (!again) ctx.reporter.warn(`received ${signal}: stopping (again to exit at once; ${options.temporaryTree?.note ?? 'the next rx repro undoes what is left'})`);
      return !again;
    });
    const stages = await schedule(r, order).finally(() => {
      stopAtSafePoint();
      return project.store.flush();
    });
    const signal = interruption();
    if (signal) throw new InterruptedError(signal, stages.filter((s) => s.action === 'failed').map((s) => s.name), options.temporaryTree);
    if (!options.dry && !stages.some((s) => s.action === 'ran' || s.action === 'run-cache')) await dropRemovedStages(r);
    return { stages, failed: stages.filter((s) => s.action === 'failed').map((s) => s.name), recovered };
  };
  return options.dry ? run() : withProjectLock(ctx, project, run);
}
