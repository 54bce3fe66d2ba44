import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JournalOp, journalLines, journalText, optunaTime, pyJson, workerIdOf, type JournalStudy } from '../../src/search/optuna-journal.js';
import type { Space } from '../../src/search/types.js';

const LOADER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'optuna_load.py');

const space: Space = {
  params: [
    { name: 'lr', path: 'params.yaml:lr', type: 'float', low: 1e-5, high: 1, log: true },
    { name: 'dropout', path: 'params.yaml:dropout', type: 'float', low: 0, high: 0.5, log: false, step: 0.1 },
    { name: 'layers', path: 'params.yaml:layers', type: 'int', low: 1, high: 8, log: false, step: 1 },
    { name: 'optimizer', path: 'params.yaml:opt', type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
    { name: 'momentum', path: 'params.yaml:momentum', type: 'float', low: 0, high: 0.99, log: false, when: { optimizer: ['sgd'] } },
    { name: 'mix', path: 'data.yaml:mix', type: 'simplex', over: ['web', 'books', 'code'] },
  ],
};

function study(overrides: Partial<JournalStudy> = {}): JournalStudy {
  return {
    name: 'demo',
    direction: 'maximize',
    space,
    trials: [
      {
        number: 0,
        config: { lr: 0.01, dropout: 0.2, layers: 3, optimizer: 'sgd', momentum: 0.9, mix: { web: 0.5, books: 0.3, code: 0.2 } },
        state: 'complete',
        value: 0.81,
        intermediate: { 1: 0.5, 0: 0.3, 2: 0.7 },
        userAttrs: { run: 'r0' },
        systemAttrs: { rx_sampler: 'tpe' },
      },
      {
        number: 1,
        config: { lr: 0.001, dropout: 0, layers: 8, optimizer: 'adam', mix: { web: 0.2, books: 0.2, code: 0.6 } },
        state: 'complete',
        value: 0.93,
      },
      { number: 2, config: { lr: 0.1, dropout: 0.5, layers: 1, optimizer: 'rmsprop', mix: { web: 1, books: 0, code: 0 } }, state: 'pruned', intermediate: { 0: 0.2, 5: 0.25 } },
      { number: 3, config: { lr: 0.5, dropout: 0.1, layers: 2, optimizer: 'sgd', momentum: 0.1, mix: { web: 0.1, books: 0.1, code: 0.8 } }, state: 'failed' },
      { number: 4, config: { lr: 0.02, dropout: 0.3, layers: 4, optimizer: 'adam', mix: { web: 0.3, books: 0.3, code: 0.4 } }, state: 'running' },
    ],
    ...overrides,
  };
}

type Line = Record<string, unknown> & { op_code: number; worker_id: string };
const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);
const ofTrial = (lines: Line[], id: number) => lines.filter((l) => l.trial_id === id);

t.test('the journal starts with CREATE_STUDY: name, direction as StudyDirection, one worker id on every line', async (t) => {
  const lines = parse(journalLines(study()));
  t.match(lines[0], { op_code: JournalOp.CREATE_STUDY, study_name: 'demo', directions: [2] });
  t.same(parse(journalLines(study({ direction: 'minimize' })))[0]!.directions, [1]);
  const id = lines[0]!.worker_id;
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-0$/);
  t.ok(lines.every((l) => l.worker_id === id));
  t.not(workerIdOf('demo'), workerIdOf('other'), 'the id depends on the study name');
  t.same(journalLines(study()), journalLines(study()), 'deterministic');
});

t.test('op codes are Optuna 3.1 JournalOperation values', async (t) => {
  t.same(JournalOp, {
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
  });
});

t.test('a trial: CREATE_TRIAL, its params, intermediate values by step, attributes, then its state', async (t) => {
  const lines = parse(journalLines(study()));
  const creates = lines.filter((l) => l.op_code === JournalOp.CREATE_TRIAL);
  t.equal(creates.length, 5);
  t.match(creates[0], { study_id: 0, datetime_start: '2000-01-01T00:00:00.000000' });
  t.equal(creates[3]!.datetime_start, '2000-01-01T00:00:03.000000', 'the base plus the number in seconds');
  const t0 = ofTrial(lines, 0);
  t.same(
    t0.map((l) => l.op_code),
    [5, 5, 5, 5, 5, 5, 5, 5, 7, 7, 7, 8, 9, 6],
  );
  t.same(
    t0.filter((l) => l.op_code === 7).map((l) => [l.step, l.intermediate_value]),
    [
      [0, 0.3],
      [1, 0.5],
      [2, 0.7],
    ],
  );
  t.match(t0.find((l) => l.op_code === 8), { user_attr: { run: 'r0' } });
  t.match(t0.find((l) => l.op_code === 9), { system_attr: { rx_sampler: 'tpe' } });
  t.match(t0.at(-1), { op_code: 6, state: 1, values: [0.81], datetime_complete: '2000-01-01T00:00:00.000000' });
});

t.test('distributions are distribution_to_json strings; categoricals are stored as the index', async (t) => {
  const params = ofTrial(parse(journalLines(study())), 0).filter((l) => l.op_code === JournalOp.SET_TRIAL_PARAM);
  const byName = new Map(params.map((l) => [l.param_name as string, l]));
  t.same([...byName.keys()], ['lr', 'dropout', 'layers', 'optimizer', 'momentum', 'mix.web', 'mix.books', 'mix.code']);
  const dist = (name: string) => JSON.parse(byName.get(name)!.distribution as string);
  t.same(dist('lr'), { name: 'FloatDistribution', attributes: { step: null, low: 1e-5, high: 1, log: true } });
  t.same(dist('dropout'), { name: 'FloatDistribution', attributes: { step: 0.1, low: 0, high: 0.5, log: false } });
  t.same(dist('layers'), { name: 'IntDistribution', attributes: { log: false, step: 1, low: 1, high: 8 } });
  t.same(dist('optimizer'), { name: 'CategoricalDistribution', attributes: { choices: ['adam', 'sgd', 'rmsprop'] } });
  t.same(dist('mix.code'), { name: 'FloatDistribution', attributes: { step: null, low: 0, high: 1, log: false } });
  t.equal(byName.get('optimizer')!.param_value_internal, 1);
  t.equal(byName.get('mix.books')!.param_value_internal, 0.3);
  const lrLine = journalLines(study()).find((l) => l.includes('"param_name": "lr"'))!;
  t.ok(lrLine.includes('"distribution": "{\\"name\\": \\"FloatDistribution\\", \\"attributes\\": {\\"step\\": null, \\"low\\": '), 'json.dumps separators inside the string');
});

t.test('an inactive conditional parameter is not written', async (t) => {
  const lines = parse(journalLines(study()));
  const names = (id: number) => ofTrial(lines, id).filter((l) => l.op_code === 5).map((l) => l.param_name);
  t.ok(names(0).includes('momentum'));
  t.notOk(names(1).includes('momentum'));
  // A stray value for an inactive parameter is dropped too.
  const stray = study();
  stray.trials[1]!.config.momentum = 0.5;
  t.notOk(
    parse(journalLines(stray))
      .filter((l) => l.trial_id === 1 && l.op_code === 5)
      .some((l) => l.param_name === 'momentum'),
  );
});

t.test('pruned, failed and running trials', async (t) => {
  const lines = parse(journalLines(study()));
  t.match(ofTrial(lines, 2).at(-1), { op_code: 6, state: 2, values: [0.25] }, 'pruned: the last intermediate value, as Optuna tell does');
  t.match(ofTrial(lines, 3).at(-1), { op_code: 6, state: 3, values: null });
  t.notOk(ofTrial(lines, 4).some((l) => l.op_code === 6), 'running: no state line (CREATE_TRIAL without state is RUNNING)');
  const s = study();
  s.trials[2]!.value = 0.21;
  t.match(ofTrial(parse(journalLines(s)), 2).at(-1), { state: 2, values: [0.21] }, "pruned: the trial's own value when it has one");
});

t.test('a complete trial without a usable value is written FAIL; infinities stay numbers Python reads', async (t) => {
  const s = study();
  s.trials[0]!.value = NaN;
  s.trials[1]!.value = -Infinity;
  const raw = journalLines(s);
  const state0 = raw.filter((l) => l.includes('"op_code": 6') && l.includes('"trial_id": 0'));
  t.match(state0[0], /"state": 3, "values": null/);
  const state1 = raw.filter((l) => l.includes('"op_code": 6') && l.includes('"trial_id": 1'));
  t.match(state1[0], /"values": \[-Infinity\]/);
  s.trials[0]!.value = undefined;
  t.match(journalLines(s).find((l) => l.includes('"op_code": 6') && l.includes('"trial_id": 0')), /"state": 3/);
});

t.test('numbers Optuna reads as floats are written as floats; JSON as json.dumps writes it', async (t) => {
  const s = study();
  s.trials[2]!.config.mix = { web: 1, books: 0, code: 0 };
  const line = journalLines(s).find((l) => l.includes('"param_name": "mix.web"') && l.includes('"trial_id": 2'))!;
  t.match(line, /"param_value_internal": 1\.0,/);
  const layers = journalLines(s).find((l) => l.includes('"param_name": "layers"'))!;
  t.match(layers, /"param_value_internal": 3\.0,/, 'IntDistribution casts to int on load; Optuna writes float(value)');
  t.equal(pyJson({ a: [1, 'é', true, null], b: { c: NaN } }), '{"a": [1, "\\u00e9", true, null], "b": {"c": NaN}}');
});

t.test('study attributes and given times', async (t) => {
  const s = study({ userAttrs: { project: 'p' }, systemAttrs: { rx: '0.1.0' } });
  s.trials[0]!.times = { start: '2024-05-01T12:00:00.123456+02:00', complete: '2024-05-01T10:00:07.5Z' };
  const lines = parse(journalLines(s));
  t.match(lines[1], { op_code: JournalOp.SET_STUDY_USER_ATTR, study_id: 0, user_attr: { project: 'p' } });
  t.match(lines[2], { op_code: JournalOp.SET_STUDY_SYSTEM_ATTR, study_id: 0, system_attr: { rx: '0.1.0' } });
  t.equal(lines.find((l) => l.op_code === JournalOp.CREATE_TRIAL)!.datetime_start, '2024-05-01T10:00:00.123456');
  t.equal(ofTrial(lines, 0).at(-1)!.datetime_complete, '2024-05-01T10:00:07.500000');
  t.equal(optunaTime('2024-05-01 09:30'), '2024-05-01T09:30:00.000000', 'no zone: UTC');
  t.throws(() => optunaTime('yesterday'));
});

t.test('refuses what Optuna cannot represent', async (t) => {
  t.throws(() => journalLines(study({ trials: [study().trials[1]!] })), /0\.\.0 without gaps/, 'numbers must start at 0');
  const s = study();
  s.trials[1]!.config.optimizer = 'lbfgs';
  t.throws(() => journalLines(s), /not one of its choices/);
});

/** A python3 with Optuna: PATH's first, else Debian's (a pyenv python3 on PATH hides python3-optuna). */
function pythonWithOptuna(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import optuna'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

t.test('Optuna 3.1 loads the journal: trials, states, best value and params, intermediate values', async (t) => {
  const python = pythonWithOptuna();
  if (!python) {
    t.fail('python3 with Optuna is not installed: apt-get install python3-optuna (the Optuna round trip cannot be checked)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-optuna-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'journal.log');
  const s = study({ userAttrs: { project: 'p' } });
  s.trials[1]!.times = { start: '2024-05-01T12:00:00.25Z', complete: '2024-05-01T12:03:00Z' };
  fs.writeFileSync(file, journalText(s));
  const r = spawnSync(python, [LOADER, file, 'demo'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as {
    optuna: string;
    direction: string;
    n_trials: number;
    user_attrs: Record<string, unknown>;
    best_value: number;
    best_number: number;
    best_params: Record<string, unknown>;
    trials: { number: number; state: string; value: number | null; params: Record<string, unknown>; intermediate: Record<string, number>; user_attrs: Record<string, unknown>; system_attrs: Record<string, unknown>; start: string; complete: string | null }[];
  };
  t.match(got.optuna, /^3\./);
  t.equal(got.direction, 'MAXIMIZE');
  t.equal(got.n_trials, 5);
  t.same(got.user_attrs, { project: 'p' });
  t.same(
    got.trials.map((x) => x.state),
    ['COMPLETE', 'COMPLETE', 'PRUNED', 'FAIL', 'RUNNING'],
  );
  t.equal(got.best_value, 0.93);
  t.equal(got.best_number, 1);
  t.same(got.best_params, { lr: 0.001, dropout: 0, layers: 8, optimizer: 'adam', 'mix.web': 0.2, 'mix.books': 0.2, 'mix.code': 0.6 });
  t.same(got.trials[0]!.params, { lr: 0.01, dropout: 0.2, layers: 3, optimizer: 'sgd', momentum: 0.9, 'mix.web': 0.5, 'mix.books': 0.3, 'mix.code': 0.2 });
  t.equal(got.trials[2]!.params.optimizer, 'rmsprop', 'categorical choice restored from its index');
  t.same(got.trials[0]!.intermediate, { '0': 0.3, '1': 0.5, '2': 0.7 });
  t.same(got.trials[2]!.intermediate, { '0': 0.2, '5': 0.25 });
  t.equal(got.trials[2]!.value, 0.25);
  t.equal(got.trials[3]!.value, null);
  t.same(got.trials[0]!.user_attrs, { run: 'r0' });
  t.same(got.trials[0]!.system_attrs, { rx_sampler: 'tpe' });
  t.equal(got.trials[1]!.start, '2024-05-01T12:00:00.250000');
  t.equal(got.trials[1]!.complete, '2024-05-01T12:03:00');
  t.equal(got.trials[4]!.complete, null);
});
