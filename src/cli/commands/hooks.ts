// rx install-hooks, and the commands git calls: rx merge-driver, rx textconv
import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadHooksOps = () => import('../../ops/hooks.js');
import { examples, type CliIO } from '../io.js';

/**
 * How git should call this rx: plain `rx` when the rx on PATH is this very one (the config
 * then survives a Node upgrade and reads the same on every machine), else this Node and
 * this rx by absolute path.
 */
function selfCommand(): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const me = process.argv[1];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !me) continue;
    try {
      if (realpathSync(path.join(dir, 'rx')) === realpathSync(me)) return 'rx';
    } catch {
      // not there
    }
  }
  return `${q(process.execPath)} ${q(me ?? 'rx')}`;
}

export function registerHooks(program: Command, io: CliIO): void {
  program
    .command('install-hooks')
    .summary('install git integration: lock merge driver, diff driver, pre-commit verify')
    .description(
      'Configure this repository so that rx.lock merges stage by stage (a conflict touches only the stages\nchanged on both sides), locks and pointer files diff as readable facts, and every commit runs\n`rx verify --no-store` first.',
    )
    .option('--force', 'replace an existing pre-commit hook that rx did not install')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx install-hooks', 'once per clone']))
    .action(async (opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const result = await (await loadHooksOps()).installHooks(io.context(cmd), { rxCommand: selfCommand(), force: opts.force });
      if (opts.json) return io.json(result);
      const lines = [`configured ${result.config.join(', ')}; attributes in ${result.gitattributes} (commit it)`];
      if (result.hooks.length) lines.push(`installed hooks: ${result.hooks.join(', ')}`);
      for (const s of result.skipped) lines.push(`skipped: ${s}`);
      io.print(lines.join('\n'));
    });
  program
    .command('merge-driver', { hidden: true })
    .description('git merge driver for rx.lock (installed by rx install-hooks)')
    .argument('<base>')
    .argument('<ours>')
    .argument('<theirs>')
    .argument('[path]')
    .action(async (base: string, ours: string, theirs: string, file: string | undefined) => {
      const result = await (await loadHooksOps()).mergeDriver({ base, ours, theirs, label: file });
      if (result.conflicts.length > 0) {
        process.stderr.write(`rx: ${file ?? 'rx.lock'}: stages changed on both sides: ${result.conflicts.join(', ')} (kept ours; run rx repro after resolving)\n`);
        io.exitCode = 1;
      }
    });
  program
    .command('textconv', { hidden: true })
    .description('git textconv for rx.lock and pointer files (installed by rx install-hooks)')
    .argument('<file>')
    .action(async (file: string) => {
      process.stdout.write(await (await loadHooksOps()).textconv(file));
    });
}
