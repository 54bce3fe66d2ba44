// rx params diff, rx metrics show|diff
import type { Command } from 'commander';
import type { DiffResult } from '../../ops/params-metrics.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadParamsMetricsOps = () => import('../../ops/params-metrics.js');
import { formatValue, formatDelta } from '../../pipeline/values.js';
import { textTable, markdownTable, type Table } from '../../report/table.js';
import { examples, type CliIO } from '../io.js';

function diffTable(result: DiffResult, withDelta: boolean): Table {
  const headers = ['file', 'key', result.a, result.b];
  if (withDelta) headers.push('change');
  return {
    headers,
    rows: result.rows.map((r) => {
      const row = [r.file, r.key, formatValue(r.old), formatValue(r.new)];
      if (withDelta) row.push(r.delta !== undefined ? formatDelta(r.delta) : r.change === 'unchanged' ? '' : r.change);
      return row;
    }),
    right: withDelta ? [2, 3, 4] : [],
  };
}

function printDiff(io: CliIO, result: DiffResult, opts: { json?: boolean; md?: boolean }, withDelta: boolean, what: string): void {
  if (opts.json) return io.json(result);
  if (result.rows.length === 0) return io.print(`no ${what} changed between ${result.a} and ${result.b}`);
  const table = diffTable(result, withDelta);
  io.print(opts.md ? markdownTable(table) : textTable(table));
}

export function registerParamsMetrics(program: Command, io: CliIO): void {
  const params = program
    .command('params')
    .summary('parameters the stages use')
    .addHelpText('after', examples(['rx params diff', 'parameter changes since the last commit']));
  params
    .command('diff')
    .summary('compare parameter values between revisions or the workspace')
    .description('Compare the parameter values the stages use between two revisions (default: HEAD and the workspace).\nRevisions are read from git without checking anything out.')
    .argument('[revisions...]', 'A, A B or A..B')
    .option('--all', 'include unchanged values')
    .option('--md', 'print a Markdown table')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx params diff', 'what changed since the last commit'], ['rx params diff main HEAD --md', 'a table for a pull request']))
    .action(async (revisions: string[], opts: { all?: boolean; md?: boolean; json?: boolean }, cmd: Command) => {
      printDiff(io, await (await loadParamsMetricsOps()).paramsDiff(io.context(cmd), { revisions, all: opts.all }), opts, false, 'parameters');
    });

  const metrics = program
    .command('metrics')
    .summary('metrics the stages write')
    .addHelpText('after', examples(['rx metrics show', 'metrics in the workspace'], ['rx metrics diff main', 'deltas against main']));
  metrics
    .command('show')
    .summary('show metric values')
    .argument('[revision]', 'a revision (default: the workspace)')
    .option('--md', 'print a Markdown table')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx metrics show', 'metrics in the workspace'], ['rx metrics show HEAD~3', 'metrics as committed three commits ago']))
    .action(async (revision: string | undefined, opts: { md?: boolean; json?: boolean }, cmd: Command) => {
      const result = await (await loadParamsMetricsOps()).metricsShow(io.context(cmd), { revision });
      if (opts.json) return io.json(result);
      if (result.metrics.length === 0) return io.print(`no metrics in ${result.revision}`);
      const table: Table = { headers: ['file', 'key', 'value'], rows: result.metrics.map((m) => [m.file, m.key, formatValue(m.value)]), right: [2] };
      io.print(opts.md ? markdownTable(table) : textTable(table));
    });
  metrics
    .command('diff')
    .summary('compare metric values between revisions or the workspace')
    .argument('[revisions...]', 'A, A B or A..B (default: HEAD and the workspace)')
    .option('--all', 'include unchanged values')
    .option('--md', 'print a Markdown table')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx metrics diff', 'metric deltas since the last commit'], ['rx metrics diff main..HEAD --md', 'deltas of a branch, for a pull request']))
    .action(async (revisions: string[], opts: { all?: boolean; md?: boolean; json?: boolean }, cmd: Command) => {
      printDiff(io, await (await loadParamsMetricsOps()).metricsDiff(io.context(cmd), { revisions, all: opts.all }), opts, true, 'metrics');
    });
}
