// The search spec reader: the documented example parses to its Space (conditions ordered,
// priors normalised), phases and budgets normalise, the hash ignores what does not decide the
// search; every kind of bad input is refused with the file, line and field of the culprit.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSearchSpec, loadSearchSpec, parseDuration } from '../../src/search/spec.js';
import { InvalidFileError, type FileProblem } from '../../src/core/errors.js';
import { problemsOf } from '../../fixtures/problems.js';

const FILE = 'search/s.yaml';

const EXAMPLE = `schema: rx.search/1
objective: {metric: "metrics.json:val_accuracy", direction: maximize}
seed: 7                 # the sampler's seed
seeds: [0, 1, 2]        # each configuration runs on these (RX_SEED)
parallel: 2
budget: {trials: 24}    # also time: "2h" | "30m" | seconds (number)
method: tpe             # grid | random | qmc | tpe | gp | auto; or \`phases:\` instead
space:
  lr:     {path: "params.yaml:train.lr", type: float, low: 0.0001, high: 0.1, log: true, prior: {normal: {mean: 0.001, sd: 1.0}}}
  width:  {path: "models/cnn.yaml:blocks.0.filters", type: int, low: 8, high: 64, step: 8}
  block:  {path: "models/cnn.yaml:blocks.1.type", type: categorical, choices: [conv, separable, residual]}
  mix:    {path: "data/digits.yaml:sources", type: simplex, over: [clean, noisy, synthetic], prior: {dirichlet: [4, 1, 1]}}
  rotate: {path: "augment/default.yaml:ops.rotate.p", type: float, low: 0, high: 1, when: {block: residual}}
`;

t.test('the documented example parses to the expected spec and space', async (t) => {
  const s = readSearchSpec(FILE, EXAMPLE);
  t.equal(s.name, 's');
  t.equal(s.file, FILE);
  t.same(s.objective, { metric: 'metrics.json:val_accuracy', file: 'metrics.json', key: 'val_accuracy', direction: 'maximize' });
  t.equal(s.seed, 7);
  t.same(s.seeds, [0, 1, 2]);
  t.equal(s.parallel, 2);
  t.same(s.budget, { trials: 24 });
  t.same(s.stop, {});
  t.same(s.phases, [{ method: 'tpe' }]);
  t.strictSame(s.space.params, [
    { name: 'lr', path: 'params.yaml:train.lr', type: 'float', low: 0.0001, high: 0.1, log: true, prior: { kind: 'normal', mean: 0.001, sd: 1 } },
    { name: 'width', path: 'models/cnn.yaml:blocks.0.filters', type: 'int', low: 8, high: 64, log: false, step: 8 },
    { name: 'block', path: 'models/cnn.yaml:blocks.1.type', type: 'categorical', choices: ['conv', 'separable', 'residual'] },
    { name: 'mix', path: 'data/digits.yaml:sources', type: 'simplex', over: ['clean', 'noisy', 'synthetic'], dirichlet: [4, 1, 1] },
    { name: 'rotate', path: 'augment/default.yaml:ops.rotate.p', when: { block: ['residual'] }, type: 'float', low: 0, high: 1, log: false },
  ]);
  t.match(s.hash, /^sha256:[0-9a-f]{64}$/);
  t.same(s.locate(['space', 'lr', 'path']), { line: 9, column: 18 }, 'fields stay locatable for later checks');
});

t.test('the hash follows what decides the search, not comments, layout or the description', async (t) => {
  const base = readSearchSpec(FILE, EXAMPLE).hash;
  const relaid = EXAMPLE.replace('seed: 7                 # the sampler\'s seed', 'description: a joint search\nseed: 7').replace('parallel: 2', 'parallel:   2   # two at once');
  t.equal(readSearchSpec('search/other.yaml', relaid).hash, base);
  t.not(readSearchSpec(FILE, EXAMPLE.replace('seed: 7', 'seed: 8')).hash, base, 'the sampler seed');
  t.not(readSearchSpec(FILE, EXAMPLE.replace('high: 64', 'high: 56')).hash, base, 'a bound');
  t.not(readSearchSpec(FILE, EXAMPLE.replace('parallel: 2', 'parallel: 3')).hash, base, 'parallel');
  t.equal(readSearchSpec(FILE, EXAMPLE.replace('parallel: 2\n', '')).parallel, 1, 'parallel defaults to 1');
});

const HEAD = `schema: rx.search/1
objective: {metric: "metrics.json:acc", direction: minimize}
seed: 1
seeds: [0]
budget: {trials: 20}
`;

t.test('a condition on a later parameter is ordered after it; categorical weights normalise', async (t) => {
  const s = readSearchSpec(
    FILE,
    `${HEAD}method: random
space:
  depth: {path: "p.yaml:d", type: int, low: 1, high: 4, when: {kind: [deep, wide]}}
  kind:  {path: "p.yaml:k", type: categorical, choices: [deep, wide, flat], prior: {weights: {deep: 1, wide: 2, flat: 1}}}
  gate:  {path: "p.yaml:g", type: categorical, choices: [true, false], prior: {weights: [3, 1]}}
  drop:  {path: "p.yaml:r", type: float, low: 0, high: 0.5, step: 0.1, when: {depth: 4, gate: true}}
`,
  );
  t.same(
    s.space.params.map((p) => p.name),
    ['kind', 'depth', 'gate', 'drop'],
  );
  const kind = s.space.params[0]!;
  t.same(kind.type === 'categorical' && kind.weights, [0.25, 0.5, 0.25]);
  const gate = s.space.params[2]!;
  t.same(gate.type === 'categorical' && gate.weights, [0.75, 0.25]);
  t.same(s.space.params[3]!.when, { depth: [4], gate: [true] });
});

t.test('phases, time budgets, stopping rules and per-method options normalise', async (t) => {
  const s = readSearchSpec(
    FILE,
    `${HEAD.replace('budget: {trials: 20}', 'budget: {trials: 30, time: "1h30m"}')}stop: {no_improvement: 6, target: 0.05}
phases:
  - {method: qmc, trials: 8}
  - {method: tpe, trials: 12, options: {n_candidates: 48}}
  - {method: tpe, refine: {shrink: 0.25}}
space:
  x: {path: "p.yaml:x", type: float, low: -1, high: 1, prior: {lognormal: {mu: 0, sigma: 0.5}}}
`,
  );
  t.same(s.budget, { trials: 30, timeSeconds: 5400 });
  t.same(s.stop, { noImprovement: 6, target: 0.05 });
  t.same(s.phases, [{ method: 'qmc', trials: 8 }, { method: 'tpe', trials: 12, options: { n_candidates: 48 } }, { method: 'tpe', refine: { shrink: 0.25 } }]);
  t.same(s.space.params[0], { name: 'x', path: 'p.yaml:x', type: 'float', low: -1, high: 1, log: false, prior: { kind: 'lognormal', mu: 0, sigma: 0.5 } });
  const single = readSearchSpec(FILE, `${HEAD.replace('budget: {trials: 20}', 'budget: {time: 90}')}method: gp\noptions: {xi: 0.1}\nspace:\n  x: {path: "p.yaml:x", type: float, low: 0, high: 1}\n`);
  t.same(single.phases, [{ method: 'gp', options: { xi: 0.1 } }]);
  t.same(single.budget, { timeSeconds: 90 });
  const cpu = readSearchSpec(FILE, `${HEAD.replace('budget: {trials: 20}', 'budget: {cpu: "4h", time: "3h"}')}method: tpe\nspace:\n  x: {path: "p.yaml:x", type: float, low: 0, high: 1}\n`);
  t.same(cpu.budget, { timeSeconds: 10800, cpuSeconds: 14400 }, 'a CPU-time budget beside the wall time');
  t.same(readSearchSpec(FILE, `${HEAD.replace('budget: {trials: 20}', 'budget: {cpu: 600}')}method: tpe\nspace:\n  x: {path: "p.yaml:x", type: float, low: 0, high: 1}\n`).budget, { cpuSeconds: 600 }, 'a CPU budget alone bounds a search');
  t.throws(() => readSearchSpec(FILE, `${HEAD.replace('budget: {trials: 20}', 'budget: {cpu: "soon"}')}method: tpe\nspace:\n  x: {path: "p.yaml:x", type: float, low: 0, high: 1}\n`), /budget\.cpu/, 'a CPU budget that is no duration, located');
  t.equal(parseDuration('2h'), 7200);
  t.equal(parseDuration('30m'), 1800);
  t.equal(parseDuration('1d2h'), 93600);
});

/** The 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line holds ${needle}`);
  return i + 1;
}

function refused(text: string): FileProblem[] {
  return problemsOf(() => readSearchSpec(FILE, text));
}

const space = (body: string, method = 'method: random\n') => `${HEAD}${method}space:\n${body}`;
const x = '  x:\n    path: "p.yaml:x"\n    type: float\n';

// Each case: the spec text, the text on the culprit's line (LAST: its last occurrence), its field, the message.
const cases: [string, string, string, string, RegExp][] = [
  ['inverted bounds', space(`${x}    low: 1\n    high: 0.5\n`), 'high: 0.5', 'space.x.high', /inverted bounds/],
  ['equal bounds', space(`${x}    low: 1\n    high: 1\n`), 'high: 1', 'space.x.high', /below high/],
  ['log with low 0', space(`${x}    low: 0\n    high: 1\n    log: true\n`), 'low: 0', 'space.x.low', /log-scale parameter needs low > 0/],
  ['log with a step', space(`${x}    low: 1\n    high: 10\n    log: true\n    step: 1\n`), 'step: 1', 'space.x.step', /step and log/],
  ['int step 0', space('  n:\n    path: "p.yaml:n"\n    type: int\n    low: 1\n    high: 9\n    step: 0\n'), 'step: 0', 'space.n.step', /must be >= 1/],
  ['int step not an integer', space('  n:\n    path: "p.yaml:n"\n    type: int\n    low: 1\n    high: 9\n    step: 1.5\n'), 'step: 1.5', 'space.n.step', /integer/],
  ['step wider than the range', space('  n:\n    path: "p.yaml:n"\n    type: int\n    low: 1\n    high: 3\n    step: 4\n'), 'step: 4', 'space.n.step', /wider than the range/],
  ['normal mean outside the bounds', space(`${x}    low: 0\n    high: 1\n    prior:\n      normal: {mean: 2, sd: 0.1}\n`), 'normal:', 'space.x.prior.normal.mean', /outside the bounds/],
  ['non-positive sd', space(`${x}    low: 0\n    high: 1\n    prior:\n      normal:\n        mean: 0.5\n        sd: 0\n`), 'sd: 0', 'space.x.prior.normal.sd', /must be > 0/],
  ['non-positive sigma', space(`${x}    low: 1\n    high: 10\n    prior:\n      lognormal:\n        mu: 1\n        sigma: -1\n`), 'sigma: -1', 'space.x.prior.lognormal.sigma', /must be > 0/],
  ['log-normal median outside the bounds', space(`${x}    low: 1\n    high: 10\n    prior:\n      lognormal:\n        mu: 5\n        sigma: 1\n`), 'mu: 5', 'space.x.prior.lognormal.mu', /median/],
  ['two priors at once', space(`${x}    low: 1\n    high: 10\n    prior:\n      normal: {mean: 2, sd: 1}\n      lognormal: {mu: 1, sigma: 1}\n`), 'normal: {mean: 2, sd: 1}', 'space.x.prior', /more than 1 propert/],
  ['a grid value outside the bounds', space('  n:\n    path: "p.yaml:n"\n    type: int\n    low: 0\n    high: 10\n    step: 2\n    grid:\n      - 2\n      - 3\n'), '- 3', 'space.n.grid[1]', /not a value/],
  ['a field another type takes', space(`${x}    low: 0\n    high: 1\n    choices: [a, b]\n`), 'choices:', 'space.x.choices', /not a known field/],
  ['a duplicate choice', space('  c:\n    path: "p.yaml:c"\n    type: categorical\n    choices:\n      - a\n      - a\n'), 'LAST:- a', 'space.c.choices[1]', /listed twice/],
  ['weights of the wrong length', space('  c:\n    path: "p.yaml:c"\n    type: categorical\n    choices: [a, b, c]\n    prior:\n      weights: [1, 2]\n'), 'weights:', 'space.c.prior.weights', /2 weights for 3 choices/],
  ['a negative weight', space('  c:\n    path: "p.yaml:c"\n    type: categorical\n    choices: [a, b]\n    prior:\n      weights:\n        - -1\n        - 2\n'), '- -1', 'space.c.prior.weights[0]', /must be >= 0/],
  ['weights summing to 0', space('  c:\n    path: "p.yaml:c"\n    type: categorical\n    choices: [a, b]\n    prior:\n      weights: [0, 0]\n'), 'weights:', 'space.c.prior.weights', /sum to 0/],
  ['a weight for no choice', space('  c:\n    path: "p.yaml:c"\n    type: categorical\n    choices: [a, b]\n    prior:\n      weights:\n        a: 1\n        b: 1\n        z: 1\n'), 'z: 1', 'space.c.prior.weights.z', /not a choice/],
  ['a dirichlet of the wrong length', space('  m:\n    path: "d.yaml:sources"\n    type: simplex\n    over: [a, b, c]\n    prior:\n      dirichlet: [1, 1]\n'), 'dirichlet:', 'space.m.prior.dirichlet', /2 concentrations for 3 components/],
  ['a non-positive dirichlet entry', space('  m:\n    path: "d.yaml:sources"\n    type: simplex\n    over: [a, b]\n    prior:\n      dirichlet:\n        - 1\n        - 0\n'), '- 0', 'space.m.prior.dirichlet[1]', /must be > 0/],
  ['a duplicate component', space('  m:\n    path: "d.yaml:sources"\n    type: simplex\n    over:\n      - a\n      - b\n      - a\n'), 'LAST:- a', 'space.m.over[2]', /listed twice/],
  ['a condition on an unknown parameter', space(`${x}    low: 0\n    high: 1\n    when:\n      nope: 1\n`), 'nope: 1', 'space.x.when.nope', /names no parameter/],
  [
    'a condition value that is not a choice',
    space(`  c: {path: "p.yaml:c", type: categorical, choices: [a, b]}\n${x}    low: 0\n    high: 1\n    when:\n      c: z\n`),
    'c: z',
    'space.x.when.c',
    /not a choice of c/,
  ],
  [
    'a cycle of conditions',
    space('  a:\n    path: "p.yaml:a"\n    type: categorical\n    choices: [u, v]\n    when:\n      b: w\n  b:\n    path: "p.yaml:b"\n    type: categorical\n    choices: [w, y]\n    when:\n      a: u\n'),
    'b: w',
    'space.a.when.b',
    /cycle: a -> b -> a/,
  ],
  ['a condition on itself', space(`  c:\n    path: "p.yaml:c"\n    type: categorical\n    choices: [a, b]\n    when:\n      c: a\n`), 'c: a', 'space.c.when.c', /cycle: c -> c/],
  ['two parameters with one path', space(`${x}    low: 0\n    high: 1\n  y:\n    path: "p.yaml:x"\n    type: float\n    low: 0\n    high: 1\n`), 'LAST:path: "p.yaml:x"', 'space.y.path', /path of parameter x/],
  ['phases asking for more than the budget', `${HEAD}phases:\n  - {method: qmc, trials: 15}\n  - {method: tpe, trials: 10}\nspace:\n${x}    low: 0\n    high: 1\n`, '- {method: qmc, trials: 15}', 'phases', /25 trials, more than budget.trials 20/],
  ['an open-ended phase that is not the last', `${HEAD}phases:\n  - {method: qmc}\n  - {method: tpe, trials: 10}\nspace:\n${x}    low: 0\n    high: 1\n`, '{method: qmc}', 'phases[0]', /only the last phase/],
  ['refining in the first phase', `${HEAD}phases:\n  - method: tpe\n    refine: {shrink: 0.5}\nspace:\n${x}    low: 0\n    high: 1\n`, 'refine:', 'phases[0].refine', /first phase/],
  ['a shrink of 1', `${HEAD}phases:\n  - {method: qmc, trials: 4}\n  - method: tpe\n    refine:\n      shrink: 1\nspace:\n${x}    low: 0\n    high: 1\n`, 'shrink: 1', 'phases[1].refine.shrink', /must be < 1/],
  ['method and phases together', `${HEAD}method: tpe\nphases:\n  - {method: qmc}\nspace:\n${x}    low: 0\n    high: 1\n`, '- {method: qmc}', 'phases', /exclude each other/],
  ['an unknown method', `${HEAD}method: bayes\nspace:\n${x}    low: 0\n    high: 1\n`, 'method: bayes', 'method', /must be one of/],
  ['no seeds', space(`${x}    low: 0\n    high: 1\n`).replace('seeds: [0]', 'seeds: []'), 'seeds: []', 'seeds', /fewer than 1/],
  ['a duplicated seed', space(`${x}    low: 0\n    high: 1\n`).replace('seeds: [0]', 'seeds:\n  - 0\n  - 1\n  - 0'), 'LAST:- 0', 'seeds[2]', /listed twice/],
  ['parallel 0', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\nparallel: 0'), 'parallel: 0', 'parallel', /must be >= 1/],
  ['a path outside the project', space('  x:\n    path: "../p.yaml:x"\n    type: float\n    low: 0\n    high: 1\n'), 'path:', 'space.x.path', /\.\." component/],
  ['a path with no key', space('  x:\n    path: "p.yaml:"\n    type: float\n    low: 0\n    high: 1\n'), 'path:', 'space.x.path', /must match pattern/],
  ['racing alpha of 0', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\nracing:\n  alpha: 0'), 'alpha: 0', 'racing.alpha', /strictly between 0 and 1/],
  ['racing alpha of 1.5', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\nracing: {max_seeds: 4, alpha: 1.5}'), 'racing:', 'racing.alpha', /strictly between 0 and 1/],
  ['racing with fewer seeds than the spec', space(`${x}    low: 0\n    high: 1\n`).replace('seeds: [0]', 'seeds: [0, 1, 2]').replace('seed: 1', 'seed: 1\nracing:\n  max_seeds: 2'), 'max_seeds: 2', 'racing.max_seeds', /fewer than the 3 seeds/],
  ['a pruning minimum above its maximum', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\npruning:\n  method: asha\n  min: 9\n  max: 3'), 'min: 9', 'pruning.min', /must not exceed pruning.max/],
  ['a pruning eta of 1', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\npruning:\n  method: asha\n  min: 1\n  max: 9\n  eta: 1'), 'eta: 1', 'pruning.eta', /whole number >= 2/],
  ['an unknown pruning bootstrap', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\npruning:\n  method: asha\n  min: 1\n  max: 9\n  bootstrap: lucky'), 'bootstrap: lucky', 'pruning.bootstrap', /must be one of "promote", "best"/],
  ['pruning over the data fraction', space(`${x}    low: 0\n    high: 1\n`).replace('seed: 1', 'seed: 1\npruning:\n  method: asha\n  resource: fraction\n  min: 1\n  max: 9'), 'resource: fraction', 'pruning.resource', /must be one of "epochs"/],
  [
    'a phase with other seeds',
    `${HEAD}phases:\n  - {method: qmc, trials: 4}\n  - method: tpe\n    seeds: [5]\nspace:\n${x}    low: 0\n    high: 1\n`,
    'seeds: [5]',
    'phases[1].seeds',
    /differs from the search's seeds \[0\]/,
  ],
];

t.test('bad input is refused with the line and field of the culprit', async (t) => {
  for (const [what, text, needle, field, message] of cases) {
    const problems = refused(text);
    const wanted = needle.startsWith('LAST:') ? lastLineOf(text, needle.slice(5)) : lineOf(text, needle);
    const hit = problems.find((p) => p.field === field);
    t.ok(hit, `${what}: a problem at ${field} (got ${JSON.stringify(problems)})`);
    if (!hit) continue;
    t.equal(hit.file, FILE, `${what}: the file`);
    t.equal(hit.line, wanted, `${what}: the line`);
    t.match(hit.message, message, `${what}: the message`);
    t.equal(problems.length, 1, `${what}: one problem (got ${JSON.stringify(problems)})`);
  }
});

/** The 1-based line of the last line containing `needle` (for a repeated text, such as a duplicate). */
function lastLineOf(text: string, needle: string): number {
  const i = text.lastIndexOf(needle);
  if (i < 0) throw new Error(`no text holds ${JSON.stringify(needle)}`);
  return text.slice(0, i).split('\n').length;
}

t.test('a spec with neither method nor phases is refused at its root', async (t) => {
  const problems = refused(`${HEAD}space:\n${x}    low: 0\n    high: 1\n`);
  t.equal(problems.length, 1);
  t.match(problems[0], { file: FILE, line: 1, field: '(root)', message: /method.*phases/ });
});

t.test('every problem of a spec is listed at once, and the error exits 4', async (t) => {
  try {
    readSearchSpec(FILE, space(`${x}    low: 1\n    high: 0\n  y:\n    path: "p.yaml:y"\n    type: int\n    low: 5\n    high: 1\n`));
    t.fail('expected a refusal');
  } catch (err) {
    t.ok(err instanceof InvalidFileError);
    const e = err as InvalidFileError;
    t.equal(e.exitCode, 4);
    t.same(
      e.problems.map((p) => p.field),
      ['space.x.high', 'space.y.high'],
    );
  }
});

t.test('loadSearchSpec reads search/NAME.yaml or the file a path names', async (t) => {
  const root = t.testdir({});
  mkdirSync(path.join(root, 'search'));
  writeFileSync(path.join(root, 'search', 'joint.yaml'), EXAMPLE);
  const byName = await loadSearchSpec(root, 'joint');
  t.equal(byName.name, 'joint');
  t.equal(byName.file, 'search/joint.yaml');
  const byPath = await loadSearchSpec(root, 'search/joint.yaml');
  t.equal(byPath.file, 'search/joint.yaml');
  t.equal(byPath.hash, byName.hash);
  const absolute = await loadSearchSpec(root, path.join(root, 'search', 'joint.yaml'));
  t.equal(absolute.file, 'search/joint.yaml');
  await t.rejects(loadSearchSpec(root, 'missing'), { code: 'RX_INVALID_FILE', exitCode: 4, problems: [{ file: 'search/missing.yaml', message: 'no such file' }] });
  await t.rejects(loadSearchSpec(root, '../outside.yaml'), { code: 'RX_USAGE', exitCode: 2 });
  await t.rejects(loadSearchSpec(root, 'bad name'), { code: 'RX_USAGE', exitCode: 2 });
});
