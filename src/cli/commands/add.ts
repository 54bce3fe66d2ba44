// rx add PATH...
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadAddOps = () => import('../../ops/add.js');
import { examples, type CliIO } from '../io.js';
import { formatBytes } from '../terminal.js';

export function registerAdd(program: Command, io: CliIO): void {
  program
    .command('add')
    .summary('track files or directories in the store')
    .description('Hash files or directories into the content-addressed store, write PATH.rx pointer files\n(commit them), add PATH to .gitignore and link the workspace copy from the store.\nUnchanged paths are a no-op that reads no file content.')
    .argument('<paths...>', 'files or directories to track')
    .option('--desc <text>', 'a description stored in the pointer file (a re-add without it keeps the one there)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx add data/raw', 'track a directory: writes data/raw.rx'], ['rx add model.bin --desc "baseline weights"', 'track one file with a description']))
    .action(async (paths: string[], opts: { json?: boolean; desc?: string }, cmd: Command) => {
      const result = await (await loadAddOps()).add(io.context(cmd), { paths, desc: opts.desc });
      if (opts.json) return io.json(result);
      const lines = result.added.map((a) => {
        const what = a.type === 'dir' ? `${a.nfiles} file${a.nfiles === 1 ? '' : 's'}, ${formatBytes(a.size)}` : formatBytes(a.size);
        const verb = a.changed ? 'added' : 'unchanged';
        return `${verb} ${a.path} (${what}) -> ${a.pointer}`;
      });
      io.print(lines.join('\n'));
      const changed = result.added.filter((a) => a.changed);
      // Each path's .gitignore is the one beside it (data/.gitignore for data/images).
      const ignores = [...new Set(changed.map((a) => (a.path.includes('/') ? `${a.path.slice(0, a.path.lastIndexOf('/'))}/.gitignore` : '.gitignore')))];
      if (changed.length > 0) io.hint(cmd, `to record ${changed.length === 1 ? 'it' : 'them'} in git: git add ${[...changed.map((a) => a.pointer), ...ignores].join(' ')}`);
    });
}
