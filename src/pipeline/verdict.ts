// The reproduction verdict: a re-run of a commit's pipeline compared with the commit's own
// rx.lock. bitwise: every output hash equal and the re-written lock byte-identical;
// within-tolerance: the environment fingerprint differs (another backend, another Node) and
// every metric is within the tolerance rx.yaml declares (exact where none is declared);
// diverged: anything else, with each differing output and metric listed. Pure.
import { canonicalJson, compareStrings } from '../core/canonical.js';
import type { Stage } from './definition.js';
import type { Lock } from './lock.js';

export type Verdict = 'bitwise' | 'within-tolerance' | 'diverged';

export interface MetricComparison {
  file: string;
  key: string;
  expected: unknown;
  actual: unknown;
  tolerance?: number;
  within: boolean;
}

export interface StageVerdict {
  name: string;
  verdict: Verdict;
  outputs: { path: string; expected?: string; actual?: string }[];
  metrics: MetricComparison[];
}

export interface RunComparison {
  verdict: Verdict;
  lockIdentical: boolean;
  envChanged: boolean;
  stages: StageVerdict[];
}

/** file -> flattened key -> value, for the metric files of each side. */
export type MetricValues = Map<string, Map<string, unknown>>;

function compareMetrics(stage: Stage, before: MetricValues, after: MetricValues): MetricComparison[] {
  const out: MetricComparison[] = [];
  for (const o of stage.outs) {
    if (o.kind !== 'metric') continue;
    const a = before.get(o.path) ?? new Map();
    const b = after.get(o.path) ?? new Map();
    for (const key of [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings)) {
      const expected = a.get(key);
      const actual = b.get(key);
      const tolerance = o.tolerance?.[key];
      let within: boolean;
      if (typeof expected === 'number' && typeof actual === 'number') within = Math.abs(actual - expected) <= (tolerance ?? 0);
      else within = canonicalJson(expected ?? null) === canonicalJson(actual ?? null);
      const m: MetricComparison = { file: o.path, key, expected, actual, within };
      if (tolerance !== undefined) m.tolerance = tolerance;
      out.push(m);
    }
  }
  return out;
}

export function compareRuns(args: {
  stages: Stage[];
  before: Lock;
  after: Lock;
  beforeText: string;
  afterText: string;
  metricsBefore: MetricValues;
  metricsAfter: MetricValues;
}): RunComparison {
  const envChanged = canonicalJson(args.before.env ?? null) !== canonicalJson(args.after.env ?? null);
  const stages: StageVerdict[] = [];
  for (const stage of args.stages) {
    const old = new Map((args.before.stages[stage.name]?.outs ?? []).map((o) => [o.path, o.hash]));
    const now = new Map((args.after.stages[stage.name]?.outs ?? []).map((o) => [o.path, o.hash]));
    const outputs: StageVerdict['outputs'] = [];
    for (const p of [...new Set([...old.keys(), ...now.keys()])].sort(compareStrings)) {
      if (old.get(p) !== now.get(p)) {
        const d: StageVerdict['outputs'][number] = { path: p };
        if (old.has(p)) d.expected = old.get(p);
        if (now.has(p)) d.actual = now.get(p);
        outputs.push(d);
      }
    }
    const metrics = compareMetrics(stage, args.metricsBefore, args.metricsAfter);
    const verdict: Verdict = outputs.length === 0 ? 'bitwise' : envChanged && metrics.every((m) => m.within) ? 'within-tolerance' : 'diverged';
    stages.push({ name: stage.name, verdict, outputs, metrics: verdict === 'bitwise' ? [] : metrics.filter((m) => canonicalJson(m.expected ?? null) !== canonicalJson(m.actual ?? null)) });
  }
  const lockIdentical = args.beforeText === args.afterText;
  let verdict: Verdict;
  if (stages.some((s) => s.verdict === 'diverged')) verdict = 'diverged';
  else if (lockIdentical) verdict = 'bitwise';
  else verdict = envChanged ? 'within-tolerance' : 'diverged';
  return { verdict, lockIdentical, envChanged, stages };
}
