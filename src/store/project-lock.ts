// The project's writer lock as operations, pipeline runs and checkouts take it: one call,
// the context supplies the rest.
import type { Context } from '../core/context.js';
import type { Project } from './project.js';
import { withLock } from './process-lock.js';

export function withProjectLock<T>(ctx: Context, project: Project, fn: () => Promise<T>): Promise<T> {
  return withLock(
    { tmpDir: project.tmpDir, command: ctx.command, waitSeconds: ctx.waitSeconds, now: () => ctx.clock.now().getTime(), breakLock: ctx.breakLock, warn: (m) => ctx.reporter.warn(m) },
    fn,
  );
}
