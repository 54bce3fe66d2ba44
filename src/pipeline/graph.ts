// The stage graph: an edge A -> B when an output of A is (or contains, or lies inside) a
// dependency of B. Two stages writing one output, and cycles, are errors naming the stages.
// Pure: built from the expanded pipeline, no file access.
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { compareStrings } from '../core/canonical.js';
import { fieldPath, type Locate } from '../schema/validate.js';
import { PIPELINE_FILE, type Stage } from './definition.js';

export interface Graph {
  stages: Map<string, Stage>;
  /** stage -> stages it depends on */
  upstream: Map<string, Set<string>>;
  /** stage -> stages that depend on it */
  downstream: Map<string, Set<string>>;
  /** output path -> the stage that writes it */
  producers: Map<string, string>;
}

export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '/') || b.startsWith(a + '/');
}

/** The stage whose output covers `p` (equal to it, or a directory containing it). */
export function producerOf(graph: Graph, p: string): string | undefined {
  for (const [out, stage] of graph.producers) if (p === out || p.startsWith(out + '/')) return stage;
  return undefined;
}

export function buildGraph(stages: Stage[], locate: Locate = () => undefined): Graph {
  const problems: FileProblem[] = [];
  const at = (stage: Stage, message: string, field: (string | number)[] = []) =>
    problems.push({ file: PIPELINE_FILE, ...locate([...stage.defPath, ...field]), field: fieldPath([...stage.defPath, ...field]), message });
  const byName = new Map(stages.map((s) => [s.name, s]));
  const producers = new Map<string, string>();
  const outList: { path: string; stage: Stage }[] = [];
  for (const s of stages) for (const o of s.outs) outList.push({ path: o.path, stage: s });
  outList.sort((a, b) => compareStrings(a.path, b.path));
  for (let i = 0; i < outList.length; i++) {
    const a = outList[i]!;
    for (let j = i + 1; j < outList.length && (outList[j]!.path === a.path || outList[j]!.path.startsWith(a.path + '/')); j++) {
      const b = outList[j]!;
      if (a.stage !== b.stage) at(b.stage, `output ${b.path} overlaps output ${a.path} of stage ${a.stage.name}: two stages cannot write one output`, ['outs']);
    }
    producers.set(a.path, a.stage.name);
  }
  const upstream = new Map<string, Set<string>>(stages.map((s) => [s.name, new Set<string>()]));
  const downstream = new Map<string, Set<string>>(stages.map((s) => [s.name, new Set<string>()]));
  for (const s of stages) {
    for (const d of s.deps) {
      for (const o of outList) {
        if (!pathsOverlap(d, o.path)) continue;
        if (o.stage === s) {
          at(s, `depends on its own output ${o.path}`, ['deps']);
          continue;
        }
        upstream.get(s.name)!.add(o.stage.name);
        downstream.get(o.stage.name)!.add(s.name);
      }
    }
  }
  if (problems.length === 0) {
    const cycle = findCycle([...byName.keys()].sort(compareStrings), upstream);
    if (cycle) at(byName.get(cycle[0]!)!, `stages form a cycle: ${cycle.join(' -> ')}`, ['deps']);
  }
  if (problems.length > 0) throw new InvalidFileError(problems);
  return { stages: byName, upstream, downstream, producers };
}

/** A cycle as a list of stage names (first repeated at the end), or undefined. */
export function findCycle(names: string[], upstream: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const u of [...(upstream.get(n) ?? [])].sort(compareStrings)) {
      if (state.get(u) === 1) return [...stack.slice(stack.indexOf(u)), u].reverse();
      if (!state.has(u)) {
        const c = visit(u);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of names) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
