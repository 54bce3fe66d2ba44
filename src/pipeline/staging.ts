// Outputs are never deleted before a stage runs: they are moved aside into
// .rx/tmp/staging/<stage>.<pid>/ (a journal names each move), the command writes fresh
// ones, and on failure the old ones are moved back. A staging directory left by a killed
// process is undone by the next rx that takes the project lock.
import { promises as fsp, existsSync } from 'node:fs';
import * as path from 'node:path';
import { absPath } from '../core/paths.js';
import { writeFileAtomic } from '../core/atomic.js';
import { makeIndependent } from '../store/workspace.js';
import type { Stage } from './definition.js';

interface Journal {
  stage: string;
  pid: number;
  moves: { out: string; aside: string }[];
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

/** Undoes staging directories of processes that died mid-stage; returns the stages restored. */
export async function recoverStaging(root: string, tmpDir: string): Promise<string[]> {
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
    await restoreOutputs(root, { dir, journal });
    recovered.push(journal.stage);
  }
  return recovered;
}
