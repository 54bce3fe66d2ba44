// rx search run|status|replay|export|apply: the search spec, its ledger and the executor
// wired together. Trials run on the ledger's baseline commit (HEAD when the search starts),
// each configuration x seed as an experiment in its own sandbox; what is decided where lives
// in src/search/ (schedule, samplers, ledger) and src/exp/ (sandbox, executor).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { InvalidFileError, LockedError, RxError, ExitCode, UsageError } from '../core/errors.js';
import { onInterrupt } from '../core/interrupt.js';
import { writeFileAtomic } from '../core/atomic.js';
import { absPath } from '../core/paths.js';
import { parseYaml } from '../core/yaml.js';
import { cpuSecondsWithChildren } from '../core/process-identity.js';
import { openProject, type Project } from '../store/project.js';
import { withLock, liveHolder } from '../store/process-lock.js';
import { projectRepo, type ProjectRepo } from '../git/project-repo.js';
import { readFileAtCommit, resolveRevision } from '../git/revision.js';
import { loadPipelineFrom, type FileReader } from '../pipeline/definition.js';
import { getPath } from '../pipeline/template.js';
import { flatten } from '../pipeline/values.js';
import { experimentRef, headCommit } from '../exp/refs.js';
import { LocalExecutor } from '../exp/executors/local.js';
import { loadSearchSpec, type SearchSpec } from '../search/spec.js';
import { applyConfig, checkSpaceAgainstProject } from '../search/targets.js';
import { judge } from '../search/pruning.js';
import { samplerSetFor } from '../search/samplers.js';
import { driveSearch, earlierPartsSeconds, runsUnderWay, readLedgerFile, replaySchedule, checkHeader, type ReplayDifference, type ReplayResult, type RunRequest } from '../search/driver.js';
import type { HeaderEvent, LedgerEvent } from '../search/ledger.js';
import type { RunOutcome } from '../search/outcome.js';
import { meanCurve, summarise, type SearchSummary } from '../search/summary.js';
import { journalText } from '../search/optuna-journal.js';
import { curveFiles, curveOf, lastEpoch, searchRunDir } from './search-progress.js';
import { buildReport, type SearchReport } from '../search/report.js';
import type { Config, SimplexValue } from '../search/types.js';

/** How often a pruned search looks at a run's reported epochs. */
const PRUNE_POLL_MS = 250;

interface Opened {
  project: Project;
  pr: ProjectRepo;
  spec: SearchSpec;
  /** Project-relative. */
  ledger: string;
  times: string;
}

/** search/NAME.yaml -> search/NAME.ledger.jsonl (beside the spec). */
function siblings(specFile: string): { ledger: string; times: string } {
  const base = specFile.replace(/\.ya?ml$/, '');
  return { ledger: `${base}.ledger.jsonl`, times: `${base}.times.jsonl` };
}

async function open(ctx: Context, name: string): Promise<Opened> {
  const project = await openProject(ctx.cwd);
  const spec = await loadSearchSpec(project.root, name);
  return { project, pr: projectRepo(project), spec, ...siblings(spec.file) };
}

/** Where one search's run lock lives: one run of a search at a time, other searches unaffected. */
function searchLockDir(project: Project, name: string): string {
  return path.join(project.tmpDir, 'search', name);
}

function gitPath(pr: ProjectRepo, rel: string): string {
  return pr.prefix === '' ? rel : `${pr.prefix}/${rel}`;
}

function readerAt(pr: ProjectRepo, commit: string): FileReader {
  return (rel) => readFileAtCommit(pr.repo, commit, gitPath(pr, rel));
}

async function ledgerOf(o: Opened): Promise<{ events: LedgerEvent[]; lines: number } | undefined> {
  const parsed = await readLedgerFile(absPath(o.project.root, o.ledger), o.ledger);
  return parsed && { events: parsed.events, lines: parsed.lines.length };
}

/** The objective's value and the numbers of its file, from the file's text (JSON or YAML). */
export function objectiveOf(spec: SearchSpec, text: string | undefined): { value?: number; metrics: Record<string, number>; problem?: string } {
  if (text === undefined) return { metrics: {}, problem: `${spec.objective.file} was not written` };
  let doc: unknown;
  try {
    doc = spec.objective.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, spec.objective.file);
  } catch {
    return { metrics: {}, problem: `${spec.objective.file} is not valid ${spec.objective.file.endsWith('.json') ? 'JSON' : 'YAML'}` };
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of flatten(doc)) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
  const at = getPath(doc, spec.objective.key);
  if (!at.found) return { metrics, problem: `${spec.objective.metric} is not in ${spec.objective.file}` };
  if (typeof at.value !== 'number' || !Number.isFinite(at.value)) return { metrics, problem: `${spec.objective.metric} is ${JSON.stringify(at.value)}, not a finite number` };
  return { value: at.value, metrics };
}

/** The -S lines an experiment commit lists, so exp show and exp diff show a trial's values. */
function overrideLines(spec: SearchSpec, config: Config): string[] {
  const out: string[] = [];
  for (const p of spec.space.params) {
    const v = config[p.name];
    if (v === undefined) continue;
    const [file, key] = [p.path.slice(0, p.path.indexOf(':')), p.path.slice(p.path.indexOf(':') + 1)];
    if (p.type === 'simplex') for (const [src, w] of Object.entries(v as SimplexValue)) out.push(`${file}:${key}.${src}.budget.fraction=${w}`);
    else out.push(`${file}:${key}=${String(v)}`);
  }
  return out;
}

export interface SearchRunResult {
  search: string;
  ledger: string;
  baseline: string;
  appended: number;
  resumed: boolean;
  paused: boolean;
  /** Wall-clock seconds used: every part of this search (earlier invocations included), and earlier parts alone. */
  elapsedSeconds: number;
  earlierSeconds: number;
  /** The spec's wall-time budget in seconds, when it has one. */
  budgetSeconds?: number;
  /** CPU seconds (user + system) of the search and its finished runs, every part; earlier parts alone; the spec's CPU budget. */
  cpuSeconds: number;
  earlierCpuSeconds: number;
  budgetCpuSeconds?: number;
  summary: SearchSummary;
}

export async function searchRun(ctx: Context, options: { name: string; jobs: number; maxTrials?: number }): Promise<SearchRunResult> {
  const o = await open(ctx, options.name);
  const { project, pr, spec } = o;
  const samplers = samplerSetFor(spec.phases.map((p) => p.method));
  const existing = await readLedgerFile(absPath(project.root, o.ledger), o.ledger);
  if (existing) checkHeader(existing.events[0] as HeaderEvent, spec, samplers, o.ledger);
  const baseline = existing ? (existing.events[0] as HeaderEvent).baseline : await headCommit(pr.repo);
  const atBaseline = readerAt(pr, baseline);
  const pipeline = await loadPipelineFrom(atBaseline);
  if (!pipeline) throw new UsageError(`the baseline ${baseline.slice(0, 12)} has no rx.yaml: commit the pipeline, then run the search`);
  await checkSpaceAgainstProject(spec, atBaseline, pipeline);
  // Trials run on the commit: say so when the files they change differ in the working tree.
  const files = [...new Set(spec.space.params.map((p) => p.path.slice(0, p.path.indexOf(':'))))];
  const dirty: string[] = [];
  for (const f of files) {
    const here = await fsp.readFile(absPath(project.root, f), 'utf8').catch(() => undefined);
    if (here !== (await atBaseline(f))) dirty.push(f);
  }
  if (dirty.length > 0) {
    ctx.reporter.warn(
      existing
        ? `trials run on the search's baseline ${baseline.slice(0, 12)}; ${dirty.join(', ')} ${dirty.length === 1 ? 'differs' : 'differ'} from it here and ${dirty.length === 1 ? 'is' : 'are'} not part of them (a resumed search keeps its baseline; a new search from a commit with them would search over them)`
        : `trials run on the commit ${baseline.slice(0, 12)}; the working tree's changes to ${dirty.join(', ')} are not part of them (commit them first to search over them)`,
    );
  }

  const lockOptions = { tmpDir: searchLockDir(project, spec.name), command: ctx.command, waitSeconds: ctx.waitSeconds, now: () => ctx.clock.now().getTime(), breakLock: ctx.breakLock, warn: (m: string) => ctx.reporter.warn(m) };
  try {
    return await withLock(lockOptions, async () => {
      const controller = new AbortController();
      const stopInterrupt = onInterrupt((signal) => {
        controller.abort(signal);
        return true;
      });
      // Stage output goes to each run's log; the terminal gets one line per decision.
      const quiet: Context = { ...ctx, reporter: { ...ctx.reporter, info: () => {}, stageOutput: () => {}, progress: (l, t, u) => ctx.reporter.progress(l, t, u) } };
      const executor = new LocalExecutor(quiet, { slots: options.jobs });
      const pruning = spec.pruning;
      const curvesAt = pruning ? curveFiles(pipeline) : [];
      const run = async (r: RunRequest): Promise<RunOutcome> => {
        const name = `${spec.name}/${r.trial}-s${r.seed}`;
        const ref = experimentRef(baseline, name);
        const runDir = searchRunDir(spec.name);
        const progress = absPath(project.root, `${runDir}/${r.trial}-s${r.seed}.progress.jsonl`);
        // A run recorded before an interruption is not repeated (under pruning, when its curve was kept).
        const recorded = await resolveRevision(pr.repo, ref).catch(() => undefined);
        if (recorded) {
          const got = objectiveOf(spec, await readFileAtCommit(pr.repo, recorded, gitPath(pr, spec.objective.file)));
          const curve = pruning ? curveOf(await fsp.readFile(progress, 'utf8').catch(() => undefined), pruning.metric) : undefined;
          if (got.value !== undefined && (!pruning || curve)) return { status: 'complete', ref, value: got.value, metrics: got.metrics, ...(curve ? { curve } : {}) };
        }
        let edits: Map<string, string>;
        try {
          edits = await applyConfig(spec, r.config, atBaseline);
        } catch (err) {
          if (err instanceof InvalidFileError) return { status: 'failed', ref, error: err.message };
          throw err;
        }
        const log = `${runDir}/${r.trial}-s${r.seed}.log`;
        await fsp.mkdir(path.dirname(absPath(project.root, log)), { recursive: true });
        await fsp.rm(progress, { force: true });
        // Under pruning the run is watched: at the first rung its seed's threshold is missed, it is stopped.
        const stopRun = new AbortController();
        let prunedCurve: number[] | undefined;
        let watching: NodeJS.Timeout | undefined;
        if (pruning && r.prune && !r.race) {
          const thresholds = r.prune;
          watching = setInterval(() => {
            void fsp.readFile(progress, 'utf8').then(
              (text) => {
                const curve = curveOf(text, pruning.metric);
                if (!curve || stopRun.signal.aborted) return;
                if (judge(thresholds, pruning.direction, Object.fromEntries(curve.map((v, i) => [String(i + 1), v])), false).pruned) {
                  prunedCurve = curve;
                  stopRun.abort('pruned');
                }
              },
              () => undefined,
            );
          }, PRUNE_POLL_MS);
        }
        const result = await executor.run(
          {
            base: baseline,
            source: 'commit',
            edits: Object.fromEntries(edits),
            env: { RX_SEED: String(r.seed) },
            // Pruning reads it; rx search status shows the last epoch of a run under way.
            progressFile: progress,
            logFile: absPath(project.root, log),
            kind: 'search',
            label: `${spec.name}-${r.trial}-s${r.seed}`,
            read: [spec.objective.file, ...curvesAt],
            record: { name, message: `rx search ${spec.name}: trial ${r.trial}, seed ${r.seed}\n\n${overrideLines(spec, r.config).map((l) => `-S ${l}`).join('\n')}\n` },
          },
          { signal: AbortSignal.any([controller.signal, stopRun.signal]) },
        ).finally(() => clearInterval(watching));
        if (controller.signal.aborted) throw new RxError('RX_INTERRUPTED', ExitCode.sigint, 'interrupted');
        if (stopRun.signal.aborted) return { status: 'pruned', ref, log, curve: prunedCurve! };
        if (result.cancelled) throw new RxError('RX_INTERRUPTED', ExitCode.sigint, 'interrupted');
        if (result.failed.length > 0) {
          const f: RunOutcome = { status: 'failed', ref, log, error: result.message ?? `stage(s) failed: ${result.failed.join(', ')}` };
          if (result.exitCode !== undefined) f.exitCode = result.exitCode;
          return f;
        }
        const got = objectiveOf(spec, result.files[spec.objective.file] ?? result.metrics[spec.objective.file]);
        if (got.value === undefined) return { status: 'failed', ref, log, error: got.problem! };
        if (!pruning) return { status: 'complete', ref, value: got.value, metrics: got.metrics };
        // The curve the outputs keep (also when the run cache restored them), else what was reported.
        const curve = curvesAt.map((f) => curveOf(result.files[f], pruning.metric)).find((c) => c !== undefined) ?? curveOf(await fsp.readFile(progress, 'utf8').catch(() => undefined), pruning.metric);
        if (curve) await writeFileAtomic(progress, curve.map((v, i) => JSON.stringify({ epoch: i + 1, [pruning.metric]: v })).join('\n') + '\n');
        return { status: 'complete', ref, value: got.value, metrics: got.metrics, ...(curve ? { curve } : {}) };
      };
      try {
        const driven = await driveSearch({
          spec,
          baseline,
          samplers,
          ledgerFile: absPath(project.root, o.ledger),
          ledgerName: o.ledger,
          timesFile: absPath(project.root, o.times),
          jobs: options.jobs,
          ...(options.maxTrials !== undefined ? { maxTrials: options.maxTrials } : {}),
          run,
          now: () => ctx.clock.now().getTime(),
          cpu: cpuSecondsWithChildren,
          signal: controller.signal,
          onEvent: (e) => narrate(ctx, spec, e),
        });
        return {
          search: spec.name,
          ledger: o.ledger,
          baseline,
          appended: driven.appended,
          resumed: driven.resumed,
          paused: driven.paused,
          elapsedSeconds: driven.elapsedSeconds,
          earlierSeconds: driven.earlierSeconds,
          ...(spec.budget.timeSeconds !== undefined ? { budgetSeconds: spec.budget.timeSeconds } : {}),
          cpuSeconds: driven.cpuSeconds,
          earlierCpuSeconds: driven.earlierCpuSeconds,
          ...(spec.budget.cpuSeconds !== undefined ? { budgetCpuSeconds: spec.budget.cpuSeconds } : {}),
          summary: summarise(driven.schedule.events),
        };
      } finally {
        stopInterrupt();
      }
    });
  } catch (err) {
    if (err instanceof LockedError) throw new LockedError(`search ${spec.name} is already being run: ${err.message.replace(/^the project is locked by /, '')}`, { hint: 'wait for it to finish, or follow it with rx search status' });
    throw err;
  }
}

function narrate(ctx: Context, spec: SearchSpec, e: LedgerEvent): void {
  const show = (c: Config) =>
    Object.entries(c)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? Object.entries(v as SimplexValue).map(([s, w]) => `${s}:${w.toFixed(2)}`).join('/') : typeof v === 'number' ? +v.toPrecision(4) : v}`)
      .join(' ');
  if (e.type === 'phase') ctx.reporter.info(`phase ${e.phase}: ${e.method}${e.refine ? ` refined around trial ${e.refine.incumbent}` : ''} from trial ${e.trial}`);
  else if (e.type === 'suggest') ctx.reporter.info(`trial ${e.trial} (${e.sampler}): ${show(e.config)}`);
  else if (e.type === 'trial') ctx.reporter.info(`trial ${e.trial}: ${e.state === 'complete' ? `${spec.objective.metric} ${+e.value!.toPrecision(6)}` : e.state === 'pruned' ? `pruned at epoch ${e.step}` : e.state === 'incomplete' ? 'incomplete (seeds skipped: the budget was spent)' : 'failed'}${e.incumbent ? ` (best: trial ${e.incumbent.trial}, ${+e.incumbent.value.toPrecision(6)})` : ''}`);
  else if (e.type === 'stop') ctx.reporter.info(`stopping: ${e.reason}`);
  else if (e.type === 'race') {
    const dropped = e.tests.filter((x) => x.dropped).map((x) => x.trial);
    ctx.reporter.info(`racing round ${e.round} on ${e.seeds.length} seeds: incumbent trial ${e.incumbent.trial} (${+e.incumbent.mean.toPrecision(6)})${dropped.length > 0 ? `, dropped ${dropped.join(', ')}` : ''}${e.next !== null ? `; seed ${e.next} for trials ${e.contenders.join(', ')}` : `; ${e.reason === 'settled' ? 'settled' : e.reason === 'budget' ? `${e.spent === 'time' ? 'wall-time' : 'CPU-time'} budget spent, trials ${(e.unsettled ?? []).join(', ')} unsettled` : 'seed cap reached'}`}`);
  }
}

export interface SearchStatusResult {
  ledger: string;
  summary: SearchSummary;
  running?: string;
  /** What the runs of the search used so far (from the times file, a run under way up to its last line), and the spec's budgets. */
  used: { seconds: number; cpuSeconds: number; parts: number; budgetSeconds?: number; budgetCpuSeconds?: number };
  /** While a search run is under way: its runs, with the last epoch each reported and that epoch's figures. */
  underWay?: { trial: number; seed: number; since: string; epoch?: number; metrics?: Record<string, number> }[];
}

export async function searchStatus(ctx: Context, options: { name: string }): Promise<SearchStatusResult> {
  const o = await open(ctx, options.name);
  const l = await ledgerOf(o);
  if (!l) throw new UsageError(`search ${o.spec.name} has not run yet (no ${o.ledger})`, { hint: `start it with rx search run ${o.spec.name}` });
  checkHeader(l.events[0] as HeaderEvent, o.spec, samplerSetFor(o.spec.phases.map((p) => p.method)), o.ledger);
  const timesText = await fsp.readFile(absPath(o.project.root, o.times), 'utf8').catch(() => '');
  const times = earlierPartsSeconds(timesText);
  const used: SearchStatusResult['used'] = { seconds: times.seconds, cpuSeconds: times.cpuSeconds, parts: times.parts };
  if (o.spec.budget.timeSeconds !== undefined) used.budgetSeconds = o.spec.budget.timeSeconds;
  if (o.spec.budget.cpuSeconds !== undefined) used.budgetCpuSeconds = o.spec.budget.cpuSeconds;
  const out: SearchStatusResult = { ledger: o.ledger, summary: summarise(l.events), used };
  // A lock left by a killed run is not a run under way.
  const held = await liveHolder(searchLockDir(o.project, o.spec.name));
  if (held) {
    out.running = `pid ${held.pid} on ${held.host}${held.since ? ` since ${held.since}` : ''}`;
    out.underWay = [];
    for (const r of runsUnderWay(timesText)) {
      const progress = await fsp.readFile(absPath(o.project.root, `${searchRunDir(o.spec.name)}/${r.trial}-s${r.seed}.progress.jsonl`), 'utf8').catch(() => '');
      out.underWay.push({ ...r, ...lastEpoch(progress) });
    }
  }
  return out;
}

export async function searchReplay(ctx: Context, options: { name: string }): Promise<{ ledger: string; ok: true; result: ReplayResult } | { ledger: string; ok: false; difference: ReplayDifference }> {
  const o = await open(ctx, options.name);
  const parsed = await readLedgerFile(absPath(o.project.root, o.ledger), o.ledger);
  if (!parsed) throw new UsageError(`search ${o.spec.name} has no ledger (${o.ledger}) to replay`);
  return { ledger: o.ledger, ...replaySchedule(parsed, o.spec, samplerSetFor(o.spec.phases.map((p) => p.method)), o.ledger) };
}

/** The evidence of a search (src/search/report.ts) from its ledger, which must belong to the spec as it is now. */
export async function searchReport(ctx: Context, options: { name: string }): Promise<{ ledger: string; report: SearchReport }> {
  const o = await open(ctx, options.name);
  const parsed = await readLedgerFile(absPath(o.project.root, o.ledger), o.ledger);
  if (!parsed) throw new UsageError(`search ${o.spec.name} has no ledger yet (${o.ledger}): run it with rx search run ${o.spec.name}`);
  checkHeader(parsed.events[0] as HeaderEvent, o.spec, samplerSetFor(o.spec.phases.map((p) => p.method)), o.ledger);
  return { ledger: o.ledger, report: buildReport(parsed.events, o.spec.space, { ...(o.spec.racing ? { alpha: o.spec.racing.alpha } : {}) }) };
}

export async function searchExport(ctx: Context, options: { name: string; optunaJournal: string }): Promise<{ file: string; study: string; trials: number }> {
  const o = await open(ctx, options.name);
  const l = await ledgerOf(o);
  if (!l) throw new UsageError(`search ${o.spec.name} has not run yet (no ${o.ledger})`);
  const s = summarise(l.events);
  const text = journalText({
    name: o.spec.name,
    direction: o.spec.objective.direction,
    space: o.spec.space,
    userAttrs: { baseline: s.baseline, objective: s.objective.metric, seeds: s.seeds, ledger: o.ledger },
    trials: s.trials.map((t) => ({
      number: t.trial,
      config: t.config,
      // Optuna has no state for a trial a budget cut short: FAIL, with rx's state in its user attributes.
      state: t.state === 'pending' ? 'running' : t.state === 'incomplete' ? 'failed' : t.state,
      ...(t.value !== undefined ? { value: t.value } : {}),
      ...(Object.keys(t.curves).length > 0 ? { intermediate: meanCurve(t, s.seeds) } : {}),
      userAttrs: { sampler: t.sampler, phase: t.phase, values: t.values, refs: t.refs, ...(t.failures.length > 0 ? { failures: t.failures } : {}), ...(t.state === 'incomplete' ? { rx_state: 'incomplete' } : {}) },
    })),
  });
  const file = path.resolve(ctx.cwd, options.optunaJournal);
  await writeFileAtomic(file, text);
  return { file, study: o.spec.name, trials: s.trials.length };
}

export async function searchApply(ctx: Context, options: { name: string; trial?: number; force?: boolean }): Promise<{ trial: number; config: Config; written: string[] }> {
  const o = await open(ctx, options.name);
  const l = await ledgerOf(o);
  if (!l) throw new UsageError(`search ${o.spec.name} has not run yet (no ${o.ledger})`);
  const s = summarise(l.events);
  const chosen = options.trial ?? s.incumbent?.trial;
  if (chosen === undefined) throw new UsageError(`search ${o.spec.name} has no completed trial to apply`);
  const row = s.trials[chosen];
  if (!row) throw new UsageError(`search ${o.spec.name} has no trial ${chosen} (it has ${s.trials.length})`);
  const baseline = readerAt(o.pr, s.baseline);
  const here: FileReader = (rel) => fsp.readFile(absPath(o.project.root, rel), 'utf8').catch(() => undefined);
  const edits = await applyConfig(o.spec, row.config, here);
  const conflicts: string[] = [];
  for (const f of edits.keys()) if ((await here(f)) !== (await baseline(f))) conflicts.push(f);
  if (conflicts.length > 0 && !options.force) {
    throw new RxError('RX_WOULD_OVERWRITE', ExitCode.differences, `applying trial ${chosen} would overwrite uncommitted changes (the search ran on ${s.baseline.slice(0, 12)}):\n  ${conflicts.join('\n  ')}`, { hint: 'commit or stash them, or pass --force' });
  }
  const written: string[] = [];
  for (const [f, text] of edits) {
    if ((await here(f)) === text) continue;
    await writeFileAtomic(absPath(o.project.root, f), text);
    written.push(f);
  }
  return { trial: chosen, config: row.config, written };
}
