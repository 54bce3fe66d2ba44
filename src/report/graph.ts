// Pure renderers of the stage graph: Mermaid (renders in GitHub Markdown), Graphviz dot,
// and an indented text view for terminals.
export interface DagResult {
  stages: { name: string; cmd: string | string[]; deps: string[]; outs: string[]; frozen: boolean }[];
  edges: { from: string; to: string }[];
}

function mermaidId(name: string): string {
  return 's_' + name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`);
}

export function mermaidGraph(d: DagResult): string {
  const lines = ['flowchart TD'];
  for (const s of d.stages) lines.push(`  ${mermaidId(s.name)}["${s.name.replace(/"/g, '#quot;')}"]`);
  for (const e of d.edges) lines.push(`  ${mermaidId(e.from)} --> ${mermaidId(e.to)}`);
  return lines.join('\n');
}

export function dotGraph(d: DagResult): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['digraph rx {', '  rankdir=TB;', '  node [shape=box];'];
  for (const s of d.stages) lines.push(`  ${q(s.name)}${s.frozen ? ' [style=dashed]' : ''};`);
  for (const e of d.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)};`);
  lines.push('}');
  return lines.join('\n');
}

export function textGraph(d: DagResult): string {
  if (d.stages.length === 0) return 'no stages';
  const after = new Map<string, string[]>();
  for (const e of d.edges) after.set(e.to, [...(after.get(e.to) ?? []), e.from]);
  return d.stages
    .map((s) => {
      const from = after.get(s.name);
      return from ? `${s.name}  <- ${from.join(', ')}` : s.name;
    })
    .join('\n');
}
