// rx checkout [PATH...]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadCheckoutOps = () => import('../../ops/checkout.js');
import { examples, type CliIO } from '../io.js';

export function registerCheckout(program: Command, io: CliIO): void {
  program
    .command('checkout')
    .summary('restore tracked data from the store')
    .description('Make the workspace match the pointer files (all of them, or those of PATHs).\nRefuses to overwrite or delete workspace data that is not in the store unless --force.')
    .argument('[paths...]', 'tracked paths, pointer files or directories holding them')
    .option('-f, --force', 'discard workspace changes that are not in the store')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx checkout', 'restore every tracked path'], ['rx checkout data/raw', 'restore one directory after `git checkout` of an older pointer']))
    .action(async (paths: string[], opts: { json?: boolean; force?: boolean }, cmd: Command) => {
      const result = await (await loadCheckoutOps()).checkout(io.context(cmd), { paths, force: opts.force });
      if (opts.json) return io.json(result);
      const changed = result.paths.filter((p) => p.action !== 'unchanged');
      if (changed.length === 0) return io.print('everything is up to date');
      io.print(changed.map((p) => `${p.action} ${p.path} (${p.written} written${p.removed ? `, ${p.removed} removed` : ''})`).join('\n'));
    });
}
