// rx dag [--mermaid|--dot|--json]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadDagOps = () => import('../../ops/dag.js');
import { mermaidGraph, dotGraph, textGraph } from '../../report/graph.js';
import { UsageError } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';

export function registerDag(program: Command, io: CliIO): void {
  program
    .command('dag')
    .summary('show the stage graph')
    .description('Print the stages of rx.yaml in the order rx runs them, with the stages each one depends on.')
    .option('--mermaid', 'a Mermaid flowchart (renders in GitHub Markdown)')
    .option('--dot', 'a Graphviz dot graph')
    .option('--json', 'print the graph as JSON')
    .addHelpText('after', examples(['rx dag', 'stages in run order'], ['rx dag --dot | dot -Tsvg > dag.svg', 'draw it with Graphviz']))
    .action(async (opts: { mermaid?: boolean; dot?: boolean; json?: boolean }, cmd: Command) => {
      if ([opts.mermaid, opts.dot, opts.json].filter(Boolean).length > 1) throw new UsageError('choose one of --mermaid, --dot, --json');
      const d = await (await loadDagOps()).dag(io.context(cmd));
      if (opts.json) io.json(d);
      else io.print(opts.mermaid ? mermaidGraph(d) : opts.dot ? dotGraph(d) : textGraph(d));
    });
}
