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
    .option('--template <name>', 'also create a complete project: empty, digits (ships its data) or fashion-mnist')
    .option('--data <dir>', 'fashion-mnist: the directory with the IDX files (default: /usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx init', 'make the current directory an rx project'],
        ['rx init experiments/mnist', 'create a new project directory'],
        ['rx init --template digits demo && cd demo && rx repro', 'a complete digits experiment: data spec, augmentation, CNN, train and evaluate'],
        ['rx init --template fashion-mnist fm --data ~/datasets/fashion', 'the Fashion-MNIST experiment on IDX files from a directory'],
      ),
    )
    .action(async (dir: string | undefined, opts: { json?: boolean; template?: string; data?: string }, cmd: Command) => {
      const result = await (await loadInitOps()).init(io.context(cmd), { dir, template: opts.template, data: opts.data });
      if (opts.json) return io.json(result);
      const what = result.created.length === 0 ? 'already an rx project' : `initialised rx project`;
      io.print(`${what} in ${result.root}${result.createdGitRepo ? ' (new git repository)' : ''}`);
      if (result.template && result.template !== 'empty') {
        io.print(`created the ${result.template} template (${result.created.length} file${result.created.length === 1 ? '' : 's'})${result.tracked ? `; tracking ${result.tracked.join(', ')}` : ''}`);
        io.hint(cmd, 'next: rx repro, then git add -A && git commit');
      } else if (result.created.length > 0) io.hint(cmd, `next: rx add DATA, then commit ${result.created.join(' ')} and the pointer files`);
    });
}
