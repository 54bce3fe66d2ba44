// rx repro --rev REV: re-executes the pipeline of any commit and says whether it reproduced.
// The commit's tree is written blob by blob into a sandbox under .rx/tmp/rev/ (exp/sandbox.ts;
// never `git checkout`, which would rewrite the user's index), its tracked data is linked
// from the shared store, every selected stage is run (no run cache: this is a
// re-execution), and outputs, metrics and the re-written rx.lock are compared with the
// commit's own. The user's working tree, index, HEAD and refs are untouched; the directory
// is removed afterwards, also on signals.
// A commit may come from anyone: every command it will run is shown (and returned) before
// any runs; planRevRepro lists them without writing anything; `isolate` runs them under bwrap.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context, Reporter } from '../core/context.js';
import { UsageError, StoreIntegrityError, InvalidFileError } from '../core/errors.js';
import { parseYaml } from '../core/yaml.js';
import { openProject, POINTER_SUFFIX, type Project } from '../store/project.js';
import { readDirManifest } from '../store/tracked.js';
import { listCommitFiles, readBlobBytes, type TreeFile } from '../git/tree.js';
import { resolveRevision } from '../git/revision.js';
import type { GitRepo } from '../git/repo.js';
import { loadPipeline, loadPipelineFrom, PIPELINE_FILE, DEFAULT_PARAMS_FILE, type Pipeline } from '../pipeline/definition.js';
import { buildGraph } from '../pipeline/graph.js';
import { planRepro, resolveTargets } from '../pipeline/plan.js';
import { probeIsolation } from '../pipeline/isolate.js';
import { entryEnvs, parseLock, readLock, LOCK_FILE } from '../pipeline/lock.js';
import { flatten } from '../pipeline/values.js';
import { compareRuns, type MetricValues, type RunComparison } from '../pipeline/verdict.js';
import { projectRepo } from '../git/project-repo.js';
import type { StageOutcome } from '../pipeline/run.js';
import { LocalExecutor } from '../exp/executors/local.js';

export interface RevReproOptions {
  rev: string;
  stages: string[];
  keep?: boolean;
  jobs?: number;
  /** Run each stage command under bubblewrap: only the temporary tree writable, no network. */
  isolate?: boolean;
}

/** One command the commit's rx.yaml (templated) will run, in the order it runs. */
export interface PlannedCommand {
  stage: string;
  /** Working directory, project-relative ('.' for the project root). */
  wdir: string;
  cmd: string;
}

export interface RevReproResult extends RunComparison {
  rev: string;
  commit: string;
  /** Every command the run was to execute, shown before any ran. */
  commands: PlannedCommand[];
  /** The directory it ran in, when kept. */
  dir?: string;
  failed: string[];
  run: StageOutcome[];
}

/** rx repro --dry --rev: what would run, nothing run or written. */
export interface RevReproPlan {
  rev: string;
  commit: string;
  dry: true;
  commands: PlannedCommand[];
  /** Selected stages that are frozen at that commit (they would not run). */
  frozen: string[];
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** Every object the commit's pointer files need, checked before anything runs. */
async function missingData(project: Project, repoFiles: TreeFile[], read: (f: TreeFile) => Promise<string>): Promise<string[]> {
  const missing: string[] = [];
  for (const f of repoFiles) {
    if (!f.path.endsWith(POINTER_SUFFIX)) continue;
    let p: { hash?: unknown; type?: unknown };
    try {
      p = parseYaml(await read(f), f.path) as { hash?: unknown; type?: unknown };
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
      out.set(file, flatten(parseYaml(t, file)));
    } catch {
      out.set(file, new Map([['(unparseable)', t]]));
    }
  }
  return out;
}

/**
 * The commands a forced re-execution of the selected stages runs, upstream first, from the
 * commit's own rx.yaml and params.yaml (templating needs nothing else), as repro will run them.
 */
export function plannedCommands(pipeline: Pipeline, targets: string[]): { commands: PlannedCommand[]; frozen: string[] } {
  const graph = buildGraph(pipeline.stages, pipeline.locate);
  const order = planRepro(graph, resolveTargets(graph.stages.keys(), targets));
  const commands: PlannedCommand[] = [];
  const frozen: string[] = [];
  for (const name of order) {
    const stage = graph.stages.get(name)!;
    if (stage.frozen) {
      frozen.push(name);
      continue;
    }
    for (const cmd of Array.isArray(stage.cmd) ? stage.cmd : [stage.cmd]) commands.push({ stage: name, wdir: stage.wdir === '' ? '.' : stage.wdir, cmd });
  }
  return { commands, frozen };
}

/**
 * A command of someone else's commit as a terminal shows it: control characters (which could
 * move the cursor or rewrite the line) and bidirectional overrides (which reorder what is
 * read) become visible escapes; newlines stay, as continuation lines.
 */
export function showUntrusted(s: string): string {
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.codePointAt(0)!;
    return code === 0x09 ? ch : code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The preview lines: one per command, its stage and working directory first. */
export function describeCommands(rev: string, commit: string, commands: PlannedCommand[], frozen: string[]): string[] {
  const lines = [`${showUntrusted(rev)} (${commit.slice(0, 12)}): ${commands.length} command(s) ${commands.length === 1 ? 'is' : 'are'} defined to run, in this order:`];
  for (const c of commands) {
    const [first, ...rest] = showUntrusted(c.cmd).split('\n');
    lines.push(`  ${showUntrusted(c.stage)} (in ${showUntrusted(c.wdir)}): ${first}`);
    for (const l of rest) lines.push(`      ${l}`);
  }
  for (const f of frozen) lines.push(`  ${showUntrusted(f)}: frozen, not run`);
  return lines;
}

interface CommitView {
  project: Project;
  repo: GitRepo;
  commit: string;
  files: TreeFile[];
  readAt: (rel: string) => Promise<string | undefined>;
  pipeline: Pipeline;
}

/** Reads the commit through git objects only: nothing written, nothing executed. */
async function viewCommit(ctx: Context, rev: string, readOnly: boolean): Promise<CommitView> {
  const project = await openProject(ctx.cwd, { readOnly });
  const { repo, prefix } = projectRepo(project);
  const commit = await resolveRevision(repo, rev);
  const files = await listCommitFiles(repo, commit, prefix);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const readAt = async (rel: string) => {
    const f = byPath.get(rel);
    return f ? text(await readBlobBytes(repo, f.oid)) : undefined;
  };
  // What is shown is read from these blobs, what runs from the files written out of them: a
  // symbolic link would make the two different files.
  const linked = [PIPELINE_FILE, DEFAULT_PARAMS_FILE].filter((rel) => byPath.get(rel)?.mode === '120000');
  if (linked.length > 0) {
    throw new InvalidFileError(
      linked.map((rel) => ({ file: `${rev}:${rel}`, message: 'is a symbolic link; at a revision rx reads it only as a regular file (nothing was run)' })),
    );
  }
  const pipeline = byPath.has(PIPELINE_FILE) ? await loadPipelineFrom(readAt) : undefined;
  if (!pipeline) throw new UsageError(`${rev} (${commit.slice(0, 12)}) has no ${PIPELINE_FILE}${prefix ? ` in ${prefix}/` : ''}: nothing to reproduce`);
  return { project, repo, commit, files, readAt, pipeline };
}

/** rx repro --dry --rev: the commands a re-execution would run; reads git objects only. */
export async function planRevRepro(ctx: Context, options: Pick<RevReproOptions, 'rev' | 'stages'>): Promise<RevReproPlan> {
  const { commit, pipeline } = await viewCommit(ctx, options.rev, true);
  return { rev: options.rev, commit, dry: true, ...plannedCommands(pipeline, options.stages) };
}

function reportCommands(reporter: Reporter, rev: string, commit: string, planned: { commands: PlannedCommand[]; frozen: string[] }): void {
  for (const line of describeCommands(rev, commit, planned.commands, planned.frozen)) reporter.info(line);
}

export async function reproRev(ctx: Context, options: RevReproOptions): Promise<RevReproResult> {
  const { project, repo, commit, files, readAt, pipeline: defined } = await viewCommit(ctx, options.rev, false);
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
  const planned = plannedCommands(defined, options.stages);
  if (options.isolate) await probeIsolation(ctx.env);
  reportCommands(ctx.reporter, options.rev, commit, planned);
  // Each stage runs with the environment rx set for it then (a replication seed's RX_SEED).
  const stageEnv: Record<string, Record<string, string>> = {};
  for (const stage of defined.stages) {
    const entry = before.stages[stage.name];
    const runEnv = entry ? entryEnvs(entry, stage.env).runEnv : {};
    if (Object.keys(runEnv).length > 0) stageEnv[stage.name] = runEnv;
  }
  const shown = new Map<string, string[]>();
  for (const [stage, env] of Object.entries(stageEnv)) {
    const text = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
    shown.set(text, [...(shown.get(text) ?? []), stage]);
  }
  for (const [text, stages] of shown) ctx.reporter.info(`with ${text}, as ${LOCK_FILE} records for ${stages.join(', ')}`);

  const r = await new LocalExecutor(ctx).run({
    base: commit,
    source: 'commit',
    stageEnv,
    baseLabel: options.rev,
    stages: options.stages,
    // A re-execution: every selected stage runs, nothing comes from the run cache or the commit's outputs.
    force: true,
    runCache: false,
    restoreOutputs: false,
    jobs: options.jobs,
    isolate: options.isolate,
    keep: options.keep,
    kind: 'rev',
    label: commit.slice(0, 12),
    // Belt and braces: the tree written out defines exactly the commands shown.
    prepare: async (dir) => {
      const written = plannedCommands((await loadPipeline(dir))!, options.stages);
      if (JSON.stringify(written) !== JSON.stringify(planned)) {
        throw new InvalidFileError([{ file: `${options.rev}:${PIPELINE_FILE}`, message: 'the materialised tree defines other commands than the ones shown; nothing was run' }]);
      }
    },
    inspect: async ({ dir, pipeline, run, readFile }) => {
      const selected = new Set(run.stages.filter((s) => s.action === 'ran').map((s) => s.name));
      const afterText = await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8');
      const after = (await readLock(dir))!;
      const metricFiles = pipeline!.stages.flatMap((s) => s.outs.filter((o) => o.kind === 'metric').map((o) => o.path));
      return compareRuns({
        stages: pipeline!.stages.filter((s) => selected.has(s.name) || run.stages.some((x) => x.name === s.name && x.action === 'failed')),
        before,
        after,
        beforeText,
        afterText,
        metricsBefore: await metricValues(metricFiles, readAt),
        metricsAfter: await metricValues(metricFiles, readFile),
      });
    },
  });
  const result: RevReproResult = { rev: options.rev, commit, commands: planned.commands, ...r.inspected!, failed: r.failed, run: r.stages };
  if (r.failed.length > 0) result.verdict = 'diverged';
  if (r.dir !== undefined) result.dir = r.dir;
  return result;
}
