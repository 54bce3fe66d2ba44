import t from 'tap';
import { buildGraph, findCycle } from '../../src/pipeline/graph.js';
import { planRepro, resolveTargets } from '../../src/pipeline/plan.js';
import type { Stage } from '../../src/pipeline/definition.js';

function stage(name: string, deps: string[], outs: string[]): Stage {
  return { name, cmd: name, wdir: '', deps, params: [], outs: outs.map((p) => ({ path: p, kind: 'out', cache: true, persist: false })), frozen: false, alwaysChanged: false, env: {}, seeds: {}, defPath: ['stages', name] };
}

function graphOf(edges: [string, string][]) {
  const names = new Set(edges.flat());
  const upstream = new Map([...names].map((n) => [n, new Set<string>()]));
  const downstream = new Map([...names].map((n) => [n, new Set<string>()]));
  for (const [a, b] of edges) {
    upstream.get(b)!.add(a);
    downstream.get(a)!.add(b);
  }
  return { upstream, downstream };
}

t.test('planRepro orders topologically with ties by name', async (t) => {
  const g = graphOf([['prep', 'train'], ['prep', 'feat'], ['feat', 'train'], ['train', 'eval'], ['data', 'prep'], ['lint', 'lint2']]);
  t.same(planRepro(g, []), ['data', 'lint', 'lint2', 'prep', 'feat', 'train', 'eval']);
  t.same(planRepro(g, ['train']), ['data', 'prep', 'feat', 'train']);
  t.same(planRepro(g, ['feat'], { downstream: true }), ['feat', 'train', 'eval']);
});

t.test('plan respects every edge (property over random DAGs)', async (t) => {
  let seed = 11;
  const rand = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
  for (let round = 0; round < 30; round++) {
    const n = 3 + rand(10);
    const edges: [string, string][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (rand(4) === 0) edges.push([`s${j}`, `s${i}`]);
    for (let i = 0; i < n; i++) edges.push([`s${i}`, `s${i}`].map((x, k) => (k === 0 ? x : `leaf${round}`)) as [string, string]);
    const g = graphOf(edges);
    const order = planRepro(g, []);
    const pos = new Map(order.map((s, i) => [s, i]));
    t.equal(order.length, g.upstream.size);
    t.ok(edges.every(([a, b]) => pos.get(a)! < pos.get(b)!), `round ${round}: edges respected`);
  }
});

t.test('resolveTargets expands groups and rejects unknown stages', async (t) => {
  t.same(resolveTargets(['fit@a', 'fit@b', 'eval'], ['fit']), ['fit@a', 'fit@b']);
  t.throws(() => resolveTargets(['eval'], ['nope']), { code: 'RX_USAGE' });
});

t.test('buildGraph links outputs to dependencies, including directories', async (t) => {
  const g = buildGraph([stage('prep', ['raw.csv'], ['data/prep']), stage('train', ['data/prep/train.csv'], ['model']), stage('eval', ['model', 'data/prep'], ['m.json'])]);
  t.same([...g.upstream.get('train')!], ['prep']);
  t.same([...g.upstream.get('eval')!].sort(), ['prep', 'train']);
});

t.test('two stages writing one output, self-dependency and cycles are errors naming stages', async (t) => {
  t.throws(() => buildGraph([stage('a', [], ['out']), stage('b', [], ['out/x'])]), { code: 'RX_INVALID_FILE', message: /overlaps output out of stage a/ });
  t.throws(() => buildGraph([stage('a', ['x'], ['x'])]), { message: /depends on its own output x/ });
  t.throws(() => buildGraph([stage('a', ['y'], ['x']), stage('b', ['x'], ['y'])]), { message: /cycle: a -> b -> a|cycle: b -> a -> b/ });
  t.same(findCycle(['a'], new Map([['a', new Set<string>()]])), undefined);
});
