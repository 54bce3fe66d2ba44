// The context every operation receives: where it runs and the side channels it may use.
// The CLI builds the real one (terminal progress, real clock); tests build quiet ones.
// Operations never touch process.cwd(), process.env or stdout directly.

export interface ProgressBar {
  /** Advances by n units (bytes or files). */
  tick(n: number): void;
  /** Raises the known total (work discovered while running). */
  setTotal(total: number): void;
  stop(): void;
}

export interface Reporter {
  /** A line of progress narrative for people (stderr); silent under --quiet. */
  info(message: string): void;
  /** Something the user should know about; shown unless --quiet. */
  warn(message: string): void;
  /** Detail shown only with --verbose. */
  debug(message: string): void;
  /** A progress bar on a terminal, a no-op elsewhere. */
  progress(label: string, total: number, unit: 'bytes' | 'files'): ProgressBar;
  /** A line a stage command printed, shown with the stage's name. */
  stageOutput(stage: string, stream: 'stdout' | 'stderr', line: string): void;
}

export interface Clock {
  now(): Date;
}

/** Facts about the running rx, recorded in rx.lock's environment fingerprint. */
export interface RuntimeFacts {
  rxVersion: string;
  nodeVersion: string;
  platform: string;
  arch: string;
}

export interface Context {
  runtime: RuntimeFacts;
  /** Directory the user ran rx from (or -C). */
  cwd: string;
  /** Environment variables visible to rx (for child processes and RX_* settings). */
  env: Record<string, string | undefined>;
  reporter: Reporter;
  clock: Clock;
  /** Command line that took a lock, recorded in the lock file for other processes to read. */
  command: string;
  /** Seconds a writer waits for another rx process's lock. */
  waitSeconds: number;
  /** Take over a project lock held on another host or unreadable (--break-lock). */
  breakLock?: boolean;
}

const noBar: ProgressBar = { tick() {}, setTotal() {}, stop() {} };

export const silentReporter: Reporter = {
  info() {},
  warn() {},
  debug() {},
  progress() {
    return noBar;
  },
  stageOutput() {},
};

export function quietContext(cwd: string, overrides: Partial<Context> = {}): Context {
  return {
    runtime: { rxVersion: '0.0.0-test', nodeVersion: 'v20', platform: 'linux', arch: 'x64' },
    cwd,
    env: {},
    reporter: silentReporter,
    clock: { now: () => new Date(0) },
    command: 'rx',
    waitSeconds: 0,
    ...overrides,
  };
}
