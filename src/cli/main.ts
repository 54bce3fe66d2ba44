// The rx command line: builds the commander program, runs one command and maps whatever
// it throws to the exit codes of the spec. The only place that prints errors; stack
// traces appear only with RX_DEBUG=1.
import { Command, CommanderError } from 'commander';
import { RxError, UsageError, ExitCode, systemErrorFrom } from '../core/errors.js';
import { runCleanups } from '../core/cleanup.js';
import { deliverInterrupt, SIGNAL_NUMBERS } from '../core/interrupt.js';
import { createIO, type CliIO } from './io.js';
import { configureHelpLayout, examples, termList } from './help.js';
import { colours, colourEnabled } from './terminal.js';
import { registerInit } from './commands/init.js';
import { registerAdd } from './commands/add.js';
import { registerCheckout } from './commands/checkout.js';
import { registerUnprotect } from './commands/unprotect.js';
import { registerStatus } from './commands/status.js';
import { registerGc } from './commands/gc.js';
import { registerFsck } from './commands/fsck.js';
import { registerRepro } from './commands/repro.js';
import { registerVerify } from './commands/verify.js';
import { registerParamsMetrics } from './commands/params-metrics.js';
import { registerDag } from './commands/dag.js';
import { registerHooks } from './commands/hooks.js';
import { registerExp } from './commands/exp.js';
import { registerDiff } from './commands/diff.js';
import { registerLog } from './commands/log.js';
import { registerData } from './commands/data.js';
import { registerAugment } from './commands/augment.js';
import { registerTrain } from './commands/train.js';
import { registerModel } from './commands/model.js';
import { registerMigrate } from './commands/migrate.js';
import { registerSearch } from './commands/search.js';

import { RX_VERSION } from './version.js';

const EXIT_CODES: [string, string][] = [
  ['0', 'ok'],
  ['1', 'differences found (--exit-code, verify) or a refused overwrite'],
  ['2', 'usage'],
  ['3', 'not an rx project'],
  ['4', 'invalid file'],
  ['5', 'a stage command failed'],
  ['6', 'store integrity'],
  ['7', 'locked by another rx process'],
  ['8', 'the system refused (no space, read-only, permission, open files)'],
  ['70', 'internal error'],
  ['130/143', 'interrupted by SIGINT/SIGTERM'],
];

/** A reader that went away (`rx ... | head`) ends the output quietly, as for any Unix tool. */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      runCleanups();
      process.exit(0);
    });
  }
}

/**
 * A signal ends rx at once unless work that must end cleanly is running (a stage command:
 * the signal is forwarded to its process group, its previous outputs restored, the lock
 * released), in which case that work ends the command with RX_INTERRUPTED.
 */
function installSignalHandlers(): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (deliverInterrupt(sig)) return;
      runCleanups();
      process.exit(128 + SIGNAL_NUMBERS[sig]!);
    });
  }
}

/** The rx program with every command registered; help and output are configured for env. */
export function buildProgram(io: CliIO, env: Record<string, string | undefined>): Command {
  const program = new Command();
  configureHelpLayout(program, env);
  program
    .name('rx')
    .description('Git-native data and experiment versioning: a content-addressed store, reproducible pipelines, bitwise reproduction verdicts.')
    .version(RX_VERSION, '-V, --version')
    .option('-C <dir>', 'run as if rx was started in <dir>')
    .option('-q, --quiet', 'print only results and errors')
    .option('-v, --verbose', 'print more detail')
    .option('--wait <seconds>', 'wait up to this long for another rx process holding the project lock', '0')
    .option('--break-lock', 'take over a project lock held by an rx on another host (or unreadable), once you know it is gone')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', examples(['rx add data/raw', 'track a directory'], ['rx repro', 'bring the pipeline up to date'], ['rx exp run --help', 'the options and examples of a command']))
    .addHelpText('after', termList('Exit codes:', EXIT_CODES))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  registerInit(program, io);
  registerAdd(program, io);
  registerCheckout(program, io);
  registerUnprotect(program, io);
  registerStatus(program, io);
  registerGc(program, io);
  registerFsck(program, io);
  registerRepro(program, io);
  registerVerify(program, io);
  registerParamsMetrics(program, io);
  registerDag(program, io);
  registerHooks(program, io);
  registerExp(program, io);
  registerSearch(program, io);
  registerDiff(program, io);
  registerTrain(program, io);
  registerModel(program, io);
  registerLog(program, io);
  registerData(program, io);
  registerAugment(program, io);
  registerMigrate(program, io);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  installSignalHandlers();
  ignoreClosedPipes();
  const io = createIO(argv, env);
  const program = buildProgram(io, env);

  const wantsJson = argv.includes('--json');
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(argv);
    return io.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      // Commander has printed the message on stderr; under --json scripts get the error document too.
      if (wantsJson) process.stdout.write(JSON.stringify({ error: new UsageError(err.message.replace(/^error: /, '')).toJSON() }, null, 2) + '\n');
      return ExitCode.usage;
    }
    return reportError(err, wantsJson, env);
  } finally {
    runCleanups();
  }
}

function reportError(err: unknown, json: boolean, env: Record<string, string | undefined>): number {
  const debug = env.RX_DEBUG === '1';
  const c = colours(colourEnabled(process.stderr, env));
  if (!(err instanceof RxError)) err = systemErrorFrom(err, process.cwd()) ?? err;
  if (err instanceof RxError) {
    if (json) process.stdout.write(JSON.stringify({ error: err.toJSON() }, null, 2) + '\n');
    process.stderr.write(`${c.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${c.dim('hint:')} ${err.hint}\n`);
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    const cause = err.cause as Error | undefined;
    if (debug && cause?.stack) process.stderr.write(`caused by: ${cause.stack}\n`);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  if (json) process.stdout.write(JSON.stringify({ error: { code: 'RX_INTERNAL', exitCode: ExitCode.internal, message } }, null, 2) + '\n');
  process.stderr.write(`${c.red('internal error:')} ${message}\n`);
  if (debug && e?.stack) process.stderr.write(e.stack + '\n');
  else process.stderr.write('(set RX_DEBUG=1 for the stack trace; please report this)\n');
  return ExitCode.internal;
}
