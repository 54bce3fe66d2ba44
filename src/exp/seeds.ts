// Seed groups: `rx exp run --seeds 0,1,2 -n NAME` records one experiment per seed as NAME/s<seed>.
// Owns the --seeds list, those names, finding the groups among experiment rows, their per-metric
// summaries (search/stats.ts describe()) and how a summary is written as `mean ± half`. Pure.
import { UsageError } from '../core/errors.js';
import { describe, type SeedStats } from '../search/stats.js';
import { hash32 } from '../search/rng.js';

/** The last part of a seed experiment's name: s0, s1, ... (no leading zeros, so one seed has one name). */
const SEED_PART = /^s(0|[1-9][0-9]*)$/;

/** Parses `--seeds`: comma-separated whole numbers >= 0, each once, at least one. Throws a UsageError. */
export function parseSeedList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.every((p) => p === '')) throw new UsageError('--seeds needs at least one seed, e.g. --seeds 0,1,2');
  const seeds: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]*)$/.test(p)) throw new UsageError(`--seeds ${JSON.stringify(text)}: ${p === '' ? 'an empty entry' : JSON.stringify(p)} is not a whole number >= 0`, { hint: 'list seeds as comma-separated whole numbers, e.g. --seeds 0,1,2' });
    const seed = Number(p);
    if (!Number.isSafeInteger(seed)) throw new UsageError(`--seeds: ${p} is larger than ${Number.MAX_SAFE_INTEGER}`);
    if (seeds.includes(seed)) throw new UsageError(`--seeds ${JSON.stringify(text)}: seed ${seed} is listed twice`);
    seeds.push(seed);
  }
  return seeds;
}

/** The experiment name of one seed of a group. */
export function seedExperimentName(group: string, seed: number): string {
  return `${group}/s${seed}`;
}

/** The group and seed of a name shaped like NAME/s<seed>, else undefined (search trials, 'lr-sweep/3-s0', are not). */
export function parseSeedExperimentName(name: string): { group: string; seed: number } | undefined {
  const cut = name.lastIndexOf('/');
  if (cut <= 0) return undefined;
  const m = SEED_PART.exec(name.slice(cut + 1));
  if (!m) return undefined;
  const seed = Number(m[1]);
  return Number.isSafeInteger(seed) ? { group: name.slice(0, cut), seed } : undefined;
}

/**
 * The bootstrap seed of a group's intervals: hash32 of the group's name, so a group's
 * intervals are the same on every run of `exp run` and `exp show`, on any machine. Every
 * metric of a group uses it, so they resample the same seeds.
 */
export function groupStatsSeed(group: string): number {
  return hash32(group);
}

/** One metric of a group: its values by seed (ascending) and their describe() summary. */
export interface SeedMetric {
  seeds: number[];
  values: number[];
  stats: SeedStats;
}

/**
 * Per metric, the finite numeric values of the seeds that have it, in ascending seed order
 * (the bootstrap resamples by index, so the order is part of the result), and describe() of
 * them with the group's seed. Booleans and missing values are left out.
 */
export function summariseSeeds(group: string, runs: { seed: number; metrics: Record<string, unknown> }[]): Record<string, SeedMetric> {
  const ordered = [...runs].sort((a, b) => a.seed - b.seed);
  const keys = [...new Set(ordered.flatMap((r) => Object.keys(r.metrics)))].sort();
  const out: Record<string, SeedMetric> = {};
  const seed = groupStatsSeed(group);
  for (const key of keys) {
    const seeds: number[] = [];
    const values: number[] = [];
    for (const r of ordered) {
      const v = r.metrics[key];
      if (typeof v === 'number' && Number.isFinite(v)) {
        seeds.push(r.seed);
        values.push(v);
      }
    }
    if (values.length > 0) out[key] = { seeds, values, stats: describe(values, { seed }) };
  }
  return out;
}

/** What a seed group is built from: an experiment row of `exp show`. */
export interface GroupableRow {
  name: string;
  commit: string;
  baseline: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

export interface SeedGroup {
  /** NAME of NAME/s0, NAME/s1, ... */
  name: string;
  baseline: string;
  /** The bootstrap seed of its intervals (groupStatsSeed). */
  statsSeed: number;
  /** Its experiments, by ascending seed. */
  experiments: { seed: number; name: string; commit: string; metrics: Record<string, unknown> }[];
  /** The params every experiment of the group has with the same value. */
  params: Record<string, unknown>;
  metrics: Record<string, SeedMetric>;
}

/**
 * The seed groups among rows: rows named NAME/s<seed> on one baseline form group NAME (a
 * single one too). Groups come in the order of their first row; `rest` keeps the other rows.
 */
export function seedGroups<R extends GroupableRow>(rows: R[]): { groups: SeedGroup[]; rest: R[] } {
  const members = new Map<string, { name: string; baseline: string; rows: { seed: number; row: R }[] }>();
  const rest: R[] = [];
  for (const row of rows) {
    const parsed = parseSeedExperimentName(row.name);
    if (!parsed) {
      rest.push(row);
      continue;
    }
    const key = `${row.baseline}\0${parsed.group}`;
    const m = members.get(key) ?? { name: parsed.group, baseline: row.baseline, rows: [] };
    m.rows.push({ seed: parsed.seed, row });
    members.set(key, m);
  }
  const groups = [...members.values()].map((m): SeedGroup => {
    const ordered = m.rows.sort((a, b) => a.seed - b.seed);
    const params: Record<string, unknown> = {};
    const first = ordered[0]!.row.params;
    for (const [k, v] of Object.entries(first)) if (ordered.every((o) => k in o.row.params && JSON.stringify(o.row.params[k]) === JSON.stringify(v))) params[k] = v;
    return {
      name: m.name,
      baseline: m.baseline,
      statsSeed: groupStatsSeed(m.name),
      experiments: ordered.map((o) => ({ seed: o.seed, name: o.row.name, commit: o.row.commit, metrics: o.row.metrics })),
      params,
      metrics: summariseSeeds(m.name, ordered.map((o) => ({ seed: o.seed, metrics: o.row.metrics }))),
    };
  });
  return { groups, rest };
}

/** Half the width of the percentile interval of the mean: the `± half` shown beside it. */
export function halfWidth(stats: SeedStats): number {
  return (stats.mean.percentile.high - stats.mean.percentile.low) / 2;
}

/**
 * The decimals that show `half` to two significant digits (0.0267 -> 3, 1.5 -> 1, 150 -> 0),
 * at most 12; undefined when half is 0 (nothing to round to).
 */
export function decimalsFor(half: number): number | undefined {
  if (!(half > 0) || !Number.isFinite(half)) return undefined;
  return Math.min(12, Math.max(0, 1 - Math.floor(Math.log10(half))));
}

function fixed(x: number, decimals: number | undefined): string {
  if (decimals === undefined) return String(x);
  const s = x.toFixed(decimals);
  // -0.000 after rounding a tiny negative: no sign for a value that shows as zero.
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** `mean ± half`, rounded to the half-width's second significant digit (one seed or equal values: `v ± 0`). */
export function formatMeanHalf(stats: SeedStats): string {
  const half = halfWidth(stats);
  const d = decimalsFor(half);
  return `${fixed(stats.mean.estimate, d)} ± ${fixed(half, d)}`;
}

/** `mean ± half [low, high] (n seeds)`: the percentile 95% interval written out. */
export function formatInterval(stats: SeedStats): string {
  const d = decimalsFor(halfWidth(stats));
  const { low, high } = stats.mean.percentile;
  return `${formatMeanHalf(stats)} [${fixed(low, d)}, ${fixed(high, d)}] (${stats.n} seed${stats.n === 1 ? '' : 's'})`;
}
