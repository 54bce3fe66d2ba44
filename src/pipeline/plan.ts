// Planning a reproduction: which stages to consider, in which order. Pure: a function of
// the graph's upstream relation and the targets, testable with plain strings.
import { UsageError } from '../core/errors.js';
import { compareStrings } from '../core/canonical.js';

export interface PlanGraph {
  upstream: Map<string, Set<string>>;
  downstream: Map<string, Set<string>>;
}

/** Resolves target names: a stage name, or a foreach/matrix group name selecting `name@*`. */
export function resolveTargets(names: Iterable<string>, targets: string[]): string[] {
  const all = [...names];
  const out = new Set<string>();
  for (const t of targets) {
    const matches = all.filter((n) => n === t || n.startsWith(t + '@'));
    if (matches.length === 0) throw new UsageError(`unknown stage: ${t}`, { data: { stage: t }, hint: `stages: ${all.sort(compareStrings).join(', ')}` });
    for (const m of matches) out.add(m);
  }
  return [...out].sort(compareStrings);
}

function closure(start: string[], edges: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of edges.get(n) ?? []) stack.push(m);
  }
  return seen;
}

/**
 * The stages to consider, in a topological order (ties broken by name, so the order is
 * stable). No targets: every stage. Targets: them and everything upstream of them; with
 * downstream: them and everything downstream of them.
 */
export function planRepro(graph: PlanGraph, targets: string[], options: { downstream?: boolean } = {}): string[] {
  const all = [...graph.upstream.keys()];
  const chosen = targets.length === 0 ? new Set(all) : closure(targets, options.downstream ? graph.downstream : graph.upstream);
  const indegree = new Map<string, number>();
  for (const n of chosen) indegree.set(n, [...(graph.upstream.get(n) ?? [])].filter((u) => chosen.has(u)).length);
  const ready = [...chosen].filter((n) => indegree.get(n) === 0).sort(compareStrings);
  const order: string[] = [];
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const d of [...(graph.downstream.get(n) ?? [])].sort(compareStrings)) {
      if (!chosen.has(d)) continue;
      const left = indegree.get(d)! - 1;
      indegree.set(d, left);
      if (left === 0) {
        ready.push(d);
        ready.sort(compareStrings);
      }
    }
  }
  return order;
}
