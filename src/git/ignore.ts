// The block of .gitignore lines rx manages: one anchored line per tracked path or cached stage
// output, kept in the .gitignore of the directory that holds it, under a marker comment so rx
// can tell its own lines from the user's. This module owns how a name becomes such a line
// (escaped by git's gitignore rules, so a line matches exactly that one name and nothing else)
// and how a line is read back into the name it stands for.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileIfChanged } from '../core/atomic.js';
import { RxError, ExitCode } from '../core/errors.js';
import { absPath, assertNoSymlinkAbove } from '../core/paths.js';

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

/**
 * Why a name cannot be written as a .gitignore line, or undefined. A .gitignore holds one
 * pattern per line and git drops a carriage return before the newline, so a name with either
 * has no pattern that matches it; empty, `.` and `..` are not names of a file in the directory.
 */
function unignorable(name: string): string | undefined {
  if (/[\n\r]/.test(name)) return 'a name with a newline or carriage return cannot be written to .gitignore';
  if (name === '' || name === '.' || name === '..') return 'not the name of a file or directory';
  return undefined;
}

function unsafePath(shown: string, reason: string): RxError {
  return new RxError('RX_UNSAFE_PATH', ExitCode.invalidFile, `${JSON.stringify(shown)}: ${reason}; rx cannot keep it out of git`, {
    data: { path: shown },
    hint: 'rename it (no line breaks) and add it again',
  });
}

/** Throws RX_UNSAFE_PATH (exit 4) when the last component of targetRel cannot be ignored by a .gitignore line. */
export function assertIgnorable(targetRel: string): void {
  const reason = /[\n\r]/.test(targetRel) ? unignorable('\n') : unignorable(path.posix.basename(targetRel));
  if (reason !== undefined) throw unsafePath(targetRel, reason);
}

/**
 * The .gitignore line that matches exactly the file or directory `name` next to the .gitignore
 * and nothing else, by git's rules: anchored with a leading `/`; `\` before each glob
 * character (`*`, `?`, `[`) and before `\` itself; `\` before a leading `#` or `!`
 * (comment, negation); `\` before each trailing space (git strips unescaped trailing spaces).
 * Inner and leading spaces, `]` and everything else match themselves and stay as they are, so an
 * ordinary name's line is `/name` as before. Throws RX_UNSAFE_PATH for a name no line can express.
 */
export function escapeIgnoreName(name: string): string {
  const reason = unignorable(name);
  if (reason !== undefined) throw unsafePath(name, reason);
  let out = name.replace(/[\\*?[]/g, '\\$&');
  if (out.startsWith('#') || out.startsWith('!')) out = '\\' + out;
  out = out.replace(/ +$/, (spaces) => '\\ '.repeat(spaces.length));
  return '/' + out;
}

/** The text git matches for an escaped pattern body: each `\x` is x. */
function unescapeBody(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) out += body[++i]!;
    else out += c;
  }
  return out;
}

/** Whether a block line is the escaped line of some name (what rx writes). */
function isEscapedLine(line: string): boolean {
  const name = unescapeBody(line.slice(1));
  return unignorable(name) === undefined && escapeIgnoreName(name) === line;
}

/**
 * The name a block line stands for. A line rx writes is an escaped name; a line that is not was
 * written verbatim by an rx that did not escape (the same text for ordinary names), and stands
 * for its own text.
 */
function entryName(line: string): string {
  return isEscapedLine(line) ? unescapeBody(line.slice(1)) : line.slice(1);
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** The names (as they are on disk) of the entries of rx's block in a .gitignore text. */
export function managedEntries(text: string): string[] {
  const lines = splitLines(text);
  const start = lines.indexOf(IGNORE_MARKER);
  if (start < 0) return [];
  const out: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('/')) break;
    out.push(entryName(line));
  }
  return out;
}

/**
 * Returns the text with the escaped line of `name` in rx's block (added in sorted position, block
 * created). A verbatim line an older rx wrote for the same name is replaced. Keeps the text's
 * line ending (CRLF when it has one).
 */
export function withManagedEntry(text: string, name: string): string {
  const entry = escapeIgnoreName(name);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : splitLines(text.replace(/\r?\n$/, ''));
  const start = lines.indexOf(IGNORE_MARKER);
  if (start < 0) {
    if (lines.includes(entry)) return text;
    if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
    lines.push(IGNORE_MARKER, entry);
    return lines.join(eol) + eol;
  }
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith('/')) end++;
  const old = lines.slice(start + 1, end);
  const legacy = '/' + name;
  const block = old.filter((line) => line !== legacy || isEscapedLine(line));
  if (block.length === old.length && block.includes(entry)) return text;
  if (!block.includes(entry)) block.push(entry);
  block.sort();
  lines.splice(start + 1, end - start - 1, ...block);
  return lines.join(eol) + eol;
}

/**
 * Adds targetRel to rx's block in the .gitignore of its directory; whether the file changed.
 * A name no .gitignore line can express is refused (RX_UNSAFE_PATH, exit 4) before anything is read or written.
 */
export async function ignoreTarget(root: string, targetRel: string): Promise<boolean> {
  assertIgnorable(targetRel);
  // The .gitignore is written beside the target: never through a symlinked directory.
  assertNoSymlinkAbove(root, targetRel);
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
