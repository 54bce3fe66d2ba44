// rx's managed .gitignore block: names are escaped by git's rules so that each line matches
// exactly its one data file or directory (never the pointer `name.rx`, never another file), lines
// read back as the names on disk, and older verbatim lines stay readable. Checked by unit tests,
// by a seeded property test against the real `git check-ignore` and `git status --ignored`, and
// end to end through `rx add`.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  withManagedEntry,
  managedEntries,
  managedIgnores,
  escapeIgnoreName,
  ignoreTarget,
  IGNORE_MARKER,
} from '../../src/git/ignore.js';
import { RxError } from '../../src/core/errors.js';
import { git, tempDir, GIT_ENV } from '../../fixtures/project.js';
import { useProject, rxJson, rxError } from '../../fixtures/e2e.js';

t.test('creates the managed block after user lines', async (t) => {
  const text = withManagedEntry('node_modules/\n', 'data');
  t.equal(text, `node_modules/\n\n${IGNORE_MARKER}\n/data\n`);
  t.same(managedEntries(text), ['data']);
});

t.test('adds entries sorted and is idempotent', async (t) => {
  let text = withManagedEntry('', 'zeta');
  text = withManagedEntry(text, 'alpha');
  const again = withManagedEntry(text, 'alpha');
  t.equal(again, text);
  t.same(managedEntries(text), ['alpha', 'zeta']);
});

t.test('leaves user lines after the block alone', async (t) => {
  const base = `${IGNORE_MARKER}\n/b\n\n*.log\n`;
  const text = withManagedEntry(base, 'a');
  t.equal(text, `${IGNORE_MARKER}\n/a\n/b\n\n*.log\n`);
});

t.test('does not duplicate an entry the user already wrote', async (t) => {
  t.equal(withManagedEntry('/data\n', 'data'), '/data\n');
  t.equal(withManagedEntry('/star\\*\n', 'star*'), '/star\\*\n');
});

// ---------------------------------------------------------------- escaping

const escapes: [name: string, line: string][] = [
  ['data', '/data'],
  ['model.bin', '/model.bin'],
  ['my data.csv', '/my data.csv'],
  [' lead', '/ lead'],
  ['trail ', '/trail\\ '],
  ['two  ', '/two\\ \\ '],
  ['   ', '/\\ \\ \\ '],
  ['in ner x', '/in ner x'],
  ['br[ack]et', '/br\\[ack]et'],
  ['[', '/\\['],
  [']', '/]'],
  ['[!a]', '/\\[!a]'],
  ['star*', '/star\\*'],
  ['**', '/\\*\\*'],
  ['what?', '/what\\?'],
  ['#hash', '/\\#hash'],
  ['a#b', '/a#b'],
  ['!bang', '/\\!bang'],
  ['a!b', '/a!b'],
  ['back\\slash', '/back\\\\slash'],
  ['end\\', '/end\\\\'],
  ['\\#', '/\\\\#'],
  ['x\\ ', '/x\\\\\\ '],
  ['tab\tname', '/tab\tname'],
  ['ünïcode 日本 🙂', '/ünïcode 日本 🙂'],
  ['.hidden', '/.hidden'],
];

t.test('escapeIgnoreName follows git rules and leaves ordinary names as they were', async (t) => {
  for (const [name, line] of escapes) t.equal(escapeIgnoreName(name), line, JSON.stringify(name));
});

t.test('managed entries read back as the names on disk', async (t) => {
  let text = 'node_modules/\n';
  for (const [name] of escapes) text = withManagedEntry(text, name);
  t.same(managedEntries(text).sort(), escapes.map(([name]) => name).sort());
  for (const [, line] of escapes) t.ok(text.split('\n').includes(line), `block holds ${JSON.stringify(line)}`);
  t.equal(withManagedEntry(text, 'trail '), text, 'idempotent for escaped names');
});

t.test('names no .gitignore line can express are refused', async (t) => {
  for (const name of ['new\nline', 'cr\r', '\n', 'a\r\nb', '', '.', '..']) {
    t.throws(() => escapeIgnoreName(name), { code: 'RX_UNSAFE_PATH', exitCode: 4, data: { path: name } }, JSON.stringify(name));
    t.throws(() => withManagedEntry('', name), { code: 'RX_UNSAFE_PATH' }, JSON.stringify(name));
  }
});

t.test('verbatim lines an older rx wrote stay readable and are replaced when the name is added again', async (t) => {
  // Before escaping, rx wrote `/name` verbatim whatever the name was.
  const old = `${IGNORE_MARKER}\n/back\\slash\n/data\n/star*\n/trail \n`;
  t.same(managedEntries(old), ['back\\slash', 'data', 'star*', 'trail ']);
  let text = withManagedEntry(old, 'star*');
  t.equal(text, `${IGNORE_MARKER}\n/back\\slash\n/data\n/star\\*\n/trail \n`);
  text = withManagedEntry(text, 'trail ');
  text = withManagedEntry(text, 'back\\slash');
  t.equal(text, `${IGNORE_MARKER}\n/back\\\\slash\n/data\n/star\\*\n/trail\\ \n`);
  t.same(managedEntries(text), ['back\\slash', 'data', 'star*', 'trail ']);
  t.equal(withManagedEntry(text, 'data'), text, 'ordinary lines are the same text as before');
});

t.test('an escaped line of another name is never taken for an old verbatim one', async (t) => {
  // `/a\*` is the escaped line of `a*`; adding the name `a\*` must keep it.
  let text = withManagedEntry('', 'a*');
  text = withManagedEntry(text, 'a\\*');
  t.same(managedEntries(text).sort(), ['a*', 'a\\*'].sort());
  t.equal(text, `${IGNORE_MARKER}\n/a\\*\n/a\\\\\\*\n`);
});

t.test('a .gitignore with CRLF line endings keeps them and its block is found', async (t) => {
  const text = `node_modules/\r\n\r\n${IGNORE_MARKER}\r\n/b\r\n`;
  t.same(managedEntries(text), ['b']);
  const out = withManagedEntry(text, 'a');
  t.equal(out, `node_modules/\r\n\r\n${IGNORE_MARKER}\r\n/a\r\n/b\r\n`);
  t.equal(withManagedEntry(out, 'a'), out);
});

t.test('ignoreTarget refuses a name with a newline or carriage return and writes nothing', async (t) => {
  const root = tempDir('rx-ignore-');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'sub', '.gitignore'), 'keep\n');
  for (const rel of ['new\nline', 'sub/cr\r', 'sub/a\nb', 'line\nbreak/x']) {
    await t.rejects(ignoreTarget(root, rel), { code: 'RX_UNSAFE_PATH', exitCode: 4, data: { path: rel } }, JSON.stringify(rel));
    try {
      await ignoreTarget(root, rel);
    } catch (err) {
      t.ok(err instanceof RxError, 'an RxError');
      t.match((err as Error).message, /newline or carriage return/);
    }
  }
  t.notOk(existsSync(path.join(root, '.gitignore')), 'no root .gitignore written');
  t.equal(readFileSync(path.join(root, 'sub', '.gitignore'), 'utf8'), 'keep\n', 'sub/.gitignore unchanged');
  t.equal(await ignoreTarget(root, 'sub/ok '), true);
  t.same(await managedIgnores(root, ['sub']), ['sub/ok ']);
});

// ---------------------------------------------------------------- property test against git

/** xorshift32: deterministic, seeded (no Math.random). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const PIECES = [
  ...'abcxyzABZ019'.split(''),
  ...'  #!*?[]\\.'.split(''),
  '\\\\', '**', '[ab]', '[!a]', '[^b]', '[a-c]', '[]]', '[*]', '\\*', '\\#', '\t', '-', '_',
  'é', 'ß', '日本', '🙂', 'e\u0301', 'Ω',
  '.rx', 'rx',
];

/** A name made of PIECES, often with leading or trailing spaces and a leading `#`, `!` or `\`. */
function generateName(next: (n: number) => number): string {
  let name = '';
  const len = 1 + next(6);
  for (let i = 0; i < len; i++) name += PIECES[next(PIECES.length)];
  const lead = next(8);
  if (lead === 0) name = ' '.repeat(1 + next(2)) + name;
  else if (lead === 1) name = '#' + name;
  else if (lead === 2) name = '!' + name;
  else if (lead === 3) name = '\\' + name;
  if (next(4) === 0) name += ' '.repeat(1 + next(3));
  return name;
}

function validFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && name !== '.git' && name !== '.gitignore';
}

/** What a careless reading of `name` as a glob could also match: files that must never be ignored. */
function decoysOf(name: string): string[] {
  let glob = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '\\' && i + 1 < name.length) glob += name[++i];
    else if (c === '*') glob += '';
    else if (c === '?') glob += 'q';
    else if (c === '[') {
      let j = i + 1;
      const negated = name[j] === '!' || name[j] === '^';
      if (negated) j++;
      if (name[j] === ']') j++;
      const close = name.indexOf(']', j);
      if (close < 0) glob += c;
      else {
        const set = name.slice(negated ? i + 2 : i + 1, close);
        glob += negated ? ['Q', 'W', '0'].find((x) => !set.includes(x))! : set[0]!;
        i = close;
      }
    } else glob += c;
  }
  return [
    glob,
    glob.replace(/ +$/, ''),
    name.replace(/\*/g, 'ZZ'),
    name + 'Z',
    'Z' + name,
    name.replace(/ +$/, ''),
    name.replace(/\\/g, ''),
    name.replace(/^[#!]/, ''),
    escapeIgnoreName(name).slice(1),
  ];
}

interface Expectation {
  /** rel path → the .gitignore line that must ignore it, or null: must not be ignored. */
  paths: Map<string, { line: string; source: string } | null>;
  dataNames: number;
}

function gitIn(cwd: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd, input, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 << 20 });
  if (r.status !== 0 && !(args[0] === 'check-ignore' && r.status === 1)) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function buildTree(root: string, seed: number, count: number): Promise<Expectation> {
  const next = rng(seed);
  const names = new Set<string>(['trail ', 'br[ack]et', 'star*', '#hash', '!bang', 'back\\slash', ' lead', '   ', 'a\\', '[', '**']);
  while (names.size < count) {
    const name = generateName(next);
    if (validFileName(name) && !name.endsWith('.rx')) names.add(name);
  }
  const dirs = ['', 'd1', 'sp ace', 'deep/er [x]'];
  const byDir = new Map<string, string[]>(dirs.map((d) => [d, []]));
  [...names].forEach((name, i) => byDir.get(dirs[i % dirs.length]!)!.push(name));

  const paths = new Map<string, { line: string; source: string } | null>();
  const write = (rel: string, content: string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  for (const [dir, dataNames] of byDir) {
    const prefix = dir === '' ? '' : `${dir}/`;
    const source = `${prefix}.gitignore`;
    const taken = new Set(dataNames);
    for (const name of dataNames) {
      const line = escapeIgnoreName(name);
      // One in four data targets is a directory, as `rx add DIR` tracks.
      if (next(4) === 0) {
        write(`${prefix}${name}/inner`, 'x');
        paths.set(`${prefix}${name}/inner`, { line, source });
      } else {
        write(`${prefix}${name}`, 'data');
        paths.set(`${prefix}${name}`, { line, source });
      }
      taken.add(`${name}.rx`);
      write(`${prefix}${name}.rx`, 'pointer');
      paths.set(`${prefix}${name}.rx`, null);
      await ignoreTarget(root, `${prefix}${name}`);
    }
    for (const name of dataNames) {
      for (const decoy of decoysOf(name)) {
        if (!validFileName(decoy) || taken.has(decoy)) continue;
        taken.add(decoy);
        write(`${prefix}${decoy}`, 'decoy');
        paths.set(`${prefix}${decoy}`, null);
      }
    }
    paths.set(source, null);
    // Anchoring: the root's names one directory down are not the root's files.
    if (dir === '') {
      for (const name of dataNames) {
        write(`unanchored/${name}`, 'decoy');
        paths.set(`unanchored/${name}`, null);
      }
    }
  }
  return { paths, dataNames: names.size };
}

function checkAgainstGit(t: Tap.Test, root: string, want: Expectation): void {
  // One check-ignore call for every path: -v -n prints the matching line (or nothing) for each.
  const rels = [...want.paths.keys()];
  const out = gitIn(root, ['check-ignore', '--no-index', '--stdin', '-z', '-v', '-n'], rels.map((r) => r + '\0').join('')).split('\0');
  const seen = new Map<string, { source: string; line: string }>();
  for (let i = 0; i + 3 < out.length; i += 4) seen.set(out[i + 3]!, { source: out[i]!, line: out[i + 2]! });
  const wrong: string[] = [];
  for (const [rel, expected] of want.paths) {
    const got = seen.get(rel);
    if (got === undefined) wrong.push(`${JSON.stringify(rel)}: not reported by check-ignore`);
    else if (expected === null && got.source !== '') wrong.push(`${JSON.stringify(rel)}: ignored by ${got.source}: ${JSON.stringify(got.line)}`);
    else if (expected !== null && (got.source !== expected.source || got.line !== expected.line)) {
      wrong.push(`${JSON.stringify(rel)}: wanted ${expected.source}: ${JSON.stringify(expected.line)}, got ${got.source || 'no match'}: ${JSON.stringify(got.line)}`);
    }
  }
  t.same(wrong, [], `git check-ignore agrees on ${rels.length} paths`);

  // The same from `git status`: exactly the data paths are ignored, everything else is untracked.
  const status = gitIn(root, ['status', '--porcelain', '--ignored', '--untracked-files=all', '-z']).split('\0').filter((e) => e !== '');
  const ignored = status.filter((e) => e.startsWith('!! ')).map((e) => e.slice(3)).sort();
  const untracked = status.filter((e) => e.startsWith('?? ')).map((e) => e.slice(3)).sort();
  t.same(ignored, rels.filter((r) => want.paths.get(r) !== null).sort(), 'git status ignores exactly the data');
  t.same(untracked, rels.filter((r) => want.paths.get(r) === null).sort(), 'pointers, decoys and .gitignore files stay visible to git');
}

for (const seed of [0x2545f491, 9]) {
  t.test(`git agrees with every escaped entry (seed ${seed})`, async (t) => {
    const root = tempDir('rx-ignore-prop-');
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    gitIn(root, ['init', '-q']);
    const want = await buildTree(root, seed, 220);
    t.ok(want.dataNames >= 200, `${want.dataNames} names`);
    // The block reads back as the names on disk.
    const dirs = ['', 'd1', 'sp ace', 'deep/er [x]'];
    const back = (await managedIgnores(root, dirs)).sort();
    const data = [...want.paths.entries()].filter(([, e]) => e !== null).map(([rel]) => rel.replace(/\/inner$/, '')).sort();
    t.same(back, data, 'managedIgnores gives back every data path');
    checkAgainstGit(t, root, want);
  });
}

// ---------------------------------------------------------------- end to end

function porcelain(dir: string): string[] {
  const r = git(dir, ['status', '--porcelain', '-z', '--untracked-files=all']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.split('\0').filter((e) => e !== '');
}

t.test("rx add 'trail ' leaves only the pointer and .gitignore for git", async (t) => {
  const dir = useProject(t);
  const before = porcelain(dir);
  writeFileSync(path.join(dir, 'trail '), 'data with a trailing space in its name\n');
  rxJson(dir, 'add', ['add', 'trail ']);
  const added = porcelain(dir).filter((e) => !before.includes(e));
  t.same(added.sort(), ['?? .gitignore', '?? trail .rx'].sort());
  t.match(readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^\/trail\\ $/m);
  const status = rxJson(dir, 'status', ['status']);
  t.equal(status.clean, true, 'rx status reads the escaped entry back');
});

t.test('rx add of names with glob characters, # and ! keeps the pointers and other files visible', async (t) => {
  const dir = useProject(t);
  const before = porcelain(dir);
  // (A backslash is tested above only: rx's path guard refuses it in pointer paths.)
  const names = ['br[ack]et', 'star*', '#hash', '!bang', ' lead', 'q?'];
  for (const n of names) writeFileSync(path.join(dir, n), n);
  mkdirSync(path.join(dir, 'sub dir '));
  writeFileSync(path.join(dir, 'sub dir ', 'x'), 'x');
  // Files a verbatim entry would have ignored.
  for (const n of ['bret', 'start', 'qq', 'sub dir']) writeFileSync(path.join(dir, n), 'mine');
  rxJson(dir, 'add', ['add', ...names, 'sub dir ']);
  const added = porcelain(dir).filter((e) => !before.includes(e));
  t.same(
    added.sort(),
    ['?? .gitignore', ...[...names, 'sub dir '].map((n) => `?? ${n}.rx`), ...['bret', 'start', 'qq', 'sub dir'].map((n) => `?? ${n}`)].sort(),
  );
  const status = rxJson(dir, 'status', ['status']);
  t.equal(status.clean, true);
});

t.test('rx add of a name with a newline is refused with exit 4 and no .gitignore entry', async (t) => {
  const dir = useProject(t);
  writeFileSync(path.join(dir, 'new\nline'), 'x');
  const r = rxError(dir, ['add', 'new\nline']);
  t.equal(r.code, 4);
  t.equal(r.json.error.code, 'RX_UNSAFE_PATH');
  const gi = path.join(dir, '.gitignore');
  t.match(r.json.error.message, /control character/, 'refused by the path guard before anything is stored');
  t.notOk(existsSync(gi) && readFileSync(gi, 'utf8').includes('new'), 'no .gitignore line for it');
  t.notOk(existsSync(path.join(dir, 'new\nline.rx')), 'no pointer written');
});
