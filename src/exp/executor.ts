// Where sandbox jobs run: one interface for every executor (executors/local.ts runs them as
// local processes; a cluster executor can sit behind the same one), as DVC's
// repo/experiments/executor/base.py is to its local and ssh executors.
import { RxError, ExitCode } from '../core/errors.js';
import type { SandboxJob, SandboxResult } from './sandbox.js';

/** A queued job whose signal fired before it started: it never ran. */
export class JobCancelledError extends RxError {
  constructor() {
    super('RX_CANCELLED', ExitCode.sigint, 'the job was cancelled before it started', { hint: 'nothing of it ran' });
  }
}

export interface ExecutorRunOptions {
  /** Cancels the job: a queued one never starts, a running one has its commands stopped. */
  signal?: AbortSignal;
}

export interface Executor {
  /** How many jobs run at once; further ones wait their turn. */
  readonly slots: number;
  run<T = unknown>(job: SandboxJob<T>, options?: ExecutorRunOptions): Promise<SandboxResult<T>>;
}
