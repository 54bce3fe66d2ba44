// Experiment refs: refs/rx/exps/<baseline sha>/<name>, where the name may nest
// (<search>/<trial>-s<seed>). Owns parsing and naming them, listing and finding
// experiments, building an experiment's tree from a run directory, and recording its
// commit without ever overwriting another experiment's ref.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { UsageError, RxError, ExitCode } from '../core/errors.js';
import { absPath } from '../core/paths.js';
import { compareStrings } from '../core/canonical.js';
import { EXPERIMENT_REFS, parseExperimentRef, resolveRevision, readCommitInfo } from '../git/revision.js';
import { listCommitFiles, writeBlobBytes, writeTreeOf, writeCommitObject, createRef, refsUnder, type Signature, type TreeFile } from '../git/tree.js';
import { inProject, type ProjectRepo } from '../git/project-repo.js';
import type { GitRepo } from '../git/repo.js';
import { LOCK_FILE } from '../pipeline/lock.js';
import { parseOverride } from '../pipeline/overrides.js';
import type { Pipeline } from '../pipeline/definition.js';
import { experimentName } from './names.js';

export const EXP_REFS = EXPERIMENT_REFS;

/** An experiment ref split: the baseline is the segment after refs/rx/exps, the name all the rest. */
export type ExperimentRefParts = NonNullable<ReturnType<typeof parseExperimentRef>>;
export { parseExperimentRef };

export function experimentRef(baseline: string, name: string): string {
  return `${EXP_REFS}/${baseline}/${name}`;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Whether a name is usable as an experiment name: '/'-separated segments of letters, digits, '.', '_', '-' (a valid git ref part). */
export function isExperimentName(name: string, options: { nested?: boolean } = {}): boolean {
  const segments = name.split('/');
  if (!options.nested && segments.length > 1) return false;
  return segments.every((s) => SEGMENT.test(s) && !s.includes('..') && !s.endsWith('.lock'));
}

/**
 * Whether `name` collides with a taken one: the same name, or one a ref of it would nest in
 * or over (git cannot hold both refs/x and refs/x/y).
 */
export function nameTaken(taken: Iterable<string>, name: string): boolean {
  for (const t of taken) if (t === name || t.startsWith(name + '/') || name.startsWith(t + '/')) return true;
  return false;
}

export async function experimentNames(repo: GitRepo, baseline: string): Promise<string[]> {
  return (await refsUnder(repo, `${EXP_REFS}/${baseline}`)).map((r) => parseExperimentRef(r.ref)?.name).filter((n): n is string => n !== undefined);
}

/** HEAD's commit: the baseline of experiments run now. */
export async function headCommit(repo: GitRepo): Promise<string> {
  try {
    return await resolveRevision(repo, 'HEAD');
  } catch {
    throw new UsageError('the repository has no commits yet: commit the project first, then run experiments on it');
  }
}

/** The name `rx exp run` records under: the one asked for (-n), else a readable one derived from the seed. */
export async function uniqueName(repo: GitRepo, baseline: string, wanted: string | undefined, seed: number): Promise<string> {
  const taken = await experimentNames(repo, baseline);
  if (wanted !== undefined) {
    if (!isExperimentName(wanted)) throw new UsageError(`experiment name ${JSON.stringify(wanted)}: use letters, digits, '.', '_' and '-'`);
    if (nameTaken(taken, wanted)) throw new UsageError(`an experiment named ${wanted} already exists on this baseline`, { hint: `remove it with rx exp rm ${wanted}, or choose another -n` });
    return wanted;
  }
  for (let i = 0; ; i++) {
    const n = experimentName(seed + i * 7919);
    const name = i < 50 ? n : `${n}-${i}`;
    if (!nameTaken(taken, name)) return name;
  }
}

export interface ExpInfo {
  /** Everything after the baseline in the ref: 'amber-otter', or 'lr-sweep/3-s0' for a search trial. */
  name: string;
  ref: string;
  commit: string;
  baseline: string;
  timestamp: number;
  message: string;
  /** The -S overrides it was run with, as written. */
  overrides: string[];
}

/** The -S lines an experiment commit's message carries. */
export function overridesIn(message: string): string[] {
  return message
    .split('\n')
    .filter((l) => l.startsWith('-S '))
    .map((l) => l.slice(3));
}

/** The message of an experiment commit: a subject, then one `-S` line per override. */
export function experimentMessage(subject: string, overrides: string[]): string {
  return `${subject}\n\n${overrides.length > 0 ? overrides.map((o) => `-S ${o}`).join('\n') : 'no parameter overrides'}\n`;
}

/** Where each override points (file and key), for reading its value at any commit. */
export function overrideKeys(overrides: string[]): { file: string; key: string }[] {
  const out = new Map<string, { file: string; key: string }>();
  for (const raw of overrides) {
    try {
      const o = parseOverride(raw);
      out.set(`${o.file}\0${o.key}`, { file: o.file, key: o.key });
    } catch {
      // a message edited by hand: not an override rx can read back
    }
  }
  return [...out.values()];
}

/** Experiments of one baseline (or all), oldest first. */
export async function listExperiments(pr: ProjectRepo, baseline: string | undefined): Promise<ExpInfo[]> {
  const refs = await refsUnder(pr.repo, baseline ? `${EXP_REFS}/${baseline}` : EXP_REFS);
  const out: ExpInfo[] = [];
  for (const { ref, oid } of refs) {
    const parts = parseExperimentRef(ref);
    if (!parts) continue; // a ref directly under refs/rx/exps, made by hand
    const info = await readCommitInfo(pr.repo, oid);
    out.push({ name: parts.name, ref, commit: oid, baseline: parts.baseline, timestamp: info.timestamp, message: info.message.split('\n')[0]!, overrides: overridesIn(info.message) });
  }
  return out.sort((a, b) => a.timestamp - b.timestamp || compareStrings(a.name, b.name));
}

/** Finds an experiment by name (current baseline first), or by ref or commit prefix. */
export async function findExperiment(pr: ProjectRepo, name: string): Promise<ExpInfo> {
  const head = await resolveRevision(pr.repo, 'HEAD').catch(() => undefined);
  const all = await listExperiments(pr, undefined);
  const matches = all.filter((e) => e.name === name || e.ref === name || (name.length >= 7 && e.commit.startsWith(name)));
  const current = matches.filter((e) => e.baseline === head);
  if (current.length === 1) return current[0]!;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new UsageError(`no experiment named ${name}`, { hint: 'list them with rx exp list --all-baselines' });
  throw new UsageError(`${name} names ${matches.length} experiments on other baselines: ${matches.map((m) => m.ref).join(', ')}`, { hint: 'name one by its ref' });
}

/** Files of a run directory that belong in the experiment's commit: the tree's own, rx.lock, uncached outputs, .gitignores of cached ones. */
export async function commitCandidates(dir: string, treeFiles: string[], pipeline: Pipeline): Promise<string[]> {
  const out = new Set(treeFiles);
  out.add(LOCK_FILE);
  for (const s of pipeline.stages) {
    for (const o of s.outs) {
      if (!o.cache) {
        const abs = absPath(dir, o.path);
        const st = await fsp.lstat(abs).catch(() => undefined);
        if (st?.isDirectory()) {
          const walk = async (d: string, rel: string) => {
            for (const e of await fsp.readdir(d, { withFileTypes: true })) {
              if (e.isDirectory()) await walk(path.join(d, e.name), `${rel}/${e.name}`);
              else out.add(`${rel}/${e.name}`);
            }
          };
          await walk(abs, o.path);
        } else out.add(o.path);
      } else {
        const parent = path.posix.dirname(o.path);
        out.add(parent === '.' ? '.gitignore' : `${parent}/.gitignore`);
      }
    }
  }
  return [...out].sort(compareStrings);
}

/**
 * The experiment's tree: the baseline's files outside the project as they are, the project's
 * part replaced by the named files of the run directory (files it lacks are left out).
 */
export async function experimentTree(pr: ProjectRepo, baseline: string, dir: string, files: string[]): Promise<string> {
  const { repo, prefix } = pr;
  const tree = new Map<string, TreeFile>();
  for (const f of await listCommitFiles(repo, baseline)) if (inProject(prefix, f.path) === undefined) tree.set(f.path, f);
  for (const rel of files) {
    const abs = absPath(dir, rel);
    const st = await fsp.lstat(abs).catch(() => undefined);
    if (!st?.isFile()) continue;
    const oid = await writeBlobBytes(repo, await fsp.readFile(abs));
    const full = prefix === '' ? rel : `${prefix}/${rel}`;
    tree.set(full, { path: full, oid, mode: (st.mode & 0o111) !== 0 ? '100755' : '100644' });
  }
  return writeTreeOf(repo, [...tree.values()]);
}

export class ExperimentExistsError extends RxError {
  constructor(ref: string) {
    super('RX_EXP_EXISTS', ExitCode.usage, `experiment ref ${ref} already exists (or a ref it would nest in or over does)`, { data: { ref }, hint: 'choose another name' });
  }
}

export interface RecordRequest {
  baseline: string;
  tree: string;
  author: Signature;
  name: string;
  /** The commit message for a name (it may name itself). */
  message: string | ((name: string) => string);
  /** Another name to try when `name` was taken meanwhile; without it a taken name is an ExperimentExistsError. */
  nextName?: (attempt: number) => Promise<string>;
  /** Whether `name` clashes with the experiment names on the baseline (default nameTaken). */
  clashes?: (taken: string[], name: string) => boolean;
}

export interface RecordedExperiment {
  name: string;
  ref: string;
  commit: string;
}

/**
 * Commits the tree on the baseline and creates its ref, never moving an existing one:
 * experiments run concurrently may pick the same name, and one result never replaces another's.
 */
export async function recordExperiment(repo: GitRepo, request: RecordRequest): Promise<RecordedExperiment> {
  let name = request.name;
  for (let attempt = 1; ; attempt++) {
    if (!isExperimentName(name, { nested: true })) throw new UsageError(`experiment name ${JSON.stringify(name)}: use '/'-separated parts of letters, digits, '.', '_' and '-'`);
    const message = typeof request.message === 'string' ? request.message : request.message(name);
    const commit = await writeCommitObject(repo, request.tree, [request.baseline], message, request.author);
    const ref = experimentRef(request.baseline, name);
    const clashes = request.clashes ?? nameTaken;
    if (!clashes(await experimentNames(repo, request.baseline), name) && (await createRef(repo, ref, commit))) return { name, ref, commit };
    if (!request.nextName) throw new ExperimentExistsError(ref);
    name = await request.nextName(attempt);
  }
}
