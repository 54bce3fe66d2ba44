// Multi-fidelity pruning: ASHA promotions against a schedule worked out by hand (both
// directions), Hyperband brackets and their isolation, thresholds paired per seed, trial
// censoring, judging partial curves, spec validation, and judging a growing curve equal to
// judging it whole.
import t from 'tap';
import {
  bracketCount,
  bracketOf,
  judge,
  rungsOf,
  thresholdsFor,
  trialCensoring,
  validatePruning,
  type Direction,
  type PruneVerdict,
  type PruningSpec,
  type RunRungs,
  type SeedThresholds,
} from '../../src/search/pruning.js';
import { Rng } from '../../src/search/rng.js';

const asha27: PruningSpec = { method: 'asha', resource: 'epochs', min: 1, max: 27, eta: 3, metric: 'val_accuracy' };
const hyper27: PruningSpec = { ...asha27, method: 'hyperband' };

/**
 * A full curve over epochs 1..max carrying `atRung[r]` at each rung epoch r. Every other epoch
 * carries `flip` of the last rung value, which inverts the ranking, so judging at any epoch but
 * the rung epoch would change the decisions below.
 */
function curveOf(max: number, atRung: Record<number, number>, flip: (v: number) => number): Map<number, number> {
  const curve = new Map<number, number>();
  let last = 0.5;
  for (let e = 1; e <= max; e++) {
    const v = atRung[e];
    if (v !== undefined) {
      last = v;
      curve.set(e, v);
    } else {
      curve.set(e, flip(last));
    }
  }
  return curve;
}

/** Runs trials 0..n-1 one after another on the given seeds, each seeing all earlier ones. */
function runSequence(
  spec: PruningSpec,
  direction: Direction,
  seeds: number[],
  curves: Map<number, number>[][],
): { thresholds: SeedThresholds[][]; verdicts: PruneVerdict[][] } {
  const history: RunRungs[] = [];
  const thresholds: SeedThresholds[][] = [];
  const verdicts: PruneVerdict[][] = [];
  curves.forEach((perSeed, trial) => {
    const th = thresholdsFor(spec, direction, trial, seeds, history);
    const vs = seeds.map((seed, i) => judge(th[i]!, direction, perSeed[i]!, true));
    vs.forEach((v, i) => history.push({ trial, seed: seeds[i]!, values: v.rungs }));
    thresholds.push(th);
    verdicts.push(vs);
  });
  return { thresholds, verdicts };
}

// ASHA, min 1, max 27, eta 3: rungs 1, 3, 9 (27 is completion). One seed, maximize.
// H = competitors' values at the rung, N = |H| + 1, keep = floor(N / 3),
// threshold = keep-th best of H (null when keep = 0), promoted iff value >= threshold.
//
// trial | rung | H (values)                                  | N  | keep | thr | value | verdict
//   0   | 1    | -                                           | 1  | 0    | -   | .50   | promoted
//   0   | 3    | -                                           | 1  | 0    | -   | .60   | promoted
//   0   | 9    | -                                           | 1  | 0    | -   | .70   | promoted (complete)
//   1   | 1    | .50                                         | 2  | 0    | -   | .40   | promoted (bootstrap)
//   1   | 3    | .60                                         | 2  | 0    | -   | .45   | promoted
//   1   | 9    | .70                                         | 2  | 0    | -   | .50   | promoted (complete)
//   2   | 1    | .50 .40                                     | 3  | 1    | .50 | .30   | PRUNED @1
//   3   | 1    | .50 .40 .30                                 | 4  | 1    | .50 | .55   | promoted
//   3   | 3    | .60 .45                                     | 3  | 1    | .60 | .60   | promoted (tie)
//   3   | 9    | .70 .50                                     | 3  | 1    | .70 | .65   | PRUNED @9
//   4   | 1    | .50 .40 .30 .55                             | 5  | 1    | .55 | .52   | PRUNED @1
//   5   | 1    | .50 .40 .30 .55 .52                         | 6  | 2    | .52 | .52   | promoted (tie)
//   5   | 3    | .60 .45 .60                                 | 4  | 1    | .60 | .58   | PRUNED @3
//   6   | 1    | .50 .40 .30 .55 .52 .52                     | 7  | 2    | .52 | .51   | PRUNED @1
//   7   | 1    | .50 .40 .30 .55 .52 .52 .51                 | 8  | 2    | .52 | .60   | promoted
//   7   | 3    | .60 .45 .60 .58                             | 5  | 1    | .60 | .70   | promoted
//   7   | 9    | .70 .50 .65                                 | 4  | 1    | .70 | .80   | promoted (complete)
//   8   | 1    | .50 .40 .30 .55 .52 .52 .51 .60             | 9  | 3    | .52 | .53   | promoted
//   8   | 3    | .60 .45 .60 .58 .70                         | 6  | 2    | .60 | .59   | PRUNED @3
//   9   | 1    | .50 .40 .30 .55 .52 .52 .51 .60 .53         | 10 | 3    | .53 | .54   | promoted
//   9   | 3    | .60 .45 .60 .58 .70 .59                     | 7  | 2    | .60 | .65   | promoted
//   9   | 9    | .70 .50 .65 .80                             | 5  | 1    | .80 | .75   | PRUNED @9
const ashaRungValues: Record<number, number>[] = [
  { 1: 0.5, 3: 0.6, 9: 0.7 },
  { 1: 0.4, 3: 0.45, 9: 0.5 },
  { 1: 0.3, 3: 0.9, 9: 0.9 }, // values after the prune rung are never seen
  { 1: 0.55, 3: 0.6, 9: 0.65 },
  { 1: 0.52, 3: 0.9, 9: 0.9 },
  { 1: 0.52, 3: 0.58, 9: 0.9 },
  { 1: 0.51, 3: 0.9, 9: 0.9 },
  { 1: 0.6, 3: 0.7, 9: 0.8 },
  { 1: 0.53, 3: 0.59, 9: 0.9 },
  { 1: 0.54, 3: 0.65, 9: 0.75 },
];
const ashaExpected: (number | null)[] = [null, null, 1, 9, 1, 3, 1, null, 3, 9];
// (competitors, keep, threshold) per rung 1, 3, 9 for some trials. A run pruned at a rung still
// competes there (trial 3 counts at rung 9 from trial 5 on) but not at later rungs.
const ashaExpectedThresholds: Record<number, [number, number, number | null][]> = {
  1: [[1, 0, null], [1, 0, null], [1, 0, null]],
  3: [[3, 1, 0.5], [2, 1, 0.6], [2, 1, 0.7]],
  5: [[5, 2, 0.52], [3, 1, 0.6], [3, 1, 0.7]],
  8: [[8, 3, 0.52], [5, 2, 0.6], [4, 1, 0.8]],
  9: [[9, 3, 0.53], [6, 2, 0.6], [4, 1, 0.8]],
};

for (const direction of ['maximize', 'minimize'] as const) {
  t.test(`ASHA promotions follow the hand-worked schedule (${direction})`, async (t) => {
    // Minimizing runs the mirror image: every value v becomes 1 - v, so the same trials are pruned.
    const toDir = (v: number): number => (direction === 'maximize' ? v : 1 - v);
    const curves = ashaRungValues.map((rv) => {
      const mapped: Record<number, number> = {};
      for (const [e, v] of Object.entries(rv)) mapped[Number(e)] = toDir(v);
      return [curveOf(27, mapped, (v) => 1 - v)];
    });
    t.same(rungsOf(asha27, 0), [1, 3, 9]);
    const { thresholds, verdicts } = runSequence(asha27, direction, [0], curves);
    const prunedAt = verdicts.map((vs) => (vs[0]!.pruned ? vs[0]!.epoch! : null));
    t.same(prunedAt, ashaExpected, 'exactly the expected trials pruned, at the expected rungs');
    for (const [trial, rows] of Object.entries(ashaExpectedThresholds)) {
      const got = thresholds[Number(trial)]![0]!;
      t.equal(got.seed, 0);
      t.same(
        got.rungs.map((r) => [r.epoch, r.competitors, r.keep, r.threshold]),
        rows.map(([c, k, thr], i) => [[1, 3, 9][i], c, k, thr === null ? null : toDir(thr)]),
        `trial ${trial} thresholds`,
      );
    }
    // The verdict of a pruned run names its rung, its value there and the threshold it missed.
    const v9 = verdicts[9]![0]!;
    t.same(v9, { pruned: true, epoch: 9, value: toDir(0.75), threshold: toDir(0.8), rungs: { 1: toDir(0.54), 3: toDir(0.65), 9: toDir(0.75) } });
    const v7 = verdicts[7]![0]!;
    t.same(v7, { pruned: false, rungs: { 1: toDir(0.6), 3: toDir(0.7), 9: toDir(0.8) } });
  });
}

// The same runs under bootstrap best (Optuna's rule): keep is at least 1 once a rung has a
// competitor, so a run in a rung's first eta - 1 must be at least as good as every earlier one.
//
// trial | rung | H (values)                      | N  | keep | thr | value | verdict
//   0   | 1..9 | -                               | 1  | 0    | -   |       | promoted (complete)
//   1   | 1    | .50                             | 2  | 1    | .50 | .40   | PRUNED @1 (promoted by default)
//   2   | 1    | .50 .40                         | 3  | 1    | .50 | .30   | PRUNED @1
//   3   | 1    | .50 .40 .30                     | 4  | 1    | .50 | .55   | promoted
//   3   | 3    | .60                             | 2  | 1    | .60 | .60   | promoted (tie)
//   3   | 9    | .70                             | 2  | 1    | .70 | .65   | PRUNED @9
//   4   | 1    | .50 .40 .30 .55                 | 5  | 1    | .55 | .52   | PRUNED @1
//   5   | 1    | .50 .40 .30 .55 .52             | 6  | 2    | .52 | .52   | promoted (tie)
//   5   | 3    | .60 .60                         | 3  | 1    | .60 | .58   | PRUNED @3
//   6   | 1    | + .52                           | 7  | 2    | .52 | .51   | PRUNED @1
//   7   | 1    | + .51                           | 8  | 2    | .52 | .60   | promoted
//   7   | 3    | .60 .60 .58                     | 4  | 1    | .60 | .70   | promoted
//   7   | 9    | .70 .65                         | 3  | 1    | .70 | .80   | promoted (complete)
//   8   | 1    | + .60                           | 9  | 3    | .52 | .53   | promoted
//   8   | 3    | .60 .60 .58 .70                 | 5  | 1    | .70 | .59   | PRUNED @3 (.60 by default: trial 1 counted there)
//   9   | 1    | + .53                           | 10 | 3    | .53 | .54   | promoted
//   9   | 3    | .60 .60 .58 .70 .59             | 6  | 2    | .60 | .65   | promoted
//   9   | 9    | .70 .65 .80                     | 4  | 1    | .80 | .75   | PRUNED @9
t.test('bootstrap best: the first runs of a rung go on only as the best so far (hand-worked)', async (t) => {
  const best: PruningSpec = { ...asha27, bootstrap: 'best' };
  const curves = ashaRungValues.map((rv) => [curveOf(27, rv, (v) => 1 - v)]);
  const { thresholds, verdicts } = runSequence(best, 'maximize', [0], curves);
  t.same(
    verdicts.map((vs) => (vs[0]!.pruned ? vs[0]!.epoch! : null)),
    [null, 1, 1, 9, 1, 3, 1, null, 3, 9],
  );
  const rows = (trial: number) => thresholds[trial]![0]!.rungs.map((r) => [r.epoch, r.competitors, r.keep, r.threshold]);
  t.same(rows(0), [[1, 0, 0, null], [3, 0, 0, null], [9, 0, 0, null]], 'the first run has no competitor: promoted');
  t.same(rows(1), [[1, 1, 1, 0.5], [3, 1, 1, 0.6], [9, 1, 1, 0.7]]);
  t.same(rows(5), [[1, 5, 2, 0.52], [3, 2, 1, 0.6], [9, 2, 1, 0.7]]);
  t.same(rows(8), [[1, 8, 3, 0.52], [3, 4, 1, 0.7], [9, 3, 1, 0.8]]);
  t.same(rows(9), [[1, 9, 3, 0.53], [3, 5, 2, 0.6], [9, 3, 1, 0.8]]);
  // From eta - 1 competitors on the two rules agree.
  const history: RunRungs[] = [{ trial: 0, seed: 0, values: { 1: 0.5 } }, { trial: 1, seed: 0, values: { 1: 0.4 } }];
  t.same(thresholdsFor(best, 'maximize', 2, [0], history), thresholdsFor(asha27, 'maximize', 2, [0], history));
  t.equal(validatePruning({ ...asha27, bootstrap: 'sometimes' as 'best' }), 'pruning.bootstrap must be promote or best, not "sometimes"');
  t.equal(validatePruning({ ...asha27, bootstrap: 'promote' }), undefined);
});

t.test('the history can come in any order: thresholds are the same', async (t) => {
  const rng = new Rng(5);
  const history: RunRungs[] = [];
  for (let trial = 0; trial < 12; trial++) {
    for (const seed of [3, 7]) {
      history.push({ trial, seed, values: { 1: Math.round(rng.uniform() * 10) / 10, 3: Math.round(rng.uniform() * 10) / 10 } });
    }
  }
  const base = thresholdsFor(asha27, 'maximize', 12, [3, 7], history);
  for (let round = 0; round < 20; round++) {
    const shuffled = [...history];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    t.same(thresholdsFor(asha27, 'maximize', 12, [3, 7], shuffled), base);
  }
  t.throws(() => thresholdsFor(asha27, 'maximize', 12, [3, 7], [...history, history[0]!]), 'a run listed twice is refused');
});

t.test('hyperband brackets: counts, rungs, assignment', async (t) => {
  t.equal(bracketCount(hyper27), 4);
  t.same([0, 1, 2, 3].map((b) => rungsOf(hyper27, b)), [[1, 3, 9], [3, 9], [9], []]);
  t.same([0, 1, 2, 3, 4, 5, 9, 14].map((n) => bracketOf(hyper27, n)), [0, 1, 2, 3, 0, 1, 1, 2]);
  t.throws(() => rungsOf(hyper27, 4), RangeError);
  t.throws(() => bracketOf(hyper27, -1), RangeError);

  t.equal(bracketCount(asha27), 1);
  t.same([0, 1, 7].map((n) => bracketOf(asha27, n)), [0, 0, 0]);
  t.throws(() => rungsOf(asha27, 1), RangeError);

  // max itself is never a rung; the ladder stops below it.
  const s = (min: number, max: number, eta: number, method: 'asha' | 'hyperband' = 'hyperband'): PruningSpec => ({ ...asha27, method, min, max, eta });
  t.same(rungsOf(s(2, 20, 3, 'asha'), 0), [2, 6, 18]);
  t.same(rungsOf(s(2, 18, 3, 'asha'), 0), [2, 6]);
  t.equal(bracketCount(s(2, 20, 3)), 3);
  t.same([0, 1, 2].map((b) => rungsOf(s(2, 20, 3), b)), [[2, 6, 18], [6, 18], [18]]);
  t.same(rungsOf(s(5, 5, 2, 'asha'), 0), [], 'min = max: no rung, nothing is ever pruned');
  t.equal(bracketCount(s(5, 5, 2)), 1);
  // log(1000)/log(10) is 2.999... in floating point; the count is exact.
  t.equal(bracketCount(s(1, 1000, 10)), 4);
  t.same(rungsOf(s(1, 1000, 10), 0), [1, 10, 100]);
  t.same(rungsOf(s(1, 1000, 10), 3), []);
  t.equal(bracketCount(s(1, 1e6, 10)), 7);
  t.equal(bracketCount(s(1, 243, 3)), 6);
  t.same(rungsOf(s(1, 243, 3), 5), []);
  t.same(rungsOf(s(1, 243, 3), 4), [81]);
  t.equal(bracketCount(s(1, 242, 3)), 5);
  t.equal(bracketCount(s(4, 100, 2)), 5); // 4, 8, 16, 32, 64 <= 100 < 128
});

t.test('hyperband: trials compete only within their bracket; an empty rung list never prunes', async (t) => {
  // Trials 0..7 fill the four brackets twice. Brackets 1 and 2 are strong at 3 and 9, bracket 0 is weak.
  const history: RunRungs[] = [
    { trial: 0, seed: 0, values: { 1: 0.5, 3: 0.5, 9: 0.5 } },
    { trial: 4, seed: 0, values: { 1: 0.5, 3: 0.5, 9: 0.5 } },
    { trial: 1, seed: 0, values: { 3: 0.9, 9: 0.9 } },
    { trial: 5, seed: 0, values: { 3: 0.9, 9: 0.9 } },
    { trial: 2, seed: 0, values: { 9: 0.95 } },
    { trial: 6, seed: 0, values: { 9: 0.95 } },
    { trial: 3, seed: 0, values: {} },
    { trial: 7, seed: 0, values: {} },
  ];
  const rows = (th: SeedThresholds[]): unknown => th[0]!.rungs.map((r) => [r.epoch, r.competitors, r.keep, r.threshold]);
  // Trial 8, bracket 0: N = 3 at each rung, keep 1, the best of trials 0 and 4.
  const th8 = thresholdsFor(hyper27, 'maximize', 8, [0], history);
  t.same(rows(th8), [[1, 2, 1, 0.5], [3, 2, 1, 0.5], [9, 2, 1, 0.5]]);
  const mid = curveOf(27, { 1: 0.6, 3: 0.6, 9: 0.6 }, () => 0.6);
  t.equal(judge(th8[0]!, 'maximize', mid, true).pruned, false, 'pooled with brackets 1 and 2 it would be pruned at 3');
  // Trial 9, bracket 1: rungs 3 and 9 only, against trials 1 and 5.
  const th9 = thresholdsFor(hyper27, 'maximize', 9, [0], history);
  t.same(rows(th9), [[3, 2, 1, 0.9], [9, 2, 1, 0.9]]);
  const v9 = judge(th9[0]!, 'maximize', mid, true);
  t.same([v9.pruned, v9.epoch], [true, 3]);
  // Trial 10, bracket 2: rung 9 against trials 2 and 6.
  const th10 = thresholdsFor(hyper27, 'maximize', 10, [0], history);
  t.same(rows(th10), [[9, 2, 1, 0.95]]);
  // Trial 11, bracket 3: no rung below max, so it always runs to completion.
  const th11 = thresholdsFor(hyper27, 'maximize', 11, [0], history);
  t.same(th11, [{ seed: 0, rungs: [] }]);
  const awful = curveOf(27, {}, () => 0);
  t.same(judge(th11[0]!, 'maximize', awful, true), { pruned: false, rungs: {} });
});

t.test('thresholds are paired per seed; trialCensoring takes the first prune epoch and the seed mean', async (t) => {
  const spec: PruningSpec = { ...asha27, min: 1, max: 9, eta: 3 }; // rungs 1, 3
  // Seed 0 is a hard seed (values around .4), seed 1 an easy one (around .8).
  const history: RunRungs[] = [
    { trial: 0, seed: 0, values: { 1: 0.5, 3: 0.5 } },
    { trial: 1, seed: 0, values: { 1: 0.4, 3: 0.4 } },
    { trial: 2, seed: 0, values: { 1: 0.3 } },
    { trial: 0, seed: 1, values: { 1: 0.9, 3: 0.9 } },
    { trial: 1, seed: 1, values: { 1: 0.8, 3: 0.8 } },
    { trial: 2, seed: 1, values: { 1: 0.7 } },
  ];
  const th = thresholdsFor(spec, 'maximize', 3, [0, 1], history);
  t.same(
    th.map((s) => [s.seed, s.rungs.map((r) => [r.epoch, r.competitors, r.keep, r.threshold])]),
    [
      [0, [[1, 3, 1, 0.5], [3, 2, 1, 0.5]]],
      [1, [[1, 3, 1, 0.9], [3, 2, 1, 0.9]]],
    ],
  );
  // .75 is good for seed 0 and bad for seed 1. Pooled over seeds (N = 7, keep 2, threshold .8) seed 0 would be pruned too.
  const seed0 = judge(th[0]!, 'maximize', { 1: 0.75, 2: 0.75, 3: 0.75, 4: 0.75 }, false);
  const seed1 = judge(th[1]!, 'maximize', { 1: 0.25 }, false);
  t.same(seed0, { pruned: false, rungs: { 1: 0.75, 3: 0.75 } });
  t.same(seed1, { pruned: true, epoch: 1, value: 0.25, threshold: 0.9, rungs: { 1: 0.25 } });
  t.same(trialCensoring([seed0, seed1]), { pruned: true, step: 1, value: 0.5 });

  // The trial's own runs in the history (a replay handing over every line) are not its competitors.
  t.same(thresholdsFor(spec, 'maximize', 3, [0, 1], [...history, { trial: 3, seed: 0, values: { 1: 0.99, 3: 0.99 } }]), th);
  // Seeds given in another order come back in that order, each with its own thresholds.
  t.same(thresholdsFor(spec, 'maximize', 3, [1, 0], history), [th[1], th[0]]);
  // A seed nobody has run yet has no competitors.
  t.same(thresholdsFor(spec, 'maximize', 3, [2], history), [{ seed: 2, rungs: [{ epoch: 1, competitors: 0, keep: 0, threshold: null }, { epoch: 3, competitors: 0, keep: 0, threshold: null }] }]);

  t.same(trialCensoring([]), { pruned: false });
  t.same(trialCensoring([{ pruned: false, rungs: { 1: 0.6, 3: 0.7 } }]), { pruned: false });
  const mixed = trialCensoring([
    { pruned: false, rungs: { 1: 0.25, 3: 0.5, 9: 0.5 } },
    { pruned: true, epoch: 9, value: 0.2, threshold: 0.6, rungs: { 1: 0.5, 3: 0.75, 9: 0.2 } },
    { pruned: true, epoch: 3, value: 0.25, threshold: 0.3, rungs: { 1: 0.75, 3: 0.25 } },
  ]);
  t.same(mixed, { pruned: true, step: 3, value: 0.5 }, 'step 3 is the earliest prune; mean of .5, .75, .25 at epoch 3');
});

t.test('judge: partial curves, ties, missing rung epochs, Map or record', async (t) => {
  const th: SeedThresholds = {
    seed: 0,
    rungs: [
      { epoch: 3, competitors: 2, keep: 1, threshold: 0.6 },
      { epoch: 1, competitors: 4, keep: 1, threshold: 0.5 },
    ],
  };
  t.same(judge(th, 'maximize', {}, false), { pruned: false, rungs: {} });
  t.same(judge(th, 'maximize', { 1: 0.7, 2: 0.1 }, false), { pruned: false, rungs: { 1: 0.7 } }, 'epoch 2 is not a rung: a bad value there prunes nothing');
  t.same(judge(th, 'maximize', new Map([[1, 0.7], [2, 0.1]]), false), { pruned: false, rungs: { 1: 0.7 } });
  t.same(judge(th, 'maximize', { 1: 0.7, 2: 0.1, 3: 0.55 }, false), { pruned: true, epoch: 3, value: 0.55, threshold: 0.6, rungs: { 1: 0.7, 3: 0.55 } });
  t.same(judge(th, 'maximize', { 1: 0.4 }, false), { pruned: true, epoch: 1, value: 0.4, threshold: 0.5, rungs: { 1: 0.4 } }, 'a partial curve prunes as soon as the rung epoch appears');
  t.same(judge(th, 'maximize', { 1: 0.5, 2: 0, 3: 0.6 }, true), { pruned: false, rungs: { 1: 0.5, 3: 0.6 } }, 'ties are promoted');
  t.same(judge(th, 'minimize', { 1: 0.5, 3: 0.6 }, true), { pruned: false, rungs: { 1: 0.5, 3: 0.6 } }, 'ties are promoted when minimizing');
  t.same(judge(th, 'minimize', { 1: 0.45, 3: 0.61 }, true), { pruned: true, epoch: 3, value: 0.61, threshold: 0.6, rungs: { 1: 0.45, 3: 0.61 } });
  // A run that logged no value at a rung epoch gets no decision there; later rungs are still judged.
  t.same(judge(th, 'maximize', { 1: 0.7, 4: 0.1 }, false), { pruned: false, rungs: { 1: 0.7 } });
  t.same(judge(th, 'maximize', { 2: 0.0 }, false), { pruned: false, rungs: {} });
  t.same(judge(th, 'maximize', { 2: 0.0, 3: 0.1 }, false), { pruned: true, epoch: 3, value: 0.1, threshold: 0.6, rungs: { 3: 0.1 } });
  // A complete curve that ended before a rung was never judged there.
  t.same(judge(th, 'maximize', { 1: 0.7, 2: 0.1 }, true), { pruned: false, rungs: { 1: 0.7 } });
  // NaN at a rung with a threshold fails it; with no threshold it passes.
  const nan = judge(th, 'maximize', { 1: Number.NaN }, false);
  t.same([nan.pruned, nan.epoch, nan.threshold], [true, 1, 0.5]);
  t.ok(Number.isNaN(nan.value));
  const open: SeedThresholds = { seed: 0, rungs: [{ epoch: 1, competitors: 1, keep: 0, threshold: null }] };
  t.equal(judge(open, 'maximize', { 1: Number.NaN }, true).pruned, false);
  t.equal(judge(open, 'maximize', { 1: -1e9 }, true).pruned, false);
});

t.test('non-finite history values count as competitors but rank last', async (t) => {
  const spec: PruningSpec = { ...asha27, max: 9 };
  // A NaN written to JSON comes back as null; both are the same worst competitor.
  const history = [
    { trial: 0, seed: 0, values: { 1: Number.NaN } },
    { trial: 1, seed: 0, values: { 1: null as unknown as number } },
    { trial: 2, seed: 0, values: { 1: 0.2 } },
  ];
  for (const direction of ['maximize', 'minimize'] as const) {
    const [th] = thresholdsFor(spec, direction, 3, [0], history);
    t.same(th!.rungs[0], { epoch: 1, competitors: 3, keep: 1, threshold: 0.2 }, direction);
  }
  // With keep 2 and only one finite competitor, fewer than 2 can be better than anyone: no threshold.
  const more = [...history, { trial: 3, seed: 0, values: { 1: Number.NaN } }, { trial: 4, seed: 0, values: { 1: Number.NaN } }];
  const [th] = thresholdsFor(spec, 'maximize', 5, [0], more);
  t.same(th!.rungs[0], { epoch: 1, competitors: 5, keep: 2, threshold: null });
});

t.test('validatePruning rejects bad specs with a message naming the field', async (t) => {
  t.equal(validatePruning(asha27), undefined);
  t.equal(validatePruning(hyper27), undefined);
  t.equal(validatePruning({ ...asha27, min: 5, max: 5 }), undefined);
  const bad: [Partial<PruningSpec>, RegExp][] = [
    [{ ...asha27, min: 10, max: 5 }, /min/],
    [{ ...asha27, min: 0 }, /min/],
    [{ ...asha27, min: -3 }, /min/],
    [{ ...asha27, min: 1.5 }, /min/],
    [{ ...asha27, max: 26.5 }, /max/],
    [{ ...asha27, max: Number.POSITIVE_INFINITY }, /max/],
    [{ ...asha27, eta: 1 }, /eta/],
    [{ ...asha27, eta: 1.5 }, /eta/],
    [{ ...asha27, eta: 2.5 }, /eta/],
    [{ ...asha27, method: 'median' as 'asha' }, /method/],
    [{ ...asha27, resource: 'steps' as 'epochs' }, /resource/],
    [{ ...asha27, metric: '' }, /metric/],
    [{ method: 'asha', resource: 'epochs', max: 27, eta: 3, metric: 'm' }, /min/],
    [{ method: 'asha', resource: 'epochs', min: 1, eta: 3, metric: 'm' }, /max/],
    [{ method: 'asha', resource: 'epochs', min: 1, max: 27, metric: 'm' }, /eta/],
  ];
  for (const [spec, field] of bad) {
    const message = validatePruning(spec);
    t.type(message, 'string', JSON.stringify(spec));
    t.match(message, field);
  }
  t.throws(() => rungsOf({ ...asha27, eta: 1 }, 0), 'the other functions refuse a bad spec');
  t.throws(() => thresholdsFor({ ...asha27, min: 0 }, 'maximize', 0, [0], []));
});

t.test('property: judging a growing curve finds the same first prune as judging it whole', async (t) => {
  const rng = new Rng(2024);
  let prunedCases = 0;
  let openCases = 0;
  for (let round = 0; round < 400; round++) {
    const min = 1 + rng.int(3);
    const eta = 2 + rng.int(3);
    const max = min + rng.int(40);
    const method = rng.uniform() < 0.5 ? 'asha' : 'hyperband';
    const spec: PruningSpec = { method, resource: 'epochs', min, max, eta, metric: 'm' };
    const direction: Direction = rng.uniform() < 0.5 ? 'maximize' : 'minimize';
    const trial = rng.int(30);
    // Values on a coarse grid so ties are common.
    const value = (): number => rng.int(8) / 8;
    const history: RunRungs[] = [];
    for (let h = 0; h < trial; h++) {
      const values: Record<string, number> = {};
      for (let e = 1; e <= max; e++) if (rng.uniform() < 0.7) values[e] = value();
      history.push({ trial: h, seed: 0, values });
    }
    const [th] = thresholdsFor(spec, direction, trial, [0], history);
    // A curve that may end early and may skip epochs (a metric not logged every epoch).
    const length = 1 + rng.int(max);
    const epochs: number[] = [];
    for (let e = 1; e <= length; e++) if (rng.uniform() < 0.85) epochs.push(e);
    const curve = new Map(epochs.map((e) => [e, value()] as const));
    const whole = judge(th!, direction, curve, true);

    let first: PruneVerdict | undefined;
    let firstAt = -1;
    let last: PruneVerdict | undefined;
    const growing = new Map<number, number>();
    for (let i = 0; i < epochs.length; i++) {
      growing.set(epochs[i]!, curve.get(epochs[i]!)!);
      last = judge(th!, direction, growing, i === epochs.length - 1);
      for (const [k, v] of Object.entries(last.rungs)) {
        if (whole.rungs[k] !== v) t.fail(`round ${round}: partial rung ${k} = ${v}, whole has ${whole.rungs[k]}`);
      }
      if (last.pruned && first === undefined) {
        first = last;
        firstAt = epochs[i]!;
      }
    }
    if (whole.pruned) {
      prunedCases++;
      if (first === undefined) {
        t.fail(`round ${round}: the whole curve is pruned at ${whole.epoch}, the growing one never`);
        continue;
      }
      if (JSON.stringify(first) !== JSON.stringify(whole) || firstAt !== whole.epoch) {
        t.fail(`round ${round}: growing ${JSON.stringify(first)} at ${firstAt}, whole ${JSON.stringify(whole)}`);
      }
    } else {
      openCases++;
      if (first !== undefined) t.fail(`round ${round}: the growing curve was pruned at ${first.epoch}, the whole one is not`);
      if (last !== undefined && JSON.stringify(last) !== JSON.stringify(whole)) t.fail(`round ${round}: final ${JSON.stringify(last)} vs ${JSON.stringify(whole)}`);
    }
  }
  t.ok(prunedCases > 50 && openCases > 50, `both outcomes exercised (${prunedCases} pruned, ${openCases} not)`);
});
