import t from 'tap';
import { familyOf, interactions, pedAnova, type Observation } from '../../src/search/importance.js';
import { sensitivity } from '../../src/search/sensitivity.js';
import { streamFor, type Rng } from '../../src/search/rng.js';
import type { Config, Param, Space } from '../../src/search/types.js';

const float = (name: string, file: string, extra: Partial<Param> = {}): Param => ({ name, path: `${file}:${name}`, type: 'float', low: 0, high: 1, log: false, ...extra }) as Param;

/** n random configurations of a space (uniform, conditions applied by `draw`), with f's loss. */
function sample(n: number, seed: number, draw: (rng: Rng) => Config, f: (c: Config, rng: Rng) => number): Observation[] {
  const rng = streamFor(seed, 0, 'test-data');
  return Array.from({ length: n }, () => {
    const config = draw(rng);
    return { config, value: f(config, rng) };
  });
}

const byName = <T extends { param: string }>(rows: T[]) => Object.fromEntries(rows.map((r) => [r.param, r]));

t.test('familyOf: the file of the path decides', async (t) => {
  t.equal(familyOf(float('w', 'models/net.yaml')), 'architecture');
  t.equal(familyOf(float('w', 'data/mix.yaml')), 'data');
  t.equal(familyOf(float('w', 'augment/policy.yaml')), 'augmentation');
  t.equal(familyOf(float('w', 'params.yaml')), 'training');
  t.equal(familyOf(float('w', './models/net.yaml')), 'architecture');
  t.equal(familyOf(float('w', 'configs/params.yaml')), 'other');
  t.equal(familyOf(float('w', 'modelsx/net.yaml')), 'other');
});

// The numbers below are Optuna 5.0.0's PedAnovaImportanceEvaluator(target_quantile, region_quantile)
// .evaluate(study) on these 60 trials (same distributions; `drop` exists only with adam).
const refSpace: Space = {
  params: [
    float('x', 'models/a.yaml'),
    float('lr', 'params.yaml', { low: 1e-4, high: 1e-1, log: true }),
    { name: 'n', path: 'data/d.yaml:n', type: 'int', low: 1, high: 10, log: false, step: 1 },
    { name: 'm', path: 'data/d.yaml:m', type: 'int', low: 1, high: 100, log: true, step: 1 },
    { name: 'opt', path: 'params.yaml:opt', type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
    float('drop', 'models/a.yaml', { high: 0.5, when: { opt: ['adam'] } }),
  ],
};
function refTrials(): Observation[] {
  const rng = streamFor(7, 0, 'gen');
  const out: Observation[] = [];
  for (let i = 0; i < 60; i++) {
    const c: Config = {};
    c.x = Number(rng.uniform().toFixed(4));
    c.lr = Number(Math.exp(Math.log(1e-4) + rng.uniform() * Math.log(1e3)).toPrecision(4));
    c.n = 1 + Math.floor(rng.uniform() * 10);
    c.m = Math.round(Math.exp(rng.uniform() * Math.log(100)));
    c.opt = ['sgd', 'adam', 'rmsprop'][Math.floor(rng.uniform() * 3)]!;
    if (c.opt === 'adam') c.drop = Number((rng.uniform() * 0.5).toFixed(4));
    const x = c.x as number;
    const v =
      (x - 0.3) ** 2 * 5 +
      (Math.log10(c.lr as number) + 2.5) ** 2 * 0.3 +
      (c.opt === 'sgd' ? 0.4 : 0) +
      (c.drop !== undefined ? ((c.drop as number) - 0.1) ** 2 * 3 : 0.05) +
      0.02 * (c.n as number) +
      rng.uniform() * 0.05;
    out.push({ config: c, value: Number(v.toFixed(6)) });
  }
  return out;
}
const optunaReference: [number, number, Record<string, number>][] = [
  [0.1, 1, { x: 0.0102960210758955, lr: 0.008023817998714164, drop: 0.001972672971865069, m: 0.00153884582887569, opt: 0.0008154903095225377, n: 0.0004477613432688126 }],
  [0.2, 0.6, { x: 0.024516333825012983, drop: 0.019355785320196304, lr: 0.012876309304295517, n: 0.010592648998643624, opt: 0.0069629531076439615, m: 0.005350818243026589 }],
  [0.25, 1, { x: 0.04206479148561875, drop: 0.016257211529855833, lr: 0.007472607967630715, opt: 0.005420413407133637, n: 0.0015554330356254875, m: 0.0010216326388950902 }],
];

t.test('pedAnova equals Optuna 5 on float, log float, int, log int, categorical and conditional parameters', async (t) => {
  const trials = refTrials();
  for (const [targetQuantile, regionQuantile, expected] of optunaReference) {
    const rows = pedAnova(refSpace, trials, { seed: 1, resamples: 0, targetQuantile, regionQuantile });
    t.same(
      rows.map((r) => r.param),
      Object.keys(expected),
      `order at ${targetQuantile}/${regionQuantile}`,
    );
    for (const r of rows) {
      const want = expected[r.param]!;
      t.ok(Math.abs(r.importance - want) <= 1e-6 * want, `${r.param} at ${targetQuantile}/${regionQuantile}: ${r.importance} vs ${want}`);
    }
    const sum = rows.reduce((s, r) => s + r.importance, 0);
    t.ok(Math.abs(rows.reduce((s, r) => s + r.normalized, 0) - 1) < 1e-12, 'shares sum to 1');
    t.ok(Math.abs(rows[0]!.normalized - rows[0]!.importance / sum) < 1e-15);
  }
});

const threeSpace: Space = { params: [float('x', 'models/net.yaml'), float('y', 'data/mix.yaml'), float('w', 'params.yaml')] };
const dominantX = () =>
  sample(
    200,
    3,
    (rng) => ({ x: rng.uniform(), y: rng.uniform(), w: rng.uniform() }),
    (c, rng) => ((c.x as number) - 0.3) ** 2 * 10 + 0.01 * (c.y as number) + 0.01 * rng.normal(),
  );

t.test('pedAnova ranks a dominant parameter first, with its interval clear of the others', async (t) => {
  const rows = pedAnova(threeSpace, dominantX(), { seed: 11 });
  t.equal(rows[0]!.param, 'x');
  const r = byName(rows);
  t.equal(r.x!.family, 'architecture');
  t.equal(r.y!.family, 'data');
  t.equal(r.w!.family, 'training');
  t.ok(r.x!.interval.low > r.y!.interval.high && r.x!.interval.low > r.w!.interval.high, JSON.stringify(rows));
  t.ok(r.x!.interval.low <= r.x!.importance && r.x!.importance <= r.x!.interval.high);
  t.ok(r.w!.importance < 0.1 * r.x!.importance, `irrelevant w: ${r.w!.importance} vs x ${r.x!.importance}`);
  t.ok(r.x!.normalized > 0.85, `x's share ${r.x!.normalized}`);
});

t.test('pedAnova: a dominant categorical parameter comes first', async (t) => {
  const space: Space = {
    params: [{ name: 'act', path: 'models/net.yaml:act', type: 'categorical', choices: ['relu', 'gelu', 'tanh', 'elu'] }, float('x', 'params.yaml'), float('y', 'data/mix.yaml')],
  };
  const offset: Record<string, number> = { relu: 1, gelu: 0, tanh: 2, elu: 1.5 };
  const trials = sample(
    160,
    5,
    (rng) => ({ act: ['relu', 'gelu', 'tanh', 'elu'][rng.int(4)]!, x: rng.uniform(), y: rng.uniform() }),
    (c, rng) => offset[c.act as string]! + 0.001 * (c.x as number) + 0.02 * rng.normal(),
  );
  const rows = pedAnova(space, trials, { seed: 2 });
  t.equal(rows[0]!.param, 'act');
  const r = byName(rows);
  // Optuna's categorical kernel keeps prior_weight/(occupied choices + 1) on every choice, so a
  // target set of one choice reaches only about half its mass there: a decisive category scores
  // a few times a float's noise, not orders of magnitude more.
  t.ok(r.act!.interval.low > r.x!.importance && r.act!.interval.low > r.y!.importance, JSON.stringify(rows));
  t.ok(r.act!.normalized > 0.5, `act's share ${r.act!.normalized}`);
});

t.test('pedAnova: a conditional parameter uses only the trials where it is active, weighted by its regime', async (t) => {
  const space: Space = {
    params: [{ name: 'opt', path: 'params.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'] }, float('drop', 'models/net.yaml', { when: { opt: ['adam'] } })],
  };
  const trials = sample(
    120,
    9,
    (rng) => {
      const c: Config = { opt: rng.uniform() < 0.5 ? 'sgd' : 'adam' };
      if (c.opt === 'adam') c.drop = rng.uniform();
      return c;
    },
    (c, rng) => (c.opt === 'adam' ? ((c.drop as number) - 0.2) ** 2 * 4 : 0.5) + 0.01 * rng.uniform(),
  );
  const full = byName(pedAnova(space, trials, { seed: 1, resamples: 0 }));
  t.ok(full.drop!.importance > 0);
  // A configuration that still carries a value the condition switched off must not count.
  const stale = trials.map((o) => (o.config.opt === 'sgd' ? { ...o, config: { ...o.config, drop: 0.2 } } : o));
  t.equal(byName(pedAnova(space, stale, { seed: 1, resamples: 0 })).drop!.importance, full.drop!.importance);
  // Every target trial uses adam, so alpha = 1 and the importance is (|T|/|R|)^2 / beta times the
  // divergence measured on the adam trials alone: the same divergence as an unconditional study of them.
  const adam = trials.filter((o) => o.config.opt === 'adam');
  // ceil(11.5 / n * n) = 12 target trials, as in the full study.
  const alone = byName(pedAnova({ params: [float('drop', 'models/net.yaml')] }, adam, { seed: 1, resamples: 0, targetQuantile: 11.5 / adam.length }));
  const top = 12; // ceil(0.1 * 120), all adam: their losses are below 0.5
  const scale = (top / trials.length) ** 2 / (adam.length / trials.length);
  const aloneScale = (top / adam.length) ** 2;
  t.ok(Math.abs(full.drop!.importance / scale - alone.drop!.importance / aloneScale) < 1e-12 * (full.drop!.importance / scale), `${full.drop!.importance} ${alone.drop!.importance}`);
});

t.test('pedAnova: a simplex is one numeric parameter per component', async (t) => {
  const space: Space = { params: [{ name: 'mix', path: 'data/mix.yaml:sources', type: 'simplex', over: ['clean', 'noisy', 'synthetic'] }, float('lr', 'params.yaml')] };
  const trials = sample(
    150,
    4,
    (rng) => {
      const g = [rng.gamma(1), rng.gamma(1), rng.gamma(1)];
      const s = g[0]! + g[1]! + g[2]!;
      return { mix: { clean: g[0]! / s, noisy: g[1]! / s, synthetic: g[2]! / s }, lr: rng.uniform() };
    },
    (c, rng) => ((c.mix as Record<string, number>).noisy! * 3) ** 2 + 0.01 * rng.uniform(),
  );
  const rows = pedAnova(space, trials, { seed: 3, resamples: 20 });
  t.same(rows.map((r) => r.param).sort(), ['lr', 'mix.clean', 'mix.noisy', 'mix.synthetic']);
  t.equal(rows[0]!.param, 'mix.noisy');
  t.ok(rows.every((r) => r.family === (r.param === 'lr' ? 'training' : 'data')));
});

t.test('interactions: a strong product of an architecture and an augmentation parameter stands out; same-family pairs are excluded', async (t) => {
  const space: Space = { params: [float('x', 'models/net.yaml'), float('x2', 'models/net.yaml'), float('y', 'data/mix.yaml'), float('z', 'augment/policy.yaml')] };
  const trials = sample(
    250,
    8,
    (rng) => ({ x: rng.uniform(), x2: rng.uniform(), y: rng.uniform(), z: rng.uniform() }),
    (c, rng) => -((c.x as number) - 0.5) * ((c.z as number) - 0.5) * 20 + 0.1 * (c.y as number) + 0.05 * rng.normal(),
  );
  const pairs = interactions(space, trials, { seed: 5, resamples: 50 });
  t.notOk(
    pairs.some((p) => p.families[0] === p.families[1]),
    'no same-family pair',
  );
  t.notOk(pairs.some((p) => (p.a === 'x' && p.b === 'x2') || (p.a === 'x2' && p.b === 'x')));
  t.equal(pairs.length, 5, 'x-y, x-z, x2-y, x2-z, y-z');
  t.same([pairs[0]!.a, pairs[0]!.b], ['x', 'z']);
  t.same(pairs[0]!.families, ['architecture', 'augmentation']);
  const xy = pairs.find((p) => p.a === 'x' && p.b === 'y')!;
  t.ok(pairs[0]!.strength > 5 * xy.strength, `x*z ${pairs[0]!.strength} vs x,y ${xy.strength}`);
  t.ok(pairs[0]!.interval.low > xy.interval.high, JSON.stringify(pairs));
  t.ok(pairs.every((p) => p.strength >= 0 && p.interval.low >= 0));
  for (let i = 1; i < pairs.length; i++) t.ok(pairs[i - 1]!.strength >= pairs[i]!.strength, 'sorted');
});

t.test('interactions: two strong additive effects are not an interaction', async (t) => {
  // With only the two marginal divergences subtracted, the additive pair would come out about
  // three times stronger than the product; the independence term D_a D_b is what separates them.
  const space: Space = { params: [float('x', 'models/net.yaml'), float('z', 'augment/policy.yaml')] };
  const strength = (seed: number, f: (x: number, z: number) => number) => {
    const trials = sample(
      200,
      seed,
      (rng) => ({ x: rng.uniform(), z: rng.uniform() }),
      (c, rng) => f(c.x as number, c.z as number) + 0.05 * rng.normal(),
    );
    return interactions(space, trials, { seed: 1, resamples: 0 })[0]!.strength;
  };
  let product = 0;
  let additive = 0;
  for (let seed = 1; seed <= 6; seed++) {
    product += strength(seed, (x, z) => -(x - 0.5) * (z - 0.5) * 20);
    additive += strength(seed, (x, z) => (x - 0.3) ** 2 * 4 + (z - 0.6) ** 2 * 4);
  }
  t.ok(product > 2 * additive, `product ${product} vs additive ${additive}`);
});

t.test('sensitivity: the winner and its nearest neighbours in the other parameters, sorted by value', async (t) => {
  const space: Space = {
    params: [
      float('x', 'models/net.yaml', { high: 10 }),
      float('y', 'data/mix.yaml', { high: 10 }),
      { name: 'c', path: 'augment/policy.yaml:c', type: 'categorical', choices: ['a', 'b'] },
    ],
  };
  const obs = [
    { trial: 0, config: { x: 5, y: 5, c: 'a' }, value: 1 },
    { trial: 1, config: { x: 2, y: 5, c: 'a' }, value: 3 },
    { trial: 2, config: { x: 8, y: 5.5, c: 'a' }, value: 2 },
    { trial: 3, config: { x: 1, y: 9, c: 'b' }, value: 10 },
    { trial: 4, config: { x: 9, y: 4, c: 'a' }, value: 4 },
  ];
  const axes = sensitivity(space, obs, { x: 5, y: 5, c: 'a' }, { neighbours: 3 });
  t.same(axes, [
    {
      param: 'x',
      family: 'architecture',
      points: [
        { value: 2, objective: 3, trial: 1 },
        { value: 5, objective: 1, trial: 0 },
        { value: 8, objective: 2, trial: 2 },
        { value: 9, objective: 4, trial: 4 },
      ],
      range: 3,
    },
    {
      param: 'y',
      family: 'data',
      points: [
        { value: 4, objective: 4, trial: 4 },
        { value: 5, objective: 1, trial: 0 },
        { value: 5, objective: 3, trial: 1 },
        { value: 5.5, objective: 2, trial: 2 },
      ],
      range: 3,
    },
    {
      param: 'c',
      family: 'augmentation',
      points: [
        { value: 'a', objective: 1, trial: 0 },
        { value: 'a', objective: 3, trial: 1 },
        { value: 'a', objective: 2, trial: 2 },
        { value: 'a', objective: 4, trial: 4 },
      ],
      range: 3,
    },
  ]);
  // Four neighbours reach the far trial 3 on every axis; on c it is the only 'b', after the 'a's.
  const wide = sensitivity(space, obs, { x: 5, y: 5, c: 'a' }, { neighbours: 4 });
  t.same(
    wide[2]!.points.map((p) => [p.value, p.trial]),
    [['a', 0], ['a', 1], ['a', 2], ['a', 4], ['b', 3]],
  );
  t.equal(wide[2]!.range, 9);
  // Objectives come back as given: a maximised accuracy stays positive.
  const acc = sensitivity(space, obs.map((o) => ({ ...o, value: -o.value })), { x: 5, y: 5, c: 'a' }, { neighbours: 1 });
  t.same(acc[0]!.points, [{ value: 2, objective: -3, trial: 1 }, { value: 5, objective: -1, trial: 0 }]);
  // The winner is included however many trials are as near in the other parameters.
  const crowd = [...obs, ...[6, 7, 8].map((x, i) => ({ trial: 10 + i, config: { x, y: 5, c: 'a' }, value: 5 }))];
  const x = sensitivity(space, crowd, { x: 5, y: 5, c: 'a' }, { neighbours: 2 })[0]!;
  t.same(x.points.map((p) => p.trial), [1, 0, 10]);
});

t.test('sensitivity: a parameter the winner lacks has no axis; a condition counts as a full coordinate apart', async (t) => {
  const space: Space = {
    params: [{ name: 'opt', path: 'params.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'] }, float('drop', 'models/net.yaml', { when: { opt: ['adam'] } }), float('lr', 'params.yaml')],
  };
  const obs = [
    { trial: 0, config: { opt: 'sgd', lr: 0.5 }, value: 1 },
    { trial: 1, config: { opt: 'adam', drop: 0.1, lr: 0.5 }, value: 2 },
    { trial: 2, config: { opt: 'sgd', lr: 0.9 }, value: 3 },
  ];
  const axes = sensitivity(space, obs, { opt: 'sgd', lr: 0.5 }, { neighbours: 1 });
  t.same(
    axes.map((a) => a.param),
    ['opt', 'lr'],
  );
  // On lr, trial 1 differs in opt (1) and drop (1): farther than trial 2 at 0 in the others.
  t.same(axes[1]!.points.map((p) => p.trial), [0, 2]);
  // On opt, trial 1 has a drop the winner lacks (1) and trial 2 another lr (0.4).
  t.same(axes[0]!.points.map((p) => p.trial), [0, 2]);
  const two = sensitivity(space, obs, { opt: 'sgd', lr: 0.5 }, { neighbours: 2 });
  t.same(two[0]!.points.map((p) => [p.value, p.trial]), [['sgd', 0], ['sgd', 2], ['adam', 1]]);
});

t.test('sensitivity: a simplex has an axis per component, its weight, with the whole simplex left out of nearness', async (t) => {
  const space: Space = { params: [{ name: 'mix', path: 'data/mix.yaml:w', type: 'simplex', over: ['a', 'b'] }, float('lr', 'params.yaml')] };
  const obs = [
    { trial: 0, config: { mix: { a: 0.5, b: 0.5 }, lr: 0.5 }, value: 1 },
    { trial: 1, config: { mix: { a: 0.9, b: 0.1 }, lr: 0.5 }, value: 2 },
    { trial: 2, config: { mix: { a: 0.5, b: 0.5 }, lr: 0.1 }, value: 5 },
    { trial: 3, config: { mix: { a: 0.2, b: 0.8 }, lr: 0.55 }, value: 3 },
  ];
  const axes = sensitivity(space, obs, obs[0]!.config, { neighbours: 2 });
  t.same(
    axes.map((a) => a.param),
    ['mix.a', 'mix.b', 'lr'],
  );
  t.same(axes[0]!.points, [
    { value: 0.2, objective: 3, trial: 3 },
    { value: 0.5, objective: 1, trial: 0 },
    { value: 0.9, objective: 2, trial: 1 },
  ]);
  t.same(axes[1]!.points.map((p) => p.value), [0.1, 0.5, 0.8]);
  t.equal(axes[0]!.range, 2);
});

t.test('deterministic, JSON-clean, never NaN', async (t) => {
  const trials = dominantX();
  const a = pedAnova(threeSpace, trials, { seed: 4, resamples: 30 });
  t.same(pedAnova(threeSpace, trials, { seed: 4, resamples: 30 }), a, 'same seed, same output');
  t.same(JSON.parse(JSON.stringify(a)), a, 'JSON round trip');
  const b = pedAnova(threeSpace, trials, { seed: 5, resamples: 30 });
  t.same(
    b.map((r) => r.importance),
    a.map((r) => r.importance),
    'the estimate does not depend on the seed',
  );
  t.not(b[0]!.interval.low, a[0]!.interval.low, 'the bootstrap does');
  const i1 = interactions(threeSpace, trials, { seed: 4, resamples: 10 });
  t.same(interactions(threeSpace, trials, { seed: 4, resamples: 10 }), i1);
  t.same(JSON.parse(JSON.stringify(i1)), i1);

  const mixed: Space = {
    params: [...threeSpace.params, { name: 'opt', path: 'params.yaml:opt', type: 'categorical', choices: ['sgd', 'adam'] }, { name: 'mix', path: 'data/mix.yaml:w', type: 'simplex', over: ['a', 'b'] }],
  };
  for (const n of [0, 1, 3]) {
    const few = sample(n, 1, (rng) => ({ x: rng.uniform(), y: rng.uniform(), w: rng.uniform(), opt: 'sgd', mix: { a: 0.5, b: 0.5 } }), (c) => c.x as number);
    const rows = pedAnova(mixed, few, { seed: 1 });
    t.equal(rows.length, 6);
    t.ok(
      rows.every((r) => r.importance === 0 && r.interval.low === 0 && r.interval.high === 0 && r.normalized === 0),
      `${n} observations: zeros`,
    );
    const pairs = interactions(mixed, few, { seed: 1 });
    t.ok(pairs.length > 0 && pairs.every((p) => p.strength === 0 && p.interval.low === 0 && p.interval.high === 0));
    t.same(JSON.parse(JSON.stringify({ rows, pairs })), { rows, pairs });
    const axes = sensitivity(mixed, few.map((o, i) => ({ ...o, trial: i })), few[0]?.config ?? { x: 0.5, y: 0.5, w: 0.5, opt: 'sgd', mix: { a: 0.5, b: 0.5 } });
    t.ok(axes.every((a) => Number.isFinite(a.range)));
  }
  // Every loss equal: the target set is the region, so nothing is important, and nothing is NaN.
  const flat = trials.map((o) => ({ ...o, value: 1 }));
  t.ok(pedAnova(threeSpace, flat, { seed: 1, resamples: 5 }).every((r) => r.importance === 0 && r.normalized === 0));
  // Non-finite losses are left out rather than poisoning the estimate.
  const poisoned = [...trials, { config: { x: 0.3, y: 0, w: 0 }, value: NaN }, { config: { x: 0.9, y: 0, w: 0 }, value: Infinity }];
  t.same(
    pedAnova(threeSpace, poisoned, { seed: 4, resamples: 30 }),
    a,
  );
});

t.test('options out of range are refused as usage errors', async (t) => {
  const trials = dominantX();
  for (const bad of [{ targetQuantile: 0 }, { targetQuantile: 0.5, regionQuantile: 0.5 }, { regionQuantile: 1.5 }, { level: 1 }, { resamples: -1 }, { steps: 1 }, { pairSteps: 1.5 }]) {
    t.throws(() => pedAnova(threeSpace, trials, { seed: 1, ...bad }), { code: 'RX_USAGE' }, JSON.stringify(bad));
  }
  t.throws(() => sensitivity(threeSpace, [], {}, { neighbours: -1 }), { code: 'RX_USAGE' });
});
