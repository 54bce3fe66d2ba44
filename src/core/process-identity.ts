// Who a recorded pid really is. A pid alone is reused (after a container restart the new
// init is pid 1 again, and pids wrap), so rx records a process's identity as pid, start
// time (field 22 of /proc/PID/stat, clock ticks since boot), the kernel's boot id and the
// host; a record names a live process only when all of them still match.
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Clock ticks after boot at which the process started; absent where /proc is not readable. */
  start?: string;
  /** /proc/sys/kernel/random/boot_id: changes with every boot of the kernel. */
  boot?: string;
}

/** Whether some process of this host has the pid (EPERM: alive, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start time of a live process, or undefined when it is gone or /proc cannot say. */
export function processStartTime(pid: number): string | undefined {
  // Field 22.
  return statFields(pid)?.[19];
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture rx runs on). */
const USER_HZ = 100;

/** Fields of /proc/PID/stat after the command name: index i is field i + 3. */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain ") ".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime + cutime + cstime (fields 14-17) in clock ticks. */
function ticksOf(fields: string[]): number {
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

let orphanedTicks = 0;

/**
 * Adds CPU time of processes rx stopped that no process of rx's will wait for (the members of a
 * stopped stage's group under its leader: the leader dies first, so their time never reaches rx).
 */
export function noteOrphanedCpuTicks(ticks: number): void {
  if (Number.isFinite(ticks) && ticks > 0) orphanedTicks += ticks;
}

/**
 * CPU seconds (user + system) of this process, of its children that have ended and been waited
 * for (their own children included: fields 14-17 of /proc/self/stat), and of the stopped stage
 * processes noted above. Where /proc cannot be read, this process's own CPU time only.
 */
export function cpuSecondsWithChildren(): number {
  const fields = statFields('self');
  const ticks = fields ? ticksOf(fields) : NaN;
  if (Number.isFinite(ticks)) return (ticks + orphanedTicks) / USER_HZ;
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6;
}

export interface MemberTicks {
  ticks: number;
  /** Its parent's pid: the leader or another member while it is theirs to wait for, else who adopted it. */
  parent: number;
  /** A zombie runs no more: its figure is final. */
  zombie: boolean;
}

/**
 * CPU ticks of the processes in group `pgid` but its leader, by pid: of every process of the
 * system (a scan of /proc), or of the given pids only (a cheap re-read). Empty without /proc.
 */
export function groupMemberTicks(pgid: number, only?: Iterable<number>): Map<number, MemberTicks> {
  const out = new Map<number, MemberTicks>();
  let pids: number[];
  try {
    pids = only ? [...only] : readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (pid === pgid) continue;
    const fields = statFields(pid);
    // Field 3 is the state, field 5 the process group.
    if (!fields || Number(fields[2]) !== pgid) continue;
    const ticks = ticksOf(fields);
    if (Number.isFinite(ticks)) out.set(pid, { ticks, parent: Number(fields[1]), zombie: fields[0] === 'Z' });
  }
  return out;
}

let boot: string | undefined | null = null;

export function bootId(): string | undefined {
  if (boot === null) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      boot = undefined;
    }
  }
  return boot;
}

/** The identity of a process of this host (default: this one). */
export function identityOf(pid: number = process.pid): ProcessIdentity {
  const id: ProcessIdentity = { pid, host: hostname() };
  const start = processStartTime(pid);
  if (start !== undefined) id.start = start;
  const b = bootId();
  if (b !== undefined) id.boot = b;
  return id;
}

export type Liveness = 'alive' | 'dead' | 'other-host';

/**
 * Whether the process a record names is still running. Another host's process cannot be
 * checked. On this host: dead when the kernel booted since, when the pid is free, or when
 * the pid now belongs to a process that started at another time (the pid was reused).
 */
export function livenessOf(id: Pick<ProcessIdentity, 'pid' | 'host' | 'start' | 'boot'>): Liveness {
  if (id.host !== hostname()) return 'other-host';
  if (id.boot !== undefined && bootId() !== undefined && id.boot !== bootId()) return 'dead';
  if (!pidAlive(id.pid)) return 'dead';
  if (id.start !== undefined) {
    const now = processStartTime(id.pid);
    if (now !== undefined && now !== id.start) return 'dead';
  } else if (!mayBeRx(id.pid)) {
    // A record from before start times were kept: a live pid that is not rx was reused.
    return 'dead';
  }
  return 'alive';
}

/** Whether a process's command line could be rx's (unknown when /proc is not readable). */
function mayBeRx(pid: number): boolean {
  try {
    return /rx/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}
