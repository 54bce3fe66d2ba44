// Outputs are never deleted before a stage runs: they are moved aside into
// .rx/tmp/staging/<stage>.<pid>/ (a journal names each move), the command writes fresh
// ones, and on failure the old ones are moved back. The journal also names the process
// group of the command running, so the next rx that takes the project lock, finding the
// staging directory of a killed rx, first ends that group (a command that outlived rx would
// go on writing into the outputs) and then puts the previous outputs back.
import { promises as fsp, existsSync } from 'node:fs';
import * as path from 'node:path';
import { absPath } from '../core/paths.js';
import { writeFileAtomic } from '../core/atomic.js';
import { makeIndependent } from '../store/workspace.js';
import { identityOf, type ProcessIdentity } from '../core/process-identity.js';
import { endRecordedGroup } from './process-group.js';
import type { Stage } from './definition.js';

interface Journal {
  stage: string;
  pid: number;
  moves: { out: string; aside: string }[];
  /** The process group of the command running now (its leader). */
  group?: ProcessIdentity;
}

export interface Staging {
  dir: string;
  journal: Journal;
}

const JOURNAL = 'journal.json';

function stagingRoot(tmpDir: string): string {
  return path.join(tmpDir, 'staging');
}


export async function moveOutputsAside(root: string, tmpDir: string, stage: Stage): Promise<Staging> {
  const dir = path.join(stagingRoot(tmpDir), `${stage.name.replace(/[^A-Za-z0-9_.@-]/g, '_')}.${process.pid}`);
  await fsp.mkdir(dir, { recursive: true });
  const journal: Journal = { stage: stage.name, pid: process.pid, moves: [] };
  stage.outs.forEach((o, i) => {
    if (!o.persist && existsSync(absPath(root, o.path))) journal.moves.push({ out: o.path, aside: String(i) });
  });
  await writeFileAtomic(path.join(dir, JOURNAL), JSON.stringify(journal));
  for (const m of journal.moves) await fsp.rename(absPath(root, m.out), path.join(dir, m.aside));
  for (const o of stage.outs) {
    await fsp.mkdir(path.dirname(absPath(root, o.path)), { recursive: true });
    if (o.persist && existsSync(absPath(root, o.path))) await makeIndependent(absPath(root, o.path), o.path);
  }
  return { dir, journal };
}

/** Records the process group of the command that now runs, before it can write much. */
export async function recordGroup(staging: Staging, pgid: number): Promise<void> {
  staging.journal.group = identityOf(pgid);
  await writeFileAtomic(path.join(staging.dir, JOURNAL), JSON.stringify(staging.journal));
}

/** Puts the previous outputs back, discarding whatever the failed command wrote. */
export async function restoreOutputs(root: string, staging: Staging): Promise<void> {
  for (const m of staging.journal.moves) {
    const target = absPath(root, m.out);
    const aside = path.join(staging.dir, m.aside);
    if (!existsSync(aside)) continue;
    await fsp.rm(target, { recursive: true, force: true });
    await fsp.rename(aside, target);
  }
  await fsp.rm(staging.dir, { recursive: true, force: true });
}

export async function dropStaging(staging: Staging): Promise<void> {
  await fsp.rm(staging.dir, { recursive: true, force: true });
}

/**
 * Undoes staging directories of processes that died mid-stage, first ending the stage
 * command a killed rx left running; returns the stages restored.
 */
export async function recoverStaging(root: string, tmpDir: string, graceMs = 10_000, warn: (message: string) => void = () => {}): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(stagingRoot(tmpDir));
  } catch {
    return [];
  }
  const recovered: string[] = [];
  for (const name of names) {
    const dir = path.join(stagingRoot(tmpDir), name);
    let journal: Journal;
    try {
      journal = JSON.parse(await fsp.readFile(path.join(dir, JOURNAL), 'utf8')) as Journal;
    } catch {
      // Killed before the journal was written: nothing was moved yet.
      await fsp.rm(dir, { recursive: true, force: true });
      continue;
    }
    if (journal.pid === process.pid) continue;
    if (journal.group && (await endRecordedGroup(journal.group, graceMs))) {
      warn(`stage ${journal.stage}: ended its command (process group ${journal.group.pid}), which a killed rx left running`);
    }
    await restoreOutputs(root, { dir, journal });
    recovered.push(journal.stage);
  }
  return recovered;
}
