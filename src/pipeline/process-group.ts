// Ending a stage's process group. Every stage command runs as the leader of a process group
// of its own (spawned detached), so that rx can signal the command and everything it
// started, whether rx forwards a SIGINT/SIGTERM it received or a later rx ends the group a
// killed rx left running (its pgid and start time are in the staging journal).
import { hostname } from 'node:os';
import { bootId, groupMemberTicks, noteOrphanedCpuTicks, pidAlive, processStartTime, type ProcessIdentity } from '../core/process-identity.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds a stage gets to exit after a forwarded signal before SIGKILL (RX_STOP_GRACE). */
export function stopGraceMs(env: Record<string, string | undefined>): number {
  const s = Number(env.RX_STOP_GRACE);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 10_000;
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/**
 * The CPU time of a stopped group's members that no process of the group waits for, sampled
 * while they die (the last figure each showed). A signal the leader dies of (sh and SIGTERM)
 * leaves its children to pid 1, so their time would be missing from rx's own, which a search's
 * CPU budget counts. A member still the child of the leader or of another member at its last
 * sample (sh waits out a SIGINT) is waited for, and its time reaches rx through the leader:
 * counting it here too would count it twice.
 */
class MemberCpu {
  private readonly last = new Map<number, { ticks: number; parent: number }>();
  private readonly final = new Set<number>();
  private scanned = 0;
  constructor(private readonly pgid: number) {
    this.sample();
  }
  /** A scan of /proc at most once a second (members may start while the group stops); in between, the known members only. */
  sample(): void {
    const now = performance.now();
    const full = now - this.scanned >= 1000;
    if (full) this.scanned = now;
    const known = [...this.last.keys()].filter((p) => !this.final.has(p));
    if (!full && known.length === 0) return;
    for (const [pid, m] of groupMemberTicks(this.pgid, full ? undefined : known)) {
      if (this.final.has(pid)) continue;
      this.last.set(pid, { ticks: Math.max(m.ticks, this.last.get(pid)?.ticks ?? 0), parent: m.parent });
      if (m.zombie) this.final.add(pid);
    }
  }
  note(): void {
    let orphaned = 0;
    for (const m of this.last.values()) if (m.parent !== this.pgid && !this.last.has(m.parent)) orphaned += m.ticks;
    noteOrphanedCpuTicks(orphaned);
  }
}

async function waitGone(pgid: number, ms: number, cpu?: MemberCpu): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    cpu?.sample();
    if (!groupAlive(pgid)) return true;
    if (performance.now() >= deadline) return false;
    await sleep(delay);
  }
}

/**
 * Sends `signal` to the group, waits up to `graceMs` for it to be gone, then SIGKILLs what is
 * left and waits briefly for the kernel to reap it. Resolves to how it ended.
 */
export async function endGroup(pgid: number, signal: NodeJS.Signals, graceMs: number): Promise<'exited' | 'killed' | 'lingering'> {
  // A group may be ended twice at once (a search's abort and the forwarded signal, or SIGTERM then
  // SIGKILL): one sampler for both, noted once, when the last of them is done.
  let shared = ending.get(pgid);
  if (!shared) ending.set(pgid, (shared = { cpu: new MemberCpu(pgid), users: 0 }));
  shared.users++;
  const cpu = shared.cpu;
  try {
    signalGroup(pgid, signal);
    if (signal !== 'SIGKILL' && (await waitGone(pgid, graceMs, cpu))) return 'exited';
    signalGroup(pgid, 'SIGKILL');
    // Members no process reaps stay zombies (harmless, they run nothing).
    return (await waitGone(pgid, 2000, cpu)) ? 'killed' : 'lingering';
  } finally {
    if (--shared.users === 0) {
      ending.delete(pgid);
      cpu.note();
    }
  }
}

const ending = new Map<number, { cpu: MemberCpu; users: number }>();

/**
 * Whether a recorded group is still the stage's: same host and boot, and either its leader
 * is the recorded process (same start time) or the leader is gone while members run on (a
 * pgid is not handed out again while any member lives).
 */
export function recordedGroupRuns(group: ProcessIdentity): boolean {
  if (group.host !== hostname()) return false;
  if (group.boot !== undefined && bootId() !== undefined && group.boot !== bootId()) return false;
  if (!groupAlive(group.pid)) return false;
  if (pidAlive(group.pid) && group.start !== undefined) {
    const start = processStartTime(group.pid);
    if (start !== undefined && start !== group.start) return false;
  }
  return true;
}

/** Ends the group a journal names when it still runs; true when there was one to end. */
export async function endRecordedGroup(group: ProcessIdentity, graceMs: number): Promise<boolean> {
  if (!recordedGroupRuns(group)) return false;
  await endGroup(group.pid, 'SIGTERM', graceMs);
  return true;
}
