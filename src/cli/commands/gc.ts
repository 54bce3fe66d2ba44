// rx gc --workspace | --all-commits [--dry]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadGcOps = () => import('../../ops/gc.js');
import { UsageError } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';
import { formatBytes } from '../terminal.js';

export function registerGc(program: Command, io: CliIO): void {
  program
    .command('gc')
    .summary('remove store objects nothing references')
    .description('Remove objects from the store that no pointer file references, within a scope you must choose.')
    .option('-w, --workspace', "keep only what the workspace's pointer files reference")
    .option('-A, --all-commits', 'keep what the pointer files of any commit on any ref reference')
    .option('--dry', 'list what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx gc --all-commits --dry', 'see what is unreferenced by the whole history'], ['rx gc --workspace', 'keep only the data of the current checkout']))
    .action(async (opts: { workspace?: boolean; allCommits?: boolean; dry?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.workspace && opts.allCommits) throw new UsageError('choose one scope: --workspace or --all-commits');
      const scope = opts.workspace ? 'workspace' : opts.allCommits ? 'all-commits' : undefined;
      const result = await (await loadGcOps()).gc(io.context(cmd), { scope, dry: opts.dry });
      if (opts.json) return io.json(result);
      const verb = result.dry ? 'would remove' : 'removed';
      io.print(`${verb} ${result.removed.length} object(s), ${formatBytes(result.removedBytes)}; kept ${result.kept}${result.scope === 'all-commits' ? ` (${result.commitsScanned} commits scanned)` : ''}`);
    });
}
