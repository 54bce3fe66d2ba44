// rx exp run|list|show|diff|apply|branch|rm
import type { Command } from 'commander';
import type { ShowItem, ExpRunSeedsResult } from '../../ops/exp.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadExpOps = () => import('../../ops/exp.js');
import { formatValue, formatDelta } from '../../pipeline/values.js';
import { textTable, markdownTable, fitColumns, type Table } from '../../report/table.js';
import { UsageError } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';
import { renderRepro } from './repro.js';
import { parseSeedList, formatMeanHalf, formatInterval } from '../../exp/seeds.js';

const collect = (v: string, prev: string[]) => [...prev, v];
const splitList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** Whether a column key is named by a --only/--drop pattern: the key itself, its name without the file, or a glob. */
function columnMatches(key: string, pattern: string): boolean {
  const short = key.replace(/^[^:]*:/, '');
  if (pattern === key || pattern === short) return true;
  if (!/[*?]/.test(pattern)) return false;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(key) || re.test(short);
}

export interface ColumnChoice {
  only?: string[];
  drop?: string[];
}

/** A metric is shown by its key alone unless two metric files share that key. */
function metricHeaders(keys: string[]): (k: string) => string {
  const shortOf = (k: string) => k.replace(/^[^:]*:/, '');
  const shared = new Set(keys.map(shortOf).filter((s, i, all) => all.indexOf(s) !== i));
  return (k) => (shared.has(shortOf(k)) ? k : shortOf(k));
}

/**
 * exp show's table: one line per experiment, or per seed group (its metrics as `mean ± half`
 * of the 95% percentile interval, and a `seeds` column, shown when there is a group).
 */
export function expTable(items: ShowItem[], choice: ColumnChoice = {}): Table {
  const chosen = (k: string) => (!choice.only?.length || choice.only.some((p) => columnMatches(k, p))) && !choice.drop?.some((p) => columnMatches(k, p));
  const paramsOf = (i: ShowItem) => (i.kind === 'experiment' ? i.row.params : i.group.params);
  const metricsOf = (i: ShowItem): Record<string, unknown> => (i.kind === 'experiment' ? i.row.metrics : Object.assign({}, ...i.group.experiments.map((e) => e.metrics)));
  const paramKeys = [...new Set(items.flatMap((i) => Object.keys(paramsOf(i))))].sort().filter(chosen);
  // Only params that differ between rows are worth a column (unless asked for by --only).
  const varying = paramKeys.filter((k) => new Set(items.map((i) => JSON.stringify(paramsOf(i)[k]))).size > 1 || choice.only?.some((p) => columnMatches(k, p)));
  const metricKeys = [...new Set(items.flatMap((i) => Object.keys(metricsOf(i))))].sort().filter(chosen);
  const header = metricHeaders(metricKeys);
  const grouped = items.some((i) => i.kind === 'group');
  const metricCell = (i: ShowItem, k: string) => {
    if (i.kind === 'experiment') return formatValue(i.row.metrics[k]);
    const m = i.group.metrics[k];
    if (m) return formatMeanHalf(m.stats);
    // Not a number (a boolean): shown when every seed has the same value.
    const values = new Set(i.group.experiments.map((e) => JSON.stringify(e.metrics[k])));
    return values.size === 1 ? formatValue(i.group.experiments[0]!.metrics[k]) : '-';
  };
  const lead = (i: ShowItem) => (i.kind === 'experiment' ? [i.row.name, i.row.commit.slice(0, 7), ...(grouped ? ['-'] : [])] : [i.group.name, '-', String(i.group.experiments.length)]);
  return {
    headers: ['experiment', 'commit', ...(grouped ? ['seeds'] : []), ...varying, ...metricKeys.map(header)],
    rows: items.map((i) => [...lead(i), ...varying.map((k) => formatValue(paramsOf(i)[k])), ...metricKeys.map((k) => metricCell(i, k))]),
    right: Array.from({ length: (grouped ? 1 : 0) + varying.length + metricKeys.length }, (_, n) => n + 2),
  };
}

/** exp run --seeds as text: a line per seed, then per metric its mean ± half-width and interval. */
export function renderSeedsRun(r: ExpRunSeedsResult): string {
  const lines: string[] = [];
  const header = metricHeaders([...new Set(r.seeds.flatMap((s) => Object.keys(s.metrics)))]);
  for (const s of r.seeds) {
    if (s.commit === '') lines.push(`seed ${s.seed}  ${s.name}  not recorded: stage(s) failed: ${s.failed.join(', ')}`);
    else {
      const values = Object.entries(s.metrics).map(([k, v]) => `${header(k)}=${formatValue(v)}`);
      lines.push(`seed ${s.seed}  ${s.name}  ${s.commit.slice(0, 12)}${values.length ? `  ${values.join(' ')}` : ''}`);
    }
  }
  const recorded = r.seeds.length - r.failedSeeds.length;
  lines.push(`group ${r.group}: ${recorded} of ${r.seeds.length} seed(s) recorded under ${r.group}/s<seed>`);
  const keys = Object.keys(r.summary);
  if (keys.length > 0) {
    lines.push('mean ± half-width of its 95% bootstrap interval (percentile):');
    for (const k of keys) lines.push(`  ${header(k)}: ${formatInterval(r.summary[k]!.stats)}`);
  }
  return lines.join('\n');
}

export function registerExp(program: Command, io: CliIO): void {
  const exp = program
    .command('exp')
    .summary('experiments: pipeline runs recorded as commits under refs/rx/exps')
    .addHelpText('after', examples(['rx exp run -n fast -S train.lr=0.01', 'record an experiment'], ['rx exp show', 'compare the experiments of HEAD']));
  exp
    .command('run')
    .summary('run the pipeline with overrides and record the result as an experiment')
    .description(
      'Run the pipeline on HEAD plus the working tree\'s uncommitted changes plus -S overrides, in a temporary\ndirectory sharing the store, and record the result as a commit under refs/rx/exps/<HEAD>/<name>.\nHEAD, the index and the working tree are not touched. Several may run at once.\n\nWith --seeds 0,1,2 the same configuration runs once per seed (one after the other, or --seed-jobs at once), with RX_SEED set\n(rx train seeds from it; a stage command can read $RX_SEED), each recorded as <name>/s<seed>; the\nresult summarises every numeric metric over the seeds: mean, IQM, sd and 95% bootstrap intervals\n(percentile and BCa), resampled with a seed derived from the name, so they are reproducible.',
    )
    .argument('[stages...]', 'stages to bring up to date (default: all)')
    .option('-S, --set <path=value>', 'override a value: key.path=v (params.yaml) or file.yaml:key.path=v; +key=v adds a key', collect, [])
    .option('-n, --name <name>', 'the experiment name (default: a generated one)')
    .option('-j, --jobs <n>', 'run up to n independent stages at once', '1')
    .option('--seeds <list>', 'run once per seed (comma-separated whole numbers, e.g. 0,1,2) with RX_SEED set; recorded as <name>/s<seed>')
    .option('--seed-jobs <n>', 'with --seeds: run up to n seeds at once, their stage output going to a log per seed in .rx/tmp/runs/exp/', '1')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx exp run -S train.lr=0.01', 'one experiment'],
        ['rx exp run -n wide -S models/cnn.yaml:blocks.0.filters=64', 'override a value in any YAML or JSON file'],
        ['rx exp run -n lr-small --seeds 0,1,2 -S train.lr=0.01', 'three seeds: lr-small/s0, lr-small/s1, lr-small/s2, with mean ± interval'],
      ),
    )
    .action(async (stages: string[], opts: { set: string[]; name?: string; jobs: string; seeds?: string; seedJobs: string; json?: boolean }, cmd: Command) => {
      const jobs = Number(opts.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive whole number, not ${opts.jobs}`);
      const seedJobs = Number(opts.seedJobs);
      if (!Number.isInteger(seedJobs) || seedJobs < 1) throw new UsageError(`--seed-jobs must be a positive whole number, not ${opts.seedJobs}`);
      if (seedJobs > 1 && opts.seeds === undefined) throw new UsageError('--seed-jobs needs --seeds');
      if (opts.seeds !== undefined) {
        const seeds = parseSeedList(opts.seeds);
        const r = await (await loadExpOps()).expRunSeeds(io.context(cmd), { overrides: opts.set, name: opts.name, stages, jobs, seeds, seedJobs });
        if (opts.json) io.json(r);
        else io.print(renderSeedsRun(r));
        if (r.failedSeeds.length > 0) {
          process.stderr.write(`${io.colours.red('error:')} seed(s) ${r.failedSeeds.join(', ')} not recorded: a stage failed\n`);
          io.exitCode = 5;
        }
        return;
      }
      const result = await (await loadExpOps()).expRun(io.context(cmd), { overrides: opts.set, name: opts.name, stages, jobs });
      if (opts.json) io.json(result);
      else {
        io.print(renderRepro({ stages: result.stages, failed: result.failed, recovered: [] }, io.colours));
        if (result.failed.length === 0) io.print(`experiment ${result.name} recorded as ${result.ref} (${result.commit.slice(0, 12)})`);
      }
      if (result.failed.length > 0) {
        process.stderr.write(`${io.colours.red('error:')} experiment not recorded: stage(s) failed: ${result.failed.join(', ')}\n`);
        io.exitCode = 5;
      }
    });
  exp
    .command('list')
    .summary('list experiments of HEAD (or of every baseline)')
    .option('-A, --all-baselines', 'experiments of every baseline commit')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx exp list', 'experiments based on HEAD']))
    .action(async (opts: { allBaselines?: boolean; json?: boolean }, cmd: Command) => {
      const r = await (await loadExpOps()).expList(io.context(cmd), opts);
      if (opts.json) return io.json(r);
      if (r.experiments.length === 0) return io.print('no experiments' + (r.baseline ? ` on ${r.baseline.slice(0, 12)}` : ''));
      io.print(textTable({ headers: ['name', 'commit', 'baseline', 'created'], rows: r.experiments.map((e) => [e.name, e.commit.slice(0, 12), e.baseline.slice(0, 12), new Date(e.timestamp * 1000).toISOString()]) }));
    });
  exp
    .command('show')
    .summary('a table of experiments with their params and metrics')
    .description(
      'A table of HEAD and its experiments with their params and metrics. The experiments of a seed group\n(NAME/s0, NAME/s1, ..., as rx exp run --seeds records them) are one line for NAME: each numeric metric\nas mean ± half-width of its 95% percentile bootstrap interval, and seeds = how many; --sort-by sorts\na group by its mean. --json gives every experiment under rows and each group under groups, with its\nvalues per seed and their summary (n, mean, IQM, sd, percentile and BCa intervals).',
    )
    .option('-A, --all-baselines', 'experiments of every baseline commit')
    .option('--sort-by <key>', 'sort by a param or metric (e.g. accuracy)')
    .option('--desc', 'sort descending')
    .option('--only <columns>', 'only these params/metrics (comma-separated keys, file:key or globs like "train.*")', splitList)
    .option('--drop <columns>', 'leave these params/metrics out (same forms as --only)', splitList)
    .option('--per-seed', "a line per experiment of a seed group too, instead of one for the group (--json always has both)")
    .option('--md', 'print a Markdown table (never cut to the terminal)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx exp show --sort-by accuracy --desc', 'best first'],
        ['rx exp show --per-seed', 'every seed of lr-small/s0, lr-small/s1, ... on its own line'],
        ['rx exp show --only "val_accuracy,train.*"', 'choose the columns'],
        ['rx exp show --drop "*loss*"', 'leave columns out'],
        ['rx exp show --md', 'for a pull request'],
      ),
    )
    .action(async (opts: { allBaselines?: boolean; sortBy?: string; desc?: boolean; only?: string[]; drop?: string[]; perSeed?: boolean; md?: boolean; json?: boolean }, cmd: Command) => {
      const ops = await loadExpOps();
      const r = await ops.expShow(io.context(cmd), { allBaselines: opts.allBaselines, sortBy: opts.sortBy, descending: opts.desc });
      if (opts.json) return io.json(r);
      const table = expTable(ops.showItems(r, { perSeed: opts.perSeed, sortBy: opts.sortBy, descending: opts.desc }), { only: opts.only, drop: opts.drop });
      if (opts.md) return io.print(markdownTable(table));
      // A terminal gets what fits its width, saying how much was left out; a pipe gets every column.
      const width = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || Infinity;
      const { table: fitted, omitted } = fitColumns(table, width, 2);
      io.print(textTable(fitted));
      if (omitted > 0) io.print(`(${omitted} more column${omitted === 1 ? '' : 's'} left out to fit ${width} characters: choose with --only/--drop, or see all with --md or --json)`);
    });
  exp
    .command('diff')
    .summary('compare two experiments (or one with HEAD)')
    .argument('<a>')
    .argument('[b]', 'default: HEAD')
    .option('--all', 'include unchanged values')
    .option('--md', 'print Markdown tables')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx exp diff fast', 'experiment fast against HEAD'], ['rx exp diff fast wide --md', 'two experiments, as Markdown']))
    .action(async (a: string, b: string | undefined, opts: { all?: boolean; md?: boolean; json?: boolean }, cmd: Command) => {
      const r = await (await loadExpOps()).expDiff(io.context(cmd), { a, b, all: opts.all });
      if (opts.json) return io.json(r);
      const render = (t: Table) => (opts.md ? markdownTable(t) : textTable(t));
      const out: string[] = [];
      for (const [what, d] of [['params', r.params], ['metrics', r.metrics]] as const) {
        out.push(opts.md ? `### ${what}` : `${what}:`);
        out.push(d.rows.length === 0 ? '(no changes)' : render({ headers: ['file', 'key', r.a, r.b, 'change'], rows: d.rows.map((x) => [x.file, x.key, formatValue(x.old), formatValue(x.new), x.delta !== undefined ? formatDelta(x.delta) : x.change]), right: [2, 3, 4] }));
      }
      io.print(out.join('\n'));
    });
  exp
    .command('apply')
    .summary("bring an experiment's files, data and outputs into the working tree")
    .argument('<name>')
    .option('-f, --force', 'overwrite uncommitted changes to the files it brings')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx exp apply fast && git commit -am "lr 0.01"', 'keep an experiment on the current branch']))
    .action(async (name: string, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const r = await (await loadExpOps()).expApply(io.context(cmd), { name, force: opts.force });
      if (opts.json) return io.json(r);
      io.print(`applied ${r.name} (${r.commit.slice(0, 12)}): ${r.written.length} file(s) written${r.written.length ? `: ${r.written.join(', ')}` : ''}`);
    });
  exp
    .command('branch')
    .summary('create a git branch at an experiment')
    .argument('<name>')
    .argument('<branch>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx exp branch fast lr-0.01', 'a branch lr-0.01 at experiment fast']))
    .action(async (name: string, branch: string, opts: { json?: boolean }, cmd: Command) => {
      const r = await (await loadExpOps()).expBranch(io.context(cmd), { name, branch });
      if (opts.json) return io.json(r);
      io.print(`branch ${r.branch} at ${r.commit.slice(0, 12)}`);
    });
  exp
    .command('rm')
    .summary('remove experiments (their refs)')
    .argument('<names...>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx exp rm fast wide', 'remove two experiments']))
    .action(async (names: string[], opts: { json?: boolean }, cmd: Command) => {
      const r = await (await loadExpOps()).expRemove(io.context(cmd), { names });
      if (opts.json) return io.json(r);
      io.print(`removed ${r.removed.join(', ')}`);
    });
}
