// Export of a search as an Optuna 3.1 JournalStorage log: the JSON lines Optuna's own
// JournalStorage writes during study.optimize, so `optuna.load_study` (and optuna-dashboard)
// read rx's trials. Pure: lines are returned, the caller writes them; no clock, no randomness.
//
// Mapping (Optuna has no simplex and no wall clock in what it is given here):
// - float/int/categorical -> FloatDistribution/IntDistribution/CategoricalDistribution; a
//   categorical value is stored as its index (Optuna's internal representation).
// - a simplex `p` over components c1..ck -> k FloatDistribution(0, 1) params named `p.c1` ...
//   `p.ck` holding the weights (they sum to 1; Optuna does not know it).
// - Optuna refuses step with log: a log float is written without step, a log int with step 1.
// - a parameter is written only when the trial's config has it and its conditions hold.
// - datetime_start/complete: the trial's `times` when given (converted to UTC, written naive
//   as Optuna does), else TIME_BASE + number seconds, with complete = start (duration unknown).
// - a `complete` trial without a value, or with NaN, is written FAIL: what Optuna's tell does.
//   A `pruned` trial's value is its `value`, else its last finite intermediate value (as tell).
// - the lines form a whole journal of one study: study_id 0, trial ids 0..n-1, so trial
//   numbers must be 0..n-1. Appending them to a journal that holds other studies is wrong.
import { createHash } from 'node:crypto';
import type { Config, Param, Scalar, SimplexValue, Space } from './types.js';
import { isActive } from './space.js';

/** Optuna 3.1's JournalOperation (optuna/storages/_journal/storage.py). */
export const JournalOp = {
  CREATE_STUDY: 0,
  DELETE_STUDY: 1,
  SET_STUDY_USER_ATTR: 2,
  SET_STUDY_SYSTEM_ATTR: 3,
  CREATE_TRIAL: 4,
  SET_TRIAL_PARAM: 5,
  SET_TRIAL_STATE_VALUES: 6,
  SET_TRIAL_INTERMEDIATE_VALUE: 7,
  SET_TRIAL_USER_ATTR: 8,
  SET_TRIAL_SYSTEM_ATTR: 9,
} as const;

/** optuna.trial.TrialState and optuna.study.StudyDirection values. */
const TRIAL_STATE = { running: 0, complete: 1, pruned: 2, failed: 3 } as const;
const DIRECTION = { minimize: 1, maximize: 2 } as const;

/** The start of trial 0 when no times are given; trial n starts n seconds later. */
export const TIME_BASE = Date.UTC(2000, 0, 1);

export interface JournalTrial {
  number: number;
  config: Config;
  state: 'complete' | 'failed' | 'pruned' | 'running';
  /** The raw objective (in the study's direction), not rx's loss. */
  value?: number;
  /** step -> reported value. */
  intermediate?: Record<number, number>;
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
  /** ISO 8601 times; a string without a zone is read as UTC. */
  times?: { start: string; complete?: string };
}

export interface JournalStudy {
  name: string;
  direction: 'maximize' | 'minimize';
  space: Space;
  trials: JournalTrial[];
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
}

/** One JSON object per line, in the order Optuna would have written them. */
export function journalLines(study: JournalStudy): string[] {
  const workerId = workerIdOf(study.name);
  const lines: string[] = [];
  const emit = (op: number, fields: Record<string, unknown>) => lines.push(pyJson({ op_code: op, worker_id: workerId, ...fields }));

  emit(JournalOp.CREATE_STUDY, { study_name: study.name, directions: [DIRECTION[study.direction]] });
  const studyId = 0;
  for (const [key, value] of Object.entries(study.userAttrs ?? {})) emit(JournalOp.SET_STUDY_USER_ATTR, { study_id: studyId, user_attr: { [key]: value } });
  for (const [key, value] of Object.entries(study.systemAttrs ?? {})) emit(JournalOp.SET_STUDY_SYSTEM_ATTR, { study_id: studyId, system_attr: { [key]: value } });

  const trials = [...study.trials].sort((a, b) => a.number - b.number);
  trials.forEach((trial, i) => {
    // Optuna numbers a study's trials by their position in the journal.
    if (trial.number !== i) throw new Error(`optuna export: trial numbers must be 0..${trials.length - 1} without gaps (found ${trial.number} at position ${i})`);
  });

  for (const trial of trials) {
    const trialId = trial.number;
    const start = trial.times ? optunaTime(trial.times.start) : defaultTime(trial.number);
    emit(JournalOp.CREATE_TRIAL, { study_id: studyId, datetime_start: start });
    for (const p of paramsOf(study.space, trial.config)) {
      emit(JournalOp.SET_TRIAL_PARAM, { trial_id: trialId, param_name: p.name, param_value_internal: p.internal, distribution: p.distribution });
    }
    const steps = Object.keys(trial.intermediate ?? {})
      .map(Number)
      .sort((a, b) => a - b);
    for (const step of steps) {
      emit(JournalOp.SET_TRIAL_INTERMEDIATE_VALUE, { trial_id: trialId, step, intermediate_value: new PyFloat(trial.intermediate![step]!) });
    }
    for (const [key, value] of Object.entries(trial.userAttrs ?? {})) emit(JournalOp.SET_TRIAL_USER_ATTR, { trial_id: trialId, user_attr: { [key]: value } });
    for (const [key, value] of Object.entries(trial.systemAttrs ?? {})) emit(JournalOp.SET_TRIAL_SYSTEM_ATTR, { trial_id: trialId, system_attr: { [key]: value } });
    if (trial.state === 'running') continue;

    let state: number = TRIAL_STATE[trial.state];
    let values: PyFloat[] | null = null;
    if (trial.state === 'complete') {
      if (trial.value === undefined || Number.isNaN(trial.value)) state = TRIAL_STATE.failed;
      else values = [new PyFloat(trial.value)];
    } else if (trial.state === 'pruned') {
      const last = steps.length > 0 ? trial.intermediate![steps[steps.length - 1]!]! : undefined;
      const v = trial.value !== undefined && !Number.isNaN(trial.value) ? trial.value : last !== undefined && !Number.isNaN(last) ? last : undefined;
      if (v !== undefined) values = [new PyFloat(v)];
    }
    const complete = trial.times ? optunaTime(trial.times.complete ?? trial.times.start) : start;
    emit(JournalOp.SET_TRIAL_STATE_VALUES, { trial_id: trialId, state, values, datetime_complete: complete });
  }
  return lines;
}

/** The journal file's text: the lines, each ended by a newline. */
export function journalText(study: JournalStudy): string {
  return journalLines(study)
    .map((l) => `${l}\n`)
    .join('');
}

interface ExportedParam {
  name: string;
  internal: number | PyFloat;
  /** distribution_to_json's output: a JSON string inside the line. */
  distribution: string;
}

function paramsOf(space: Space, config: Config): ExportedParam[] {
  const out: ExportedParam[] = [];
  for (const p of space.params) {
    if (!(p.name in config) || !isActive(p, config)) continue;
    const v = config[p.name]!;
    if (p.type === 'simplex') {
      const weights = v as SimplexValue;
      const dist = distributionJson('FloatDistribution', { step: null, low: new PyFloat(0), high: new PyFloat(1), log: false });
      for (const c of p.over) {
        const w = weights[c];
        if (typeof w !== 'number') throw new Error(`optuna export: simplex ${p.name} has no weight for ${c}`);
        out.push({ name: `${p.name}.${c}`, internal: new PyFloat(w), distribution: dist });
      }
    } else if (p.type === 'categorical') {
      const index = p.choices.findIndex((c) => c === v);
      if (index < 0) throw new Error(`optuna export: ${p.name} = ${JSON.stringify(v)} is not one of its choices`);
      out.push({ name: p.name, internal: index, distribution: distributionJson('CategoricalDistribution', { choices: p.choices as Scalar[] }) });
    } else {
      if (typeof v !== 'number') throw new Error(`optuna export: ${p.name} = ${JSON.stringify(v)} is not a number`);
      out.push({ name: p.name, internal: new PyFloat(v), distribution: numericDistribution(p) });
    }
  }
  return out;
}

/** Attributes in the order of the distribution's __dict__, as Optuna's _asdict() gives them. */
function numericDistribution(p: Extract<Param, { type: 'float' | 'int' }>): string {
  if (p.type === 'float') {
    const step = p.log || p.step === undefined ? null : new PyFloat(p.step);
    return distributionJson('FloatDistribution', { step, low: new PyFloat(p.low), high: new PyFloat(p.high), log: p.log });
  }
  return distributionJson('IntDistribution', { log: p.log, step: p.log ? 1 : p.step, low: p.low, high: p.high });
}

function distributionJson(name: string, attributes: Record<string, unknown>): string {
  return pyJson({ name, attributes });
}

// ---- time -----------------------------------------------------------------------------

function defaultTime(number: number): string {
  return formatNaive(new Date(TIME_BASE + number * 1000), '000000');
}

/** Optuna's datetime.isoformat(timespec="microseconds"), naive, from an ISO 8601 string (UTC). */
export function optunaTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(iso.trim());
  if (!m) throw new Error(`optuna export: not an ISO 8601 time: ${JSON.stringify(iso)}`);
  const [, date, clock, fraction = '', zone = 'Z'] = m;
  const whole = new Date(`${date}T${clock!.length === 5 ? `${clock}:00` : clock}${zone!.toUpperCase()}`);
  if (Number.isNaN(whole.getTime())) throw new Error(`optuna export: not a valid time: ${JSON.stringify(iso)}`);
  // The fraction is kept from the text: Date holds milliseconds only.
  return formatNaive(whole, fraction.slice(0, 6).padEnd(6, '0'));
}

function formatNaive(d: Date, micro: string): string {
  return `${d.toISOString().slice(0, 19)}.${micro}`;
}

// ---- worker id ---------------------------------------------------------------------------

/**
 * Optuna's worker id is `<uuid4>-<thread ident>`. rx's is a name-based UUID (version 5, SHA-1,
 * of the study name under rx's namespace) and thread 0: the same study exports the same lines,
 * and it never equals the random id of an Optuna process that later reads or extends the file.
 */
export function workerIdOf(studyName: string): string {
  const namespace = Buffer.from('6f1c2d3e4a5b4c6d8e7f9a0b1c2d3e4f', 'hex');
  const h = createHash('sha1').update(namespace).update(`rx-search:${studyName}`, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}-0`;
}

// ---- Python's json.dumps -----------------------------------------------------------------

/** A number Python must read as a float (1.0, not 1). */
class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * JSON as Python's json.dumps writes it (", " and ": " separators, non-ASCII escaped, NaN and
 * Infinity as bare tokens, which json.loads reads): JSON.stringify would turn Infinity into null.
 */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) {
    const v = value.value;
    if (!Number.isFinite(v)) return pyNumber(v);
    const s = pyNumber(v);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return pyNumber(value);
    case 'string':
      return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => pyJson(v)).join(', ')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
      return `{${entries.map(([k, v]) => `${pyJson(k)}: ${pyJson(v)}`).join(', ')}}`;
    }
    default:
      throw new Error(`optuna export: cannot write a ${typeof value} as JSON`);
  }
}

function pyNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return JSON.stringify(v);
}
