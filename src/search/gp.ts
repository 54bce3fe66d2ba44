// The Gaussian-process sampler, after Optuna 4's GPSampler: unit-cube inputs, standardised
// and Yeo-Johnson-warped losses (gp-warp), a Matérn 5/2 ARD kernel fitted by maximum a posteriori
// (gp-kernel), and log expected improvement times the user's prior (πBO, gp-acquisition)
// maximised over a deterministic candidate set refined by bounded L-BFGS. This module owns the
// options, the observations, candidate generation and suggest(). Pure.
import type { Config, Sampler, Space, SuggestInput, Suggestion, Trial } from './types.js';
import { streamFor, type Rng } from './rng.js';
import { betaCdf, configFromUnit, configToUnit, dimsOf, samplePrior, truncatedNormal, type Dim } from './space.js';
import { warpLosses } from './gp-warp.js';
import { fitKernel, trainingSet } from './gp-kernel.js';
import { GpPosterior, unitLogPrior } from './gp-acquisition.js';
import { lbfgsMinimise } from './lbfgs.js';

// ---- options ----------------------------------------------------------------------------

export interface GpOptions {
  /** Completed trials drawn from the prior before the GP takes over (Optuna's n_startup_trials); the GP needs at least one. */
  nStartupTrials: number;
  /** Points scored before the local refinement. */
  nCandidates: number;
  /** πBO's beta: the acquisition is multiplied by prior(x)^(beta / completed trials). */
  priorBeta: number;
}

export const GP_DEFAULTS: Readonly<GpOptions> = { nStartupTrials: 10, nCandidates: 2048, priorBeta: 10 };

export function gpOptions(options: Record<string, unknown> | undefined): GpOptions {
  const out: GpOptions = { ...GP_DEFAULTS };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (key === 'nStartupTrials' || key === 'nCandidates') {
      const min = key === 'nCandidates' ? 1 : 0;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError(`gp option ${key} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
      out[key] = value;
    } else if (key === 'priorBeta') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`gp option priorBeta must be a finite number >= 0, got ${JSON.stringify(value)}`);
      out.priorBeta = value;
    } else throw new TypeError(`unknown gp option '${key}' (known: nStartupTrials, nCandidates, priorBeta)`);
  }
  return out;
}

/** A unit point drawn from the prior where a dimension has one, uniform elsewhere. */
function unitFromPrior(dims: readonly Dim[], rng: Rng): number[] {
  return dims.map((dim) => {
    const u = rng.uniform();
    if (dim.kind === 'numeric' && dim.prior) {
      const t = truncatedNormal(u, dim.prior.mu, dim.prior.sigma, dim.low, dim.high);
      return dim.high > dim.low ? (t - dim.low) / (dim.high - dim.low) : 0.5;
    }
    if (dim.kind === 'stick') {
      const b0 = dim.param.over.length - 1 - dim.index;
      // Beta(a, b) by the ratio of gammas, then into the uniform-simplex CDF.
      const ga = rng.gamma(dim.a);
      const gb = rng.gamma(dim.b);
      const stick = ga + gb > 0 ? ga / (ga + gb) : 0.5;
      return betaCdf(stick, 1, b0);
    }
    return u;
  });
}

// ---- the sampler -------------------------------------------------------------------------

const TOP_REPORTED = 10;
const LOCAL_STARTS = 10;
const LOCAL_INCUMBENTS = 5;

function checkSpace(space: Space): void {
  for (const p of space.params) {
    if (p.type === 'categorical') throw new TypeError(`gp handles float, int and simplex parameters; '${p.name}' is categorical (use method tpe or auto)`);
    if (p.when) throw new TypeError(`gp handles unconditional spaces; '${p.name}' has a condition (use method tpe or auto)`);
  }
}

interface Observation {
  unit: number[];
  value: number;
  number: number;
}

/** Usable observations: complete trials with a finite value and every coordinate; failed, pruned and unencodable ones are left out. */
function observationsOf(space: Space, trials: readonly Trial[]): { complete: Observation[]; running: Omit<Observation, 'value'>[] } {
  const complete: Observation[] = [];
  const running: Omit<Observation, 'value'>[] = [];
  for (const trial of trials) {
    if (trial.state !== 'complete' && trial.state !== 'running') continue;
    const coords = configToUnit(space, trial.config);
    if (coords.some((c) => c === undefined || !Number.isFinite(c))) continue;
    const unit = (coords as number[]).map((c) => Math.min(1, Math.max(0, c)));
    if (trial.state === 'running') running.push({ unit, number: trial.number });
    else if (typeof trial.value === 'number' && Number.isFinite(trial.value)) complete.push({ unit, value: trial.value, number: trial.number });
  }
  return { complete, running };
}

interface Scored {
  unit: number[];
  logEI: number;
  acquisition: number;
}

function suggest(input: SuggestInput): Suggestion {
  const options = gpOptions(input.options);
  const { space, seed, number } = input;
  checkSpace(space);
  const dims = dimsOf(space);
  const { complete, running } = observationsOf(space, input.trials);

  if (complete.length < Math.max(1, options.nStartupTrials) || dims.length === 0) {
    const purpose = 'gp/startup';
    return {
      config: samplePrior(space, streamFor(seed, number, purpose)),
      sampler: 'gp',
      details: { phase: 'startup', completed: complete.length, nStartupTrials: options.nStartupTrials, stream: purpose },
    };
  }

  // Running trials are constant liars at the worst observed loss, so parallel workers spread out.
  let worst = -Infinity;
  for (const o of complete) worst = Math.max(worst, o.value);
  const points = [...complete.map((o) => o.unit), ...running.map((o) => o.unit)];
  const losses = [...complete.map((o) => o.value), ...running.map(() => worst)];
  // Optuna only standardises; the power warp on top is rx's (see warpLosses).
  const warped = warpLosses(losses);
  const standardised = warped.values;
  const ts = trainingSet(points, standardised);
  const fit = fitKernel(ts);
  let best = Infinity;
  for (let i = 0; i < complete.length; i++) best = Math.min(best, standardised[i]!);
  const posterior = new GpPosterior(ts, fit.params, best);

  const logPrior = unitLogPrior(dims);
  const priorWeight = logPrior ? options.priorBeta / complete.length : 0;
  const acquisition = (u: ArrayLike<number>, withGrad: boolean): { value: number; logEI: number; grad?: Float64Array } => {
    const ei = posterior.logEI(u, withGrad);
    let value = ei.value;
    if (logPrior && priorWeight > 0) {
      const pg = withGrad ? new Float64Array(dims.length) : undefined;
      value += priorWeight * logPrior(u, pg);
      if (pg) for (let j = 0; j < pg.length; j++) ei.grad![j] = ei.grad![j]! + priorWeight * pg[j]!;
    }
    return withGrad ? { value, logEI: ei.value, grad: ei.grad! } : { value, logEI: ei.value };
  };

  // Candidates: uniform points, draws from the prior (when there is one), and perturbations of the best observations.
  const purpose = 'gp/candidates';
  const rng = streamFor(seed, number, purpose);
  const d = dims.length;
  const ranked = [...complete].sort((a, b) => a.value - b.value || a.number - b.number);
  const incumbents = ranked.slice(0, Math.min(LOCAL_INCUMBENTS, ranked.length));
  const nLocal = Math.floor(options.nCandidates / 4);
  const nPrior = logPrior ? Math.floor(options.nCandidates / 4) : 0;
  const candidates: number[][] = [];
  for (let c = 0; c < options.nCandidates; c++) {
    if (c < nLocal) {
      const centre = incumbents[c % incumbents.length]!.unit;
      const sd = [0.01, 0.03, 0.1, 0.2][Math.floor(c / incumbents.length) % 4]!;
      candidates.push(centre.map((v) => Math.min(1, Math.max(0, v + sd * rng.normal()))));
    } else if (c < nLocal + nPrior) candidates.push(unitFromPrior(dims, rng));
    else {
      const u: number[] = [];
      for (let j = 0; j < d; j++) u.push(rng.uniform());
      candidates.push(u);
    }
  }
  const scored = candidates.map((unit) => ({ unit, value: finiteOr(acquisition(unit, false).value) }));
  scored.sort((a, b) => b.value - a.value);

  // Local refinement from the best candidates and the best observation (Optuna warm-starts from it).
  const starts = [incumbents[0]!.unit, ...scored.slice(0, LOCAL_STARTS).map((s) => s.unit)];
  const refined: Scored[] = [];
  for (const start of starts) {
    const res = lbfgsMinimise(
      (u) => {
        const a = acquisition(u, true);
        return { value: -a.value, grad: a.grad!.map((g) => -g) };
      },
      start,
      { maxIterations: 30, gtol: 1e-4, box: { lo: 0, hi: 1 } },
    );
    // Snap to legal values (ints, steps, bounds), then score the point actually proposed.
    const unit = snapUnit(space, Array.from(res.x));
    const a = acquisition(unit, false);
    refined.push({ unit, logEI: a.logEI, acquisition: finiteOr(a.value) });
  }
  for (const s of scored.slice(0, TOP_REPORTED)) {
    const unit = snapUnit(space, s.unit);
    const a = acquisition(unit, false);
    refined.push({ unit, logEI: a.logEI, acquisition: finiteOr(a.value) });
  }
  refined.sort((a, b) => b.acquisition - a.acquisition);
  const top: Scored[] = [];
  const seen = new Set<string>();
  for (const r of refined) {
    const key = r.unit.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    top.push(r);
    if (top.length === TOP_REPORTED) break;
  }
  const chosen = top[0]!;
  const lengthscales = fit.params.inverseSquaredLengthscales.map((lam) => 1 / Math.sqrt(lam));
  return {
    config: configFromUnit(space, chosen.unit),
    sampler: 'gp',
    details: {
      phase: 'gp',
      completed: complete.length,
      liars: { count: running.length, trials: running.map((r) => r.number), value: worst },
      warping: { kind: 'yeo-johnson', lambda: warped.lambda },
      kernel: {
        lengthscales,
        inverseSquaredLengthscales: fit.params.inverseSquaredLengthscales,
        scale: fit.params.scale,
        noise: fit.params.noise,
        logPosterior: finiteOr(fit.logPosterior),
        evaluations: fit.evaluations,
      },
      acquisition: 'logEI',
      bestAcquisition: chosen.acquisition,
      bestLogEI: chosen.logEI,
      prior: logPrior ? { beta: options.priorBeta, weight: priorWeight } : null,
      priorWeight,
      candidates: { count: candidates.length, local: nLocal, fromPrior: nPrior, refined: starts.length, stream: purpose },
      top: top.map((t) => ({ unit: t.unit, logEI: t.logEI, acquisition: t.acquisition })),
    },
  };
}

/** The unit point of the legal configuration nearest u (ints rounded, steps snapped, as Optuna rounds). */
function snapUnit(space: Space, u: number[]): number[] {
  const config: Config = configFromUnit(space, u);
  return configToUnit(space, config).map((c) => Math.min(1, Math.max(0, c ?? 0.5)));
}

// JSON has no -Infinity; the lowest double keeps comparisons and the ledger honest.
function finiteOr(v: number): number {
  return Number.isFinite(v) ? v : v > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

export const gp: Sampler = { name: 'gp', version: '1', suggest };
