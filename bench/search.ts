// `npm run bench -- search`: the quality and speed of rx's samplers (auto, tpe, gp) against
// Optuna 3.1's TPESampler and RandomSampler on six standard test functions (bench/functions.ts):
// every function, seed and sampler minimises for TRIALS trials one after another; the score is
// the median over seeds of the best value found (lower is better). Speed is the time of the last
// suggestion (trial TRIALS, conditioned on TRIALS-1 results). Optuna runs in one python3 process
// (bench/optuna_runner.py, Debian's python3-optuna, installed when missing). Then NOISY: the
// same functions with Gaussian noise, rx's search schedule (paired seeds, racing) against
// Optuna's TPE on as many evaluations, scored by the true f at the winner each returns.
//
// Seeds: 10, or 3 with `--quick` (standalone: node --import tsx bench/search.ts --quick) or
// RX_BENCH_SEARCH_SEEDS=<n>.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TEST_FUNCTIONS, noiseNormal, spreadOf, type TestFunction } from './functions.js';
import { BENCH_DIR, REPO_ROOT, fmtSeconds, say, step, withRatios, type Row } from './lib.js';

const S = 'search';
const TRIALS = 60;
const FULL_SEEDS = 10;
const QUICK_SEEDS = 3;
/** Timed repetitions of the last suggestion of each run (a pure call: same input, same output). */
const LATENCY_REPEATS = 5;
const RX_SAMPLERS = ['auto', 'tpe', 'gp'] as const;
const OPTUNA_SAMPLERS = ['tpe', 'random'] as const;
type RxSamplerName = (typeof RX_SAMPLERS)[number];
type OptunaSamplerName = (typeof OPTUNA_SAMPLERS)[number];

const TARGET_AUTO_WINS = 5;
const TARGET_TPE_WINS = 4;
const TARGET_TPE_SUGGEST_S = 0.002;
/** What Optuna 3.1's TPE suggestion costs at trial 60 (4-6 dimensions) on a typical machine. */
const OPTUNA_REFERENCE_MS = 4.5;

export const SEARCH_METHOD = [
  `search: ${TEST_FUNCTIONS.map((f) => `${f.name} (${f.bounds.length}-d)`).join(', ')} on their standard domains, all`,
  `  parameters float, log false; ${TRIALS} sequential trials per (function, seed, sampler), seeds 0..${FULL_SEEDS - 1} (3 with --quick).`,
  '  rx auto/tpe/gp: the samplers from the build (dist/search/*.js), called in-process; Optuna 3.1: TPESampler(seed) and',
  '  RandomSampler(seed) with defaults, study.ask(fixed_distributions) + tell, one python3 process (bench/optuna_runner.py).',
  '  Score: median over seeds of the best value (lower is better); a win is a median strictly below Optuna TPE\'s.',
  `  Suggest time: the ${TRIALS}th suggestion (after ${TRIALS - 1} results); rx: median of ${LATENCY_REPEATS} repeats per run, then`,
  '  median over runs; Optuna: time.perf_counter around study.ask(), mean over runs.',
];

// ---------------------------------------------------------------------------------------
// rx's samplers, loaded from the build: bench/ type-checks on its own, so it names src/
// modules only by URL and mirrors the one call it makes.

interface BenchTrial {
  number: number;
  config: Record<string, unknown>;
  state: 'complete';
  value: number;
}

interface SamplerLike {
  suggest(input: { space: { params: unknown[] }; trials: readonly BenchTrial[]; number: number; seed: number }): { config: Record<string, unknown> };
}

async function loadSampler(name: RxSamplerName): Promise<SamplerLike | string> {
  const file = path.join(REPO_ROOT, 'dist', 'search', `${name}.js`);
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const sampler = mod[name] as SamplerLike | undefined;
    if (!sampler || typeof sampler.suggest !== 'function') return `${path.relative(REPO_ROOT, file)} exports no sampler \`${name}\``;
    return sampler;
  } catch (err) {
    return `cannot load ${path.relative(REPO_ROOT, file)}: ${(err as Error).message.split('\n')[0]}`;
  }
}

function spaceOf(fn: TestFunction): { params: unknown[] } {
  return { params: fn.bounds.map(([low, high], i) => ({ name: `x${i}`, path: `bench.yaml:x${i}`, type: 'float', low, high, log: false })) };
}

interface RunResult {
  best: number;
  /** Seconds of the last suggestion (median of its repeats). */
  lastSuggest: number;
  /** Seconds of all the run's suggestions. */
  total: number;
}

function runRx(sampler: SamplerLike, fn: TestFunction, seed: number): RunResult {
  const space = spaceOf(fn);
  const trials: BenchTrial[] = [];
  let best = Infinity;
  let total = 0;
  let lastSuggest = 0;
  for (let number = 0; number < TRIALS; number++) {
    const input = { space, trials, number, seed };
    const started = performance.now();
    const { config } = sampler.suggest(input);
    const elapsed = (performance.now() - started) / 1000;
    total += elapsed;
    if (number === TRIALS - 1) {
      const times = [elapsed];
      for (let r = 1; r < LATENCY_REPEATS; r++) {
        const t0 = performance.now();
        sampler.suggest(input);
        times.push((performance.now() - t0) / 1000);
      }
      lastSuggest = median(times);
    }
    const x = fn.bounds.map((_, i) => config[`x${i}`]);
    if (!x.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) throw new Error(`trial ${number} of ${fn.name}: config ${JSON.stringify(config)} lacks a number for x0..x${fn.bounds.length - 1}`);
    const value = fn.f(x);
    trials.push({ number, config, state: 'complete', value });
    best = Math.min(best, value);
  }
  return { best, lastSuggest, total };
}

// ---------------------------------------------------------------------------------------
// Optuna

interface OptunaRun {
  function: string;
  sampler: OptunaSamplerName;
  seed: number;
  best: number;
  last_suggest_s: number;
}

interface OptunaOutput {
  optuna: string;
  probes: Record<string, number[]>;
  runs: OptunaRun[];
}

/** A python3 that has Optuna: PATH's first, else Debian's (a pyenv python3 on PATH hides python3-optuna). */
function pythonWithOptuna(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import optuna'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Points every function is evaluated at on both sides: the minimiser and two fixed points of the box. */
function probesOf(fn: TestFunction): number[][] {
  return [fn.argmin, fn.bounds.map(([lo, hi]) => lo + 0.3 * (hi - lo)), fn.bounds.map(([lo, hi], i) => lo + ((0.77 + 0.05 * i) % 1) * (hi - lo))];
}

function runOptuna(seeds: number[]): OptunaOutput | string {
  let python = pythonWithOptuna();
  if (!python) {
    step(S, 'python3-optuna is missing: apt-get install -y python3-optuna ...');
    spawnSync('apt-get', ['install', '-y', '-q', 'python3-optuna'], { stdio: 'ignore' });
    python = pythonWithOptuna();
  }
  if (!python) return 'no python3 with Optuna (apt-get install python3-optuna failed)';
  const job = {
    trials: TRIALS,
    seeds,
    samplers: OPTUNA_SAMPLERS,
    functions: TEST_FUNCTIONS.map((f) => ({ name: f.name, bounds: f.bounds })),
    probes: Object.fromEntries(TEST_FUNCTIONS.map((f) => [f.name, probesOf(f)])),
  };
  const r = spawnSync(python, [path.join(BENCH_DIR, 'optuna_runner.py')], { input: JSON.stringify(job), encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) return `optuna_runner.py failed: ${(r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status ?? r.signal}`}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as OptunaOutput;
  for (const f of TEST_FUNCTIONS) {
    const ours = probesOf(f).map((x) => f.f(x));
    const theirs = out.probes[f.name] ?? [];
    const bad = ours.findIndex((v, i) => !(Math.abs(v - theirs[i]!) <= 1e-9 * Math.max(1, Math.abs(v))));
    if (bad >= 0) return `bench/optuna_runner.py's ${f.name} disagrees with bench/functions.ts at probe ${bad}: ${theirs[bad]} vs ${ours[bad]}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Report

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmtValue(v: number | undefined): string {
  if (v === undefined) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4);
}

function fmtMs(s: number | undefined): string {
  if (s === undefined) return 'n/a';
  const ms = s * 1000;
  return `${ms.toFixed(ms < 0.1 ? 3 : ms < 10 ? 2 : 1)} ms`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function seedCount(): number {
  const env = process.env.RX_BENCH_SEARCH_SEEDS;
  if (env !== undefined && /^[1-9][0-9]*$/.test(env)) return Number(env);
  return process.argv.includes('--quick') ? QUICK_SEEDS : FULL_SEEDS;
}

export async function benchSearch(): Promise<Row[]> {
  const seeds = Array.from({ length: seedCount() }, (_, i) => i);
  step(S, `${TEST_FUNCTIONS.length} functions x ${seeds.length} seeds x ${TRIALS} trials per sampler`);

  // rx: best per (sampler, function) over seeds, and the last suggestion's time of every run.
  const rxBest = new Map<string, number[]>();
  const rxLatency = new Map<RxSamplerName, number[]>();
  const rxTotal = new Map<RxSamplerName, number>();
  const rxProblem = new Map<RxSamplerName, string>();
  for (const name of RX_SAMPLERS) {
    const sampler = await loadSampler(name);
    if (typeof sampler === 'string') {
      rxProblem.set(name, sampler);
      step(S, `rx ${name}: n/a (${sampler})`);
      continue;
    }
    const started = performance.now();
    try {
      for (const fn of TEST_FUNCTIONS) {
        for (const seed of seeds) {
          const r = runRx(sampler, fn, seed);
          const key = `${name}/${fn.name}`;
          rxBest.set(key, [...(rxBest.get(key) ?? []), r.best]);
          rxLatency.set(name, [...(rxLatency.get(name) ?? []), r.lastSuggest]);
          rxTotal.set(name, (rxTotal.get(name) ?? 0) + r.total);
        }
      }
      step(S, `rx ${name}: ${fmtSeconds((performance.now() - started) / 1000)} s for ${TEST_FUNCTIONS.length * seeds.length} runs; suggestion ${TRIALS}: median ${fmtMs(median(rxLatency.get(name)!))}`);
    } catch (err) {
      rxProblem.set(name, `failed: ${(err as Error).message.split('\n')[0]}`);
      step(S, `rx ${name}: FAILED ${(err as Error).message.split('\n')[0]}`);
    }
  }

  const started = performance.now();
  const optuna = runOptuna(seeds);
  const optunaProblem = typeof optuna === 'string' ? optuna : undefined;
  const optunaBest = new Map<string, number[]>();
  const optunaLatency = new Map<OptunaSamplerName, number[]>();
  if (typeof optuna === 'string') step(S, `Optuna: n/a (${optuna})`);
  else {
    for (const r of optuna.runs) {
      const key = `${r.sampler}/${r.function}`;
      optunaBest.set(key, [...(optunaBest.get(key) ?? []), r.best]);
      optunaLatency.set(r.sampler, [...(optunaLatency.get(r.sampler) ?? []), r.last_suggest_s]);
    }
    step(S, `Optuna ${optuna.optuna}: ${fmtSeconds((performance.now() - started) / 1000)} s for ${optuna.runs.length} runs (python start-up included)`);
  }

  const rxMedian = (s: RxSamplerName, f: string) => (rxProblem.has(s) ? undefined : median(rxBest.get(`${s}/${f}`)!));
  const optunaMedian = (s: OptunaSamplerName, f: string) => (optunaProblem ? undefined : median(optunaBest.get(`${s}/${f}`)!));
  const wins = (s: RxSamplerName): number | undefined => {
    if (rxProblem.has(s) || optunaProblem) return undefined;
    return TEST_FUNCTIONS.filter((f) => rxMedian(s, f.name)! < optunaMedian('tpe', f.name)!).length;
  };

  say('');
  say(`  search: median over ${seeds.length} seeds of the best value in ${TRIALS} trials (lower is better; * = below Optuna TPE)`);
  const winsText = (w: number | undefined) => (w === undefined ? 'n/a' : `${w}/${TEST_FUNCTIONS.length}`);
  const mark = (s: RxSamplerName, f: string) => {
    const v = rxMedian(s, f);
    const o = optunaMedian('tpe', f);
    return `${fmtValue(v)}${v !== undefined && o !== undefined && v < o ? '*' : ' '}`;
  };
  const lines = table(
    ['function', 'minimum', 'rx auto', 'rx tpe', 'rx gp', 'optuna tpe', 'optuna random'],
    [
      ...TEST_FUNCTIONS.map((f) => [f.name, fmtValue(f.minimum), mark('auto', f.name), mark('tpe', f.name), mark('gp', f.name), fmtValue(optunaMedian('tpe', f.name)), fmtValue(optunaMedian('random', f.name))]),
      ['wins vs optuna tpe', '', winsText(wins('auto')), winsText(wins('tpe')), winsText(wins('gp')), '', ''],
    ],
  );
  for (const l of lines) say(`  ${l}`);
  const rxLat = (s: RxSamplerName) => (rxProblem.has(s) ? undefined : median(rxLatency.get(s)!));
  const optLat = (s: OptunaSamplerName) => (optunaProblem ? undefined : mean(optunaLatency.get(s)!));
  say(
    `  suggestion ${TRIALS} (after ${TRIALS - 1} results): rx tpe ${fmtMs(rxLat('tpe'))}, rx gp ${fmtMs(rxLat('gp'))}, rx auto ${fmtMs(rxLat('auto'))} (medians); ` +
      `optuna tpe ${fmtMs(optLat('tpe'))}, optuna random ${fmtMs(optLat('random'))} (means)`,
  );
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
  const autoWins = wins('auto');
  const tpeWins = wins('tpe');
  const tpeLat = rxLat('tpe');
  say(`  target: rx auto below Optuna TPE on >= ${TARGET_AUTO_WINS}/${TEST_FUNCTIONS.length}: ${winsText(autoWins)} ${verdict(autoWins === undefined ? undefined : autoWins >= TARGET_AUTO_WINS)}`);
  say(`  target: rx tpe below Optuna TPE on >= ${TARGET_TPE_WINS}/${TEST_FUNCTIONS.length}: ${winsText(tpeWins)} ${verdict(tpeWins === undefined ? undefined : tpeWins >= TARGET_TPE_WINS)}`);
  say(
    `  target: rx tpe suggestion < ${TARGET_TPE_SUGGEST_S * 1000} ms: ${fmtMs(tpeLat)} ${verdict(tpeLat === undefined ? undefined : tpeLat < TARGET_TPE_SUGGEST_S)} ` +
      `(Optuna 3.1 TPE: ~${OPTUNA_REFERENCE_MS} ms expected, ${fmtMs(optLat('tpe'))} measured here)`,
  );
  if (seeds.length < FULL_SEEDS) say(`  note: ${seeds.length} seeds (quick run); the targets are meant for ${FULL_SEEDS}`);
  say('');

  // Summary rows for bench/index.ts's table. A sampler's row carries the time of all its suggestions.
  const rows: Row[] = [];
  const countRow = (s: RxSamplerName, min: number | undefined): Row => {
    const row: Row = { scenario: 'search quality (wins vs optuna tpe)', tool: `rx ${s}`, role: 'rx' };
    if (rxProblem.has(s)) row.note = rxProblem.get(s);
    else row.m = { seconds: rxTotal.get(s)! };
    if (min !== undefined) row.target = { kind: 'count', min, of: TEST_FUNCTIONS.length, label: `>= ${min}/${TEST_FUNCTIONS.length} functions` };
    const w = wins(s);
    if (w !== undefined) row.count = w;
    else if (optunaProblem && !row.note) row.note = optunaProblem;
    return row;
  };
  rows.push(countRow('auto', TARGET_AUTO_WINS), countRow('tpe', TARGET_TPE_WINS), { ...countRow('gp', undefined), role: 'info' });
  const latency: Row[] = [];
  // The summary table prints seconds to 3 decimals: the tool names carry the milliseconds.
  const tpeRow: Row = { scenario: `search suggest @${TRIALS}`, tool: tpeLat === undefined ? 'rx tpe' : `rx tpe (${fmtMs(tpeLat)})`, role: 'rx', target: { kind: 'max-seconds', seconds: TARGET_TPE_SUGGEST_S, label: `< ${TARGET_TPE_SUGGEST_S * 1000} ms` } };
  if (tpeLat !== undefined) tpeRow.m = { seconds: tpeLat };
  else tpeRow.note = rxProblem.get('tpe');
  latency.push(tpeRow);
  for (const s of ['gp', 'auto'] as const) {
    const v = rxLat(s);
    latency.push(v === undefined ? { scenario: tpeRow.scenario, tool: `rx ${s}`, role: 'info', note: rxProblem.get(s) } : { scenario: tpeRow.scenario, tool: `rx ${s} (${fmtMs(v)})`, role: 'info', m: { seconds: v } });
  }
  const optunaVersion = typeof optuna === 'string' ? '' : ` ${optuna.optuna}`;
  for (const s of OPTUNA_SAMPLERS) {
    const v = optLat(s);
    const role = s === 'tpe' ? 'ref' : 'info';
    latency.push(v === undefined ? { scenario: tpeRow.scenario, tool: `optuna${optunaVersion} ${s}`, role, note: optunaProblem } : { scenario: tpeRow.scenario, tool: `optuna${optunaVersion} ${s} (${fmtMs(v)})`, role, m: { seconds: v } });
  }
  rows.push(...withRatios(latency));
  rows.push(...(await benchSearchNoisy(seeds)));
  return rows;
}

// ---------------------------------------------------------------------------------------
// NOISY: the same functions observed through Gaussian noise. rx drives its real search
// schedule (dist/search/schedule.js) with paired seeds and racing; Optuna's TPE gets one
// evaluation per trial and as many trials as rx used evaluations. Both are scored by the true
// (noise-free) f at the configuration they return.

/** sd_f = NOISE_FRACTION x the spread of f (spreadOf over NOISE_SPREAD_POINTS points, seed NOISE_SPREAD_SEED). */
const NOISE_FRACTION = 0.1;
const NOISE_SPREAD_POINTS = 1000;
const NOISE_SPREAD_SEED = 1;
/** Evaluations (base + racing) each noisy search should land near. */
const NOISY_EVALS = 80;
const NOISY_SEEDS = [0, 1];
const NOISY_RACING = { maxSeeds: 6, alpha: 0.05, top: 4 };
/**
 * Trials of each noisy rx search: 2 seeds each, and racing adds at most (maxSeeds - 2) seeds
 * to at most `top` contenders (16 runs), so 32 trials give 64 to 80 evaluations.
 */
const NOISY_TRIALS = (NOISY_EVALS - (NOISY_RACING.maxSeeds - NOISY_SEEDS.length) * NOISY_RACING.top) / NOISY_SEEDS.length;
const NOISY_METHODS = ['tpe', 'auto'] as const;
type NoisyMethod = (typeof NOISY_METHODS)[number];
const TARGET_NOISY_WINS = 4;

export const SEARCH_NOISY_METHOD = [
  `search noisy: observed = f(x) + sd_f * z, sd_f = ${NOISE_FRACTION * 100}% of the standard deviation of f over ${NOISE_SPREAD_POINTS} uniform points of its`,
  `  domain (seed ${NOISE_SPREAD_SEED}, computed once in bench/functions.ts and handed to Optuna's side); z ~ N(0,1) keyed by (bench seed,`,
  '  evaluation seed, configuration) through sha256 (bench/functions.ts noiseNormal, mirrored and checked in optuna_runner.py).',
  `  rx: the search schedule from the build (dist/search/schedule.js) in-process, method tpe (and auto), seeds [${NOISY_SEEDS.join(', ')}] per trial,`,
  `  ${NOISY_TRIALS} trials, racing ${JSON.stringify(NOISY_RACING)}; evaluations = result lines of the ledger (near ${NOISY_EVALS}); winner = the end`,
  '  line\'s best.config. Optuna 3.1 TPESampler(seed): one evaluation per trial (evaluation seed 0), n_trials = the evaluations rx',
  '  used on that (function, seed); winner = study.best_trial (lowest observed value). Score: true f at the winner, median over',
  '  seeds; a win is a median strictly below Optuna\'s.',
];

/** The parts of dist/search this section drives (bench/ names src/ modules only by URL). */
interface ScheduleModules {
  Schedule: new (spec: unknown, header: unknown, samplers: unknown) => {
    next(lookup: (trial: number, seed: number) => unknown): { event: { type: string; best?: { config: Record<string, unknown> } | null } } | { wait: unknown } | { done: true };
    apply(event: unknown): void;
    configOf(trial: number): Record<string, unknown> | undefined;
    readonly events: readonly { type: string }[];
  };
  headerFor: (spec: unknown, baseline: string, samplers: unknown) => unknown;
  samplerSetFor: (methods: readonly string[]) => unknown;
}

async function loadScheduleModules(): Promise<ScheduleModules | string> {
  const load = async (name: string) => (await import(pathToFileURL(path.join(REPO_ROOT, 'dist', 'search', `${name}.js`)).href)) as Record<string, unknown>;
  try {
    const schedule = await load('schedule');
    const samplers = await load('samplers');
    const mods = { Schedule: schedule.Schedule, headerFor: schedule.headerFor, samplerSetFor: samplers.samplerSetFor };
    const missing = Object.entries(mods).filter(([, v]) => typeof v !== 'function').map(([k]) => k);
    if (missing.length > 0) return `dist/search lacks ${missing.join(', ')}`;
    return mods as ScheduleModules;
  } catch (err) {
    return `cannot load dist/search/schedule.js: ${(err as Error).message.split('\n')[0]}`;
  }
}

function xOf(fn: TestFunction, config: Record<string, unknown>, what: string): number[] {
  const x = fn.bounds.map((_, i) => config[`x${i}`]);
  if (!x.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${what} of ${fn.name}: config ${JSON.stringify(config)} lacks a number for x0..x${fn.bounds.length - 1}`);
  return x;
}

interface NoisyRun {
  /** True f at the winner. */
  value: number;
  evals: number;
}

/** One rx search on the noisy function, driven line by line with results computed on demand. */
function runRxNoisy(mods: ScheduleModules, method: NoisyMethod, fn: TestFunction, sd: number, seed: number): NoisyRun {
  const spec = {
    name: `bench-${fn.name}`,
    hash: `sha256:${'0'.repeat(64)}`,
    objective: { metric: 'value.json:value', direction: 'minimize' },
    seed,
    seeds: NOISY_SEEDS,
    parallel: 1,
    budget: { trials: NOISY_TRIALS },
    stop: {},
    phases: [{ method }],
    space: spaceOf(fn),
    racing: NOISY_RACING,
  };
  const samplers = mods.samplerSetFor([method]);
  const schedule = new mods.Schedule(spec, mods.headerFor(spec, '0'.repeat(40), samplers), samplers);
  const lookup = (trial: number, evalSeed: number) => {
    const x = xOf(fn, schedule.configOf(trial)!, `trial ${trial}`);
    return { status: 'complete', ref: `bench/${trial}-s${evalSeed}`, value: fn.f(x) + sd * noiseNormal(seed, evalSeed, x) };
  };
  for (;;) {
    const step = schedule.next(lookup);
    if ('done' in step) break;
    if ('wait' in step) throw new Error(`the schedule of ${fn.name} waits for ${JSON.stringify(step.wait)} though every result is at hand`);
    schedule.apply(step.event);
  }
  const end = schedule.events[schedule.events.length - 1] as { type: string; best?: { config: Record<string, unknown> } | null };
  if (end.type !== 'end' || !end.best) throw new Error(`the search of ${fn.name} ended without a best configuration`);
  return { value: fn.f(xOf(fn, end.best.config, 'the winner')), evals: schedule.events.filter((e) => e.type === 'result').length };
}

interface OptunaNoisyOutput {
  optuna: string;
  noise_probes: number[];
  runs: { function: string; seed: number; n_trials: number; x: number[]; observed: number }[];
}

/** Keys the noise is checked at on both sides: each function's probes on evaluation seeds 0 and 3. */
function noiseProbes(): { seed: number; eval_seed: number; x: number[] }[] {
  return TEST_FUNCTIONS.flatMap((f, i) => probesOf(f).flatMap((x) => [{ seed: i, eval_seed: 0, x }, { seed: 7 + i, eval_seed: 3, x }]));
}

function runOptunaNoisy(sd: Map<string, number>, trialsWanted: Map<string, Map<number, number[]>>): OptunaNoisyOutput | string {
  const python = pythonWithOptuna();
  if (!python) return 'no python3 with Optuna';
  const probes = noiseProbes();
  const job = {
    mode: 'noisy',
    noise_probes: probes,
    functions: TEST_FUNCTIONS.map((f) => ({
      name: f.name,
      bounds: f.bounds,
      sd: sd.get(f.name)!,
      runs: [...(trialsWanted.get(f.name) ?? new Map<number, number[]>())].map(([seed, n]) => ({ seed, n_trials: [...new Set(n)].sort((a, b) => a - b) })),
    })),
  };
  const r = spawnSync(python, [path.join(BENCH_DIR, 'optuna_runner.py')], { input: JSON.stringify(job), encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) return `optuna_runner.py (noisy) failed: ${(r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status ?? r.signal}`}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as OptunaNoisyOutput;
  const bad = probes.findIndex((p, i) => !(Math.abs(noiseNormal(p.seed, p.eval_seed, p.x) - out.noise_probes[i]!) <= 1e-12));
  if (bad >= 0) return `bench/optuna_runner.py's noise_normal disagrees with bench/functions.ts at probe ${bad}: ${out.noise_probes[bad]} vs ${noiseNormal(probes[bad]!.seed, probes[bad]!.eval_seed, probes[bad]!.x)}`;
  return out;
}

function fmtRange(xs: readonly number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

async function benchSearchNoisy(seeds: number[]): Promise<Row[]> {
  const scenario = 'search noisy (wins vs optuna tpe)';
  const sd = new Map(TEST_FUNCTIONS.map((f) => [f.name, NOISE_FRACTION * spreadOf(f, NOISE_SPREAD_POINTS, NOISE_SPREAD_SEED)]));
  step(S, `noisy: ${TEST_FUNCTIONS.length} functions x ${seeds.length} seeds, rx ${NOISY_METHODS.join('/')} with seeds [${NOISY_SEEDS.join(', ')}] and racing, ${NOISY_TRIALS} trials (~${NOISY_EVALS} evaluations)`);
  const mods = await loadScheduleModules();
  // rx: per (method, function) the true value at the winner and the evaluations, seed by seed.
  const rxRuns = new Map<string, NoisyRun[]>();
  const rxSeconds = new Map<NoisyMethod, number>();
  const rxProblem = new Map<NoisyMethod, string>();
  for (const method of NOISY_METHODS) {
    if (typeof mods === 'string') {
      rxProblem.set(method, mods);
      continue;
    }
    const started = performance.now();
    try {
      for (const fn of TEST_FUNCTIONS) rxRuns.set(`${method}/${fn.name}`, seeds.map((seed) => runRxNoisy(mods, method, fn, sd.get(fn.name)!, seed)));
      rxSeconds.set(method, (performance.now() - started) / 1000);
      step(S, `noisy rx ${method}: ${fmtSeconds(rxSeconds.get(method)!)} s for ${TEST_FUNCTIONS.length * seeds.length} searches`);
    } catch (err) {
      rxProblem.set(method, `failed: ${(err as Error).message.split('\n')[0]}`);
      step(S, `noisy rx ${method}: FAILED ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (typeof mods === 'string') step(S, `noisy rx: n/a (${mods})`);

  // Optuna: one study per (function, seed), read at every evaluation count an rx method used there.
  const wanted = new Map<string, Map<number, number[]>>();
  for (const method of NOISY_METHODS) {
    if (rxProblem.has(method)) continue;
    for (const fn of TEST_FUNCTIONS) {
      const bySeed = wanted.get(fn.name) ?? new Map<number, number[]>();
      rxRuns.get(`${method}/${fn.name}`)!.forEach((r, i) => bySeed.set(seeds[i]!, [...(bySeed.get(seeds[i]!) ?? []), r.evals]));
      wanted.set(fn.name, bySeed);
    }
  }
  const started = performance.now();
  const optuna = wanted.size === 0 ? 'no rx search to match' : runOptunaNoisy(sd, wanted);
  const optunaSeconds = (performance.now() - started) / 1000;
  const optunaProblem = typeof optuna === 'string' ? optuna : undefined;
  const optunaTrue = new Map<string, number>();
  if (typeof optuna === 'string') step(S, `noisy Optuna: n/a (${optuna})`);
  else {
    for (const r of optuna.runs) {
      const fn = TEST_FUNCTIONS.find((f) => f.name === r.function)!;
      optunaTrue.set(`${r.function}/${r.seed}/${r.n_trials}`, fn.f(r.x));
    }
    step(S, `noisy Optuna ${optuna.optuna}: ${fmtSeconds(optunaSeconds)} s for ${TEST_FUNCTIONS.length * seeds.length} studies (python start-up included)`);
  }

  const rxMedian = (m: NoisyMethod, f: string) => (rxProblem.has(m) ? undefined : median(rxRuns.get(`${m}/${f}`)!.map((r) => r.value)));
  /** Optuna's median true value with each seed's n_trials matched to method m's evaluations there. */
  const optunaMedian = (m: NoisyMethod, f: string) => {
    if (rxProblem.has(m) || optunaProblem) return undefined;
    return median(rxRuns.get(`${m}/${f}`)!.map((r, i) => optunaTrue.get(`${f}/${seeds[i]}/${r.evals}`)!));
  };
  const wins = (m: NoisyMethod) => {
    if (rxProblem.has(m) || optunaProblem) return undefined;
    return TEST_FUNCTIONS.filter((f) => rxMedian(m, f.name)! < optunaMedian(m, f.name)!).length;
  };
  /** Regret ratio (rx - minimum) / (optuna - minimum): below 1, rx's winner is truly better. */
  const ratio = (m: NoisyMethod, f: TestFunction) => {
    const a = rxMedian(m, f.name);
    const b = optunaMedian(m, f.name);
    if (a === undefined || b === undefined) return 'n/a';
    const rb = b - f.minimum;
    return rb <= 0 ? 'n/a' : ((a - f.minimum) / rb).toFixed(2);
  };
  const mark = (m: NoisyMethod, f: string) => {
    const v = rxMedian(m, f);
    const o = optunaMedian(m, f);
    return `${fmtValue(v)}${v !== undefined && o !== undefined && v < o ? '*' : ' '}`;
  };
  const evals = (m: NoisyMethod, f: string) => (rxProblem.has(m) ? 'n/a' : fmtRange(rxRuns.get(`${m}/${f}`)!.map((r) => r.evals)));
  const winsText = (w: number | undefined) => (w === undefined ? 'n/a' : `${w}/${TEST_FUNCTIONS.length}`);

  say('');
  say(`  search noisy: median over ${seeds.length} seeds of the TRUE f at the returned winner (lower is better; * = below Optuna TPE`);
  say(`  with as many evaluations; ratio = regret (f - minimum) of rx / of Optuna, < 1: rx better)`);
  const lines = table(
    ['function', 'minimum', 'noise sd', 'evals', 'rx tpe+race', 'optuna tpe', 'ratio', 'evals', 'rx auto+race', 'optuna tpe', 'ratio'],
    [
      ...TEST_FUNCTIONS.map((f) => [
        f.name,
        fmtValue(f.minimum),
        fmtValue(sd.get(f.name)),
        evals('tpe', f.name),
        mark('tpe', f.name),
        fmtValue(optunaMedian('tpe', f.name)),
        ratio('tpe', f),
        evals('auto', f.name),
        mark('auto', f.name),
        fmtValue(optunaMedian('auto', f.name)),
        ratio('auto', f),
      ]),
      ['wins vs optuna tpe', '', '', '', winsText(wins('tpe')), '', '', '', winsText(wins('auto')), '', ''],
    ],
  );
  for (const l of lines) say(`  ${l}`);
  const tpeWins = wins('tpe');
  say(`  target: rx tpe with racing below Optuna TPE on >= ${TARGET_NOISY_WINS}/${TEST_FUNCTIONS.length} noisy functions: ${winsText(tpeWins)} ${tpeWins === undefined ? 'n/a' : tpeWins >= TARGET_NOISY_WINS ? 'PASS' : 'MISS'}`);
  if (seeds.length < FULL_SEEDS) say(`  note: ${seeds.length} seeds (quick run); the target is meant for ${FULL_SEEDS}`);
  say('');

  // Summary rows: the wins, with each side's time for all its noisy searches (ratio: Optuna / rx tpe).
  const rows: Row[] = NOISY_METHODS.map((m) => {
    const row: Row = { scenario, tool: `rx ${m} + racing`, role: m === 'tpe' ? 'rx' : 'info' };
    if (m === 'tpe') row.target = { kind: 'count', min: TARGET_NOISY_WINS, of: TEST_FUNCTIONS.length, label: `>= ${TARGET_NOISY_WINS}/${TEST_FUNCTIONS.length} functions` };
    if (rxProblem.has(m)) row.note = rxProblem.get(m);
    else row.m = { seconds: rxSeconds.get(m)! };
    const w = wins(m);
    if (w !== undefined) row.count = w;
    else if (optunaProblem && !row.note) row.note = optunaProblem;
    return row;
  });
  const optunaRow: Row = { scenario, tool: `optuna${typeof optuna === 'string' ? '' : ` ${optuna.optuna}`} tpe`, role: 'ref' };
  if (optunaProblem) optunaRow.note = optunaProblem;
  else optunaRow.m = { seconds: optunaSeconds };
  rows.push(optunaRow);
  return withRatios(rows);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(BENCH_DIR, 'search.ts')) {
  const rows = await benchSearch();
  for (const r of rows) if (r.note) say(`  ${r.scenario} / ${r.tool}: ${r.note}`);
}
