// The project's writer lock: an O_EXCL claim file (.rx/tmp/lock) holding the holder's pid,
// host and command. Writers wait for it up to --wait seconds; a lock whose process is dead
// is reclaimed. Readers never take it.
import { promises as fsp, unlinkSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { hostname } from 'node:os';
import { LockedError, isErrno } from '../core/errors.js';
import { onExit } from '../core/cleanup.js';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
}

/** Whether a process of this host is alive (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  tmpDir: string;
  command: string;
  waitSeconds: number;
  /** Wall-clock milliseconds, to age a claim file left empty by a killed process. */
  now: () => number;
}

export async function acquireLock({ tmpDir, command, waitSeconds, now }: LockOptions): Promise<HeldLock> {
  const file = path.join(tmpDir, 'lock');
  await fsp.mkdir(tmpDir, { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), command };
  const deadline = performance.now() + waitSeconds * 1000;
  let delay = 20;
  // The claim is written in full under a private name, then linked into place: link(2)
  // fails if the lock exists, and a process killed at any instant never leaves an empty
  // claim file behind.
  const claim = `${file}.${process.pid}.claim`;
  await fsp.writeFile(claim, JSON.stringify(me), { mode: 0o644 });
  const dropClaim = onExit(() => {
    try {
      unlinkSync(claim);
    } catch {
      // already gone
    }
  });
  for (;;) {
    try {
      await fsp.link(claim, file);
      dropClaim();
      await fsp.rm(claim, { force: true });
      const dispose = onExit(() => {
        try {
          const held = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
          if (held.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      });
      return {
        async release() {
          dispose();
          const held = await readHolder(file);
          if (held?.pid === process.pid) await fsp.rm(file, { force: true });
        },
      };
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        dropClaim();
        await fsp.rm(claim, { force: true });
        throw err;
      }
    }
    const holder = await readHolder(file);
    // An unreadable lock file (from a filesystem that lost its content) is stale once old.
    const emptyAndOld = !holder && (await fsp.stat(file).then((s) => now() - s.mtimeMs > 10_000, () => false));
    if ((holder && holder.host === me.host && !processAlive(holder.pid)) || emptyAndOld) {
      // Stale: move it aside under a unique name, then check we moved the stale one.
      const aside = `${file}.stale.${process.pid}`;
      try {
        await fsp.rename(file, aside);
        const moved = await readHolder(aside);
        if (moved && moved.pid !== holder?.pid) await fsp.rename(aside, file).catch(() => {});
        else await fsp.rm(aside, { force: true });
      } catch {
        // another process reclaimed it first
      }
      continue;
    }
    if (performance.now() >= deadline) {
      dropClaim();
      await fsp.rm(claim, { force: true });
      const who = holder ? `pid ${holder.pid} on ${holder.host} (${holder.command})` : 'another rx process';
      throw new LockedError(`the project is locked by ${who}`, {
        data: { lock: file, holder },
        hint: holder ? 'wait for it to finish, or pass --wait SECONDS' : `if no rx process is running, remove ${file}`,
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
}

export async function withLock<T>(options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
