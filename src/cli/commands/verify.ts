// rx verify [--no-store] [--rev REV]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadVerifyOps = () => import('../../ops/verify.js');
import { examples, type CliIO } from '../io.js';

export function registerVerify(program: Command, io: CliIO): void {
  program
    .command('verify')
    .summary('check the lockfile against rx.yaml, the files and the store (for CI)')
    .description(
      'Read-only integrity check that never runs a stage: rx.yaml, rx.lock and pointer files validate; the lock\ncovers exactly the stages of rx.yaml with the same commands and params; every dependency matches\nits recorded hash; every recorded hash is in the store. Exit 0 clean, 1 findings, 4 invalid files.\n\n' +
        'With --rev, the same checks on a commit (or an experiment): its rx.yaml, rx.lock, pointer files, params and git-tracked dependencies are read from git objects, nothing is checked out, and the working tree and index are not touched.',
    )
    .option('--no-store', 'do not require the data in the store (CI without the data): hashes are checked for format only')
    .option('--rev <rev>', 'verify a commit, branch, tag or experiment instead of the workspace')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx verify', 'full check, before pushing'],
        ['rx verify --no-store --json', 'in CI, where the store is not available'],
        ['rx verify --rev origin/pr-42', 'a commit as it is in git, without checking it out'],
      ),
    )
    .action(async (opts: { store: boolean; rev?: string; json?: boolean }, cmd: Command) => {
      const result = await (await loadVerifyOps()).verify(io.context(cmd), { noStore: !opts.store, rev: opts.rev });
      if (opts.json) io.json(result);
      else if (result.ok) io.print(`verified${result.commit ? ` ${result.rev} (${result.commit.slice(0, 12)})` : ''}: ${result.stages} stage(s), ${result.pointers} pointer file(s), no findings`);
      else io.print(result.findings.map((f) => `${f.code}  ${f.file}${f.stage ? ` [${f.stage}]` : ''}: ${f.message}`).join('\n'));
      if (!result.ok) io.exitCode = 1;
    });
}
