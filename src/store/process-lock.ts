// The project's writer lock: a claim file (.rx/tmp/lock) linked into place, holding the
// holder's identity (pid, process start time, boot id, host), command and time. Writers wait
// for it up to --wait seconds. A lock of this host whose process is gone, or whose pid now
// belongs to another process (started at another time, or before a reboot), is stale and
// reclaimed; another host's lock is reported with its age and broken only by --break-lock.
// Readers never take it.
import { promises as fsp, unlinkSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LockedError, isErrno } from '../core/errors.js';
import { onExit } from '../core/cleanup.js';
import { identityOf, livenessOf, type ProcessIdentity } from '../core/process-identity.js';

export interface LockHolder extends ProcessIdentity {
  command: string;
  /** When the lock was taken (ISO 8601). */
  since?: string;
}

function describeAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Who holds the lock under tmpDir now, if it is held by a process that is not gone. */
export async function liveHolder(tmpDir: string): Promise<LockHolder | undefined> {
  const held = await readHolder(path.join(tmpDir, 'lock'));
  return held && livenessOf(held) !== 'dead' ? held : undefined;
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
  /** Take over a lock that another host holds, or that cannot be read (--break-lock). */
  breakLock?: boolean;
  /** Told when a lock is reclaimed or broken. */
  warn?: (message: string) => void;
}

export async function acquireLock({ tmpDir, command, waitSeconds, now, breakLock, warn }: LockOptions): Promise<HeldLock> {
  const file = path.join(tmpDir, 'lock');
  await fsp.mkdir(tmpDir, { recursive: true });
  const me: LockHolder = { ...identityOf(), command, since: new Date(now()).toISOString() };
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
    const mtime = await fsp.stat(file).then((st) => st.mtimeMs, () => undefined);
    if (mtime === undefined) continue; // released meanwhile
    const takenAt = holder?.since !== undefined && !Number.isNaN(Date.parse(holder.since)) ? Date.parse(holder.since) : mtime;
    const age = describeAge(now() - takenAt);
    const liveness = holder && typeof holder.pid === 'number' && typeof holder.host === 'string' ? livenessOf(holder) : undefined;
    // An unreadable lock file (from a filesystem that lost its content) is stale once old.
    const unreadableAndOld = liveness === undefined && now() - mtime > 10_000;
    let reclaim = liveness === 'dead' || unreadableAndOld;
    if (!reclaim && breakLock) {
      if (liveness === 'alive') {
        dropClaim();
        await fsp.rm(claim, { force: true });
        throw new LockedError(`the project is locked by a running rx: pid ${holder!.pid} on ${holder!.host} (${holder!.command}), for ${age}; --break-lock breaks only a lock whose rx is gone`, {
          data: { lock: file, holder, age },
          hint: `wait for it to finish (--wait SECONDS), or stop it: kill ${holder!.pid}`,
        });
      }
      warn?.(`breaking the lock of ${holder ? `pid ${holder.pid} on ${holder.host} (${holder.command})` : 'an unreadable lock file'}, taken ${age} ago`);
      reclaim = true;
    } else if (reclaim && holder) {
      warn?.(`reclaiming a stale lock of pid ${holder.pid} (${holder.command}), taken ${age} ago: that process is gone`);
    }
    if (reclaim) {
      // Stale: move it aside under a unique name, then check we moved the stale one.
      const aside = `${file}.stale.${process.pid}`;
      try {
        await fsp.rename(file, aside);
        const moved = await readHolder(aside);
        if (moved && (moved.pid !== holder?.pid || moved.host !== holder?.host || moved.since !== holder?.since)) await fsp.rename(aside, file).catch(() => {});
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
      const otherHost = liveness === 'other-host';
      throw new LockedError(`the project is locked by ${who}, for ${age}${otherHost ? '; rx cannot tell from here whether a process on another host still runs' : ''}`, {
        data: { lock: file, holder, age, otherHost },
        hint: otherHost
          ? 'if that rx is no longer running, pass --break-lock'
          : holder
            ? 'wait for it to finish, or pass --wait SECONDS'
            : `if no rx process is running, pass --break-lock (or remove ${file})`,
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
