// Terminal output for people: colours (only on a TTY, never with NO_COLOR), a reporter
// that draws cli-progress bars on stderr when it is a terminal (not under -q or --json), and
// byte formatting.
import { createRequire } from 'node:module';
import type { Reporter, ProgressBar } from '../core/context.js';
import { formatBytes } from '../report/format.js';

export interface TerminalOptions {
  quiet: boolean;
  verbose: boolean;
  /** A --json run: the output is for a program, so no bars either. */
  json: boolean;
  env: Record<string, string | undefined>;
}

export function colourEnabled(stream: NodeJS.WriteStream, env: Record<string, string | undefined>): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export interface Colours {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function colours(enabled: boolean): Colours {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

export { formatBytes };

const noBar: ProgressBar = { tick() {}, setTotal() {}, stop() {} };
const require = createRequire(import.meta.url);

export function terminalReporter(opts: TerminalOptions): Reporter {
  const err = process.stderr;
  const c = colours(colourEnabled(err, opts.env));
  const showBars = Boolean(err.isTTY) && !opts.quiet && !opts.json;
  return {
    info(message) {
      if (!opts.quiet) err.write(`${message}\n`);
    },
    warn(message) {
      if (!opts.quiet) err.write(`${c.yellow('warning:')} ${message}\n`);
    },
    debug(message) {
      if (opts.verbose) err.write(`${c.dim(message)}\n`);
    },
    stageOutput(stage, _stream, line) {
      err.write(`${c.dim(`[${stage}]`)} ${line}\n`);
    },
    progress(label, total, unit) {
      if (!showBars) return noBar;
      const fmt = unit === 'bytes' ? (v: number) => formatBytes(v) : (v: number) => String(v);
      // Loaded on the first bar: only long work on a terminal needs it.
      const cliProgress = require('cli-progress') as typeof import('cli-progress');
      const bar = new cliProgress.SingleBar(
        {
          stream: err,
          format: `${label} [{bar}] {percentage}% | {done}/{all} | {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      let value = 0;
      let all = total;
      bar.start(all, 0, { done: fmt(0), all: fmt(all) });
      return {
        tick(n) {
          value += n;
          bar.update(value, { done: fmt(value), all: fmt(all) });
        },
        setTotal(t) {
          all = t;
          bar.setTotal(t);
        },
        stop() {
          bar.stop();
        },
      };
    },
  };
}
