// rx log
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadLogOps = () => import('../../ops/log.js');
import { formatValue } from '../../pipeline/values.js';
import { textTable, markdownTable } from '../../report/table.js';
import { UsageError } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';

const MAX_COLUMNS = 6;

export function registerLog(program: Command, io: CliIO): void {
  program
    .command('log')
    .summary('the commits that changed rx.lock, with their metrics')
    .argument('[rev]', 'where to start (default: HEAD)')
    .option('-n, --max-count <n>', 'at most n commits')
    .option('--md', 'print a Markdown table')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx log', 'the history of results on this branch'], ['rx log -n 5 --md', 'the last five results as a table']))
    .action(async (rev: string | undefined, opts: { maxCount?: string; md?: boolean; json?: boolean }, cmd: Command) => {
      const max = opts.maxCount === undefined ? undefined : Number(opts.maxCount);
      if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new UsageError(`--max-count must be a positive whole number, not ${opts.maxCount}`);
      const r = await (await loadLogOps()).log(io.context(cmd), { rev, max });
      if (opts.json) return io.json(r);
      if (r.entries.length === 0) return io.print('no commit changed rx.lock');
      // Top-level metrics first; nested ones (per-class tables) only while the table stays readable.
      const all = [...new Set(r.entries.flatMap((e) => Object.keys(e.metrics)))].sort();
      const depth = (k: string) => k.replace(/^[^:]*:/, '').split('.').length;
      const keys = [...all].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0)).slice(0, MAX_COLUMNS).sort();
      const table = {
        headers: ['commit', 'date', 'subject', ...keys.map((k) => k.replace(/^[^:]*:/, ''))],
        rows: r.entries.map((e) => [e.commit.slice(0, 7), new Date(e.timestamp * 1000).toISOString().slice(0, 10), e.subject, ...keys.map((k) => formatValue(e.metrics[k]))]),
        right: keys.map((_, i) => i + 3),
      };
      io.print(opts.md ? markdownTable(table) : textTable(table));
      if (all.length > keys.length) io.print(`(${all.length - keys.length} more metrics: --json lists all)`);
    });
}
