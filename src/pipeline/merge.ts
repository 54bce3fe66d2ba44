// Stage-wise three-way merge of rx.lock, for git's merge driver: a stage identical on both
// sides (or changed on one side only) merges cleanly; a stage changed differently on both
// sides is a conflict on that stage alone, resolved to "ours" so the merged file stays a
// valid lock (the stage will simply be stale until `rx repro`). Pure.
import { canonicalJson, compareStrings } from '../core/canonical.js';
import type { Lock, LockStage } from './lock.js';

export interface LockMerge {
  lock: Lock;
  conflicts: string[];
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function pick<T>(base: T | undefined, ours: T | undefined, theirs: T | undefined): { value: T | undefined; conflict: boolean } {
  if (same(ours, theirs)) return { value: ours, conflict: false };
  if (same(base, ours)) return { value: theirs, conflict: false };
  if (same(base, theirs)) return { value: ours, conflict: false };
  return { value: ours, conflict: true };
}

export function mergeLocks(base: Lock | undefined, ours: Lock, theirs: Lock): LockMerge {
  const names = new Set([...Object.keys(ours.stages), ...Object.keys(theirs.stages), ...Object.keys(base?.stages ?? {})]);
  const stages: Record<string, LockStage> = {};
  const conflicts: string[] = [];
  for (const name of [...names].sort(compareStrings)) {
    const r = pick(base?.stages[name], ours.stages[name], theirs.stages[name]);
    if (r.conflict) conflicts.push(name);
    if (r.value !== undefined) stages[name] = r.value;
  }
  // The environment fingerprint is informative: when both sides differ, ours is kept.
  const env = pick(base?.env, ours.env, theirs.env).value;
  const lock: Lock = { schema: 1, stages };
  if (env) lock.env = env;
  return { lock, conflicts };
}
