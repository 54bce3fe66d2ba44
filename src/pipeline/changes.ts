// Change detection: why a stage must run, from its definition, its previous lock entry and
// what is observed now. Pure, so every reason can be unit-tested without files.
import { canonicalJson, compareStrings } from '../core/canonical.js';
import type { Stage } from './definition.js';
import { entryEnvs, type LockFileEntry, type LockParams, type LockStage } from './lock.js';

export type Reason =
  | { kind: 'never-run' }
  | { kind: 'forced' }
  | { kind: 'always-changed' }
  | { kind: 'command' }
  | { kind: 'settings'; what: 'wdir' | 'env' | 'run env' | 'seeds' }
  | { kind: 'dep'; path: string; change: 'modified' | 'added' | 'removed' | 'missing' }
  | { kind: 'param'; file: string; key: string; change: 'modified' | 'added' | 'removed' }
  | { kind: 'out'; path: string; change: 'modified' | 'missing' | 'added' | 'removed' }
  | { kind: 'upstream'; stage: string };

export interface Observation {
  deps: Map<string, LockFileEntry | undefined>;
  params: LockParams;
  outs: Map<string, LockFileEntry | undefined>;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function compareFiles(kind: 'dep' | 'out', declared: string[], previous: LockFileEntry[] | undefined, now: Map<string, LockFileEntry | undefined>): Reason[] {
  const reasons: Reason[] = [];
  const prev = new Map((previous ?? []).map((f) => [f.path, f]));
  for (const p of declared) {
    const cur = now.get(p);
    const old = prev.get(p);
    if (!cur) reasons.push({ kind, path: p, change: 'missing' } as Reason);
    else if (!old) reasons.push({ kind, path: p, change: 'added' } as Reason);
    else if (old.hash !== cur.hash) reasons.push({ kind, path: p, change: 'modified' } as Reason);
  }
  const declaredSet = new Set(declared);
  for (const p of prev.keys()) if (!declaredSet.has(p)) reasons.push({ kind, path: p, change: 'removed' } as Reason);
  return reasons;
}

function compareParams(previous: LockParams | undefined, now: LockParams): Reason[] {
  const reasons: Reason[] = [];
  const files = new Set([...Object.keys(previous ?? {}), ...Object.keys(now)]);
  for (const file of [...files].sort(compareStrings)) {
    const old = previous?.[file] ?? {};
    const cur = now[file] ?? {};
    const keys = new Set([...Object.keys(old), ...Object.keys(cur)]);
    for (const key of [...keys].sort(compareStrings)) {
      if (!(key in old)) reasons.push({ kind: 'param', file, key, change: 'added' });
      else if (!(key in cur)) reasons.push({ kind: 'param', file, key, change: 'removed' });
      else if (!sameJson(old[key], cur[key])) reasons.push({ kind: 'param', file, key, change: 'modified' });
    }
  }
  return reasons;
}

/** Every reason the stage is out of date; empty when it is up to date. */
export function stageChanges(stage: Stage, previous: LockStage | undefined, now: Observation, options: { force?: boolean } = {}): Reason[] {
  const reasons: Reason[] = [];
  if (options.force) reasons.push({ kind: 'forced' });
  if (stage.alwaysChanged) reasons.push({ kind: 'always-changed' });
  if (!previous) {
    reasons.push({ kind: 'never-run' });
    return reasons;
  }
  if (!sameJson(previous.cmd, stage.cmd)) reasons.push({ kind: 'command' });
  if ((previous.wdir ?? '') !== stage.wdir) reasons.push({ kind: 'settings', what: 'wdir' });
  const locked = entryEnvs(previous, stage.env);
  if (!sameJson(locked.env, stage.env)) reasons.push({ kind: 'settings', what: 'env' });
  if (!sameJson(locked.runEnv, stage.runEnv ?? {})) reasons.push({ kind: 'settings', what: 'run env' });
  if (!sameJson(previous.seeds ?? {}, stage.seeds)) reasons.push({ kind: 'settings', what: 'seeds' });
  reasons.push(...compareFiles('dep', stage.deps, previous.deps, now.deps));
  reasons.push(...compareParams(previous.params, now.params));
  reasons.push(...compareFiles('out', stage.outs.map((o) => o.path), previous.outs, now.outs));
  return reasons;
}

/** True when only outputs are missing or modified: they can be restored instead of re-made. */
export function onlyOutputsChanged(reasons: Reason[]): boolean {
  return reasons.length > 0 && reasons.every((r) => r.kind === 'out' && (r.change === 'missing' || r.change === 'modified'));
}

export function describeReason(r: Reason): string {
  switch (r.kind) {
    case 'never-run':
      return 'never run (no lock entry)';
    case 'forced':
      return 'forced';
    case 'always-changed':
      return 'always_changed';
    case 'command':
      return 'command changed';
    case 'settings':
      return `${r.what} changed`;
    case 'dep':
      return `dependency ${r.path} ${r.change}`;
    case 'param':
      return `param ${r.file}:${r.key} ${r.change}`;
    case 'out':
      return `output ${r.path} ${r.change}`;
    case 'upstream':
      return `upstream stage ${r.stage} will run`;
  }
}
