// Reading augmentation specs: schema validation (shapes) then semantic checks the schema
// cannot express (which fields an op takes, physical ranges, inverted bounds, unknown ops with
// a suggestion), every problem located at file:line:col. Returns the normalised AugmentSpec.
import { InvalidFileError, readInputFile, type FileProblem } from '../core/errors.js';
import { parseYamlLocated, fieldPath, type Locate } from '../schema/validate.js';
import { augmentSpecSchema } from '../schema/augment.js';
import type { AugmentOp, AugmentSpec, Bounds, Distribution, OpFamily, OpName, Schedule, ScheduleTarget } from './types.js';

export interface MagnitudeInfo {
  /** What the magnitude measures, for descriptions and errors. */
  unit: string;
  /** The value at which the op changes nothing; schedules scale magnitudes towards it. */
  identity: number;
  /** Physical range; `exclusiveMin` means the lower end itself is not allowed. */
  range: [number, number];
  exclusiveMin?: boolean;
}

export interface OpInfo {
  family: OpFamily;
  magnitude?: MagnitudeInfo;
  /** Op-specific fields beyond op, desc, p, when, schedule (and magnitude, distribution if it has one). */
  fields: readonly string[];
  required?: readonly string[];
}

export const OP_INFO: Record<OpName, OpInfo> = {
  flip: { family: 'geometric', fields: ['axis'], required: ['axis'] },
  rotate: { family: 'geometric', magnitude: { unit: 'degrees (counter-clockwise)', identity: 0, range: [-180, 180] }, fields: ['fill'] },
  translate: { family: 'geometric', magnitude: { unit: 'pixels', identity: 0, range: [-4096, 4096] }, fields: ['unit', 'fill'] },
  scale: { family: 'geometric', magnitude: { unit: 'zoom factor', identity: 1, range: [0, 16], exclusiveMin: true }, fields: ['fill'] },
  crop: { family: 'geometric', magnitude: { unit: 'side fraction kept', identity: 1, range: [0, 1], exclusiveMin: true }, fields: [] },
  brightness: { family: 'colour', magnitude: { unit: 'added intensity', identity: 0, range: [-1, 1] }, fields: [] },
  contrast: { family: 'colour', magnitude: { unit: 'factor about the mean', identity: 1, range: [0, 16] }, fields: [] },
  gamma: { family: 'colour', magnitude: { unit: 'exponent', identity: 1, range: [0, 16], exclusiveMin: true }, fields: [] },
  invert: { family: 'colour', fields: [] },
  'gaussian-noise': { family: 'noise', magnitude: { unit: 'sigma', identity: 0, range: [0, 1] }, fields: [] },
  'salt-and-pepper': { family: 'noise', magnitude: { unit: 'fraction of pixels', identity: 0, range: [0, 1] }, fields: [] },
  blur: { family: 'noise', magnitude: { unit: 'sigma (pixels)', identity: 0, range: [0, 32] }, fields: ['kernel'] },
  erasing: { family: 'noise', magnitude: { unit: 'area fraction', identity: 0, range: [0, 1], exclusiveMin: true }, fields: ['aspect', 'value'] },
  mixup: { family: 'mixing', fields: ['alpha'], required: ['alpha'] },
};

export const OP_NAMES = Object.keys(OP_INFO) as OpName[];

/** Names people reach for that mean one of ours. */
const SYNONYMS: Record<string, OpName> = {
  cutout: 'erasing',
  'random-erasing': 'erasing',
  erase: 'erasing',
  noise: 'gaussian-noise',
  gaussian: 'gaussian-noise',
  'gaussian-blur': 'blur',
  'salt-pepper': 'salt-and-pepper',
  'random-crop': 'crop',
  rotation: 'rotate',
  shift: 'translate',
  zoom: 'scale',
  mix: 'mixup',
};

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known op nearest to a name, if any is reasonably near. */
export function suggestOp(name: string): OpName | undefined {
  const n = name.toLowerCase().replace(/[_\s]+/g, '-');
  if (SYNONYMS[n]) return SYNONYMS[n];
  let best: OpName | undefined;
  let bestD = Infinity;
  for (const op of OP_NAMES) {
    const d = op.startsWith(n) || n.startsWith(op) ? 1 : levenshtein(n, op);
    if (d < bestD) {
      bestD = d;
      best = op;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(n.length / 3)) ? best : undefined;
}

const COMMON_FIELDS = ['op', 'desc', 'p', 'when', 'schedule'];

type RawOp = Record<string, unknown> & { op: string };
interface RawSpec {
  schema: 'rx.augment/1';
  desc?: string;
  seed: number;
  ops: RawOp[];
}

function normaliseDistribution(d: unknown): Distribution | undefined {
  if (d === undefined) return undefined;
  const o = (typeof d === 'string' ? { kind: d } : d) as Record<string, unknown>;
  switch (o.kind) {
    case 'truncated-normal':
      return { kind: 'truncated-normal', mean: o.mean as number, std: o.std as number };
    case 'choice':
      return { kind: 'choice', values: [...(o.values as number[])] };
    case 'log-uniform':
      return { kind: 'log-uniform' };
    default:
      return { kind: 'uniform' };
  }
}

function normaliseSchedule(s: unknown): Schedule | undefined {
  if (s === undefined) return undefined;
  const o = (typeof s === 'string' ? { kind: s } : s) as Record<string, unknown>;
  const target = (o.target as ScheduleTarget | undefined) ?? 'magnitude';
  const epochs = o.epochs === undefined ? {} : { epochs: o.epochs as number };
  switch (o.kind) {
    case 'linear':
    case 'cosine':
      return { kind: o.kind, from: (o.from as number | undefined) ?? 0, to: (o.to as number | undefined) ?? 1, ...epochs, target };
    case 'step':
      return { kind: 'step', knots: [...(o.knots as { epoch: number; scale: number }[])].sort((a, b) => a.epoch - b.epoch), target };
    default:
      return { kind: 'constant', scale: (o.scale as number | undefined) ?? 1, target };
  }
}

/** The largest scale a schedule ever applies (for range checks of scaled magnitudes). */
export function maxScheduleScale(s: Schedule): number {
  switch (s.kind) {
    case 'constant':
      return s.scale;
    case 'linear':
    case 'cosine':
      return Math.max(s.from, s.to);
    case 'step':
      return Math.max(1, ...s.knots.map((k) => k.scale));
  }
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function rangeText(m: MagnitudeInfo): string {
  return `${m.exclusiveMin ? '(' : '['}${fmt(m.range[0])}, ${fmt(m.range[1])}]`;
}

function inRange(v: number, m: MagnitudeInfo, range: [number, number] = m.range): boolean {
  return (m.exclusiveMin ? v > range[0] : v >= range[0]) && v <= range[1];
}

/** Semantic problems of a schema-valid spec; `at` locates a path in the source. */
function semanticProblems(file: string, raw: RawSpec, locate: Locate): FileProblem[] {
  const problems: FileProblem[] = [];
  const add = (segments: (string | number)[], message: string): void => {
    const loc = locate(segments);
    problems.push({ file, ...(loc ?? {}), field: fieldPath(segments), message });
  };
  let mixups = 0;
  raw.ops.forEach((o, i) => {
    const base = ['ops', i];
    const before = problems.length;
    const name = o.op as OpName;
    const info = OP_INFO[name];
    if (!info) {
      const s = suggestOp(o.op);
      add([...base, 'op'], `unknown op "${o.op}"${s ? `; did you mean "${s}"?` : ''} (known: ${OP_NAMES.join(', ')})`);
      return;
    }
    if (name === 'mixup') mixups++;
    const allowed = new Set([...COMMON_FIELDS, ...info.fields, ...(info.magnitude ? ['magnitude', 'distribution'] : [])]);
    for (const key of Object.keys(o)) {
      if (!allowed.has(key)) {
        const what = key === 'magnitude' || key === 'distribution' ? `${name} has no magnitude` : `${name} takes no "${key}"`;
        add([...base, key], `${what} (fields of ${name}: ${[...allowed].filter((f) => f !== 'op').join(', ')})`);
      }
    }
    for (const key of info.required ?? []) if (o[key] === undefined) add(base, `${name} requires "${key}"`);
    if (info.magnitude && o.magnitude === undefined) add(base, `${name} requires "magnitude: {min, max}" (${info.magnitude.unit})`);

    if (o.p !== undefined) {
      const p = o.p as number;
      if (!(p >= 0 && p <= 1)) add([...base, 'p'], `probability ${fmt(p)} is outside [0, 1]`);
    }
    // Magnitude: ordered bounds inside the op's physical range (also once scaled by the schedule).
    const m = o.magnitude as Bounds | undefined;
    const mi = info.magnitude && name === 'translate' && o.unit === 'fraction' ? { ...info.magnitude, unit: 'side fraction', range: [-1, 1] as [number, number] } : info.magnitude;
    if (m && mi) {
      if (m.min > m.max) add([...base, 'magnitude'], `inverted bounds: min ${fmt(m.min)} > max ${fmt(m.max)}`);
      for (const k of ['min', 'max'] as const) {
        if (!inRange(m[k], mi)) add([...base, 'magnitude', k], `${fmt(m[k])} is outside the physical range of ${name} ${rangeText(mi)} (${mi.unit})`);
      }
      const sched = normaliseSchedule(o.schedule);
      if (sched && sched.target !== 'p' && problems.length === before) {
        const s = maxScheduleScale(sched);
        for (const k of ['min', 'max'] as const) {
          const scaled = mi.identity + s * (m[k] - mi.identity);
          if (!inRange(scaled, mi)) {
            add([...base, 'schedule'], `scale ${fmt(s)} takes magnitude.${k} ${fmt(m[k])} to ${fmt(scaled)}, outside ${rangeText(mi)}`);
            break;
          }
        }
      }
      const d = normaliseDistribution(o.distribution);
      if (d?.kind === 'truncated-normal' && (o.distribution as Record<string, unknown>).mean === undefined) add([...base, 'distribution'], 'truncated-normal requires "mean" and "std"');
      else if (d?.kind === 'truncated-normal' && (o.distribution as Record<string, unknown>).std === undefined) add([...base, 'distribution'], 'truncated-normal requires "std"');
      if (d?.kind === 'log-uniform' && !(m.min > 0 && m.max > 0)) add([...base, 'distribution'], `log-uniform needs positive magnitude bounds, not [${fmt(m.min)}, ${fmt(m.max)}]`);
      if (d?.kind === 'choice') {
        if ((o.distribution as Record<string, unknown>).values === undefined) add([...base, 'distribution'], 'choice requires "values"');
        else
          d.values.forEach((v, j) => {
            if (v < m.min || v > m.max) add([...base, 'distribution', 'values', j], `choice ${fmt(v)} is outside magnitude [${fmt(m.min)}, ${fmt(m.max)}]`);
          });
      }
      if (typeof o.distribution === 'object' && o.distribution !== null) {
        const dist = o.distribution as Record<string, unknown>;
        const kind = dist.kind;
        const extra = Object.keys(dist).filter((k) => k !== 'kind' && !(kind === 'truncated-normal' ? ['mean', 'std'] : kind === 'choice' ? ['values'] : []).includes(k));
        for (const k of extra) add([...base, 'distribution', k], `${String(kind)} takes no "${k}"`);
      }
    }
    const aspect = o.aspect as Bounds | undefined;
    if (aspect) {
      if (aspect.min > aspect.max) add([...base, 'aspect'], `inverted bounds: min ${fmt(aspect.min)} > max ${fmt(aspect.max)}`);
      for (const k of ['min', 'max'] as const) if (!(aspect[k] > 0 && aspect[k] <= 100)) add([...base, 'aspect', k], `aspect ${fmt(aspect[k])} is outside (0, 100] (height/width)`);
    }
    if (typeof o.value === 'number' && !(o.value >= 0 && o.value <= 1)) add([...base, 'value'], `fill value ${fmt(o.value)} is outside [0, 1]`);
    if (o.alpha !== undefined && !((o.alpha as number) > 0 && (o.alpha as number) <= 100)) add([...base, 'alpha'], `alpha ${fmt(o.alpha as number)} is outside (0, 100]`);
    if (o.kernel !== undefined && (o.kernel as number) % 2 === 0) add([...base, 'kernel'], `kernel ${o.kernel} must be odd`);
    // Schedules: the fields of their kind only.
    if (typeof o.schedule === 'object' && o.schedule !== null) {
      const s = o.schedule as Record<string, unknown>;
      const fields: Record<string, string[]> = { constant: ['scale'], linear: ['from', 'to', 'epochs'], cosine: ['from', 'to', 'epochs'], step: ['knots'] };
      for (const k of Object.keys(s)) {
        if (k !== 'kind' && k !== 'target' && !fields[String(s.kind)]!.includes(k)) add([...base, 'schedule', k], `a ${String(s.kind)} schedule takes no "${k}" (it takes ${fields[String(s.kind)]!.join(', ')})`);
      }
      if (s.kind === 'step' && s.knots === undefined) add([...base, 'schedule'], 'a step schedule requires "knots: [{epoch, scale}]"');
      if (s.kind === 'linear' || s.kind === 'cosine') for (const k of ['from', 'to']) if (s[k] === undefined) add([...base, 'schedule'], `a ${s.kind} schedule requires "${k}"`);
      const target = s.target ?? 'magnitude';
      if (!info.magnitude && name !== 'mixup' && target !== 'p') add([...base, 'schedule', 'target'], `${name} has no magnitude: set "target: p" to schedule its probability`);
    }
    const ep = (o.when as { epochs?: { from?: number; to?: number } } | undefined)?.epochs;
    if (ep?.from !== undefined && ep.to !== undefined && ep.from > ep.to) add([...base, 'when', 'epochs'], `inverted epochs: from ${ep.from} > to ${ep.to}`);
  });
  if (mixups > 1) add(['ops'], `at most one mixup op (found ${mixups}): a sample mixes with one partner`);
  return problems;
}

function normaliseOp(o: RawOp): AugmentOp {
  const op: AugmentOp = { op: o.op as OpName, p: (o.p as number | undefined) ?? 1 };
  if (o.desc !== undefined) op.desc = o.desc as string;
  if (o.magnitude !== undefined) op.magnitude = { ...(o.magnitude as Bounds) };
  const info = OP_INFO[op.op];
  if (info.magnitude) op.distribution = normaliseDistribution(o.distribution) ?? { kind: 'uniform' };
  if (o.when !== undefined) op.when = structuredClone(o.when) as AugmentOp['when'];
  const schedule = normaliseSchedule(o.schedule);
  if (schedule) op.schedule = schedule;
  if (o.axis !== undefined) op.axis = o.axis as AugmentOp['axis'];
  if (op.op === 'translate') op.unit = (o.unit as AugmentOp['unit']) ?? 'pixels';
  if (op.op === 'rotate' || op.op === 'translate' || op.op === 'scale') op.fill = (o.fill as AugmentOp['fill']) ?? 'zero';
  if (o.kernel !== undefined) op.kernel = o.kernel as number;
  if (op.op === 'erasing') {
    op.aspect = o.aspect ? { ...(o.aspect as Bounds) } : { min: 0.3, max: 3.3 };
    op.value = (o.value as AugmentOp['value']) ?? 0;
  }
  if (o.alpha !== undefined) op.alpha = o.alpha as number;
  return op;
}

/** Parses and validates spec text; throws InvalidFileError (exit 4) listing every located problem. */
export function parseAugmentSpec(file: string, text: string): AugmentSpec {
  const { value, locate } = parseYamlLocated<RawSpec>(file, text, augmentSpecSchema);
  const problems = semanticProblems(file, value, locate);
  if (problems.length > 0) throw new InvalidFileError(problems, { hint: `ops: ${OP_NAMES.join(', ')}` });
  const spec: AugmentSpec = { schema: 'rx.augment/1', seed: value.seed, ops: value.ops.map(normaliseOp) };
  if (value.desc !== undefined) spec.desc = value.desc;
  return spec;
}

/** Reads and validates a spec file. */
export async function loadAugmentSpec(file: string): Promise<AugmentSpec> {
  return parseAugmentSpec(file, await readInputFile(file));
}
