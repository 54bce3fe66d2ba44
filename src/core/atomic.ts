// Crash-safe file writes: every metadata file rx writes goes through here.
// Temp file in the same directory, fsync, rename over the target, fsync the directory,
// so a reader sees either the old file or the new one, never half of either.
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { pidAlive } from './process-identity.js';

let tmpCounter = 0;

/** A temp name unique within this process and across processes (pid), in dir. */
export function tempNameIn(dir: string, base: string): string {
  tmpCounter += 1;
  return path.join(dir, `.${base}.${process.pid}.${tmpCounter}.tmp`);
}

/** The pid in a temp name tempNameIn made (`.base.PID.N.tmp`), or undefined for other names. */
export function tempNamePid(name: string): number | undefined {
  const m = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Whether a name is a temp file of a process that is gone (a killed rx left it). */
export function isStaleTemp(name: string): boolean {
  const pid = tempNamePid(name);
  return pid !== undefined && pid !== process.pid && !pidAlive(pid);
}

/** Removes the temp files dead processes left directly in dir; returns their names. */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isStaleTemp(name)) continue;
    await fsp.rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, fsc.O_RDONLY);
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip fsync (for caches that are safe to lose). */
  durable?: boolean;
}

/** data: the bytes, or chunks written in turn (a large file never held as one string). */
export async function writeFileAtomic(file: string, data: string | Uint8Array | Iterable<string>, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tempNameIn(dir, path.basename(file));
  const durable = options.durable ?? true;
  const fh = await fsp.open(tmp, 'w', options.mode ?? 0o644);
  try {
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data);
      else for (const chunk of data) await fh.write(chunk);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  if (durable) await fsyncDir(dir);
}

/** Writes only when the content differs; returns whether it wrote. */
export async function writeFileIfChanged(file: string, data: string, options: AtomicWriteOptions = {}): Promise<boolean> {
  try {
    const current = await fsp.readFile(file, 'utf8');
    if (current === data) return false;
  } catch {
    // absent or unreadable: write it
  }
  await writeFileAtomic(file, data, options);
  return true;
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}
