// rx gc --workspace | --all-branches | --all-tags | --all-commits | --all-experiments [--dry]
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadGcOps = () => import('../../ops/gc.js');
import type { Scope } from '../../store/reachability.js';
import { examples, type CliIO } from '../io.js';
import { formatBytes } from '../terminal.js';

interface GcFlags {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  allExperiments?: boolean;
  dropRunCache?: boolean;
  dry?: boolean;
  json?: boolean;
}

export function registerGc(program: Command, io: CliIO): void {
  program
    .command('gc')
    .summary('remove store objects nothing references')
    .description(
      'Remove objects from the store that nothing references within the scopes you choose (at least one;\n' +
        'they combine). References are pointer files, every output rx.lock records (cached or not),\n' +
        'run-cache entries and experiment refs; the workspace always counts. Objects a running rx may\n' +
        'still name are kept.',
    )
    .option('-w, --workspace', "keep what the workspace's pointer files and rx.lock name")
    .option('-a, --all-branches', 'also keep what the tip of every branch names')
    .option('-T, --all-tags', 'also keep what every tag names')
    .option('-A, --all-commits', 'also keep what any commit reachable from any ref names')
    .option('-e, --all-experiments', 'also keep what every experiment (refs/rx/exps) names')
    .option('--drop-run-cache', 'forget the run cache first, so its outputs count only if something else names them')
    .option('--dry', 'list what would be removed and why, remove nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx gc --all-commits --all-experiments --dry', 'what neither the history nor an experiment needs'],
        ['rx gc --workspace --all-tags', 'keep the current checkout and every tagged release'],
        ['rx gc --workspace', 'keep only the data of the current checkout (and the run cache)'],
      ),
    )
    .action(async (opts: GcFlags, cmd: Command) => {
      const scopes: Scope[] = [];
      if (opts.workspace) scopes.push('workspace');
      if (opts.allBranches) scopes.push('all-branches');
      if (opts.allTags) scopes.push('all-tags');
      if (opts.allCommits) scopes.push('all-commits');
      if (opts.allExperiments) scopes.push('all-experiments');
      const result = await (await loadGcOps()).gc(io.context(cmd), { scopes, dry: opts.dry, dropRunCache: opts.dropRunCache });
      if (opts.json) return io.json(result);
      if (result.dry) for (const d of result.details) io.print(`would remove ${d.hash} (${formatBytes(d.size)}): ${d.reason}`);
      const verb = result.dry ? 'would remove' : 'removed';
      const extra = [result.commitsScanned > 0 ? `${result.commitsScanned} commits scanned` : '', result.inFlight > 0 ? `${result.inFlight} kept for a running rx` : ''].filter(Boolean);
      io.print(`${verb} ${result.removed.length} object(s), ${formatBytes(result.removedBytes)}; kept ${result.kept}${extra.length ? ` (${extra.join(', ')})` : ''}`);
    });
}
