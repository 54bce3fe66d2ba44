// rx migrate dvc [--dry] [--force]
import type { Command } from 'commander';
import { formatProblem } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadMigrateOps = () => import('../../ops/migrate-dvc.js');
const loadInitOps = () => import('../../ops/init.js');

export function registerMigrate(program: Command, io: CliIO): void {
  const migrate = program
    .command('migrate')
    .summary('convert another tool\'s pipeline into rx.yaml')
    .addHelpText('after', examples(['rx migrate dvc --dry', 'the rx.yaml a dvc.yaml becomes, written nowhere']));
  migrate
    .command('dvc')
    .summary('write rx.yaml from dvc.yaml and params.yaml')
    .description(
      'Convert the dvc.yaml of the project root (with its params.yaml and vars files) into rx.yaml.\n' +
        'Stages, vars, foreach/do, matrix, wdir, deps, params, outs/metrics/plots with cache, persist, desc,\n' +
        'x, y and title, frozen and always_changed map onto rx\'s own forms; top-level metrics and plots that\n' +
        'name a stage output become that output\'s kind. Everything else (artifacts, remote/push, plot templates,\n' +
        'plots across files, meta, external paths, ...) is reported with its dvc.yaml:LINE:COL and listed as\n' +
        'comments at the top of rx.yaml. Without an rx project, creates one first (as rx init does).\n' +
        'Writes rx.yaml atomically and never over an existing one unless --force; dvc.yaml is left as it is.',
    )
    .option('--dry', 'print the rx.yaml on stdout and write nothing')
    .option('-f, --force', 'replace an existing rx.yaml')
    .option('--json', 'print the result (with the rx.yaml text and every warning) as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx migrate dvc --dry', 'see the rx.yaml and what could not be converted, write nothing'],
        ['rx migrate dvc', 'write rx.yaml (and create the rx project if there is none)'],
        ['rx migrate dvc && rx dag && rx repro --dry', 'convert, then check the graph and what would run'],
        ['rx migrate dvc --force', 'convert again after editing dvc.yaml, replacing rx.yaml'],
      ),
    )
    .action(async (opts: { dry?: boolean; force?: boolean; json?: boolean }, cmd: Command) => {
      const ctx = io.context(cmd);
      const createProject = async (dir: string) => {
        await (await loadInitOps()).init(ctx, { dir });
      };
      const result = await (await loadMigrateOps()).migrateDvc(ctx, { dry: opts.dry, force: opts.force, createProject });
      // A dry run shows rx.yaml even when rx would refuse it; the refusal is still the exit code.
      if (result.problems.length > 0) io.exitCode = 4;
      if (opts.json) return io.json(result);
      for (const w of result.warnings) ctx.reporter.warn(formatProblem(w));
      for (const p of result.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
      if (result.dry) return io.print(result.text);
      const produced = result.stages.reduce((n, s) => n + s.rx.length, 0);
      if (result.initialised) io.print(`initialised rx project in ${result.root}`);
      io.print(`wrote ${result.target}: ${produced} stage(s) from ${result.stages.length} in ${result.source}${result.warnings.length > 0 ? `; ${result.warnings.length} thing(s) not converted as written (listed above and atop ${result.target})` : ''}`);
      io.hint(cmd, `next: rx dag, rx repro --dry, then git add ${result.target}${result.initialised ? ' .rx' : ''}`);
    });
}
