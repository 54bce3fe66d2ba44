// The reproduction verdict: a re-run of a commit's pipeline compared with the commit's own
// rx.lock. bitwise: every output hash equal and the re-written lock byte-identical;
// within-tolerance, on any environment: the only differences are metric files whose every
// value is inside the tolerance rx.yaml declares for it (exact where none is declared); on
// another environment also other outputs (weights differ in the last bits across backends),
// judged by those metrics, and a lock that differs only in its environment fingerprint;
// diverged: anything else, including any non-metric output that differs on the same
// environment. Each result names what differs
// (outputs, metrics with their tolerances, lock fields) and every environment fact that
// changed (rx, Node, platform, arch, npm tree, TF.js backend, SIMD). Pure.
import { canonicalJson, compareStrings } from '../core/canonical.js';
import type { Stage } from './definition.js';
import { entryEnvs, serialiseLock, type Lock, type LockEnv } from './lock.js';

export type Verdict = 'bitwise' | 'within-tolerance' | 'diverged';

export interface MetricComparison {
  file: string;
  key: string;
  expected: unknown;
  actual: unknown;
  tolerance?: number;
  within: boolean;
}

export interface OutputDifference {
  path: string;
  expected?: string;
  actual?: string;
  /** Whether the output is a metric file (its values are compared below, with tolerances). */
  metric: boolean;
}

export interface StageVerdict {
  name: string;
  verdict: Verdict;
  outputs: OutputDifference[];
  metrics: MetricComparison[];
  /** Why the stage got its verdict, one line per cause; empty when bitwise. */
  reasons: string[];
}

export interface EnvFactDifference {
  fact: keyof LockEnv;
  expected?: string | boolean;
  actual?: string | boolean;
}

export interface RunComparison {
  verdict: Verdict;
  lockIdentical: boolean;
  envChanged: boolean;
  /** Every environment fact recorded in either lock that differs. */
  envDifferences: EnvFactDifference[];
  /** Lock fields other than outputs and the environment that differ (inputs, params, commands...). */
  lockDifferences: string[];
  /** The verdict's causes across stages, one line each. */
  reasons: string[];
  stages: StageVerdict[];
}

/** file -> flattened key -> value, for the metric files of each side. */
export type MetricValues = Map<string, Map<string, unknown>>;

const ENV_FACTS: (keyof LockEnv)[] = ['rx', 'node', 'platform', 'arch', 'npm_lock', 'tfjs_backend', 'tfjs_simd'];

export function envDifferences(before: LockEnv | undefined, after: LockEnv | undefined): EnvFactDifference[] {
  const out: EnvFactDifference[] = [];
  const known = new Set<string>(ENV_FACTS);
  const extra = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter((k) => !known.has(k)).sort(compareStrings);
  for (const fact of [...ENV_FACTS, ...(extra as (keyof LockEnv)[])]) {
    const a = before?.[fact];
    const b = after?.[fact];
    if (a === b) continue;
    const d: EnvFactDifference = { fact };
    if (a !== undefined) d.expected = a;
    if (b !== undefined) d.actual = b;
    out.push(d);
  }
  return out;
}

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

function describeMetric(m: MetricComparison): string {
  const change = `${JSON.stringify(m.expected ?? null)} -> ${JSON.stringify(m.actual ?? null)}`;
  const tol = m.tolerance === undefined ? 'no tolerance declared (exact)' : `tolerance ${m.tolerance}`;
  return `metric ${m.file}:${m.key} ${change}, ${m.within ? 'within' : 'outside'} ${tol}`;
}

function stageVerdict(stage: Stage, envChanged: boolean, before: Lock, after: Lock, metricsBefore: MetricValues, metricsAfter: MetricValues): StageVerdict {
  const metricPaths = new Set(stage.outs.filter((o) => o.kind === 'metric').map((o) => o.path));
  const old = new Map((before.stages[stage.name]?.outs ?? []).map((o) => [o.path, o.hash]));
  const now = new Map((after.stages[stage.name]?.outs ?? []).map((o) => [o.path, o.hash]));
  const outputs: OutputDifference[] = [];
  for (const p of [...new Set([...old.keys(), ...now.keys()])].sort(compareStrings)) {
    if (old.get(p) === now.get(p)) continue;
    const d: OutputDifference = { path: p, metric: metricPaths.has(p) && old.has(p) && now.has(p) };
    if (old.has(p)) d.expected = old.get(p);
    if (now.has(p)) d.actual = now.get(p);
    outputs.push(d);
  }
  if (outputs.length === 0) return { name: stage.name, verdict: 'bitwise', outputs, metrics: [], reasons: [] };
  const compared = compareMetrics(stage, metricsBefore, metricsAfter);
  const differing = compared.filter((m) => canonicalJson(m.expected ?? null) !== canonicalJson(m.actual ?? null));
  const reasons: string[] = [];
  let verdict: Verdict = 'within-tolerance';
  for (const o of outputs) {
    if (o.metric) continue;
    if (o.expected === undefined || o.actual === undefined) {
      verdict = 'diverged';
      reasons.push(`output ${o.path} is ${o.expected === undefined ? 'new' : 'missing'}`);
    } else if (!envChanged) {
      verdict = 'diverged';
      reasons.push(`output ${o.path} differs on the same environment`);
    } else reasons.push(`output ${o.path} differs on another environment (judged by the metrics)`);
  }
  for (const m of differing) {
    if (!m.within) verdict = 'diverged';
    reasons.push(describeMetric(m));
  }
  if (compared.some((m) => !m.within)) verdict = 'diverged';
  if (outputs.every((o) => o.metric) && differing.length === 0) reasons.push(`metric file(s) ${outputs.map((o) => o.path).join(', ')} re-written with the same values`);
  return { name: stage.name, verdict, outputs, metrics: differing, reasons };
}

/**
 * The lock with what the verdict judges on its own taken out: outputs, the environment, and
 * dependencies on outputs already judged (a downstream stage reading a re-written metric file).
 * A run's env is compared as run_env whichever way the lock wrote it (see entryEnvs).
 */
function lockRest(lock: Lock, judged: Set<string>, declared: Map<string, Record<string, string>>): Record<string, unknown> {
  const stages: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(lock.stages)) {
    const { outs: _outs, env: _env, run_env: _runEnv, ...rest } = s;
    const envs = entryEnvs(s, declared.get(name) ?? {});
    if (Object.keys(envs.env).length > 0) (rest as Record<string, unknown>).env = envs.env;
    if (Object.keys(envs.runEnv).length > 0) (rest as Record<string, unknown>).run_env = envs.runEnv;
    if (rest.deps) rest.deps = rest.deps.filter((d) => !judged.has(d.path));
    stages[name] = rest;
  }
  return stages;
}

function restDifferences(before: Lock, after: Lock, stages: Stage[], judged: Set<string>): string[] {
  const compared = new Set(stages.map((s) => s.name));
  const declared = new Map(stages.map((s) => [s.name, s.env]));
  const a = lockRest(before, judged, declared);
  const b = lockRest(after, judged, declared);
  const out: string[] = [];
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareStrings)) {
    if (!compared.has(name)) continue;
    const x = (a[name] ?? {}) as Record<string, unknown>;
    const y = (b[name] ?? {}) as Record<string, unknown>;
    for (const field of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort(compareStrings)) {
      if (canonicalJson(x[field] ?? null) !== canonicalJson(y[field] ?? null)) out.push(`stages.${name}.${field}`);
    }
  }
  return out;
}

/** The lock with a legacy entry's RX_SEED moved from env to run_env (see entryEnvs); undefined when none was. */
function withRunEnvMoved(lock: Lock, stages: Stage[]): Lock | undefined {
  const declared = new Map(stages.map((s) => [s.name, s.env]));
  let moved = false;
  const out: Lock = { ...lock, stages: {} };
  for (const [name, s] of Object.entries(lock.stages)) {
    const envs = entryEnvs(s, declared.get(name) ?? {});
    if (s.run_env === undefined && Object.keys(envs.runEnv).length > 0) {
      moved = true;
      const { env: _env, ...rest } = s;
      out.stages[name] = { ...rest, ...(Object.keys(envs.env).length > 0 ? { env: envs.env } : {}), run_env: envs.runEnv };
    } else out.stages[name] = s;
  }
  return moved ? out : undefined;
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
  const env = envDifferences(args.before.env, args.after.env);
  const envChanged = env.length > 0;
  const stages = args.stages.map((s) => stageVerdict(s, envChanged, args.before, args.after, args.metricsBefore, args.metricsAfter));
  // Outputs that differ on another environment are judged by the metrics; with none declared
  // in the stages compared, nothing vouches for them.
  if (envChanged && !args.stages.some((s) => s.outs.some((o) => o.kind === 'metric'))) {
    for (const s of stages) {
      if (s.verdict !== 'within-tolerance' || s.outputs.every((o) => o.metric)) continue;
      s.verdict = 'diverged';
      s.reasons.push('no metric with a tolerance is declared to judge the differing outputs by');
    }
  }
  // A lock written before run_env existed is the same lock when only its RX_SEED's place differs.
  const legacy = args.beforeText === args.afterText ? undefined : withRunEnvMoved(args.before, args.stages);
  const lockIdentical = args.beforeText === args.afterText || (legacy !== undefined && serialiseLock(legacy) === args.afterText);
  const judged = new Set(stages.flatMap((s) => s.outputs.map((o) => o.path)));
  const lockDifferences = restDifferences(args.before, args.after, args.stages, judged);
  const reasons: string[] = [];
  for (const s of stages) for (const r of s.reasons) reasons.push(`${s.name}: ${r}`);
  for (const f of lockDifferences) reasons.push(`rx.lock ${f} differs`);
  if (legacy !== undefined && lockIdentical) reasons.push('rx.lock kept the run\'s RX_SEED in env, as rx did before run_env; read as run_env');
  let verdict: Verdict;
  if (stages.some((s) => s.verdict === 'diverged') || lockDifferences.length > 0) verdict = 'diverged';
  else if (lockIdentical) verdict = 'bitwise';
  else if (stages.some((s) => s.verdict === 'within-tolerance')) verdict = 'within-tolerance';
  else if (envChanged) {
    verdict = 'within-tolerance';
    reasons.push('every output is bitwise identical; rx.lock differs only in the environment fingerprint');
  } else {
    verdict = 'diverged';
    reasons.push('rx.lock is not byte-identical although every output and field matches (its formatting differs)');
  }
  return { verdict, lockIdentical, envChanged, envDifferences: env, lockDifferences, reasons, stages };
}
