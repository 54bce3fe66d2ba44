// The vocabulary of rx's joint search, shared by the spec reader, the pure samplers, the
// ledger and the driver: a space of typed parameters addressed into project files, the
// trials a sampler conditions on, and the suggestion it returns with the numbers behind it.
// Samplers always minimise `Trial.value`; the driver turns a `maximize` objective into a loss.

export type Scalar = string | number | boolean;

/**
 * A prior over a number, in the parameter's own units. On a `log: true` parameter a
 * `normal` prior is a normal over ln(x) centred at ln(mean) with `sd` in natural-log units;
 * `lognormal` is always ln(x) ~ N(mu, sigma). Every prior is truncated to the bounds.
 */
export type NumericPrior = { kind: 'normal'; mean: number; sd: number } | { kind: 'lognormal'; mu: number; sigma: number };

/** A parameter exists only when each named parameter exists and has one of the listed values. */
export type Condition = Record<string, Scalar[]>;

interface ParamBase {
  name: string;
  /** `file:dotted.key` into the project, as written in the spec. */
  path: string;
  when?: Condition;
}

export interface FloatParam extends ParamBase {
  type: 'float';
  low: number;
  high: number;
  log: boolean;
  step?: number;
  prior?: NumericPrior;
  /** Explicit grid values (grid sampler); otherwise the grid sampler spaces points evenly. */
  grid?: number[];
}

export interface IntParam extends ParamBase {
  type: 'int';
  low: number;
  high: number;
  log: boolean;
  /** 1 unless given. */
  step: number;
  prior?: NumericPrior;
  grid?: number[];
}

export interface CategoricalParam extends ParamBase {
  type: 'categorical';
  choices: Scalar[];
  /** Prior weights, one per choice, summing to 1 (uniform when absent). */
  weights?: number[];
}

export interface SimplexParam extends ParamBase {
  type: 'simplex';
  /** Named components (data sources), in order; the value gives each a weight, summing to 1. */
  over: string[];
  /** Dirichlet concentration, one per component (all 1 when absent). */
  dirichlet?: number[];
  /** Total sample count written to the data spec when it has none. */
  total?: number;
}

export type Param = FloatParam | IntParam | CategoricalParam | SimplexParam;
export type NumericParam = FloatParam | IntParam;

/** Parameters in an order where every condition names only earlier parameters. */
export interface Space {
  params: Param[];
}

/** A simplex value: a weight per component, in the order of `over`. */
export type SimplexValue = Record<string, number>;
export type ParamValue = number | Scalar | SimplexValue;
/** Values of the parameters active in a trial (inactive ones are absent). */
export type Config = Record<string, ParamValue>;

export type TrialState = 'complete' | 'running' | 'failed' | 'pruned';

export interface Trial {
  number: number;
  config: Config;
  state: TrialState;
  /** The objective as a loss (smaller is better); present when complete (and for pruned, the last value). */
  value?: number;
  /** A pruned trial: the resource level (epoch) it was censored at. */
  step?: number;
}

export interface SuggestInput {
  space: Space;
  /**
   * What suggestion `number` may condition on: finished trials, and `running` ones whose
   * results it must not see (constant liars). Sorted by number.
   */
  trials: readonly Trial[];
  /** The trial number being suggested (0-based); with `seed`, it keys all randomness. */
  number: number;
  /** The sampler's seed from the spec. */
  seed: number;
  /** Sampler options from the spec's phase (unknown keys are refused by the spec reader). */
  options?: Record<string, unknown>;
}

export interface Suggestion {
  config: Config;
  /** The sampler that decided, e.g. 'tpe'; a sampler may delegate (TPE's start-up trials are random). */
  sampler: string;
  /**
   * The numbers behind the decision, JSON-serialisable, deterministic (no times): e.g. the
   * candidates and their l/g ratios, the acquisition values, the prior used, the rng stream.
   */
  details: Record<string, unknown>;
}

export interface Sampler {
  name: string;
  /** Bumped whenever the same input can give another suggestion; recorded in the ledger. */
  version: string;
  suggest(input: SuggestInput): Suggestion;
}

export type Method = 'grid' | 'random' | 'qmc' | 'tpe' | 'gp' | 'auto';
