// Human descriptions of augmentation specs and their semantic diff as data (rx diff renders
// it): ops added, removed, reordered, and per op the changed probability, bounds, distribution,
// conditions, schedule and op-specific settings.
import { OP_INFO } from './spec.js';
import type { AugmentOp, AugmentSpec, Distribution, OpName, Schedule } from './types.js';

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

const UNIT_SUFFIX: Partial<Record<OpName, string>> = { rotate: '°', translate: 'px', blur: 'px' };

function describeDistribution(d: Distribution): string {
  switch (d.kind) {
    case 'uniform':
      return 'uniform';
    case 'log-uniform':
      return 'log-uniform';
    case 'truncated-normal':
      return `truncated-normal(mean ${fmt(d.mean)}, std ${fmt(d.std)})`;
    case 'choice':
      return `choice {${d.values.map(fmt).join(', ')}}`;
  }
}

export function describeSchedule(s: Schedule): string {
  const target = s.target === 'both' ? 'magnitude and p' : s.target;
  switch (s.kind) {
    case 'constant':
      return `${target} x${fmt(s.scale)}`;
    case 'linear':
    case 'cosine':
      return `${target} x${fmt(s.from)}→${fmt(s.to)} ${s.kind} over ${s.epochs === undefined ? 'the run' : `${s.epochs} epochs`}`;
    case 'step':
      return `${target} steps ${s.knots.map((k) => `e${k.epoch}:x${fmt(k.scale)}`).join(' ')}`;
  }
}

/** One line: what the op does, how often, how strongly, and when. */
export function describeAugmentOp(op: AugmentOp): string {
  const parts: string[] = [];
  let head: string = op.op;
  if (op.op === 'flip') head += ` ${op.axis}`;
  if (op.op === 'mixup') head += ` alpha ${fmt(op.alpha ?? 0.2)}`;
  const m = op.magnitude;
  if (m) {
    const unit = op.op === 'translate' && op.unit === 'fraction' ? ' of side' : (UNIT_SUFFIX[op.op] ?? '');
    const id = OP_INFO[op.op].magnitude?.identity ?? 0;
    const range = m.min === -m.max && id === 0 && m.max > 0 ? `±${fmt(m.max)}${unit}` : `[${fmt(m.min)}, ${fmt(m.max)}]${unit}`;
    head += ` ${range}`;
    if (op.distribution && op.distribution.kind !== 'uniform') head += ` ${describeDistribution(op.distribution)}`;
  }
  if (op.op === 'erasing') head += ` of area, aspect [${fmt(op.aspect!.min)}, ${fmt(op.aspect!.max)}], fill ${op.value === 'random' ? 'random' : fmt(op.value as number)}`;
  if (op.op === 'blur' && op.kernel !== undefined) head += ` kernel ${op.kernel}`;
  if (op.fill === 'edge') head += ' edge fill';
  parts.push(head, `p=${fmt(op.p)}`);
  const w = op.when;
  if (w) {
    const conds: string[] = [];
    if (w.source) conds.push(`source in [${w.source.join(', ')}]`);
    if (w.class) conds.push(`class in [${w.class.join(', ')}]`);
    if (w.split) conds.push(`split in [${w.split.join(', ')}]`);
    if (w.epochs) conds.push(`epochs ${w.epochs.from ?? 0}..${w.epochs.to ?? '∞'}`);
    parts.push(`when ${conds.join(', ')}`);
  }
  if (op.schedule && !(op.schedule.kind === 'constant' && op.schedule.scale === 1)) parts.push(`schedule ${describeSchedule(op.schedule)}`);
  return parts.join(', ');
}

/** A short description: the seed and one line per op, in order. */
export function describeAugmentSpec(spec: AugmentSpec): string {
  const head = `${spec.ops.length} op${spec.ops.length === 1 ? '' : 's'}, seed ${spec.seed}${spec.desc ? ` (${spec.desc})` : ''}`;
  return [head, ...spec.ops.map((op, i) => `  ${i + 1}. ${describeAugmentOp(op)}`)].join('\n');
}

// ------------------------------------------------------------------ semantic diff

export interface AugmentFieldChange {
  /** e.g. "p", "magnitude.max", "distribution", "when.split", "schedule", "axis". */
  field: string;
  from: unknown;
  to: unknown;
}

export interface AugmentOpRef {
  /** Identity of the op across the two specs: its name (flip with its axis), "#2" etc. for repeats. */
  key: string;
  op: OpName;
  index: number;
  description: string;
}

export interface AugmentSpecDiff {
  changed: boolean;
  seed?: { from: number; to: number };
  added: AugmentOpRef[];
  removed: AugmentOpRef[];
  /** Ops present in both whose relative order changed (positions are 0-based). */
  reordered: { key: string; op: OpName; from: number; to: number }[];
  modified: { key: string; op: OpName; index: number; changes: AugmentFieldChange[] }[];
}

function opKeys(ops: AugmentOp[]): string[] {
  const seen = new Map<string, number>();
  return ops.map((op) => {
    const base = op.op === 'flip' ? `flip:${op.axis}` : op.op;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function opFields(op: AugmentOp): [string, unknown][] {
  return [
    ['p', op.p],
    ['magnitude.min', op.magnitude?.min],
    ['magnitude.max', op.magnitude?.max],
    ['distribution', op.distribution],
    ['when.source', op.when?.source],
    ['when.class', op.when?.class],
    ['when.split', op.when?.split],
    ['when.epochs', op.when?.epochs],
    ['schedule', op.schedule],
    ['axis', op.axis],
    ['unit', op.unit],
    ['fill', op.fill],
    ['kernel', op.kernel],
    ['aspect.min', op.aspect?.min],
    ['aspect.max', op.aspect?.max],
    ['value', op.value],
    ['alpha', op.alpha],
    ['desc', op.desc],
  ];
}

/** Indices (into `seq`) of one longest subsequence common with `other`. */
function lcsKeep(seq: string[], other: string[]): Set<string> {
  const n = seq.length;
  const m = other.length;
  const dp: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = seq[i] === other[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const keep = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (seq[i] === other[j]) {
      keep.add(seq[i]!);
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) i++;
    else j++;
  }
  return keep;
}

/** What changed from spec a to spec b, by meaning. */
export function augmentSpecDiff(a: AugmentSpec, b: AugmentSpec): AugmentSpecDiff {
  const ka = opKeys(a.ops);
  const kb = opKeys(b.ops);
  const ia = new Map(ka.map((k, i) => [k, i]));
  const ib = new Map(kb.map((k, i) => [k, i]));
  const ref = (ops: AugmentOp[], key: string, index: number): AugmentOpRef => ({ key, op: ops[index]!.op, index, description: describeAugmentOp(ops[index]!) });
  const d: AugmentSpecDiff = {
    changed: false,
    added: kb.flatMap((k, i) => (ia.has(k) ? [] : [ref(b.ops, k, i)])),
    removed: ka.flatMap((k, i) => (ib.has(k) ? [] : [ref(a.ops, k, i)])),
    reordered: [],
    modified: [],
  };
  if (a.seed !== b.seed) d.seed = { from: a.seed, to: b.seed };
  const commonA = ka.filter((k) => ib.has(k));
  const commonB = kb.filter((k) => ia.has(k));
  const stay = lcsKeep(commonA, commonB);
  for (const k of commonA) if (!stay.has(k)) d.reordered.push({ key: k, op: a.ops[ia.get(k)!]!.op, from: ia.get(k)!, to: ib.get(k)! });
  for (const k of commonB) {
    const oa = a.ops[ia.get(k)!]!;
    const ob = b.ops[ib.get(k)!]!;
    const fb = new Map(opFields(ob));
    const changes: AugmentFieldChange[] = [];
    for (const [field, va] of opFields(oa)) {
      const vb = fb.get(field);
      if (canonical(va) !== canonical(vb)) changes.push({ field, from: va ?? null, to: vb ?? null });
    }
    if (changes.length > 0) d.modified.push({ key: k, op: ob.op, index: ib.get(k)!, changes });
  }
  d.changed = d.seed !== undefined || d.added.length + d.removed.length + d.reordered.length + d.modified.length > 0;
  return d;
}

function showValue(v: unknown): string {
  if (v === null || v === undefined) return '(none)';
  if (typeof v === 'number') return fmt(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  const o = v as Record<string, unknown>;
  if (typeof o.kind === 'string' && 'target' in o) return describeSchedule(o as unknown as Schedule);
  if (typeof o.kind === 'string') return describeDistribution(o as unknown as Distribution);
  return canonical(v);
}

/** The diff as lines of text (rx diff prints them under the spec's path). */
export function augmentSpecDiffLines(d: AugmentSpecDiff): string[] {
  const lines: string[] = [];
  if (d.seed) lines.push(`seed ${d.seed.from} -> ${d.seed.to}`);
  for (const r of d.removed) lines.push(`- ${r.description}`);
  for (const r of d.added) lines.push(`+ ${r.description} (at ${r.index + 1})`);
  for (const r of d.reordered) lines.push(`~ ${r.key} moved ${r.from + 1} -> ${r.to + 1}`);
  for (const m of d.modified) for (const c of m.changes) lines.push(`~ ${m.key}: ${c.field} ${showValue(c.from)} -> ${showValue(c.to)}`);
  return lines;
}
