// The block of .gitignore lines rx manages: one `/name` line per tracked path or cached
// stage output, kept in the .gitignore of the directory that holds it, under a marker comment so
// rx can tell its own lines from the user's.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileIfChanged } from '../core/atomic.js';
import { absPath } from '../core/paths.js';

export const IGNORE_MARKER = '# rx: data and stage outputs kept in the rx store (.rx/cache)';

function splitTarget(targetRel: string): { dir: string; name: string } {
  const dir = path.posix.dirname(targetRel);
  return { dir: dir === '.' ? '' : dir, name: path.posix.basename(targetRel) };
}

function ignoreFileOf(root: string, dir: string): string {
  return dir === '' ? path.join(root, '.gitignore') : path.join(absPath(root, dir), '.gitignore');
}

async function readText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** The entries of rx's block in a .gitignore text. */
export function managedEntries(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(IGNORE_MARKER);
  if (start < 0) return [];
  const out: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('/')) break;
    out.push(line.slice(1));
  }
  return out;
}

/** Returns the text with `/name` in rx's block (added in sorted position, block created). */
export function withManagedEntry(text: string, name: string): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const entry = `/${name}`;
  const start = lines.indexOf(IGNORE_MARKER);
  if (start < 0) {
    if (lines.includes(entry)) return text;
    if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
    lines.push(IGNORE_MARKER, entry);
    return lines.join('\n') + '\n';
  }
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith('/')) end++;
  const block = lines.slice(start + 1, end);
  if (block.includes(entry)) return text;
  block.push(entry);
  block.sort();
  lines.splice(start + 1, end - start - 1, ...block);
  return lines.join('\n') + '\n';
}

export async function ignoreTarget(root: string, targetRel: string): Promise<boolean> {
  const { dir, name } = splitTarget(targetRel);
  const file = ignoreFileOf(root, dir);
  const text = await readText(file);
  return writeFileIfChanged(file, withManagedEntry(text, name));
}

/** Project-relative paths rx's blocks ignore under the given directories. */
export async function managedIgnores(root: string, dirs: Iterable<string>): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    for (const name of managedEntries(await readText(ignoreFileOf(root, dir)))) {
      out.push(dir === '' ? name : `${dir}/${name}`);
    }
  }
  return out;
}
