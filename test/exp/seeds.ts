// Seed groups' pure parts: the --seeds list, NAME/s<seed> names and the groups found among
// experiment rows, their per-metric summaries (describe() with the group's seed, values by
// ascending seed) and `mean ± half` formatting.
import t from 'tap';
import { describe } from '../../src/search/stats.js';
import { hash32 } from '../../src/search/rng.js';
import {
  parseSeedList,
  seedExperimentName,
  parseSeedExperimentName,
  groupStatsSeed,
  summariseSeeds,
  seedGroups,
  decimalsFor,
  formatMeanHalf,
  formatInterval,
  halfWidth,
} from '../../src/exp/seeds.js';

t.test('--seeds: comma-separated whole numbers, each once, at least one', async (t) => {
  t.same(parseSeedList('0,1,2'), [0, 1, 2]);
  t.same(parseSeedList(' 7 , 3 '), [7, 3], 'spaces around entries; the order is kept');
  t.same(parseSeedList('42'), [42]);
  t.same(parseSeedList(String(Number.MAX_SAFE_INTEGER)), [Number.MAX_SAFE_INTEGER]);
  for (const [bad, why] of [
    ['', /at least one/],
    [' , ', /at least one/],
    ['0,0', /seed 0 is listed twice/],
    ['1,2,1', /seed 1 is listed twice/],
    ['-1', /"-1" is not a whole number/],
    ['1.5', /"1.5" is not a whole number/],
    ['a', /"a" is not a whole number/],
    ['0,,1', /an empty entry/],
    ['0,1,', /an empty entry/],
    ['01', /"01" is not a whole number/],
    ['1e3', /"1e3"/],
    ['9007199254740993', /larger than/],
  ] as const) {
    t.throws(() => parseSeedList(bad), { code: 'RX_USAGE', exitCode: 2, message: why }, `${JSON.stringify(bad)} refused`);
  }
});

t.test('seed experiment names: NAME/s<seed>, nothing else', async (t) => {
  t.equal(seedExperimentName('lr-small', 3), 'lr-small/s3');
  t.same(parseSeedExperimentName('lr-small/s3'), { group: 'lr-small', seed: 3 });
  t.same(parseSeedExperimentName('a/b/s0'), { group: 'a/b', seed: 0 }, 'the group is everything before the last part');
  t.same(parseSeedExperimentName('lr-small/s12'), { group: 'lr-small', seed: 12 });
  for (const name of ['lr-small', 's0', '/s0', 'lr-sweep/3-s0', 'x/s', 'x/s01', 'x/S1', 'x/s1a', 'x/seed1', 'x/s-1']) t.equal(parseSeedExperimentName(name), undefined, `${name} is not a seed experiment`);
});

t.test("a group's bootstrap seed is hash32 of its name", async (t) => {
  t.equal(groupStatsSeed('lr-small'), hash32('lr-small'));
  t.not(groupStatsSeed('lr-small'), groupStatsSeed('lr-large'));
});

t.test('summaries: per numeric metric, values by ascending seed, describe() with the group seed', async (t) => {
  const runs = [
    { seed: 2, metrics: { 'm.json:acc': 0.9, 'm.json:ok': true, 'm.json:loss': 0.3 } },
    { seed: 0, metrics: { 'm.json:acc': 0.7, 'm.json:ok': false, 'm.json:loss': 0.5 } },
    { seed: 1, metrics: { 'm.json:acc': 0.85, 'm.json:ok': true } },
  ];
  const s = summariseSeeds('g', runs);
  t.same(Object.keys(s), ['m.json:acc', 'm.json:loss'], 'booleans are no numbers to summarise');
  t.same(s['m.json:acc']!.seeds, [0, 1, 2]);
  t.same(s['m.json:acc']!.values, [0.7, 0.85, 0.9]);
  t.same(s['m.json:acc']!.stats, describe([0.7, 0.85, 0.9], { seed: hash32('g') }));
  t.same(s['m.json:loss']!.seeds, [0, 2], 'a seed without the metric is left out of it');
  t.same(s['m.json:loss']!.stats, describe([0.5, 0.3], { seed: hash32('g') }));
  t.same(summariseSeeds('g', [...runs].reverse()), s, 'the order runs come in does not matter');
  t.same(summariseSeeds('g', [{ seed: 0, metrics: { a: Number.NaN, b: Infinity } }]), {}, 'non-finite values are left out');
  t.equal(summariseSeeds('other', runs)['m.json:acc']!.stats.mean.seed, hash32('other'));
});

t.test('groups among rows: NAME/s<seed> on one baseline, in the order of their first row', async (t) => {
  const row = (name: string, baseline: string, metrics: Record<string, unknown>, params: Record<string, unknown> = { lr: 0.1, width: 8 }) => ({ name, commit: `c-${name}-${baseline}`, baseline, params, metrics });
  const rows = [
    row('plain', 'B1', { acc: 0.5 }),
    row('g/s1', 'B1', { acc: 0.6 }),
    row('lr-sweep/3-s0', 'B1', { acc: 0.4 }),
    row('h/s0', 'B1', { acc: 0.2 }, { lr: 0.2, width: 8 }),
    row('g/s0', 'B1', { acc: 0.8 }, { lr: 0.1, width: 16 }),
    row('g/s0', 'B2', { acc: 0.1 }),
  ];
  const { groups, rest } = seedGroups(rows);
  t.same(rest.map((r) => r.name), ['plain', 'lr-sweep/3-s0'], 'search trials and plain names stay rows');
  t.same(groups.map((g) => [g.name, g.baseline]), [['g', 'B1'], ['h', 'B1'], ['g', 'B2']], 'one group per name and baseline');
  const g = groups[0]!;
  t.same(g.experiments.map((e) => [e.seed, e.name, e.commit]), [[0, 'g/s0', 'c-g/s0-B1'], [1, 'g/s1', 'c-g/s1-B1']], 'by ascending seed');
  t.same(g.params, { lr: 0.1 }, 'only the params every seed shares');
  t.equal(g.statsSeed, hash32('g'));
  t.same(g.metrics.acc!.values, [0.8, 0.6]);
  t.same(g.metrics.acc!.stats, describe([0.8, 0.6], { seed: hash32('g') }));
  t.equal(groups[1]!.experiments.length, 1, 'a single seed is a group too');
  t.same(groups[1]!.metrics.acc!.stats.mean.percentile, { low: 0.2, high: 0.2 });
});

t.test('mean ± half: rounded to the half-width\'s second significant digit', async (t) => {
  t.equal(decimalsFor(0.0267), 3);
  t.equal(decimalsFor(0.5), 2);
  t.equal(decimalsFor(0.099), 3);
  t.equal(decimalsFor(1.5), 1);
  t.equal(decimalsFor(15), 0);
  t.equal(decimalsFor(150), 0);
  t.equal(decimalsFor(0), undefined);
  t.equal(decimalsFor(1e-20), 12, 'at most 12 decimals');
  const stats = (mean: number, low: number, high: number, n = 3) => {
    const b = { estimate: mean, percentile: { low, high }, bca: { low, high }, level: 0.95, resamples: 2000, seed: 1 };
    return { n, mean: b, iqm: b, sd: 0 };
  };
  t.equal(halfWidth(stats(0.8133, 0.7867, 0.84)), (0.84 - 0.7867) / 2);
  t.equal(formatMeanHalf(stats(0.81333, 0.78667, 0.84)), '0.813 ± 0.027');
  t.equal(formatInterval(stats(0.81333, 0.78667, 0.84)), '0.813 ± 0.027 [0.787, 0.840] (3 seeds)');
  t.equal(formatMeanHalf(stats(1234.5, 1100, 1400)), '1235 ± 150');
  t.equal(formatInterval(stats(0.25, 0.25, 0.25, 1)), '0.25 ± 0 [0.25, 0.25] (1 seed)', 'one seed: the value, ± 0');
  t.equal(formatMeanHalf(stats(-0.0001, -0.02, 0.02)), '0.000 ± 0.020', 'no -0.000');
  // On real describe() output, the numbers shown are those of its percentile interval.
  const d = describe([0.7, 0.85, 0.9], { seed: 5 });
  const dec = decimalsFor(halfWidth(d))!;
  t.equal(formatInterval(d), `${d.mean.estimate.toFixed(dec)} ± ${halfWidth(d).toFixed(dec)} [${d.mean.percentile.low.toFixed(dec)}, ${d.mean.percentile.high.toFixed(dec)}] (3 seeds)`);
});
