// rx diff [A [B]]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadDiffOps = () => import('../../ops/diff.js');
import { diffMarkdown, diffText } from '../../report/diff.js';
import { examples, type CliIO } from '../io.js';

export function registerDiff(program: Command, io: CliIO): void {
  program
    .command('diff')
    .summary('what changed between two revisions, by meaning: params, metrics, stages, data')
    .description(
      'Compare two revisions (default: HEAD and the workspace; A alone: A and the workspace; A..B or A B)\ngrouped by meaning: parameter values, metric deltas, stages whose lock entry changed and why, and\ntracked data (files added, removed, modified; bytes). Revisions are read from git, nothing is checked out.',
    )
    .argument('[revisions...]', 'A, A B or A..B')
    .option('--md', 'GitHub-flavoured Markdown, ready for a pull-request comment')
    .option('--json', 'print the result as JSON')
    .option('--exit-code', 'exit 1 when anything differs')
    .addHelpText('after', examples(['rx diff', 'what the working tree changes'], ['rx diff main..HEAD --md > comment.md', 'the review comment for a branch']))
    .action(async (revisions: string[], opts: { md?: boolean; json?: boolean; exitCode?: boolean }, cmd: Command) => {
      const d = await (await loadDiffOps()).diff(io.context(cmd), { revisions });
      if (opts.json) io.json(d);
      else io.print(opts.md ? diffMarkdown(d) : diffText(d));
      if (opts.exitCode && d.changed) io.exitCode = 1;
    });
}
