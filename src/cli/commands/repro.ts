// rx repro [STAGE...]
import type { Command } from 'commander';
import type { ReproResult } from '../../ops/repro.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadReproOps = () => import('../../ops/repro.js');
import type { RevReproResult, RevReproPlan } from '../../ops/repro-rev.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadReproRevOps = () => import('../../ops/repro-rev.js');
import { formatValue } from '../../pipeline/values.js';
import { UsageError } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';
import type { Colours } from '../terminal.js';

export function renderRepro(result: ReproResult, c: Colours): string {
  const lines: string[] = [];
  const label: Record<string, string> = {
    'up-to-date': c.dim('up to date'),
    ran: c.green('ran'),
    restored: c.green('restored from store'),
    'run-cache': c.green('restored from run cache'),
    failed: c.red('FAILED'),
    'would-run': c.yellow('would run'),
    frozen: c.dim('frozen'),
    'not-run': c.yellow('not run'),
  };
  const width = Math.max(...result.stages.map((s) => s.name.length), 5);
  for (const s of result.stages) {
    const why = s.reasons.length > 0 ? `  (${s.reasons.join('; ')})` : '';
    lines.push(`  ${s.name.padEnd(width)}  ${label[s.action]}${why}`);
    if (s.message) lines.push(`  ${' '.repeat(width)}  ${s.message}`);
  }
  if (result.stages.length === 0) lines.push('no stages');
  return lines.join('\n');
}

export function renderVerdict(r: RevReproResult, c: Colours): string {
  const colour = r.verdict === 'bitwise' ? c.green : r.verdict === 'within-tolerance' ? c.yellow : c.red;
  const lines = [`${r.rev} (${r.commit.slice(0, 12)}): ${colour(r.verdict)}`];
  if (r.envChanged) {
    lines.push('  environment differs from the one the commit recorded:');
    for (const d of r.envDifferences) lines.push(`    ${d.fact}: ${d.expected ?? '(none)'} -> ${d.actual ?? '(none)'}`);
  } else lines.push('  environment: the same as the commit recorded');
  if (!r.lockIdentical) lines.push(`  rx.lock re-written ${r.lockDifferences.length > 0 ? `with other ${r.lockDifferences.join(', ')}` : r.envChanged ? 'with another environment fingerprint' : 'differently'}`);
  for (const s of r.stages) {
    lines.push(`  ${s.name}: ${s.verdict}`);
    for (const o of s.outputs) lines.push(`    output ${o.path}: ${o.expected ?? '(none)'} -> ${o.actual ?? '(none)'}`);
    for (const m of s.metrics) {
      const tol = m.tolerance !== undefined ? `tolerance ${m.tolerance}` : 'no tolerance declared: exact';
      lines.push(`    metric ${m.file}:${m.key}: ${formatValue(m.expected)} -> ${formatValue(m.actual)} (${tol}${m.within ? ', within' : ', OUTSIDE'})`);
    }
    for (const reason of s.reasons.filter((x) => !x.startsWith('metric ') && !x.startsWith('output '))) lines.push(`    ${reason}`);
  }
  for (const reason of r.reasons.filter((x) => !r.stages.some((s) => s.reasons.some((y) => x === `${s.name}: ${y}`)))) lines.push(`  ${reason}`);
  for (const f of r.failed) lines.push(`  ${c.red(`stage ${f} failed`)}`);
  if (r.dir) lines.push(`  kept in ${r.dir}`);
  return lines.join('\n');
}

/** rx repro --dry --rev: the commands, on stdout; control characters shown escaped. */
export async function renderRevPlan(plan: RevReproPlan): Promise<string> {
  const { describeCommands } = await loadReproRevOps();
  const lines = describeCommands(plan.rev, plan.commit, plan.commands, plan.frozen);
  lines.push('  (dry run: nothing was run)');
  return lines.join('\n');
}

export function registerRepro(program: Command, io: CliIO): void {
  program
    .command('repro')
    .summary('run the stages whose inputs changed')
    .description(
      'Bring the pipeline in rx.yaml up to date: run each stage whose command, dependencies, parameters or\noutputs changed since rx.lock recorded it, restore outputs from the store or the run cache where\npossible, and skip the rest, saying why for each stage. Outputs of a failing stage are kept as they were.\n\n' +
        'With --rev, every command the commit defines is printed (stderr) before any runs; --dry --rev only lists them.\n\n' +
        '--isolate needs bubblewrap (apt-get install bubblewrap) and refuses to run (exit 2) when bwrap cannot sandbox here.',
    )
    .argument('[stages...]', 'stages (or foreach/matrix groups) to bring up to date, with their upstream')
    .option('-f, --force', 'run the selected stages (and their upstream) even if they are up to date')
    .option('--dry', 'print the plan and the reasons, run nothing (with --rev: every command the commit would run)')
    .option('--exit-code', 'with --dry: exit 1 if anything would run (with --rev: if any command would)')
    .option('--downstream', 'the named stages and everything downstream of them (instead of upstream)')
    .option('-j, --jobs <n>', 'run up to n independent stages at once', '1')
    .option('-k, --keep-going', 'after a failure, keep running stages that do not depend on it')
    .option('--no-run-cache', 'run stages even when the run cache has their outputs')
    .option('--rev <rev>', 're-execute the pipeline of a commit in a temporary directory and compare with its rx.lock')
    .option('--keep', 'with --rev: keep the temporary directory for inspection')
    .option('--isolate', 'run each stage command under bubblewrap (bwrap): only the project tree (with --rev, the temporary one) writable, no network')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx repro', 'run whatever changed'],
        ['rx repro --dry', 'show what would run and why'],
        ['rx repro train --force', 'rerun train and every stage upstream of it'],
        ['rx repro -j 2 --keep-going', 'two stages at a time, not stopping at the first failure'],
        ['rx repro --rev HEAD~3', 'did the commit three back reproduce bitwise? (exit 0 yes or within tolerance, 1 diverged)'],
        ['rx repro --dry --rev origin/pr-42', 'list every command that commit would run, running and writing nothing'],
        ['rx repro --rev origin/pr-42 --isolate', 'reproduce a commit you do not trust: no network, nothing writable outside its temporary tree'],
      ),
    )
    .action(async (stages: string[], opts: { force?: boolean; dry?: boolean; exitCode?: boolean; downstream?: boolean; jobs: string; keepGoing?: boolean; runCache: boolean; json?: boolean; rev?: string; keep?: boolean; isolate?: boolean }, cmd: Command) => {
      const jobs = Number(opts.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive whole number, not ${opts.jobs}`);
      if (opts.rev !== undefined) {
        if (opts.downstream) throw new UsageError('--rev re-executes a commit with the named stages and their upstream; it does not combine with --downstream');
        if (opts.dry) {
          if (opts.keep) throw new UsageError('--dry --rev materialises nothing, so there is nothing to --keep');
          const plan = await (await loadReproRevOps()).planRevRepro(io.context(cmd), { rev: opts.rev, stages });
          if (opts.json) io.json(plan);
          else io.print(await renderRevPlan(plan));
          if (opts.exitCode && plan.commands.length > 0) io.exitCode = 1;
          return;
        }
        const verdict = await (await loadReproRevOps()).reproRev(io.context(cmd), { rev: opts.rev, stages, keep: opts.keep, jobs, isolate: opts.isolate });
        if (opts.json) io.json(verdict);
        else io.print(renderVerdict(verdict, io.colours));
        io.exitCode = verdict.failed.length > 0 ? 5 : verdict.verdict === 'diverged' ? 1 : 0;
        return;
      }
      if (opts.keep) throw new UsageError('--keep goes with --rev');
      const result = await (await loadReproOps()).repro(io.context(cmd), { targets: stages, force: opts.force, dry: opts.dry, downstream: opts.downstream, jobs, keepGoing: opts.keepGoing, runCache: opts.runCache, isolate: opts.isolate });
      if (opts.json) io.json(result);
      else io.print(renderRepro(result, io.colours));
      if (result.failed.length > 0) {
        process.stderr.write(`${io.colours.red('error:')} ${result.failed.length} stage(s) failed: ${result.failed.join(', ')}\n`);
        io.exitCode = 5;
      } else if (opts.dry && opts.exitCode && result.stages.some((s) => s.action === 'would-run')) io.exitCode = 1;
    });
}
