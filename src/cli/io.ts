// What a command file needs from the CLI: the real context for an invocation and ways to
// print results. Built once in main.ts from argv, env and the process streams.
import * as path from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../core/context.js';
import { RX_VERSION } from './version.js';
import { terminalReporter, colours, colourEnabled, type Colours } from './terminal.js';

export interface GlobalOptions {
  C?: string;
  quiet?: boolean;
  verbose?: boolean;
  wait?: string;
  breakLock?: boolean;
  /** The --json option of the command being run, seen through optsWithGlobals. */
  json?: boolean;
}

export interface CliIO {
  context(cmd: Command): Context;
  /** Writes a JSON document to stdout. */
  json(value: unknown): void;
  /** Writes lines of text (results) to stdout. */
  print(text: string): void;
  /** Writes a next-step suggestion to stdout, except under --quiet (results and errors only). */
  hint(cmd: Command, text: string): void;
  colours: Colours;
  exitCode: number;
}

export function createIO(argv: string[], env: Record<string, string | undefined>): CliIO {
  const io: CliIO = {
    exitCode: 0,
    colours: colours(colourEnabled(process.stdout, env)),
    context(cmd) {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      const wait = g.wait === undefined ? 0 : Number(g.wait);
      return {
        runtime: { rxVersion: RX_VERSION, nodeVersion: process.version, platform: process.platform, arch: process.arch },
        cwd: path.resolve(process.cwd(), g.C ?? '.'),
        env,
        reporter: terminalReporter({ quiet: Boolean(g.quiet), verbose: Boolean(g.verbose), json: Boolean(g.json), env }),
        clock: { now: () => new Date() },
        command: ['rx', ...argv.slice(2)].join(' '),
        waitSeconds: Number.isFinite(wait) && wait > 0 ? wait : 0,
        breakLock: Boolean(g.breakLock),
      };
    },
    json(value) {
      process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
    print(text) {
      if (text === '') return;
      process.stdout.write(text.endsWith('\n') ? text : text + '\n');
    },
    hint(cmd, text) {
      if ((cmd.optsWithGlobals() as GlobalOptions).quiet) return;
      io.print(text);
    },
  };
  return io;
}

export { examples } from './help.js';
