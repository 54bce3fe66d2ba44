// rx search run|status|replay|export|apply
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatValue } from '../../pipeline/values.js';
import { textTable, markdownTable, fitColumns, type Table } from '../../report/table.js';
import type { SearchSummary } from '../../search/summary.js';
import type { SimplexValue } from '../../search/types.js';
import { examples, type CliIO } from '../io.js';

const loadSearchOps = () => import('../../ops/search.js');

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number, not ${v}`);
  return n;
}

function showParam(v: unknown): string {
  if (v === undefined) return '-';
  if (v !== null && typeof v === 'object') {
    return Object.entries(v as SimplexValue)
      .map(([k, w]) => `${k}:${w.toFixed(2)}`)
      .join(' ');
  }
  return formatValue(v);
}

export function trialTable(s: SearchSummary): Table {
  const names = [...new Set(s.trials.flatMap((t) => Object.keys(t.config)))];
  return {
    headers: ['trial', 'sampler', 'state', s.objective.metric.replace(/^[^:]*:/, ''), ...s.seeds.map((x) => `s${x}`), ...names],
    rows: s.trials.map((t) => [
      String(t.trial) + (s.incumbent?.trial === t.trial ? ' *' : ''),
      t.sampler,
      t.state,
      t.value === undefined ? '-' : formatValue(t.value),
      ...s.seeds.map((x) => {
        const v = t.values[String(x)];
        const pruned = t.prunedAt[String(x)];
        return v === undefined ? '' : pruned !== undefined ? `pruned@${pruned}` : v === null ? 'failed' : formatValue(v);
      }),
      ...names.map((n) => showParam(t.config[n])),
    ]),
    right: [0, 3, ...s.seeds.map((_, i) => 4 + i)],
  };
}

function headline(s: SearchSummary): string {
  const stop = s.stop ? `; stopped: ${s.stop.reason} (${Object.entries(s.stop.values).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  const n = s.end?.best?.seeds?.length ?? s.seeds.length;
  const best = s.incumbent ? `best: trial ${s.incumbent.trial}, ${s.objective.metric} = ${formatValue(s.incumbent.value)} (mean of ${n} seed${n === 1 ? '' : 's'}${s.races.length > 0 ? ', after racing' : ''})` : 'no completed trial yet';
  return `search ${s.search}: ${s.trials.length} trial(s), ${s.counts.complete} complete, ${s.counts.failed} failed, ${s.counts.pruned > 0 ? `${s.counts.pruned} pruned, ` : ''}${s.counts.incomplete > 0 ? `${s.counts.incomplete} incomplete (budget), ` : ''}${s.counts.pending} pending${s.finished ? ', finished' : ''}${stop}\n${best}`;
}

function printTable(io: CliIO, table: Table, md?: boolean): void {
  if (md) return io.print(markdownTable(table));
  const width = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || Infinity;
  const { table: fitted, omitted } = fitColumns(table, width, 4);
  io.print(textTable(fitted));
  if (omitted > 0) io.print(`(${omitted} more column${omitted === 1 ? '' : 's'} left out to fit ${width} characters: see all with --md or --json)`);
}

export function registerSearch(program: Command, io: CliIO): void {
  const search = program
    .command('search')
    .summary('joint search over model, data mix and augmentation, with a replayable ledger')
    .addHelpText('after', examples(['rx search run joint', 'run (or resume) search/joint.yaml'], ['rx search status joint', 'the trials so far and the best one'], ['rx search replay joint', 'check that the ledger follows from the spec'], ['rx search report joint', 'winner with its interval, near-top set, importance']));
  search
    .command('run')
    .summary('run a search (or resume it where it stopped)')
    .description(
      'Run the search defined in search/NAME.yaml: each suggested configuration runs on every seed of the\n' +
        'spec as an experiment (refs/rx/exps/<baseline>/NAME/<trial>-s<seed>) in its own temporary tree\n' +
        'sharing the store and run cache; HEAD, the index and the working tree are not touched. Every\n' +
        'suggestion and result is appended to search/NAME.ledger.jsonl; timings go to search/NAME.times.jsonl.\n' +
        'Run it again after an interruption: it continues from the ledger without repeating a finished run.',
    )
    .argument('<name>', 'the search (search/NAME.yaml) or the path of its file')
    .option('-j, --jobs <n>', 'runs at once (the ledger is the same for any n)', '1')
    .option('--max-trials <n>', 'suggest at most n new trials in this invocation, then pause')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', examples(['rx search run joint', 'run search/joint.yaml to its budget'], ['rx search run joint --jobs 2 --max-trials 4', 'four more trials, two runs at a time']))
    .action(async (name: string, opts: { jobs: string; maxTrials?: string; json?: boolean }, cmd: Command) => {
      const jobs = positive('--jobs', opts.jobs)!;
      const maxTrials = positive('--max-trials', opts.maxTrials);
      const result = await (await loadSearchOps()).searchRun(io.context(cmd), { name, jobs, ...(maxTrials !== undefined ? { maxTrials } : {}) });
      if (opts.json) return io.json(result);
      io.print(headline(result.summary));
      if (result.paused) io.print(`paused after ${opts.maxTrials} new trial(s): run \`rx search run ${name}\` to continue`);
      if (result.resumed || result.budgetSeconds !== undefined || result.budgetCpuSeconds !== undefined) io.print(wallTimeLine(result));
      io.hint(cmd, `see the trials with: rx search status ${name}`);
    });
  search
    .command('status')
    .summary('trials done, running and failed, the incumbent, a table of trials')
    .argument('<name>', 'the search')
    .option('--json', 'print the summary as JSON')
    .option('--md', 'print the table as Markdown')
    .addHelpText('after', examples(['rx search status joint', 'where the search stands']))
    .action(async (name: string, opts: { json?: boolean; md?: boolean }, cmd: Command) => {
      const result = await (await loadSearchOps()).searchStatus(io.context(cmd), { name });
      if (opts.json) return io.json(result);
      io.print(headline(result.summary) + (result.running ? `\na search run is under way (${result.running})` : ''));
      const u = result.used;
      if (u.parts > 0) {
        const of = (budget: number | undefined) => (budget !== undefined ? ` of ${formatWallTime(budget)}` : '');
        const cpu = u.cpuSeconds > 0 || u.budgetCpuSeconds !== undefined ? `, ${formatWallTime(u.cpuSeconds)}${of(u.budgetCpuSeconds)} CPU` : '';
        // The times file gets a line when a run starts or ends: a run under way is not in it yet.
        io.print(`used: ${formatWallTime(u.seconds)}${of(u.budgetSeconds)} wall time${cpu}, over ${u.parts} run(s) of rx search run${result.running ? ' (as recorded: a trial run under way counts once it ends)' : ''}`);
      }
      for (const w of result.underWay ?? []) {
        // The objective's key (metrics.json:val_accuracy -> val_accuracy), as the trainer reports it per epoch.
        const key = result.summary.objective.metric.slice(result.summary.objective.metric.lastIndexOf(':') + 1);
        const shown = w.metrics?.[key];
        const at = w.epoch !== undefined ? `epoch ${w.epoch} done${shown !== undefined ? ` (${key} ${formatValue(shown)})` : ''}` : 'no epoch reported yet';
        io.print(`under way: trial ${w.trial} seed ${w.seed}, ${at}, started ${w.since}`);
      }
      if (result.summary.trials.length > 0) printTable(io, trialTable(result.summary), opts.md);
      for (const t of result.summary.trials) for (const f of t.failures) io.print(`trial ${t.trial} seed ${f.seed} failed${f.exitCode !== undefined ? ` (exit ${f.exitCode})` : ''}${f.error ? `: ${f.error}` : ''}${f.log ? `; log: ${f.log}` : ''}`);
    });
  search
    .command('replay')
    .summary('re-derive every suggestion and decision of a ledger; exit 1 at the first that differs')
    .argument('<name>', 'the search')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx search replay joint', 'check that the ledger follows from the spec, the seed and the results']))
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const result = await (await loadSearchOps()).searchReplay(io.context(cmd), { name });
      if (opts.json) io.json(result);
      else if (result.ok) {
        const r = result.result;
        io.print(`${result.ledger}: all ${r.lines} lines re-derived: ${r.suggestions} suggestion(s), ${r.decisions} decision(s), ${r.results} recorded result(s)${r.prunes > 0 ? `, ${r.prunes} prune(s)` : ''}${r.races > 0 ? `, ${r.races} racing decision(s)` : ''}${r.finished ? '' : ' (search not finished)'}`);
      } else {
        const d = result.difference;
        io.print(`${result.ledger}:${d.line}: differs in ${d.field}\n  the ledger has:   ${JSON.stringify(d.found)}\n  re-derived:       ${JSON.stringify(d.expected)}`);
      }
      if (!result.ok) io.exitCode = 1;
    });
  search
    .command('report')
    .summary('the evidence: winner with its interval, near-top set, importance, interactions, prunes')
    .description(
      'Report what a search found: the winner with its mean and 95% bootstrap interval over every seed it\n' +
        'ran (racing seeds included) and how to reproduce it; the near-top set (trials a paired test over the\n' +
        "winner's seeds cannot tell from it after Holm's correction) with P(X > best) and the parameters they\n" +
        'change; PED-ANOVA importance and cross-family interactions with bootstrap intervals; the winner\'s\n' +
        'sensitivity to each parameter; the best so far against the expected best of random search over the\n' +
        'same trials; racing decisions, pruned trials and failures. --json follows rx.search-report/1.',
    )
    .argument('<name>', 'the search')
    .option('--json', 'print the report as JSON (schema rx.search-report/1)')
    .option('--md', 'print the report as Markdown')
    .option('-o, --out <file>', 'also write it to this file (Markdown unless it ends in .json)')
    .addHelpText('after', examples(['rx search report joint', 'the evidence as text'], ['rx search report joint --md -o search/joint.report.md', 'a report to commit beside the ledger']))
    .action(async (name: string, opts: { json?: boolean; md?: boolean; out?: string }, cmd: Command) => {
      const { report } = await (await loadSearchOps()).searchReport(io.context(cmd), { name });
      const { renderSearchReport } = await import('../../report/search-report.js');
      if (opts.out) {
        const { writeFileAtomic } = await import('../../core/atomic.js');
        const { resolve } = await import('node:path');
        const file = resolve(io.context(cmd).cwd, opts.out);
        await writeFileAtomic(file, opts.out.endsWith('.json') ? JSON.stringify(report, null, 2) + '\n' : renderSearchReport(report, true));
      }
      if (opts.json) return io.json(report);
      io.print(renderSearchReport(report, Boolean(opts.md)).trimEnd());
    });
  search
    .command('export')
    .summary('write the search as an Optuna journal (optuna.load_study and optuna-dashboard read it)')
    .argument('<name>', 'the search')
    .requiredOption('--optuna-journal <file>', 'the JournalStorage file to write')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx search export joint --optuna-journal joint.log', 'then: optuna-dashboard joint.log']))
    .action(async (name: string, opts: { optunaJournal: string; json?: boolean }, cmd: Command) => {
      const result = await (await loadSearchOps()).searchExport(io.context(cmd), { name, optunaJournal: opts.optunaJournal });
      if (opts.json) return io.json(result);
      io.print(`wrote ${result.trials} trial(s) of ${name} to ${result.file} (study ${result.study})`);
    });
  search
    .command('apply')
    .summary("write the best (or a chosen) trial's configuration into the project's files")
    .argument('<name>', 'the search')
    .argument('[trial]', 'trial number (default: the incumbent)')
    .option('-f, --force', 'overwrite uncommitted changes in the files it writes')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx search apply joint', "the incumbent's values into params.yaml, models/, data/, augment/"], ['rx search apply joint 7', 'trial 7 instead']))
    .action(async (name: string, trial: string | undefined, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      let n: number | undefined;
      if (trial !== undefined) {
        n = Number(trial);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`trial must be a trial number, not ${trial}`);
      }
      const result = await (await loadSearchOps()).searchApply(io.context(cmd), { name, ...(n !== undefined ? { trial: n } : {}), force: Boolean(opts.force) });
      if (opts.json) return io.json(result);
      io.print(`trial ${result.trial} of ${name} written to: ${result.written.join(', ') || '(nothing changed)'}`);
      io.hint(cmd, 'run it with: rx repro');
    });
}

/** "1h02m", "4m05s", "12s": a wall time for people. */
export function formatWallTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** What this invocation and the whole search used of the wall-time and CPU-time budgets. */
function wallTimeLine(r: { elapsedSeconds: number; earlierSeconds: number; budgetSeconds?: number; cpuSeconds: number; earlierCpuSeconds: number; budgetCpuSeconds?: number }): string {
  const line = (what: string, used: number, earlier: number, budget: number | undefined) =>
    `${what}: ${formatWallTime(used - earlier)} this run${earlier > 0 ? `, ${formatWallTime(used)} with the earlier runs` : ''}${budget !== undefined ? ` (budget ${formatWallTime(budget)})` : ''}`;
  return `${line('wall time', r.elapsedSeconds, r.earlierSeconds, r.budgetSeconds)}; ${line('CPU', r.cpuSeconds, r.earlierCpuSeconds, r.budgetCpuSeconds)}`;
}
