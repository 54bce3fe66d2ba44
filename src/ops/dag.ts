// rx dag: the stage graph as data (stages in topological order and their edges), for the
// CLI to draw as text, Mermaid, Graphviz dot or JSON.
import type { Context } from '../core/context.js';
import { compareStrings } from '../core/canonical.js';
import { planRepro } from '../pipeline/plan.js';
import { openPipeline } from '../pipeline/open.js';

import type { DagResult } from '../report/graph.js';

export type { DagResult };

export async function dag(ctx: Context): Promise<DagResult> {
  const { graph } = await openPipeline(ctx);
  const order = planRepro(graph, []);
  const stages = order.map((name) => {
    const s = graph.stages.get(name)!;
    return { name, cmd: s.cmd, deps: s.deps, outs: s.outs.map((o) => o.path), frozen: s.frozen };
  });
  const edges: DagResult['edges'] = [];
  for (const name of order) for (const to of [...graph.downstream.get(name)!].sort(compareStrings)) edges.push({ from: name, to });
  return { stages, edges };
}
