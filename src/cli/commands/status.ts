// rx status [PATH...]
import type { Command } from 'commander';
import type { StatusResult } from '../../ops/status.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadStatusOps = () => import('../../ops/status.js');
import { examples, type CliIO } from '../io.js';
import type { Colours } from '../terminal.js';

const LABEL: Record<string, string> = {
  modified: 'modified:',
  'missing-workspace': 'missing in workspace:',
  'missing-store': 'missing in store:',
  'untracked-ignored': 'ignored, no pointer:',
};

export function renderStatus(result: StatusResult, c: Colours, verbose: boolean): string {
  if (result.entries.length === 0 && result.stages.length === 0) return 'no tracked data and no stages';
  if (result.clean) {
    const parts = [];
    if (result.entries.length > 0) parts.push(`${result.entries.length} tracked path(s)`);
    if (result.stages.length > 0) parts.push(`${result.stages.length} stage(s)`);
    return `${parts.join(' and ')}, all up to date`;
  }
  const lines: string[] = [];
  for (const s of result.stages) {
    if (s.state === 'up-to-date' || s.state === 'frozen') {
      if (verbose) lines.push(`  ${c.dim(`stage ${s.name}: ${s.state}`)}`);
      continue;
    }
    lines.push(`  ${c.yellow(`stage ${s.name}:`)} ${s.reasons.join('; ')}`);
  }
  for (const e of result.entries) {
    if (e.state === 'unchanged') {
      if (verbose) lines.push(`  ${c.dim('unchanged:')} ${e.path}`);
      continue;
    }
    const colour = e.state === 'modified' ? c.yellow : c.red;
    let line = `  ${colour(LABEL[e.state]!.padEnd(22))}${e.path}`;
    if (e.missingObjects) line += ` (${e.missingObjects} object(s) not in store)`;
    lines.push(line);
    if (e.changes) {
      for (const p of e.changes.added.slice(0, 10)) lines.push(`      added     ${p}`);
      for (const p of e.changes.modified.slice(0, 10)) lines.push(`      modified  ${p}`);
      for (const p of e.changes.deleted.slice(0, 10)) lines.push(`      deleted   ${p}`);
      const total = e.changes.added.length + e.changes.modified.length + e.changes.deleted.length;
      if (total > 30) lines.push(`      ... ${total} file changes in all (rx status --json lists them)`);
    }
  }
  if (result.entries.some((e) => e.state !== 'unchanged')) lines.push('', 'use `rx add PATH` to record data changes, `rx checkout PATH` to discard them');
  if (result.stages.some((s) => s.state === 'changed' || s.state === 'never-run')) lines.push('', 'use `rx repro` to bring the stages up to date');
  return lines.join('\n');
}

export function registerStatus(program: Command, io: CliIO): void {
  program
    .command('status')
    .summary('show tracked data that changed')
    .description('For each tracked path: unchanged, modified, missing from the workspace, missing from the store,\nor data that .gitignore hides but no pointer file tracks any more. Reads no content of unchanged files.')
    .argument('[paths...]', 'limit to these tracked paths')
    .option('--json', 'print the result as JSON')
    .option('--exit-code', 'exit 1 when anything is not up to date')
    .addHelpText('after', examples(['rx status', 'what changed since the last rx add or checkout'], ['rx status --json --exit-code', 'for scripts: JSON, and exit 1 if anything changed']))
    .action(async (paths: string[], opts: { json?: boolean; exitCode?: boolean }, cmd: Command) => {
      const ctx = io.context(cmd);
      const result = await (await loadStatusOps()).status(ctx, { paths });
      if (opts.json) io.json(result);
      else io.print(renderStatus(result, io.colours, Boolean(cmd.optsWithGlobals().verbose)));
      if (opts.exitCode && !result.clean) io.exitCode = 1;
    });
}
