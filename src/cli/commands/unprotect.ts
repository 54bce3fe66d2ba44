// rx unprotect PATH...
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadUnprotectOps = () => import('../../ops/unprotect.js');
import { examples, type CliIO } from '../io.js';

export function registerUnprotect(program: Command, io: CliIO): void {
  program
    .command('unprotect')
    .summary('make tracked files independent writable copies before editing them')
    .description(
      'With `link: [hardlink]` in .rx/config.yaml, workspace files are the read-only store objects themselves.\n' +
        'unprotect replaces them by writable copies, so an edit never changes a stored version. With the\n' +
        'default reflink/copy placement files are independent already and nothing is written.',
    )
    .argument('<paths...>', 'tracked files or directories (or their pointer files)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx unprotect data/images', 'then edit, and `rx add data/images` again']))
    .action(async (paths: string[], opts: { json?: boolean }, cmd: Command) => {
      const result = await (await loadUnprotectOps()).unprotect(io.context(cmd), { paths });
      if (opts.json) return io.json(result);
      for (const p of result.paths) io.print(p.copied === 0 ? `${p.path}: already independent of the store` : `${p.path}: ${p.copied} ${p.copied === 1 ? 'file' : 'files'} replaced by writable copies`);
    });
}
