// rx init [DIR]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadInitOps = () => import('../../ops/init.js');
import { examples, type CliIO } from '../io.js';

export function registerInit(program: Command, io: CliIO): void {
  program
    .command('init')
    .summary('create an rx project (and a git repository if there is none)')
    .description('Create an rx project in DIR (default: the current directory): .rx/config.yaml and .rx/.gitignore.\nCreates a git repository when DIR is not inside one. Safe to run twice.')
    .argument('[dir]', 'project directory')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx init', 'make the current directory an rx project'], ['rx init experiments/mnist', 'create a new project directory']))
    .action(async (dir: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const result = await (await loadInitOps()).init(io.context(cmd), { dir });
      if (opts.json) return io.json(result);
      const what = result.created.length === 0 ? 'already an rx project' : `initialised rx project`;
      io.print(`${what} in ${result.root}${result.createdGitRepo ? ' (new git repository)' : ''}`);
      if (result.created.length > 0) io.print(`next: rx add DATA, then commit ${result.created.join(' ')} and the pointer files`);
    });
}
