// rx.lock: its types, the pure construction of a stage's entry, canonical serialisation
// (sorted, no timestamps, durations or absolute paths, so an identical run rewrites it
// byte for byte) and parsing with located errors. The run-cache key is the hash of the
// canonical entry without its outputs.
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import { stringifyYaml, LOCK_YAML_LIMITS } from '../core/yaml.js';
import { canonicalJson, compareStrings, sortedKeys } from '../core/canonical.js';
import { absPath, unsafePathReason, UnsafePathError } from '../core/paths.js';
import { writeFileAtomic } from '../core/atomic.js';
import { RxError, ExitCode, type FileProblem } from '../core/errors.js';
import { parseYamlLocated, fieldPath, type ParsedCache } from '../schema/validate.js';
import { lockSchema } from '../schema/pipeline.js';
import type { Stage } from './definition.js';

export const LOCK_FILE = 'rx.lock';
export const LOCK_SCHEMA_VERSION = 1;

export interface LockFileEntry {
  path: string;
  /** Present for directories (the hash names a directory manifest). */
  type?: 'dir';
  hash: string;
  size: number;
  nfiles: number;
}

export type LockParams = Record<string, Record<string, unknown>>;

export interface LockStage {
  cmd: string | string[];
  wdir?: string;
  deps?: LockFileEntry[];
  params?: LockParams;
  outs?: LockFileEntry[];
  seeds?: Record<string, number | string>;
  env?: Record<string, string>;
  /** The environment rx set for this run over env (Stage.runEnv): part of the run-cache key. */
  run_env?: Record<string, string>;
}

export interface LockEnv {
  rx: string;
  node: string;
  platform: string;
  arch: string;
  npm_lock?: string;
  tfjs_backend?: string;
  tfjs_simd?: boolean;
}

export interface Lock {
  schema: 1;
  env?: LockEnv;
  stages: Record<string, LockStage>;
}

export function emptyLock(): Lock {
  return { schema: 1, stages: {} };
}

function sortFiles(list: LockFileEntry[]): LockFileEntry[] {
  return [...list]
    .sort((a, b) => compareStrings(a.path, b.path))
    .map((f) => (f.type === 'dir' ? { path: f.path, type: f.type, hash: f.hash, size: f.size, nfiles: f.nfiles } : { path: f.path, hash: f.hash, size: f.size, nfiles: f.nfiles }));
}

/** The lock entry of a stage from what was observed of its inputs and outputs. Pure. */
export function lockEntryFor(stage: Stage, observed: { deps: LockFileEntry[]; params: LockParams; outs: LockFileEntry[] }): LockStage {
  const entry: LockStage = { cmd: stage.cmd };
  if (stage.wdir !== '') entry.wdir = stage.wdir;
  if (observed.deps.length > 0) entry.deps = sortFiles(observed.deps);
  if (Object.keys(observed.params).length > 0) entry.params = sortedKeys(observed.params);
  if (observed.outs.length > 0) entry.outs = sortFiles(observed.outs);
  if (Object.keys(stage.seeds).length > 0) entry.seeds = sortedKeys(stage.seeds);
  if (Object.keys(stage.env).length > 0) entry.env = sortedKeys(stage.env);
  if (stage.runEnv && Object.keys(stage.runEnv).length > 0) entry.run_env = sortedKeys(stage.runEnv);
  return entry;
}

/** The variable rx sets for a replication seed (rx exp run --seeds, rx search): a run's env. */
export const RUN_SEED_VAR = 'RX_SEED';

/**
 * An entry's declared env and run env, read against the env the stage declares now. Locks
 * written before run_env existed kept a run's RX_SEED inside env: when the stage does not
 * declare RX_SEED itself, it is read as the run's.
 */
export function entryEnvs(entry: LockStage, declared: Record<string, string>): { env: Record<string, string>; runEnv: Record<string, string> } {
  const env = { ...(entry.env ?? {}) };
  const runEnv = { ...(entry.run_env ?? {}) };
  if (entry.run_env === undefined && env[RUN_SEED_VAR] !== undefined && declared[RUN_SEED_VAR] === undefined) {
    runEnv[RUN_SEED_VAR] = env[RUN_SEED_VAR];
    delete env[RUN_SEED_VAR];
  }
  return { env, runEnv };
}

/** Canonical text of one entry, field order fixed; used for comparisons and the run cache. */
export function canonicalEntry(entry: LockStage): string {
  return canonicalJson(entry);
}

/** The run-cache key: everything that determines a stage's result, not the result. */
export function runCacheKey(entry: LockStage): string {
  const { outs: _outs, ...inputs } = entry;
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}

function orderedStage(s: LockStage): Record<string, unknown> {
  const out: Record<string, unknown> = { cmd: s.cmd };
  if (s.wdir) out.wdir = s.wdir;
  if (s.deps?.length) out.deps = sortFiles(s.deps);
  if (s.params && Object.keys(s.params).length > 0) out.params = sortedKeys(s.params);
  if (s.outs?.length) out.outs = sortFiles(s.outs);
  if (s.seeds && Object.keys(s.seeds).length > 0) out.seeds = sortedKeys(s.seeds);
  if (s.env && Object.keys(s.env).length > 0) out.env = sortedKeys(s.env);
  if (s.run_env && Object.keys(s.run_env).length > 0) out.run_env = sortedKeys(s.run_env);
  return out;
}

/** Canonical YAML of the whole lock: stages sorted by name, keys in a fixed order. */
export function serialiseLock(lock: Lock): string {
  const stages: Record<string, unknown> = {};
  for (const name of Object.keys(lock.stages).sort(compareStrings)) stages[name] = orderedStage(lock.stages[name]!);
  const doc: Record<string, unknown> = { schema: 1 };
  if (lock.env) {
    const e = lock.env;
    const env: Record<string, unknown> = { rx: e.rx, node: e.node, platform: e.platform, arch: e.arch };
    if (e.npm_lock) env.npm_lock = e.npm_lock;
    if (e.tfjs_backend) env.tfjs_backend = e.tfjs_backend;
    if (e.tfjs_simd !== undefined) env.tfjs_simd = e.tfjs_simd;
    doc.env = env;
  }
  doc.stages = stages;
  return stringifyYaml(doc, { lineWidth: 0, indentSeq: true });
}

export function parseLock(text: string, file = LOCK_FILE, parsed?: ParsedCache): Lock {
  const head = /^schema:\s*(\d+)/m.exec(text);
  if (head && Number(head[1]) > LOCK_SCHEMA_VERSION) {
    throw new RxError('RX_LOCK_NEWER', ExitCode.invalidFile, `${file}: written by a newer rx (lock schema ${head[1]}; this rx reads ${LOCK_SCHEMA_VERSION})`, {
      hint: 'upgrade rx to read this lock',
    });
  }
  const { value, locate } = parseYamlLocated<Lock>(file, text, lockSchema, parsed, LOCK_YAML_LIMITS);
  // Paths in a lock decide where checkout and repro write: each one passes the path guard.
  const problems: FileProblem[] = [];
  for (const [name, stage] of Object.entries(value.stages)) {
    const check = (p: unknown, at: (string | number)[]) => {
      const reason = unsafePathReason(p);
      if (reason !== undefined) problems.push({ file, ...locate(at), field: fieldPath(at), message: `${JSON.stringify(p)} ${reason}` });
    };
    if (stage.wdir !== undefined) check(stage.wdir, ['stages', name, 'wdir']);
    for (const kind of ['deps', 'outs'] as const) (stage[kind] ?? []).forEach((e, i) => check(e.path, ['stages', name, kind, i, 'path']));
  }
  if (problems.length > 0) throw new UnsafePathError(problems);
  return value;
}

export async function readLock(root: string, parsed?: ParsedCache): Promise<Lock | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(absPath(root, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return parseLock(text, LOCK_FILE, parsed);
}

export async function writeLock(root: string, lock: Lock): Promise<void> {
  await writeFileAtomic(absPath(root, LOCK_FILE), serialiseLock(lock));
}
