// The one sandbox: a temporary project tree under .rx/tmp/<kind>/, built from git objects (a
// commit) or from HEAD plus the working tree's uncommitted files, with edits and -S overrides
// on top, sharing the project's store and run cache; the pipeline runs there, and the result
// may be recorded as an experiment commit. The user's working tree, index and HEAD are never
// touched. exp run, repro --rev and search trials all run here (executors/ run several at once).
import { createWriteStream, promises as fsp, rmSync, type WriteStream } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Context, Reporter } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { pidAlive } from '../core/process-identity.js';
import { onExit } from '../core/cleanup.js';
import { absPath, assertNoSymlinkAbove, unsafePathReason, UnsafePathError } from '../core/paths.js';
import { parseYaml, stringifyYaml } from '../core/yaml.js';
import { openProject, CONFIG_FILE, POINTER_SUFFIX } from '../store/project.js';
import { listCommitFiles, materialiseFiles, readBlobBytes, worktreeFiles, authorFrom } from '../git/tree.js';
import { projectRepo, inProject } from '../git/project-repo.js';
import { loadPipeline, type Pipeline } from '../pipeline/definition.js';
import { parseOverride, applyOverrides } from '../pipeline/overrides.js';
import { checkoutWorkspace } from '../pipeline/checkout.js';
import { runPipeline, type ReproResult, type StageOutcome } from '../pipeline/run.js';
import { commitCandidates, experimentTree, recordExperiment, type RecordedExperiment } from './refs.js';

/** Where the tree comes from: the base commit, or HEAD plus the working tree's uncommitted files (as `rx exp run`). */
export type SandboxSource = 'commit' | 'worktree';

/** What a job's hooks see of the sandbox, while it exists. */
export interface SandboxView {
  /** The sandbox's project root. */
  dir: string;
  /** Its rx.yaml as it stands after the run (undefined when it has none). */
  pipeline: Pipeline | undefined;
  run: ReproResult;
  /** A file of the sandbox (project-relative), or undefined when it does not exist. */
  readFile(rel: string): Promise<string | undefined>;
}

export interface SandboxRecord {
  /** Experiment name under refs/rx/exps/<base>/; may nest ('lr-sweep/3-s0'). */
  name: string;
  /** The commit message (a function of the name, when it names itself). */
  message: string | ((name: string) => string);
  /** Another name to try when this one was taken meanwhile; without it that is an ExperimentExistsError. */
  nextName?: (attempt: number) => Promise<string>;
  /** Whether the name clashes with the baseline's experiment names (default: the same name, or one it nests in or over). */
  clashes?: (taken: string[], name: string) => boolean;
}

export interface SandboxJob<T = unknown> {
  /** The commit the tree starts from (for source 'worktree', HEAD); the recorded commit's parent. */
  base: string;
  source: SandboxSource;
  /** Files to write over the tree (project-relative path -> new content). */
  edits?: Record<string, string | Uint8Array>;
  /** -S overrides (file:key=value, or key=value for params.yaml), applied after the edits. */
  overrides?: string[];
  /** Stages to run (with their upstream); all when empty or absent. */
  stages?: string[];
  /** Extra environment for the stage commands (a trial's RX_SEED); recorded in the lock (run_env) and the run-cache key. */
  env?: Record<string, string>;
  /** Per stage, over env: what a commit's lock recorded as each stage's run_env, for re-execution. */
  stageEnv?: Record<string, Record<string, string>>;
  /**
   * A file the stages may report progress to (RX_PROGRESS; `rx train` appends one JSON line per
   * epoch). Not recorded in the lock or the run-cache key: where progress goes is no input.
   */
  progressFile?: string;
  /** Run every selected stage, up to date or not. */
  force?: boolean;
  /** Use the run cache (default true). */
  runCache?: boolean;
  /** Restore the base's cached stage outputs before the run, so unchanged stages need not run (default true). */
  restoreOutputs?: boolean;
  jobs?: number;
  /** Run each stage command under bubblewrap. */
  isolate?: boolean;
  /** Leave the sandbox directory in place (its path is returned). */
  keep?: boolean;
  /** Also write every stage's stdout and stderr, and rx's own messages, to this file. */
  logFile?: string;
  /** Subdirectory of .rx/tmp the sandbox is made in (default 'exp'). */
  kind?: string;
  /** Start of the sandbox directory's name (default the base's short sha). */
  label?: string;
  /** How messages name the base (a revision as the user wrote it; default its sha). */
  baseLabel?: string;
  /** Files whose text to return after the run (project-relative; missing ones are left out). */
  read?: string[];
  /** Record the result as an experiment (only when no stage failed). */
  record?: SandboxRecord;
  /** Runs once the tree is written, before anything is checked out or run (a throw stops the job). */
  prepare?: (dir: string) => Promise<void>;
  /** Runs after the pipeline, before the sandbox is removed; its value is returned as `inspected`. */
  inspect?: (view: SandboxView) => Promise<T>;
}

export interface SandboxResult<T = unknown> {
  base: string;
  stages: StageOutcome[];
  failed: string[];
  /** The exit code of the command that failed, when one exited with a code. */
  exitCode?: number;
  /** The failing command and what happened to it. */
  failedCommand?: string;
  message?: string;
  /** The job's log file, when it asked for one. */
  logFile?: string;
  /** Every metric file the sandbox's rx.yaml declares that exists after the run: path -> text. */
  metrics: Record<string, string>;
  /** The files the job asked to read: path -> text. */
  files: Record<string, string>;
  /** The experiment recorded (ref, commit, the name it got). */
  recorded?: RecordedExperiment;
  /** The sandbox directory, when kept. */
  dir?: string;
  /** What the job's inspect hook returned. */
  inspected?: T;
  /** The run was cancelled through its AbortSignal. */
  cancelled?: boolean;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** A reporter that also writes stage output and rx's messages to a log file. */
function teeReporter(inner: Reporter, log: WriteStream): Reporter {
  return {
    info: (m) => {
      log.write(`rx: ${m}\n`);
      inner.info(m);
    },
    warn: (m) => {
      log.write(`rx: warning: ${m}\n`);
      inner.warn(m);
    },
    debug: (m) => inner.debug(m),
    progress: (label, total, unit) => inner.progress(label, total, unit),
    stageOutput: (stage, stream, line) => {
      log.write(`[${stage}] ${line}\n`);
      inner.stageOutput(stage, stream, line);
    },
  };
}

function checkEditPath(dir: string, rel: string): void {
  const reason = unsafePathReason(rel);
  if (reason !== undefined || rel.split('/').some((p) => p === '..' || p === '.' || p === '') || rel === '.git' || rel.startsWith('.git/')) {
    throw new UnsafePathError([{ file: rel, message: `edit path ${JSON.stringify(rel)} ${reason ?? 'is not a plain project-relative path'}` }]);
  }
  assertNoSymlinkAbove(dir, rel, `edit ${rel}`);
}

async function readText(file: string): Promise<string | undefined> {
  return fsp.readFile(file, 'utf8').catch(() => undefined);
}

/** This host in sandbox names: a pid means something only on the host that made it. */
const HOST_TAG = hostname().replace(/[^A-Za-z0-9]/g, '_').slice(0, 40) || 'host';

/** The prefix of a sandbox directory's name: `<label>-[kept-]<pid>.<host>-`, then mkdtemp's six characters. */
function sandboxPrefix(label: string, keep: boolean): string {
  return `${label}-${keep ? 'kept-' : ''}${process.pid}.${HOST_TAG}-`;
}

/** What a sandbox directory's name says of its maker; undefined for names rx did not make so. */
export function sandboxOwner(name: string): { pid: number; host: string; kept: boolean } | undefined {
  const m = /-(kept-)?(\d+)\.([A-Za-z0-9_]+)-[A-Za-z0-9]{6}$/.exec(name);
  return m ? { pid: Number(m[2]), host: m[3]!, kept: m[1] !== undefined } : undefined;
}

/**
 * Removes the sandboxes of rx processes of this host that are gone (killed outright, so their
 * exit handler never ran), except the ones kept on purpose (--keep). A live pid keeps its
 * sandbox, also when the pid was reused by another process, and another host's are never
 * touched (a project on a shared disk): the sweep never removes a running one. Best effort.
 */
async function sweepDeadSandboxes(parent: string): Promise<void> {
  for (const name of await fsp.readdir(parent).catch(() => [] as string[])) {
    const owner = sandboxOwner(name);
    if (!owner || owner.kept || owner.host !== HOST_TAG || owner.pid === process.pid || pidAlive(owner.pid)) continue;
    await fsp.rm(path.join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Runs one job in its own sandbox directory, in the project `ctx.cwd` is in. Concurrent jobs
 * are independent: each has its own directory and project lock, and they share only the
 * store and run cache, whose writes are atomic and content-addressed.
 */
export async function runSandbox<T = unknown>(ctx: Context, job: SandboxJob<T>, options: { signal?: AbortSignal } = {}): Promise<SandboxResult<T>> {
  const project = await openProject(ctx.cwd);
  const pr = projectRepo(project);
  const { repo, prefix } = pr;
  const baseLabel = job.baseLabel ?? job.base;

  const parent = path.join(project.tmpDir, job.kind ?? 'exp');
  await fsp.mkdir(parent, { recursive: true });
  await sweepDeadSandboxes(parent);
  const label = (job.label ?? job.base.slice(0, 12)).replace(/[^A-Za-z0-9_.@-]/g, '_');
  // A kept sandbox is the user's to inspect: its name tells the sweep to leave it alone.
  const dir = await fsp.mkdtemp(path.join(parent, sandboxPrefix(label, job.keep === true)));
  const dispose = job.keep ? () => {} : onExit(() => rmSync(dir, { recursive: true, force: true }));
  let log: WriteStream | undefined;
  try {
    // The tree, and the project-relative files that make it (what a recorded commit holds).
    const files: string[] = [];
    let configText: string | undefined;
    if (job.source === 'worktree') {
      // HEAD plus uncommitted changes: every file git sees in the working tree, as it is there.
      for (const f of (await worktreeFiles(repo)).filter((x) => x.present)) {
        const rel = inProject(prefix, f.path);
        if (rel === undefined) continue;
        const src = absPath(project.root, rel);
        const dest = absPath(dir, rel);
        await fsp.mkdir(path.dirname(dest), { recursive: true });
        await fsp.copyFile(src, dest);
        await fsp.chmod(dest, ((await fsp.stat(src)).mode & 0o111) !== 0 ? 0o755 : 0o644);
        files.push(rel);
      }
      configText = await readText(absPath(project.root, CONFIG_FILE));
    } else {
      const tree = await listCommitFiles(repo, job.base, prefix);
      await materialiseFiles(repo, tree, dir);
      files.push(...tree.map((f) => f.path));
      const config = tree.find((f) => f.path === CONFIG_FILE);
      configText = config ? text(await readBlobBytes(repo, config.oid)) : undefined;
    }
    for (const [rel, content] of Object.entries(job.edits ?? {})) {
      checkEditPath(dir, rel);
      const abs = absPath(dir, rel);
      await fsp.mkdir(path.dirname(abs), { recursive: true });
      // Written through, so an existing file keeps its mode; a symbolic link is replaced, not followed.
      if ((await fsp.lstat(abs).catch(() => undefined))?.isSymbolicLink()) await fsp.rm(abs);
      await fsp.writeFile(abs, content);
      if (!files.includes(rel)) files.push(rel);
    }
    const overrides = (job.overrides ?? []).map(parseOverride);
    for (const file of [...new Set(overrides.map((o) => o.file))]) {
      const abs = absPath(dir, file);
      const current = await readText(abs);
      if (current === undefined) throw new UsageError(`-S: ${file} does not exist in the project`);
      await fsp.writeFile(abs, applyOverrides(file, current, overrides));
      if (!files.includes(file)) files.push(file);
    }
    // The sandbox borrows the project's store (and so its run cache); its other settings are the tree's own.
    const config = (parseYaml(configText ?? 'schema: 1', job.source === 'commit' ? `${baseLabel}:${CONFIG_FILE}` : CONFIG_FILE) ?? { schema: 1 }) as Record<string, unknown>;
    await fsp.mkdir(path.join(dir, '.rx'), { recursive: true });
    await fsp.writeFile(absPath(dir, CONFIG_FILE), stringifyYaml({ ...config, cache: project.store.dir }));
    if (job.prepare) await job.prepare(dir);

    if (job.logFile) {
      await fsp.mkdir(path.dirname(job.logFile), { recursive: true });
      log = createWriteStream(job.logFile, { flags: 'w' });
    }
    const inner: Context = { ...ctx, cwd: dir, reporter: log ? teeReporter(ctx.reporter, log) : ctx.reporter, ...(job.progressFile ? { env: { ...ctx.env, RX_PROGRESS: job.progressFile } } : {}) };
    // Tracked data (and, unless asked not to, the base's stage outputs) from the store.
    const restoreOutputs = job.restoreOutputs !== false;
    if (restoreOutputs || files.some((f) => f.endsWith(POINTER_SUFFIX))) await checkoutWorkspace(inner, { paths: [], force: true, outputs: restoreOutputs });
    const run = await runPipeline(inner, {
      targets: job.stages ?? [],
      force: job.force,
      runCache: job.runCache,
      jobs: job.jobs,
      isolate: job.isolate,
      env: job.env,
      stageEnv: job.stageEnv,
      temporaryTree: job.record
        ? { note: 'nothing is recorded, and the project is untouched', left: 'the interrupted experiment is not recorded and the project is untouched', hint: 'experiments that had finished are recorded (rx exp show); run rx exp run again for the rest' }
        : { note: 'the project is untouched', left: 'the project is untouched', hint: 'run the command again' },
      signal: options.signal,
    });

    const pipeline = await loadPipeline(dir);
    const result: SandboxResult<T> = { base: job.base, stages: run.stages, failed: run.failed, metrics: {}, files: {} };
    const failure = run.stages.find((s) => s.action === 'failed');
    if (failure?.exitCode !== undefined) result.exitCode = failure.exitCode;
    if (failure?.failedCommand !== undefined) result.failedCommand = failure.failedCommand;
    if (failure?.message !== undefined) {
      result.message = failure.message;
      log?.write(`rx: ${failure.message}\n`);
    }
    if (job.logFile) result.logFile = job.logFile;
    if (options.signal?.aborted) result.cancelled = true;
    for (const o of pipeline?.stages.flatMap((s) => s.outs.filter((x) => x.kind === 'metric')) ?? []) {
      const t = await readText(absPath(dir, o.path));
      if (t !== undefined) result.metrics[o.path] = t;
    }
    for (const rel of job.read ?? []) {
      if (unsafePathReason(rel) !== undefined) continue;
      const t = await readText(absPath(dir, rel));
      if (t !== undefined) result.files[rel] = t;
    }
    if (job.inspect) result.inspected = await job.inspect({ dir, pipeline, run, readFile: (rel) => readText(absPath(dir, rel)) });

    if (job.record && run.failed.length === 0 && !result.cancelled) {
      // The commit keeps the tree's own settings, not the borrowed store.
      if (configText === undefined) await fsp.rm(absPath(dir, CONFIG_FILE), { force: true });
      else await fsp.writeFile(absPath(dir, CONFIG_FILE), configText);
      const tree = await experimentTree(pr, job.base, dir, await commitCandidates(dir, files, pipeline!));
      result.recorded = await recordExperiment(repo, { baseline: job.base, tree, author: await authorFrom(repo, ctx.env, ctx.clock.now()), ...job.record });
    }
    if (job.keep) result.dir = dir;
    return result;
  } finally {
    if (log) await new Promise<void>((resolve) => log!.end(resolve));
    if (!job.keep) {
      dispose();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}
