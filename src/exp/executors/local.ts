// The local executor: sandbox jobs in this process, up to `slots` at once, each in its own
// sandbox directory with its own project lock; they share the project's store and run cache
// (content-addressed, atomic writes), so concurrent jobs neither wait on each other's lock
// nor see each other's files. Jobs start in the order they were submitted.
import type { Context } from '../../core/context.js';
import { runSandbox, type SandboxJob, type SandboxResult } from '../sandbox.js';
import { JobCancelledError, type Executor, type ExecutorRunOptions } from '../executor.js';

export class LocalExecutor implements Executor {
  readonly slots: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** `ctx.cwd` is the project the jobs run on. */
  constructor(
    private readonly ctx: Context,
    options: { slots?: number } = {},
  ) {
    this.slots = Math.max(1, Math.floor(options.slots ?? 1));
  }

  async run<T = unknown>(job: SandboxJob<T>, options: ExecutorRunOptions = {}): Promise<SandboxResult<T>> {
    await this.acquire(options.signal);
    try {
      return await runSandbox(this.ctx, job, { signal: options.signal });
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new JobCancelledError());
    if (this.running < this.slots) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const start = () => {
        signal?.removeEventListener('abort', drop);
        this.running++;
        resolve();
      };
      const drop = () => {
        const i = this.waiting.indexOf(start);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new JobCancelledError());
      };
      signal?.addEventListener('abort', drop, { once: true });
      this.waiting.push(start);
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
