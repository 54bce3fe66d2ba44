// Pointer files (`PATH.rx`): the small, committed YAML that names a tracked file or
// directory by hash. Parsing validates against the schema with file:line locations;
// serialisation is canonical so re-adding unchanged data rewrites nothing.
import { promises as fsp, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { stringifyYaml } from '../core/yaml.js';
import { parseYamlLocated, type ParsedCache } from '../schema/validate.js';
import { pointerSchema } from '../schema/files.js';
import { compareStrings } from '../core/canonical.js';
import { absPath, assertSafePath, unsafePathReason } from '../core/paths.js';
import { POINTER_SUFFIX } from './project.js';
import type { FileMode } from './link-strategy.js';

export interface Pointer {
  schema: 1;
  path: string;
  type: 'file' | 'dir';
  hash: string;
  size: number;
  nfiles: number;
  mode?: FileMode;
  desc?: string;
}

/** A pointer file found in the workspace, with the data path it tracks (project-relative). */
export interface PointerRef {
  pointerRel: string;
  targetRel: string;
}

export function pointerPathFor(targetRel: string): string {
  return targetRel + POINTER_SUFFIX;
}

export function serialisePointer(p: Pointer): string {
  const ordered: Record<string, unknown> = {
    schema: 1,
    path: p.path,
    type: p.type,
    hash: p.hash,
    size: p.size,
    nfiles: p.nfiles,
  };
  if (p.mode === '755') ordered.mode = p.mode;
  if (p.desc !== undefined) ordered.desc = p.desc;
  return stringifyYaml(ordered, { lineWidth: 0 });
}

export async function readPointer(root: string, pointerRel: string, parsed?: ParsedCache): Promise<Pointer> {
  const text = await fsp.readFile(absPath(root, pointerRel), 'utf8');
  return parsePointer(pointerRel, text, parsed);
}

/** Parses and validates a pointer's text; a `path` that could leave its directory is exit 4. */
export function parsePointer(pointerRel: string, text: string, parsed?: ParsedCache): Pointer {
  const { value, locate } = parseYamlLocated<Pointer>(pointerRel, text, pointerSchema, parsed);
  // Located only when it fails: locations cost a second parse of a cached file.
  if (unsafePathReason(value.path) !== undefined) assertSafePath(value.path, { file: pointerRel, ...locate(['path']), field: 'path' });
  return value;
}

export function targetOfPointer(pointerRel: string, p: Pointer): string {
  const dir = path.posix.dirname(pointerRel);
  return dir === '.' ? p.path : `${dir}/${p.path}`;
}

const SKIP_DIRS = new Set(['.git', '.rx', 'node_modules']);

/**
 * Finds every pointer file under `under` (project-relative, '' for all), without descending
 * into the data directories the pointers track. Directories holding a .gitignore are
 * appended to ignoreDirs when given.
 */
export function findPointers(root: string, under = '', ignoreDirs?: string[]): PointerRef[] {
  const out: PointerRef[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(rel === '' ? root : absPath(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    const tracked = new Set<string>();
    for (const e of entries) {
      if (ignoreDirs && e.name === '.gitignore' && e.isFile()) ignoreDirs.push(rel);
      if (e.isFile() && e.name.endsWith(POINTER_SUFFIX) && e.name.length > POINTER_SUFFIX.length) {
        const name = e.name.slice(0, -POINTER_SUFFIX.length);
        tracked.add(name);
        const pointerRel = rel === '' ? e.name : `${rel}/${e.name}`;
        out.push({ pointerRel, targetRel: rel === '' ? name : `${rel}/${name}` });
      }
    }
    for (const e of entries) {
      if (!e.isDirectory() || SKIP_DIRS.has(e.name) || tracked.has(e.name)) continue;
      walk(rel === '' ? e.name : `${rel}/${e.name}`);
    }
  };
  walk(under);
  out.sort((a, b) => compareStrings(a.pointerRel, b.pointerRel));
  return out;
}

/**
 * The pointer files among a list of file paths (a commit's tree), found as findPointers
 * finds them in the workspace: none under .git, .rx or node_modules, none inside a
 * directory that a pointer beside it tracks.
 */
export function pointerRefsIn(paths: string[]): PointerRef[] {
  const present = new Set(paths);
  const out: PointerRef[] = [];
  for (const p of paths) {
    const parts = p.split('/');
    const name = parts[parts.length - 1]!;
    if (!name.endsWith(POINTER_SUFFIX) || name.length <= POINTER_SUFFIX.length) continue;
    const dirs = parts.slice(0, -1);
    const hidden = dirs.some((d, i) => SKIP_DIRS.has(d) || present.has([...dirs.slice(0, i), d + POINTER_SUFFIX].join('/')));
    if (!hidden) out.push({ pointerRel: p, targetRel: p.slice(0, -POINTER_SUFFIX.length) });
  }
  return out.sort((a, b) => compareStrings(a.pointerRel, b.pointerRel));
}
