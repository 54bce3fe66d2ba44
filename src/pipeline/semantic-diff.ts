// The reviewer's diff: two snapshots of a project (a revision or the workspace) compared by
// meaning rather than by file: params, metrics, stages whose lock entry changed and why,
// and tracked data (files added, removed and modified, bytes). Pure: the snapshots carry
// everything already read; the ML sections (specs, configs, manifests) arrive ready-made.
import { canonicalJson, compareStrings } from '../core/canonical.js';
import type { Lock, LockFileEntry, LockStage } from './lock.js';
import { diffValues, type ValueRow } from './values.js';

export interface DataEntry {
  type: 'file' | 'dir';
  hash: string;
  size: number;
  nfiles: number;
  /** path -> hash of each file, for directories whose manifest could be read. */
  files?: Map<string, string>;
}

export interface Snapshot {
  label: string;
  params: Map<string, Map<string, unknown>>;
  metrics: Map<string, Map<string, unknown>>;
  lock?: Lock;
  /** Data tracked by pointer files, by path. */
  data: Map<string, DataEntry>;
}

export interface StageChange {
  name: string;
  change: 'added' | 'removed' | 'modified';
  reasons: string[];
}

export interface DataChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
  before?: { size: number; nfiles: number; hash: string };
  after?: { size: number; nfiles: number; hash: string };
  /** For directories with both manifests readable. */
  files?: { added: string[]; removed: string[]; modified: string[] };
}

/** A typed ML file or data manifest that changed, described by its domain's own diff. */
export interface MlChange {
  path: string;
  kind: 'augment' | 'model' | 'data-spec' | 'manifest';
  change: 'added' | 'removed' | 'modified';
  lines: string[];
}

export interface SemanticDiff {
  a: string;
  b: string;
  params: ValueRow[];
  metrics: ValueRow[];
  stages: StageChange[];
  data: DataChange[];
  /** Data specs, manifests, augmentation specs and model configs, by meaning. */
  ml: MlChange[];
  /** True when anything at all differs. */
  changed: boolean;
}

function fileChanges(kind: string, a: LockFileEntry[] | undefined, b: LockFileEntry[] | undefined): string[] {
  const am = new Map((a ?? []).map((f) => [f.path, f.hash]));
  const bm = new Map((b ?? []).map((f) => [f.path, f.hash]));
  const out: string[] = [];
  for (const p of [...new Set([...am.keys(), ...bm.keys()])].sort(compareStrings)) {
    if (!am.has(p)) out.push(`${kind} ${p} added`);
    else if (!bm.has(p)) out.push(`${kind} ${p} removed`);
    else if (am.get(p) !== bm.get(p)) out.push(`${kind} ${p} changed`);
  }
  return out;
}

export function stageReasons(a: LockStage, b: LockStage): string[] {
  const reasons: string[] = [];
  if (canonicalJson(a.cmd) !== canonicalJson(b.cmd)) reasons.push('command changed');
  reasons.push(...fileChanges('dependency', a.deps, b.deps));
  const pa = a.params ?? {};
  const pb = b.params ?? {};
  for (const file of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort(compareStrings)) {
    const x = pa[file] ?? {};
    const y = pb[file] ?? {};
    for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort(compareStrings)) {
      if (canonicalJson(x[key] ?? null) !== canonicalJson(y[key] ?? null)) reasons.push(`param ${file}:${key} ${JSON.stringify(x[key] ?? null)} -> ${JSON.stringify(y[key] ?? null)}`);
    }
  }
  if (canonicalJson(a.seeds ?? {}) !== canonicalJson(b.seeds ?? {})) reasons.push('seeds changed');
  if (canonicalJson(a.env ?? {}) !== canonicalJson(b.env ?? {}) || (a.wdir ?? '') !== (b.wdir ?? '')) reasons.push('settings changed');
  const runA = a.run_env ?? {};
  const runB = b.run_env ?? {};
  for (const key of [...new Set([...Object.keys(runA), ...Object.keys(runB)])].sort(compareStrings)) {
    if (runA[key] !== runB[key]) reasons.push(`run env ${key} ${JSON.stringify(runA[key] ?? null)} -> ${JSON.stringify(runB[key] ?? null)}`);
  }
  reasons.push(...fileChanges('output', a.outs, b.outs));
  return reasons;
}

function diffData(a: Map<string, DataEntry>, b: Map<string, DataEntry>): DataChange[] {
  const out: DataChange[] = [];
  const summary = (e: DataEntry) => ({ size: e.size, nfiles: e.nfiles, hash: e.hash });
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings)) {
    const x = a.get(p);
    const y = b.get(p);
    if (x && y && x.hash === y.hash) continue;
    const change: DataChange = { path: p, change: !x ? 'added' : !y ? 'removed' : 'modified' };
    if (x) change.before = summary(x);
    if (y) change.after = summary(y);
    if (x?.files && y?.files) {
      const files = { added: [] as string[], removed: [] as string[], modified: [] as string[] };
      for (const [f, h] of y.files) {
        if (!x.files.has(f)) files.added.push(f);
        else if (x.files.get(f) !== h) files.modified.push(f);
      }
      for (const f of x.files.keys()) if (!y.files.has(f)) files.removed.push(f);
      for (const list of Object.values(files)) list.sort(compareStrings);
      change.files = files;
    }
    out.push(change);
  }
  return out;
}

export function semanticDiff(a: Snapshot, b: Snapshot, ml: MlChange[] = []): SemanticDiff {
  const stages: StageChange[] = [];
  const sa = a.lock?.stages ?? {};
  const sb = b.lock?.stages ?? {};
  for (const name of [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort(compareStrings)) {
    const x = sa[name];
    const y = sb[name];
    if (!x) stages.push({ name, change: 'added', reasons: [] });
    else if (!y) stages.push({ name, change: 'removed', reasons: [] });
    else {
      const reasons = stageReasons(x, y);
      if (reasons.length > 0) stages.push({ name, change: 'modified', reasons });
    }
  }
  const params = diffValues(a.params, b.params);
  const metrics = diffValues(a.metrics, b.metrics);
  const data = diffData(a.data, b.data);
  return { a: a.label, b: b.label, params, metrics, stages, data, ml, changed: params.length + metrics.length + stages.length + data.length + ml.length > 0 };
}
