// Times one GP suggestion at trial 60 over 6 dimensions (npx tsx scripts/gp-timing.ts [repeats]):
// 60 completed trials of a shifted sphere drawn from the prior, then the median of
// repeated suggest() calls and the share spent fitting the kernel, as wall time and as this
// process's CPU time (the honest number on a shared machine). Not part of `npm run bench`, which spawns bin/rx.
import { gp } from '../src/search/gp.js';
import { fitKernel, trainingSet } from '../src/search/gp-kernel.js';
import { configToUnit, samplePrior } from '../src/search/space.js';
import { streamFor } from '../src/search/rng.js';
import type { Space, Trial } from '../src/search/types.js';

const D = 6;
const N = 60;
const REPEATS = Number(process.argv[2] ?? 7);
const space: Space = {
  params: Array.from({ length: D }, (_, j) => ({ name: `x${j}`, path: `p.yaml:x${j}`, type: 'float' as const, low: -5, high: 5, log: false })),
};
const loss = (c: Record<string, unknown>) => Object.values(c).reduce<number>((s, v, j) => s + ((v as number) - 0.3 * j) ** 2, 0);
const trials: Trial[] = [];
for (let n = 0; n < N; n++) {
  const config = samplePrior(space, streamFor(11, n, 'bench'));
  trials.push({ number: n, config, state: 'complete', value: loss(config) });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const total: number[] = [];
const fit: number[] = [];
const cpu: number[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const ys = trials.map((t) => t.value!);
const mean = ys.reduce((a, b) => a + b, 0) / N;
const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / N);
const ts = trainingSet(trials.map((t) => configToUnit(space, t.config) as number[]), ys.map((y) => (y - mean) / sd));
gp.suggest({ space, trials, number: N, seed: 1 }); // warm-up (JIT)
for (let r = 0; r < REPEATS; r++) {
  let t0 = performance.now();
  const c0 = cpuMs();
  gp.suggest({ space, trials, number: N, seed: 1 + r });
  total.push(performance.now() - t0);
  cpu.push(cpuMs() - c0);
  t0 = performance.now();
  fitKernel(ts);
  fit.push(performance.now() - t0);
}
console.log(
  `gp suggest at trial ${N}, ${D} dims: wall median ${median(total).toFixed(1)} ms (min ${Math.min(...total).toFixed(1)}, max ${Math.max(...total).toFixed(1)}), ` +
    `CPU median ${median(cpu).toFixed(1)} ms; kernel fit wall median ${median(fit).toFixed(1)} ms; ${REPEATS} repeats`,
);
