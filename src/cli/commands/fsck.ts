// rx fsck [--quick] [--repair]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadFsckOps = () => import('../../ops/fsck.js');
import { examples, type CliIO } from '../io.js';

export function registerFsck(program: Command, io: CliIO): void {
  program
    .command('fsck')
    .summary('check the store for corrupt or missing objects')
    .description('Re-hash store objects and report corrupt ones, objects the workspace references but the store lacks,\nand directory manifests that are unreadable or list missing objects. Exit 6 when anything is found.')
    .option('--quick', 'check a rotating 1/16 sample of the objects')
    .option('--repair', 'move corrupt objects to .rx/tmp/corrupt/ (never deletes)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx fsck', 'check every object'], ['rx fsck --repair', 'quarantine corrupt objects so `rx add` can store good copies']))
    .action(async (opts: { quick?: boolean; repair?: boolean; json?: boolean }, cmd: Command) => {
      const result = await (await loadFsckOps()).fsck(io.context(cmd), { quick: opts.quick, repair: opts.repair });
      const bad = result.corrupt.length + result.missing.length + result.dangling.length;
      if (opts.json) io.json(result);
      else {
        const c = io.colours;
        const lines = [`checked ${result.checked} of ${result.total} object(s)`];
        for (const x of result.corrupt) lines.push(`  ${c.red('corrupt:')} ${x.hash} (content hashes to ${x.actual})`);
        for (const x of result.missing) lines.push(`  ${c.red('missing:')} ${x.hash} (referenced by ${x.referencedBy})`);
        for (const x of result.dangling) lines.push(`  ${c.red('dangling manifest:')} ${x.hash}: ${x.reason}`);
        for (const x of result.repaired) lines.push(`  moved aside: ${x}`);
        if (bad === 0) lines.push('store is consistent');
        io.print(lines.join('\n'));
      }
      if (bad > 0) io.exitCode = 6;
    });
}
