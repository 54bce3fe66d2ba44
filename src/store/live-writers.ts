// The rx processes writing into a store right now: each registers a small file under
// <store>/tmp/live/ before it writes its first object and removes it when it ends. The
// oldest live registration bounds what may be in flight: gc keeps every object changed
// since then (a run in another tree sharing the store may not have named it yet), and
// temporary files older than it belong to processes that died and are removed.
import { writeFileSync, unlinkSync, mkdirSync, readdirSync, statSync, readFileSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { hostname } from 'node:os';
import { onExit } from '../core/cleanup.js';
import { identityOf, livenessOf, type ProcessIdentity } from '../core/process-identity.js';

type Registration = ProcessIdentity;

export function liveDir(storeDir: string): string {
  return path.join(storeDir, 'tmp', 'live');
}

const registered = new Set<string>();

/** Registers this process as a writer of the store (once per store and process). */
export function registerWriter(storeDir: string): void {
  const dir = liveDir(storeDir);
  if (registered.has(dir)) return;
  const file = path.join(dir, `${process.pid}.json`);
  const me: Registration = identityOf();
  try {
    mkdirSync(dir, { recursive: true });
    // Written whole under a private name and renamed: a reader never sees half of it.
    const tmp = path.join(dir, `.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(me));
    renameSync(tmp, file);
  } catch (err) {
    // A store this process cannot write to gets no objects from it either (the write
    // itself reports the failure); reading from it needs no registration.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EDQUOT') return;
    throw err;
  }
  registered.add(dir);
  onExit(() => {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  });
}

/**
 * The registration time (ms) of the oldest live writer other than this process, or
 * undefined when there is none; registrations of dead processes are removed. A writer on
 * another host cannot be checked and counts as live.
 */
export function oldestOtherWriter(storeDir: string): number | undefined {
  const dir = liveDir(storeDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  let oldest: number | undefined;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    let reg: Registration;
    let since: number;
    try {
      reg = JSON.parse(readFileSync(file, 'utf8')) as Registration;
      since = statSync(file).mtimeMs;
    } catch {
      continue; // half-written by a process killed at that instant, or just removed
    }
    if (reg.pid === process.pid && reg.host === hostname()) continue;
    if (livenessOf(reg) === 'dead') {
      try {
        unlinkSync(file);
      } catch {
        // another cleaner got it
      }
      continue;
    }
    oldest = oldest === undefined ? since : Math.min(oldest, since);
  }
  return oldest;
}
