// The search spec (search/NAME.yaml, schema: rx.search/1): parsing with located errors, the
// semantic checks a JSON Schema cannot express (bounds, priors against bounds, conditions and
// their cycles, phase budgets), and normalisation into a SearchSpec whose space is ordered so
// that conditions name only earlier parameters. readSearchSpec is pure; loadSearchSpec reads.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { InvalidFileError, UsageError, readInputFile, type FileProblem } from '../core/errors.js';
import { canonicalJson } from '../core/canonical.js';
import { absPath, toPosix, unsafePathReason } from '../core/paths.js';
import { parseYamlLocated, fieldPath, type Locate } from '../schema/validate.js';
import { searchSpecSchema } from '../schema/search.js';
import { isLegal } from './space.js';
import { validatePruning, type PruningSpec as PruningRungs } from './pruning.js';
import type { Condition, Method, NumericPrior, Param, Scalar, Space } from './types.js';

/** Multi-fidelity pruning as the spec gives it (src/search/pruning.ts applies it). */
export interface PruningSpec extends PruningRungs {
  /** Which way the per-epoch metric is better: the objective's, unless the key names a loss. */
  direction: 'maximize' | 'minimize';
}

export interface Phase {
  method: Method;
  /** Trials of this phase; absent only on the last phase (it runs until the budget ends). */
  trials?: number;
  /** Sampler options, passed through to the sampler as written. */
  options?: Record<string, unknown>;
  /** Shrink the bounds of numeric parameters around the incumbent to this fraction of their internal-scale range. */
  refine?: { shrink: number };
}

export interface SearchSpec {
  name: string;
  /** The spec file, project-relative (as errors name it). */
  file: string;
  description?: string;
  objective: { metric: string; file: string; key: string; direction: 'maximize' | 'minimize' };
  /** The sampler's seed. */
  seed: number;
  /** Replication seeds every configuration runs on (RX_SEED). */
  seeds: number[];
  /** Suggestion n conditions only on trials numbered below n - parallel + 1; 1 unless given. */
  parallel: number;
  /** At least one of the two. */
  /** timeSeconds: wall time, cpuSeconds: CPU time (user + system of the search and its runs); both over every run of the search. */
  budget: { trials?: number; timeSeconds?: number; cpuSeconds?: number };
  stop: { noImprovement?: number; target?: number };
  /** `method: x` becomes [{method: x}]. */
  phases: Phase[];
  /** Racing after the budget: near-top contenders get one more seed at a time up to maxSeeds. */
  racing?: { maxSeeds: number; alpha: number; top: number };
  /** Multi-fidelity pruning: rungs over the epochs of a per-epoch metric. */
  pruning?: PruningSpec;
  /** Parameters ordered so that conditions only name earlier parameters. */
  space: Space;
  /** sha256 over the canonical JSON of everything that decides the search (not name, file or description), as `sha256:HEX`. */
  hash: string;
  /** Where a field of the spec sits in its file, for errors found later (targets, trials). */
  locate: Locate;
}

type RawCondition = Record<string, Scalar | Scalar[]>;
interface RawParam {
  path: string;
  type: 'float' | 'int' | 'categorical' | 'simplex';
  description?: string;
  when?: RawCondition;
  low?: number;
  high?: number;
  log?: boolean;
  step?: number;
  grid?: number[];
  prior?: { normal?: { mean: number; sd: number }; lognormal?: { mu: number; sigma: number }; weights?: number[] | Record<string, number>; dirichlet?: number[] };
  choices?: Scalar[];
  over?: string[];
  total?: number;
}
interface RawPhase {
  method: Method;
  seeds?: number[];
  trials?: number;
  options?: Record<string, unknown>;
  refine?: { shrink: number };
}
interface RawSpec {
  schema: 'rx.search/1';
  description?: string;
  objective: { metric: string; direction: 'maximize' | 'minimize' };
  seed: number;
  seeds: number[];
  parallel?: number;
  budget: { trials?: number; time?: number | string; cpu?: number | string };
  stop?: { no_improvement?: number; target?: number };
  racing?: { max_seeds?: number; alpha?: number; top?: number };
  pruning?: { method: 'asha' | 'hyperband'; resource?: 'epochs'; min: number; max: number; eta?: number; metric?: string; bootstrap?: 'promote' | 'best' };
  method?: Method;
  options?: Record<string, unknown>;
  phases?: RawPhase[];
  space: Record<string, RawParam>;
}

/** A `FILE:KEY` path split at its last colon (as `-S` overrides split theirs). */
export function splitTarget(target: string): { file: string; key: string } {
  const colon = target.lastIndexOf(':');
  return { file: target.slice(0, colon), key: target.slice(colon + 1) };
}

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };

/** Seconds of a budget time: a number of seconds or a duration such as "2h", "30m", "1h30m". */
export function parseDuration(time: number | string): number {
  if (typeof time === 'number') return time;
  let seconds = 0;
  for (const m of time.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return seconds;
}

function fmt(n: number): string {
  return String(Number(n.toPrecision(12)));
}

function shown(v: unknown): string {
  return JSON.stringify(v);
}

/**
 * Parses and checks spec text; throws InvalidFileError (exit 4) listing every problem located
 * at file:line:col with the field (e.g. `space.lr.high`). Pure.
 */
export function readSearchSpec(file: string, text: string): SearchSpec {
  const { value: raw, locate } = parseYamlLocated<RawSpec>(file, text, searchSpecSchema);
  const problems: FileProblem[] = [];
  const add = (segments: (string | number)[], message: string): void => {
    const at = locate(segments);
    problems.push({ file, ...(at ? { line: at.line, column: at.column } : {}), field: fieldPath(segments), message });
  };

  // ---- objective, seeds, budget ----
  const objective = { ...splitTarget(raw.objective.metric), metric: raw.objective.metric, direction: raw.objective.direction };
  const objectiveUnsafe = unsafePathReason(objective.file);
  if (objectiveUnsafe) add(['objective', 'metric'], `the file ${shown(objective.file)} ${objectiveUnsafe}`);
  if (objective.key.split('.').some((s) => s === '')) add(['objective', 'metric'], `"${objective.key}" is not a key path`);

  raw.seeds.forEach((s, i) => {
    const first = raw.seeds.indexOf(s);
    if (first < i) add(['seeds', i], `seed ${s} is listed twice (also seeds[${first}])`);
  });

  const budget: SearchSpec['budget'] = {};
  if (raw.budget.trials !== undefined) budget.trials = raw.budget.trials;
  if (raw.budget.time !== undefined) {
    budget.timeSeconds = parseDuration(raw.budget.time);
    if (!(budget.timeSeconds > 0)) add(['budget', 'time'], 'must be a positive duration');
  }
  if (raw.budget.cpu !== undefined) {
    budget.cpuSeconds = parseDuration(raw.budget.cpu);
    if (!(budget.cpuSeconds > 0)) add(['budget', 'cpu'], 'must be a positive duration');
  }

  const stop: SearchSpec['stop'] = {};
  if (raw.stop?.no_improvement !== undefined) stop.noImprovement = raw.stop.no_improvement;
  if (raw.stop?.target !== undefined) stop.target = raw.stop.target;

  // ---- racing and pruning ----
  let racing: SearchSpec['racing'];
  if (raw.racing !== undefined) {
    const alpha = raw.racing.alpha ?? 0.05;
    const maxSeeds = raw.racing.max_seeds ?? raw.seeds.length + 3;
    if (!(alpha > 0 && alpha < 1)) add(['racing', 'alpha'], `must lie strictly between 0 and 1 (it is ${fmt(alpha)})`);
    if (maxSeeds < raw.seeds.length) add(['racing', 'max_seeds'], `${maxSeeds} is fewer than the ${raw.seeds.length} seeds every configuration already runs on`);
    racing = { maxSeeds, alpha, top: raw.racing.top ?? 4 };
  }
  let pruning: PruningSpec | undefined;
  if (raw.pruning !== undefined) {
    const r = raw.pruning;
    const metric = r.metric ?? objective.key;
    const direction = r.metric === undefined ? objective.direction : /loss|error/.test(metric) ? 'minimize' : 'maximize';
    // bootstrap enters only when given, so specs written before it keep their hash.
    const candidate: PruningSpec = { method: r.method, resource: r.resource ?? 'epochs', min: r.min, max: r.max, eta: r.eta ?? 3, metric, direction, ...(r.bootstrap !== undefined ? { bootstrap: r.bootstrap } : {}) };
    const field = pruningField(candidate);
    if (field) add(['pruning', field.field], field.message);
    pruning = candidate;
  }

  // ---- method or phases ----
  let phases: Phase[] = [];
  if (raw.method !== undefined && raw.phases !== undefined) add(['phases'], 'method and phases exclude each other: give one of them');
  else if (raw.method === undefined && raw.phases === undefined) add([], 'needs `method:` or `phases:`');
  if (raw.phases !== undefined && raw.options !== undefined) add(['options'], 'with phases, sampler options belong to each phase (phases[i].options)');
  if (raw.method !== undefined) {
    phases = [{ method: raw.method, ...(raw.options !== undefined ? { options: raw.options } : {}) }];
  } else if (raw.phases !== undefined) {
    phases = raw.phases.map((p) => ({
      method: p.method,
      ...(p.trials !== undefined ? { trials: p.trials } : {}),
      ...(p.options !== undefined ? { options: p.options } : {}),
      ...(p.refine !== undefined ? { refine: { shrink: p.refine.shrink } } : {}),
    }));
    const last = raw.phases.length - 1;
    raw.phases.forEach((p, i) => {
      if (p.seeds !== undefined && canonicalJson(p.seeds) !== canonicalJson(raw.seeds)) {
        add(['phases', i, 'seeds'], `differs from the search's seeds [${raw.seeds.join(', ')}]: every configuration of a search runs on the same paired seeds, so they are compared seed by seed`);
      }
      if (p.trials === undefined && i < last) add(['phases', i], 'only the last phase may omit trials (it runs until the budget ends)');
      if (p.refine !== undefined && i === 0) add(['phases', i, 'refine'], 'refines around the best trial of earlier phases, and the first phase has none');
    });
    if (raw.phases[last]!.trials === undefined && budget.trials === undefined && budget.timeSeconds === undefined && budget.cpuSeconds === undefined) {
      add(['phases', last], 'runs until the budget ends, and the budget has neither trials nor time');
    }
    const fixed = raw.phases.reduce((n, p) => n + (p.trials ?? 0), 0);
    if (budget.trials !== undefined) {
      if (fixed > budget.trials) add(['phases'], `the phases ask for ${fixed} trials, more than budget.trials ${budget.trials}`);
      else if (fixed === budget.trials && raw.phases[last]!.trials === undefined) add(['phases', last], `the phases before it take all ${budget.trials} trials of the budget, leaving none for it`);
    }
  }

  // ---- parameters ----
  const names = Object.keys(raw.space);
  const params = new Map<string, Param>();
  for (const name of names) {
    const p = readParam(name, raw.space[name]!, add);
    if (p) params.set(name, p);
  }
  checkPaths(names, raw.space, add);
  checkConditions(names, raw.space, params, add);
  const cycle = conditionCycle(names, raw.space);
  if (cycle) add(['space', cycle[0]!, 'when', cycle[1]!], `conditions form a cycle: ${cycle.join(' -> ')}`);

  if (problems.length > 0) throw new InvalidFileError(problems);

  const space: Space = { params: conditionOrder(names, raw.space).map((n) => params.get(n)!) };
  // Racing and pruning enter the hash only when given, so specs written before them keep theirs.
  const decisive = { objective, seed: raw.seed, seeds: [...raw.seeds], parallel: raw.parallel ?? 1, budget, stop, phases, ...(racing ? { racing } : {}), ...(pruning ? { pruning } : {}), space };
  const hash = 'sha256:' + createHash('sha256').update(canonicalJson(decisive)).digest('hex');
  return {
    name: specName(file),
    file,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    ...decisive,
    hash,
    locate,
  };
}

type Add = (segments: (string | number)[], message: string) => void;

/** The first problem of a pruning schedule, with the field it is about (pruning.ts words it). */
function pruningField(p: PruningSpec): { field: string; message: string } | undefined {
  const message = validatePruning(p);
  if (message === undefined) return undefined;
  const field = /^pruning\.(\w+)/.exec(message)?.[1] ?? 'method';
  return { field, message: message.replace(/^pruning\.\w+ /, '') };
}

function readParam(name: string, r: RawParam, add: Add): Param | undefined {
  const at = (...rest: (string | number)[]) => ['space', name, ...rest];
  const base = { name, path: r.path, ...(r.when ? { when: normaliseCondition(r.when) } : {}) };
  let bad = false;
  const fail: Add = (segments, message) => {
    bad = true;
    add(segments, message);
  };
  if (r.type === 'float' || r.type === 'int') {
    const low = r.low!;
    const high = r.high!;
    const log = r.log ?? false;
    if (!(low < high)) fail(at('high'), `inverted bounds: low ${fmt(low)} must be below high ${fmt(high)}`);
    if (log && !(low > 0)) fail(at('low'), `a log-scale parameter needs low > 0 (low is ${fmt(low)})`);
    if (log && r.step !== undefined && !(r.type === 'int' && r.step === 1)) fail(at('step'), 'step and log exclude each other (a log scale has no even steps)');
    // high need not be low + k*step: the values are low, low + step, ... up to the last one at
    // or below high (as snapNumeric rounds), so `low: 8, high: 60, step: 8` tops out at 56.
    if (r.step !== undefined && low < high && r.step > high - low) fail(at('step'), `step ${fmt(r.step)} is wider than the range [${fmt(low)}, ${fmt(high)}]`);
    let prior: NumericPrior | undefined;
    if (r.prior?.normal) {
      const { mean, sd } = r.prior.normal;
      if (!(mean >= low && mean <= high)) fail(at('prior', 'normal', 'mean'), `mean ${fmt(mean)} is outside the bounds [${fmt(low)}, ${fmt(high)}]`);
      prior = { kind: 'normal', mean, sd };
    } else if (r.prior?.lognormal) {
      const { mu, sigma } = r.prior.lognormal;
      const median = Math.exp(mu);
      if (!(median >= low && median <= high)) fail(at('prior', 'lognormal', 'mu'), `the median e^mu = ${fmt(median)} is outside the bounds [${fmt(low)}, ${fmt(high)}]`);
      prior = { kind: 'lognormal', mu, sigma };
    }
    const step = r.type === 'int' ? (r.step ?? 1) : r.step;
    const param: Param =
      r.type === 'int'
        ? { ...base, type: 'int', low, high, log, step: step!, ...(prior ? { prior } : {}) }
        : { ...base, type: 'float', low, high, log, ...(step !== undefined ? { step } : {}), ...(prior ? { prior } : {}) };
    if (r.grid) {
      r.grid.forEach((v, i) => {
        if (!isLegal(param, v)) fail(at('grid', i), `${fmt(v)} is not a value of the parameter ([${fmt(low)}, ${fmt(high)}]${r.type === 'int' ? `, step ${step}` : ''})`);
        else if (r.grid!.indexOf(v) < i) fail(at('grid', i), `${fmt(v)} is listed twice`);
      });
      param.grid = [...r.grid];
    }
    return bad ? undefined : param;
  }
  if (r.type === 'categorical') {
    const choices = r.choices!;
    choices.forEach((c, i) => {
      if (choices.indexOf(c) < i) fail(at('choices', i), `choice ${shown(c)} is listed twice`);
    });
    let weights: number[] | undefined;
    const w = r.prior?.weights;
    if (Array.isArray(w)) {
      if (w.length !== choices.length) fail(at('prior', 'weights'), `has ${w.length} weights for ${choices.length} choices`);
      weights = w;
    } else if (w !== undefined) {
      const keys = choices.map(String);
      for (const k of Object.keys(w)) if (!keys.includes(k)) fail(at('prior', 'weights', k), `${shown(k)} is not a choice (choices: ${keys.join(', ')})`);
      const missing = keys.filter((k) => !(k in w));
      if (missing.length > 0) fail(at('prior', 'weights'), `gives no weight to ${missing.map(shown).join(', ')} (write 0 to exclude a choice)`);
      weights = keys.map((k) => w[k] ?? 0);
    }
    if (weights && !bad) {
      const sum = weights.reduce((a, b) => a + b, 0);
      if (!(sum > 0)) fail(at('prior', 'weights'), 'the weights sum to 0');
      else weights = weights.map((x) => x / sum);
    }
    return bad ? undefined : { ...base, type: 'categorical', choices: [...choices], ...(weights ? { weights } : {}) };
  }
  const over = r.over!;
  over.forEach((o, i) => {
    if (over.indexOf(o) < i) fail(at('over', i), `source ${shown(o)} is listed twice`);
  });
  const dirichlet = r.prior?.dirichlet;
  if (dirichlet && dirichlet.length !== over.length) fail(at('prior', 'dirichlet'), `has ${dirichlet.length} concentrations for ${over.length} components (${over.join(', ')})`);
  return bad
    ? undefined
    : { ...base, type: 'simplex', over: [...over], ...(dirichlet ? { dirichlet: [...dirichlet] } : {}), ...(r.total !== undefined ? { total: r.total } : {}) };
}

function normaliseCondition(when: RawCondition): Condition {
  const out: Condition = {};
  for (const [k, v] of Object.entries(when)) out[k] = Array.isArray(v) ? [...v] : [v];
  return out;
}

/** What a simplex writes in its data spec, as key prefixes: each component's budget, and `total` if it declares one. */
export function simplexWrites(p: { over: string[]; total?: number }, key: string): string[] {
  return [...p.over.map((o) => `${key}.${o}.budget`), ...(p.total !== undefined ? ['total'] : [])];
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}

/** Each path's file is a safe project path; no two parameters write the same value or one inside another. */
function checkPaths(names: string[], space: Record<string, RawParam>, add: Add): void {
  const seen: { name: string; file: string; writes: string[] }[] = [];
  for (const name of names) {
    const r = space[name]!;
    const { file, key } = splitTarget(r.path);
    const unsafe = unsafePathReason(file);
    if (unsafe) {
      add(['space', name, 'path'], `the file ${shown(file)} ${unsafe}`);
      continue;
    }
    if (key.split('.').some((s) => s === '')) {
      add(['space', name, 'path'], `"${key}" is not a key path`);
      continue;
    }
    const writes = r.type === 'simplex' ? simplexWrites({ over: r.over ?? [], ...(r.total !== undefined ? { total: r.total } : {}) }, key) : [key];
    for (const other of seen) {
      if (other.file !== file) continue;
      const clash = writes.find((w) => other.writes.some((o) => overlaps(w, o)));
      if (clash === undefined) continue;
      const same = splitTarget(space[other.name]!.path).key === key;
      add(['space', name, 'path'], same ? `is the path of parameter ${other.name} too` : `writes ${file}:${clash}, which parameter ${other.name} also writes`);
      break;
    }
    seen.push({ name, file, writes });
  }
}

function checkConditions(names: string[], space: Record<string, RawParam>, params: Map<string, Param>, add: Add): void {
  for (const name of names) {
    const when = space[name]!.when;
    if (!when) continue;
    for (const [parent, raw] of Object.entries(when)) {
      const at = ['space', name, 'when', parent];
      if (!(parent in space)) {
        add(at, `names no parameter of this space (parameters: ${names.join(', ')})`);
        continue;
      }
      if (parent === name) continue; // reported as a cycle
      const p = space[parent]!;
      if (p.type === 'simplex') {
        add(at, `${parent} is a simplex, and a condition needs a single value`);
        continue;
      }
      const parsed = params.get(parent);
      if (!parsed) continue; // its own problems are reported
      const values = Array.isArray(raw) ? raw : [raw];
      values.forEach((v, i) => {
        const where = Array.isArray(raw) ? [...at, i] : at;
        if (parsed.type === 'categorical') {
          if (!parsed.choices.some((c) => c === v)) add(where, `${shown(v)} is not a choice of ${parent} (choices: ${parsed.choices.map(shown).join(', ')})`);
        } else if (typeof v !== 'number' || !isLegal(parsed, v)) {
          add(where, `${shown(v)} is not a value ${parent} can take`);
        }
      });
    }
  }
}

/** The first cycle of conditions (a closed path of parameter names, following `when` to parents), or undefined. */
export function conditionCycle(names: string[], space: Record<string, { when?: Record<string, unknown> }>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const parent of Object.keys(space[n]?.when ?? {})) {
      if (!(parent in space)) continue;
      const c = visit(parent);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of names) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** Names in declaration order, except that a parameter waits until every parameter its condition names is placed. */
function conditionOrder(names: string[], space: Record<string, RawParam>): string[] {
  const placed: string[] = [];
  const remaining = [...names];
  while (remaining.length > 0) {
    const i = remaining.findIndex((n) => Object.keys(space[n]!.when ?? {}).every((p) => placed.includes(p)));
    // A cycle was refused before ordering, so some parameter is always ready.
    placed.push(remaining.splice(i, 1)[0]!);
  }
  return placed;
}

/** The name of a search: its file's name without the extension. */
export function specName(file: string): string {
  return path.posix.basename(toPosix(file)).replace(/\.ya?ml$/, '');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The spec file a NAME stands for: search/NAME.yaml, or NAME itself when it is a path to a file. */
export function searchSpecPath(projectRoot: string, name: string): string {
  const pathLike = name.includes('/') || name.includes(path.sep) || /\.ya?ml$/.test(name);
  const rel = pathLike ? toPosix(path.isAbsolute(name) ? path.relative(projectRoot, name) : path.normalize(name)) : `search/${name}.yaml`;
  const unsafe = unsafePathReason(rel);
  if (unsafe) throw new UsageError(`search ${name}: the path ${rel} ${unsafe} (a search spec lives inside the project)`);
  const base = specName(rel);
  if (!NAME.test(base) || base.includes('..') || base.endsWith('.lock')) {
    throw new UsageError(`search ${shown(base)}: a search name is letters, digits, '.', '_' and '-', starting with a letter or digit`);
  }
  return rel;
}

/** Reads and checks search/NAME.yaml (or the spec file NAME names) in a project. */
export async function loadSearchSpec(projectRoot: string, name: string): Promise<SearchSpec> {
  const rel = searchSpecPath(projectRoot, name);
  return readSearchSpec(rel, await readInputFile(absPath(projectRoot, rel), rel));
}
