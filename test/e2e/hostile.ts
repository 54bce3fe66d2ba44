// Hostile input (issue 9, "What was seen" 1 and 8): crafted pointer files, directory
// manifests in the store, rx.lock files and rx.yaml stage outputs whose paths climb out of
// the project, are absolute, pass through a symlink, name .git or .rx, or carry NUL, newline,
// CR or backslash. Every command that reads one must exit 4 (unsafe path) or 6 (store
// integrity), never 0 and never 70, with no stack trace, naming the file; and nothing is
// written: a checksum (bytes, modes, symlink targets) of everything around the project
// (sibling and parent-level victim files), of the project's .git, of its workspace and of
// the store's objects is the same afterwards, and no hook or fsmonitor the input tried to
// plant runs on the next `git checkout` / `git status`.
//
// Each case runs in its own sandbox, a `cp -a` of one pristine sandbox:
//
//   <case>/parent.txt, victim.txt            parent-level victims
//   <case>/work/victim.txt, victim/...       siblings of the project
//   <case>/work/proj/                        the project: data/raw tracked (pointer
//                                            data/raw.rx), a stage s: hook.sh -> out.txt
//
// so paths relative to data/raw (manifest entries) reach the project's .git with `../../`
// and the siblings with `../../../`, as in the issue. Cases run two at a time (spawning rx is
// most of the cost); the assertions come after, one subtest per case.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { rx, tempDir, commitAll, writeTree, rxEnv, RX_BIN, GIT_ENV } from '../../fixtures/project.js';
import { registerRepo, hasStackTrace } from '../../fixtures/e2e.js';

const at = (root: string, rel: string) => path.join(root, ...rel.split('/'));
const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------- the pristine sandbox

const PROJ = 'work/proj';
/** Run as a hook / fsmonitor: records that it ran, in the sandbox root (cwd is the project). */
const HOOK = '#!/bin/sh\necho ran >> ../../hook-ran\n';
const PIPELINE = 'schema: 1\nstages:\n  s:\n    cmd: cp hook.sh out.txt && echo "# an output" >> out.txt\n    deps: [hook.sh]\n    outs: [out.txt]\n';

const top = tempDir('rx-hostile-');
t.teardown(() => rmSync(top, { recursive: true, force: true }));
const pristine = path.join(top, 'pristine');
const proj0 = at(pristine, PROJ);

writeTree(pristine, {
  'parent.txt': 'parent-level file\n',
  'victim.txt': 'parent-level victim\n',
  'work/victim.txt': 'sibling victim\n',
  'work/victim/f.txt': 'victim dir file\n',
  'work/victim/sub/g.txt': 'victim dir, nested\n',
});
chmodSync(at(pristine, 'work/victim/f.txt'), 0o600);
mkdirSync(proj0, { recursive: true });
{
  const init = rx(proj0, ['init', '-q']);
  if (init.code !== 0) throw new Error(`rx init failed: ${init.stderr}`);
}
registerRepo(t, proj0, () => {});
writeTree(proj0, {
  'data/raw/a.txt': 'alpha\n',
  'data/raw/b.bin': Buffer.from([0, 1, 2, 3, 255, 254]),
  'data/raw/sub/c.txt': 'nested\n',
  'data/raw/run.sh': { content: HOOK, mode: 0o755 },
  'data/keep.txt': 'a sibling of the tracked directory, in git\n',
  'notes.txt': 'project notes\n',
  'hook.sh': { content: HOOK, mode: 0o755 },
  'rx.yaml': PIPELINE,
});
for (const args of [['add', 'data/raw'], ['repro']]) {
  const r = rx(proj0, args);
  if (r.code !== 0) throw new Error(`rx ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}
commitAll(proj0, 'tracked data and a stage');

interface Obj {
  hash: string;
  size: number;
}
const objectFile = (proj: string, hash: string) => {
  const hex = hash.slice('sha256:'.length);
  return at(proj, `.rx/cache/sha256/${hex.slice(0, 2)}/${hex.slice(2)}`);
};
const DATA_POINTER = parseYaml(readFileSync(at(proj0, 'data/raw.rx'), 'utf8'));
const LOCK = parseYaml(readFileSync(at(proj0, 'rx.lock'), 'utf8'));
const DATA: Obj & { nfiles: number } = { hash: DATA_POINTER.hash, size: DATA_POINTER.size, nfiles: DATA_POINTER.nfiles };
const RUN_SH: Obj = { hash: `sha256:${sha256(HOOK)}`, size: HOOK.length };
const OUT: Obj = { hash: LOCK.stages.s.outs[0].hash, size: LOCK.stages.s.outs[0].size };

/**
 * Canonical JSON as rx writes directory manifests (docs: JSON.stringify with object keys
 * sorted, no spaces), written here independently of src/; checked below against the
 * manifest rx itself stored for data/raw.
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

t.test('the crafted objects are laid out as rx lays out its own', async (t) => {
  const stored = readFileSync(objectFile(proj0, DATA.hash), 'utf8');
  t.equal(canonical(JSON.parse(stored)), stored, 'canonical JSON reproduces the manifest rx wrote, byte for byte');
  t.equal(`sha256:${sha256(stored)}`, DATA.hash, 'named by the sha256 of its bytes');
  t.ok(existsSync(objectFile(proj0, RUN_SH.hash)), 'file objects: .rx/cache/sha256/<2 hex>/<62 hex>');
  t.ok(existsSync(objectFile(proj0, OUT.hash)), 'the stage output is stored');
  t.equal(rx(proj0, ['verify']).code, 0, 'the untouched project verifies');
  t.equal(rx(proj0, ['status', '--exit-code']).code, 0, 'and is up to date');
});

// ---------------------------------------------------------------- crafting

interface Ctx {
  /** the sandbox (parent of work/) */
  root: string;
  /** the project */
  proj: string;
}

/** Stores bytes as an object of ctx's project (as rx would: read-only, content-addressed). */
function storeObject(ctx: Ctx, content: string | Buffer): Obj {
  const bytes = Buffer.from(content);
  const hash = `sha256:${sha256(bytes)}`;
  const file = objectFile(ctx.proj, hash);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes, { mode: 0o444 });
  }
  return { hash, size: bytes.length };
}

interface Entry {
  path: string;
  content: string;
  mode?: '644' | '755';
}

/** A directory manifest listing entries (their objects stored too); returns its object. */
function storeManifest(ctx: Ctx, entries: Entry[]): Obj & { nfiles: number } {
  const listed = entries.map((e) => {
    const o = storeObject(ctx, e.content);
    return { path: e.path, hash: o.hash, size: o.size, mode: e.mode ?? '644' };
  });
  const m = storeObject(ctx, canonical({ schema: 1, entries: listed }));
  return { ...m, size: listed.reduce((s, e) => s + e.size, 0), nfiles: listed.length };
}

function pointerText(p: { path: string; type: 'file' | 'dir'; obj: Obj & { nfiles?: number }; mode?: string }): string {
  return (
    `schema: 1\npath: ${JSON.stringify(p.path)}\ntype: ${p.type}\nhash: ${p.obj.hash}\nsize: ${p.obj.size}\nnfiles: ${p.obj.nfiles ?? 1}\n` +
    (p.mode ? `mode: '${p.mode}'\n` : '')
  );
}

function writeIn(ctx: Ctx, rel: string, content: string): void {
  mkdirSync(path.dirname(at(ctx.proj, rel)), { recursive: true });
  writeFileSync(at(ctx.proj, rel), content);
}

/** rx.lock of the pristine project, edited. */
function writeLock(ctx: Ctx, edit: (stage: any) => void): void {
  const lock = structuredClone(LOCK);
  edit(lock.stages.s);
  writeFileSync(at(ctx.proj, 'rx.lock'), stringifyYaml(lock, { lineWidth: 0 }));
}

/**
 * The command of a crafted stage: leaves a trace that it ran (ran.log, in the workspace) and
 * one outside the project if .git or .rx/cache was moved aside while it ran (issue item 8).
 */
const STAGE_CMD = 'echo ran >> ran.log; test -f .git/HEAD || echo .git >> ../../moved-aside; test -d .rx/cache || echo .rx/cache >> ../../moved-aside';

/** rx.yaml with stage s changed. */
function writePipeline(ctx: Ctx, body: string): void {
  writeFileSync(at(ctx.proj, 'rx.yaml'), `schema: 1\nstages:\n  s:\n    cmd: ${STAGE_CMD}\n    deps: [hook.sh]\n${body}`);
}

const yamlList = (key: string, items: string[]) => `    ${key}:\n${items.map((i) => `      - ${JSON.stringify(i)}\n`).join('')}`;

/** A git config whose fsmonitor would run a command on the next `git status`. */
const fsmonitorConfig = (ctx: Ctx) => `[core]\n\trepositoryformatversion = 0\n\tfsmonitor = "echo ran >> ${ctx.root}/hook-ran; false"\n`;
const absHook = (ctx: Ctx) => `#!/bin/sh\necho ran >> ${ctx.root}/hook-ran\n`;

// ---------------------------------------------------------------- the cases

interface Case {
  group: string;
  name: string;
  craft: (ctx: Ctx) => void;
  /** rx invocations (run in the project) */
  commands: string[][];
  /** the output of an exit 4 (or a verify finding) names one of these files */
  names: (ctx: Ctx) => string[];
  /** exit codes allowed (default: 4 or 6; verify also 1, a finding) */
  allowed?: (args: string[]) => number[];
  /** absolute paths outside the sandbox that must not appear */
  mustNotExist?: string[];
  /** counted towards the 4-or-6 suite (false: safety checks with other exit codes) */
  strict?: boolean;
}

// Which commands each kind of input is run through. A spawn of rx costs ~0.35 s of CPU here,
// so a reader that parses a file exactly as another one does is left out where that keeps the
// file near 500 runs (~90-100 s on 2 idle cores): the lock is parsed the same way by
// checkout, status, verify and repro, so checkout -f (the one that deletes), verify and repro
// stand for them; rx.yaml likewise.
const CHECKOUTS = [['checkout'], ['checkout', '-f']];
// status and fsck read workspace pointers through the same readPointer as checkout and gc
// (fsck and gc share reachability), so they are run for the manifests only.
const POINTER_READERS = [...CHECKOUTS, ['verify'], ['gc', '--workspace', '--dry']];
/** Pointer paths with a slash, refused by the pointer schema before the path guard. */
const SLASHED_POINTER_READERS = [['checkout', '-f'], ['verify'], ['gc', '--workspace', '--dry']];
const LOCK_READERS = [['checkout', '-f'], ['verify'], ['gc', '--workspace', '--dry'], ['repro']];
const PIPELINE_READERS = [['repro'], ['checkout', '-f'], ['verify']];

const ETC = `/etc/rx-hostile-${process.pid}`;
const TMPX = path.join(tmpdir(), `rx-hostile-${process.pid}-x`);

const cases: Case[] = [];

// Pointer files. `where` is the pointer's directory; the path is relative to it.
interface PointerPath {
  label: string;
  path: (ctx: Ctx) => string;
  mustNotExist?: string[];
}
const POINTER_PATHS: PointerPath[] = [
  { label: '..', path: () => '..' },
  { label: '.', path: () => '.' },
  { label: '../victim.txt', path: () => '../victim.txt' },
  { label: '/etc/x', path: () => ETC, mustNotExist: [ETC] },
  { label: 'an absolute path into the sandbox', path: (c) => at(c.root, 'work/victim.txt') },
  { label: 'a/../../..', path: () => 'a/../../..' },
  { label: './x', path: () => './x' },
  { label: 'x/', path: () => 'x/' },
  { label: 'empty', path: () => '' },
  { label: '.git', path: () => '.git' },
  { label: '.git/hooks/post-checkout', path: () => '.git/hooks/post-checkout' },
  { label: '.GIT (.git on a case-insensitive filesystem)', path: () => '.GIT' },
  { label: '.rx', path: () => '.rx' },
  { label: '.rx/cache', path: () => '.rx/cache' },
  { label: 'sub/.git/x', path: () => 'sub/.git/x' },
  { label: 'NUL in the name', path: () => 'a\u0000b' },
  { label: 'newline in the name', path: () => 'a\nb' },
  { label: 'CR in the name', path: () => 'a\rb' },
  { label: 'backslash traversal', path: () => '..\\victim.txt' },
  { label: 'x//y', path: () => 'x//y' },
];
// A type: file variant where a file would land somewhere a directory was (or could not be).
const FILE_VARIANTS = new Set(['..', '.', '.git', '.rx', 'NUL in the name', 'newline in the name', 'backslash traversal']);
for (const pp of POINTER_PATHS) {
  for (const type of FILE_VARIANTS.has(pp.label) ? (['dir', 'file'] as const) : (['dir'] as const)) {
    cases.push({
      group: 'pointer files',
      name: `evil.rx, type ${type}, path ${JSON.stringify(pp.label)}`,
      craft: (c) => writeIn(c, 'evil.rx', pointerText({ path: pp.path(c), type, obj: type === 'dir' ? DATA : RUN_SH, mode: type === 'file' ? '755' : undefined })),
      // The file variant runs the commands that write (the dir variant every reader).
      commands: type === 'file' ? CHECKOUTS : pp.path({ root: '/r', proj: '/r/p' }).includes('/') ? SLASHED_POINTER_READERS : POINTER_READERS,
      names: () => ['evil.rx'],
      mustNotExist: pp.mustNotExist,
    });
  }
}
// A pointer in a subdirectory: `..` is the project root, `.` its own directory.
for (const p of ['..', '.git']) {
  cases.push({
    group: 'pointer files',
    name: `data/evil.rx, type dir, path ${JSON.stringify(p)}`,
    craft: (c) => writeIn(c, 'data/evil.rx', pointerText({ path: p, type: 'dir', obj: DATA })),
    commands: POINTER_READERS,
    names: () => ['data/evil.rx'],
  });
}
// A pointer named after its path (the name findPointers derives matches the path).
for (const [file, p] of [['...rx', '..'], ['.git.rx', '.git'], ['.rx.rx', '.rx']] as const) {
  cases.push({
    group: 'pointer files',
    name: `${file}, type dir, path ${JSON.stringify(p)}`,
    craft: (c) => writeIn(c, file, pointerText({ path: p, type: 'dir', obj: DATA })),
    commands: POINTER_READERS,
    names: () => [file],
  });
}
// The tracked pointer itself rewritten.
cases.push({
  group: 'pointer files',
  name: 'data/raw.rx rewritten to path ".."',
  craft: (c) => writeIn(c, 'data/raw.rx', pointerText({ path: '..', type: 'dir', obj: DATA })),
  commands: POINTER_READERS,
  names: () => ['data/raw.rx'],
});

// Directory manifests (objects in the store) named by data/raw.rx. Each also lists one
// ordinary file, so a reader that skips bad entries would still have work to do.
interface ManifestCase {
  label: string;
  entries: (ctx: Ctx) => Entry[];
}
const MANIFESTS: ManifestCase[] = [
  { label: '../../.git/hooks/post-checkout (mode 755)', entries: (c) => [{ path: '../../.git/hooks/post-checkout', content: absHook(c), mode: '755' }] },
  { label: '../../.git/config (an fsmonitor command)', entries: (c) => [{ path: '../../.git/config', content: fsmonitorConfig(c) }] },
  { label: '../../../victim.txt', entries: () => [{ path: '../../../victim.txt', content: 'overwritten\n' }] },
  { label: '../../../victim/new.txt', entries: () => [{ path: '../../../victim/new.txt', content: 'planted\n' }] },
  { label: '../../../../parent.txt', entries: () => [{ path: '../../../../parent.txt', content: 'overwritten\n' }] },
  { label: '../../.rx/config.yaml', entries: () => [{ path: '../../.rx/config.yaml', content: 'schema: 1\nlink: [copy]\n' }] },
  { label: '../../.rx/cache/<an object> (a stored version rewritten)', entries: () => [{ path: `../../.rx/cache/sha256/${OUT.hash.slice(7, 9)}/${OUT.hash.slice(9)}`, content: 'rewritten\n' }] },
  { label: 'an absolute path into the sandbox', entries: (c) => [{ path: at(c.root, 'work/victim.txt'), content: 'overwritten\n' }] },
  { label: '/etc/x', entries: () => [{ path: ETC, content: 'planted\n' }] },
  { label: 'a/../../..', entries: () => [{ path: 'a/../../..', content: 'replaces the project\n' }] },
  { label: '.. (the parent directory, with its other files)', entries: () => [{ path: '..', content: 'replaces data/\n' }] },
  { label: '.', entries: () => [{ path: '.', content: 'x\n' }] },
  { label: 'x//y', entries: () => [{ path: 'x//y', content: 'x\n' }] },
  { label: 'x/ (trailing slash)', entries: () => [{ path: 'x/', content: 'x\n' }] },
  { label: '.git/config (a nested repository with an fsmonitor)', entries: (c) => [{ path: '.git/config', content: fsmonitorConfig(c) }, { path: '.git/HEAD', content: 'ref: refs/heads/main\n' }] },
  { label: 'sub/.git/hooks/post-checkout', entries: (c) => [{ path: 'sub/.git/hooks/post-checkout', content: absHook(c), mode: '755' }] },
  { label: '.GIT/config', entries: (c) => [{ path: '.GIT/config', content: fsmonitorConfig(c) }] },
  { label: 'sub/.rx/x', entries: () => [{ path: 'sub/.rx/x', content: 'x\n' }] },
  { label: 'NUL in a name', entries: () => [{ path: 'a\u0000b', content: 'x\n' }] },
  { label: 'newline in a name', entries: () => [{ path: 'a\nb', content: 'x\n' }] },
  { label: 'CR in a name', entries: () => [{ path: 'a\rb', content: 'x\n' }] },
  { label: 'backslash traversal', entries: () => [{ path: '..\\..\\..\\victim.txt', content: 'x\n' }] },
  { label: 'the same path twice', entries: () => [{ path: 'twice.txt', content: 'one\n' }, { path: 'twice.txt', content: 'two\n' }] },
  { label: 'a file and a directory of the same name (a, a/b)', entries: () => [{ path: 'a', content: 'file\n' }, { path: 'a/b', content: 'inside\n' }] },
  { label: 'an empty path', entries: () => [{ path: '', content: 'x\n' }] },
];
for (const m of MANIFESTS) {
  cases.push({
    group: 'directory manifests',
    name: `data/raw.rx -> a manifest listing ${JSON.stringify(m.label)}`,
    craft: (c) => {
      const man = storeManifest(c, [{ path: 'ok.txt', content: 'an ordinary file\n' }, ...m.entries(c)]);
      writeIn(c, 'data/raw.rx', pointerText({ path: 'raw', type: 'dir', obj: man }));
    },
    commands: POINTER_READERS,
    // The manifest is named by its hash, or by the pointer naming it.
    names: () => ['data/raw.rx', 'sha256:'],
    mustNotExist: [ETC],
  });
}

// rx.lock: the stage's output or dependency path replaced (rx.yaml unchanged, or naming the
// same path), an output of type dir naming a hostile manifest, a wdir.
interface LockPath {
  label: string;
  path: (ctx: Ctx) => string;
}
const LOCK_PATHS: LockPath[] = [
  { label: '..', path: () => '..' },
  { label: '../victim.txt', path: () => '../victim.txt' },
  { label: 'an absolute path into the sandbox', path: (c) => at(c.root, 'work/victim.txt') },
  { label: 'a/../../victim.txt', path: () => 'a/../../victim.txt' },
  { label: '.git', path: () => '.git' },
  { label: '.git/hooks/post-checkout', path: () => '.git/hooks/post-checkout' },
  { label: '.rx', path: () => '.rx' },
  { label: '.rx/cache', path: () => '.rx/cache' },
  { label: 'sub/.git/x', path: () => 'sub/.git/x' },
  { label: './out.txt', path: () => './out.txt' },
  { label: 'out.txt/', path: () => 'out.txt/' },
  { label: 'NUL in the name', path: () => 'out\u0000.txt' },
  { label: 'newline in the name', path: () => 'out\n.txt' },
  { label: 'backslash traversal', path: () => '..\\victim.txt' },
];
for (const lp of LOCK_PATHS) {
  cases.push({
    group: 'rx.lock',
    name: `outs[0].path ${JSON.stringify(lp.label)}`,
    craft: (c) => writeLock(c, (s) => (s.outs[0].path = lp.path(c))),
    commands: LOCK_READERS,
    names: () => ['rx.lock'],
  });
}
for (const lp of LOCK_PATHS.filter((l) => ['../victim.txt', 'an absolute path into the sandbox', '.git', 'NUL in the name'].includes(l.label))) {
  cases.push({
    group: 'rx.lock',
    name: `deps[0].path ${JSON.stringify(lp.label)}`,
    craft: (c) => writeLock(c, (s) => (s.deps[0].path = lp.path(c))),
    commands: LOCK_READERS,
    names: () => ['rx.lock'],
  });
}
for (const lp of LOCK_PATHS.filter((l) => ['..', '.git/hooks/post-checkout', '.rx/cache'].includes(l.label))) {
  cases.push({
    group: 'rx.lock',
    name: `outs[0].path ${JSON.stringify(lp.label)} of type dir, rx.yaml naming the same output`,
    craft: (c) => {
      writeLock(c, (s) => Object.assign(s.outs[0], { path: lp.path(c), type: 'dir', hash: DATA.hash, size: DATA.size, nfiles: DATA.nfiles }));
      writeFileSync(at(c.proj, 'rx.yaml'), PIPELINE.replace('outs: [out.txt]', `outs: [${JSON.stringify(lp.path(c))}]`));
    },
    commands: LOCK_READERS,
    names: () => ['rx.lock', 'rx.yaml'],
  });
}
for (const wdir of ['..', '.git']) {
  cases.push({
    group: 'rx.lock',
    name: `wdir ${JSON.stringify(wdir)}`,
    craft: (c) => writeLock(c, (s) => (s.wdir = wdir)),
    commands: LOCK_READERS,
    names: () => ['rx.lock'],
  });
}
for (const m of MANIFESTS.filter((x) => /^(\.\.\/\.\.\/\.git\/hooks|\.\.\/\.\.\/\.\.\/victim\.txt|\.\. \()/.test(x.label))) {
  cases.push({
    group: 'rx.lock',
    name: `outs[0] of type dir naming a manifest listing ${JSON.stringify(m.label)}`,
    craft: (c) => {
      // out.txt is a directory now: its manifest's entries are relative to it (one level
      // less deep than data/raw, so ../ of the data/raw entries reaches one level higher:
      // the project's .git becomes work/.git, still outside the project).
      const man = storeManifest(c, [{ path: 'ok.txt', content: 'an ordinary file\n' }, ...m.entries(c)]);
      writeLock(c, (s) => Object.assign(s.outs[0], { type: 'dir', hash: man.hash, size: man.size, nfiles: man.nfiles }));
    },
    // status and repro compare hashes without reading the manifest: not readers of it.
    commands: [...CHECKOUTS, ['verify'], ['gc', '--workspace', '--dry'], ['fsck']],
    names: () => ['rx.lock', 'sha256:'],
  });
}

// rx.yaml stage outputs (metrics and plots are outputs too), a wdir, a foreach item.
const PIPELINES: { label: string; body: (ctx: Ctx) => string; mustNotExist?: string[] }[] = [
  ...['.git', '.rx/cache', '.rx', '../x', 'a/../../x', '.git/hooks/post-checkout', 'sub/.git/x', 'out\u0000.txt'].map((p) => ({
    label: `outs: [${JSON.stringify(p)}]`,
    body: () => yamlList('outs', [p]),
  })),
  { label: 'outs: [/tmp/x]', body: () => yamlList('outs', [TMPX]), mustNotExist: [TMPX] },
  { label: 'outs: [an absolute path into the sandbox]', body: (c) => yamlList('outs', [at(c.root, 'work/victim.txt')]) },
  { label: 'outs: [{path: .rx/cache, cache: false}]', body: () => '    outs:\n      - path: .rx/cache\n        cache: false\n' },
  { label: 'metrics: [../metrics.json]', body: () => '    metrics:\n      - path: ../metrics.json\n        cache: false\n' },
  { label: 'metrics: [.git/metrics.json]', body: () => '    metrics:\n      - path: .git/metrics.json\n        cache: false\n' },
  { label: 'plots: [.rx/plot.csv]', body: () => yamlList('plots', ['.rx/plot.csv']) },
  { label: 'wdir: .git, outs: [hooks/post-checkout]', body: () => '    wdir: .git\n' + yamlList('outs', ['hooks/post-checkout']) },
  { label: 'wdir: data, outs: [../../victim.txt]', body: () => '    wdir: data\n' + yamlList('outs', ['../../victim.txt']) },
];
for (const p of PIPELINES) {
  cases.push({
    group: 'rx.yaml',
    name: p.label,
    craft: (c) => writePipeline(c, p.body(c)),
    commands: PIPELINE_READERS,
    names: () => ['rx.yaml'],
    mustNotExist: p.mustNotExist,
  });
}
cases.push({
  group: 'rx.yaml',
  name: 'a foreach stage whose item makes the output .git',
  craft: (c) => writeFileSync(at(c.proj, 'rx.yaml'), `schema: 1\nstages:\n  s:\n    foreach: [".git", "ok"]\n    do:\n      cmd: ${STAGE_CMD}\n      outs: ["\${item}"]\n`),
  commands: PIPELINE_READERS,
  names: () => ['rx.yaml'],
});

// Symbolic links inside the project leading outside: a path read from a file that passes
// through one is refused before anything is written.
const linkOut = (c: Ctx, rel: string, target: string) => symlinkSync(target, at(c.proj, rel));
cases.push({
  group: 'symlinks',
  name: 'a directory inside the tracked directory replaced by a link to ../../../victim (manifest entry sub/c.txt)',
  craft: (c) => {
    rmSync(at(c.proj, 'data/raw/sub'), { recursive: true });
    linkOut(c, 'data/raw/sub', '../../../victim');
  },
  commands: CHECKOUTS,
  names: () => ['data/raw/sub'],
  // A symlink inside a tracked directory is workspace state, not a crafted file: rx refuses
  // it as it refuses to add one (exit 2, "rx tracks regular files and directories only").
  allowed: () => [2, 4],
});
cases.push({
  group: 'symlinks',
  name: 'a manifest entry sub/new.txt where sub is a link to ../../../victim',
  craft: (c) => {
    rmSync(at(c.proj, 'data/raw/sub'), { recursive: true });
    linkOut(c, 'data/raw/sub', '../../../victim');
    const man = storeManifest(c, [{ path: 'ok.txt', content: 'an ordinary file\n' }, { path: 'sub/new.txt', content: 'planted\n' }, { path: 'sub/f.txt', content: 'overwritten\n' }]);
    writeIn(c, 'data/raw.rx', pointerText({ path: 'raw', type: 'dir', obj: man }));
  },
  commands: CHECKOUTS,
  names: () => ['data/raw/sub', 'data/raw.rx'],
  allowed: () => [2, 4],
});
cases.push({
  group: 'symlinks',
  name: 'the tracked directory\'s parent replaced by a link to ../victim (data/raw.rx kept in it)',
  craft: (c) => {
    // work/victim gets a copy of data/ (pointer and data, one file missing); proj/data links to it.
    spawnSync('cp', ['-a', `${at(c.proj, 'data')}/.`, at(c.root, 'work/victim')]);
    rmSync(at(c.root, 'work/victim/raw/a.txt'));
    rmSync(at(c.proj, 'data'), { recursive: true });
    linkOut(c, 'data', '../victim');
  },
  // findPointers does not follow the link, so a bare checkout finds nothing: named paths only.
  commands: [['checkout', 'data/raw.rx'], ['checkout', '-f', 'data/raw'], ['status', 'data/raw']],
  names: () => ['data'],
  allowed: () => [2, 4],
  strict: false,
});
// ln/out.txt: the stage is up to date but its output missing, so it comes back from the
// store; ln/sub/out.txt: the command changed too, so the stage would run and be saved.
for (const out of ['ln/out.txt', 'ln/sub/out.txt']) {
  cases.push({
    group: 'symlinks',
    name: `rx.lock and rx.yaml output ${out} where ln is a link to ../victim`,
    craft: (c) => {
      linkOut(c, 'ln', '../victim');
      writeLock(c, (s) => (s.outs[0].path = out));
      let yaml = PIPELINE.replace('outs: [out.txt]', `outs: [${out}]`);
      if (out !== 'ln/out.txt') yaml = yaml.replace('out.txt &&', `${out} &&`).replace('>> out.txt', `>> ${out}`);
      writeFileSync(at(c.proj, 'rx.yaml'), yaml);
    },
    commands: [['repro'], ...CHECKOUTS],
    names: () => ['ln'],
  });
}
cases.push({
  group: 'symlinks',
  name: 'a tracked path that is itself a link to ../victim (data/raw -> ../../victim)',
  craft: (c) => {
    rmSync(at(c.proj, 'data/raw'), { recursive: true });
    linkOut(c, 'data/raw', '../../victim');
  },
  // Replacing the link by the tracked directory, inside the project, is safe (exit 0 with
  // --force, 1 without), and so is refusing it (2: rx tracks no symlinks, or 4): only
  // "nothing outside written" is required here.
  commands: CHECKOUTS,
  names: () => ['data/raw'],
  allowed: (args) => (args.includes('-f') ? [0, 2, 4] : [1, 2, 4]),
  strict: false,
});

// ---------------------------------------------------------------- running a case

/** Bytes, mode and link target of every entry under root (.rx/tmp and .rx/cache/tmp skipped). */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const skip = new Set([`${PROJ}/.rx/tmp`, `${PROJ}/.rx/cache/tmp`]);
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (skip.has(childRel)) continue;
      const childAbs = path.join(abs, name);
      const st = lstatSync(childAbs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.set(childRel, `dir ${mode}`);
        walk(childAbs, childRel);
      } else if (st.isFile()) out.set(childRel, `file ${mode} ${sha256(readFileSync(childAbs))}`);
      else if (st.isSymbolicLink()) out.set(childRel, `link -> ${readlinkSync(childAbs)}`);
      else out.set(childRel, `other ${mode}`);
    }
  };
  walk(root, '');
  return out;
}

type Region = 'outside the project' | 'the project .git' | 'the workspace' | 'the store';
function regionOf(rel: string): Region | undefined {
  if (rel === PROJ || !rel.startsWith(`${PROJ}/`)) return 'outside the project';
  const inner = rel.slice(PROJ.length + 1);
  if (inner === '.git' || inner.startsWith('.git/')) return 'the project .git';
  if (inner === '.rx' || inner.startsWith('.rx/')) {
    // Objects and the committed config; rx's own bookkeeping elsewhere in .rx may change.
    return /^\.rx\/(config\.yaml|\.gitignore|cache\/[a-z0-9]+\/[0-9a-f]{2}\/[0-9a-f]+)$/.test(inner) ? 'the store' : undefined;
  }
  return 'the workspace';
}

function changes(before: Map<string, string>, after: Map<string, string>): Record<Region, string[]> {
  const out: Record<Region, string[]> = { 'outside the project': [], 'the project .git': [], 'the workspace': [], 'the store': [] };
  for (const rel of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(rel);
    const b = after.get(rel);
    if (a === b) continue;
    const region = regionOf(rel);
    if (region) out[region].push(`${JSON.stringify(rel)}: ${a ?? 'absent'} -> ${b ?? 'absent'}`);
  }
  for (const r of Object.values(out)) r.sort();
  return out;
}

interface Run {
  args: string[];
  ms?: number;
  code: number;
  stdout: string;
  stderr: string;
}

const RUN_TIMEOUT_MS = 30_000;

function rxAsync(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    if (!existsSync(cwd)) return resolve({ args, code: -1, stdout: '', stderr: `(the project directory ${cwd} is gone)` });
    const child = spawn(process.execPath, [RX_BIN, ...args], { cwd, env: rxEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // A hang is a failure of its own, not a stuck suite.
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${RUN_TIMEOUT_MS / 1000} s)`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (err) => resolve({ args, code: -1, stdout, stderr: stderr + String(err) }));
    const t0 = Date.now();
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ args, ms: Date.now() - t0, code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

interface Result {
  c: Case;
  root: string;
  runs: Run[];
  changed: Record<Region, string[]>;
  hookRan: boolean;
  appeared: string[];
}

async function runCase(c: Case, index: number): Promise<Result> {
  const root = path.join(top, `case-${index}`);
  const cp = spawnSync('cp', ['-a', pristine, root]);
  if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
  const ctx: Ctx = { root, proj: at(root, PROJ) };
  try {
    c.craft(ctx);
  } catch (err) {
    return { c, root, runs: [{ args: ['(crafting the input)'], code: -1, stdout: '', stderr: String((err as Error).stack) }], changed: changes(new Map(), new Map()), hookRan: false, appeared: [] };
  }
  const before = snapshot(root);
  const runs: Run[] = [];
  for (const args of c.commands) runs.push(await rxAsync(ctx.proj, args));
  const changed = changes(before, snapshot(root));
  // What a planted hook or fsmonitor would do next: a checkout and a status, at the
  // project root and in the tracked directory (a nested repository there, if any).
  for (const dir of [ctx.proj, at(ctx.proj, 'data/raw')]) {
    if (!existsSync(dir)) continue;
    spawnSync('git', ['checkout', '-q', '-f'], { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: 'ignore' });
    spawnSync('git', ['status', '--porcelain'], { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: 'ignore' });
  }
  const hookRan = existsSync(at(root, 'hook-ran'));
  const appeared = (c.mustNotExist ?? []).filter((p) => existsSync(p));
  for (const p of appeared) rmSync(p, { recursive: true, force: true });
  return { c, root, runs, changed, hookRan, appeared };
}

async function runAll(list: Case[], jobs: number): Promise<Result[]> {
  const results: Result[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < list.length; i = next++) {
      results[i] = await runCase(list[i]!, i);
      // A passing case's sandbox is removed at once; a failing one stays until the end.
      if (isClean(results[i]!)) rmSync(results[i]!.root, { recursive: true, force: true });
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return results;
}

const defaultAllowed = (args: string[]) => (args[0] === 'verify' ? [1, 4, 6] : [4, 6]);
const allowedFor = (c: Case, args: string[]) => (c.allowed ?? defaultAllowed)(args);
const output = (r: Run) => r.stdout + r.stderr;
const namesFile = (c: Case, ctx: Ctx, r: Run) => r.code === 0 || c.names(ctx).some((n) => output(r).includes(n));

function isClean(r: Result): boolean {
  const ctx = { root: r.root, proj: at(r.root, PROJ) };
  return (
    r.runs.length > 0 &&
    r.runs.every((run) => allowedFor(r.c, run.args).includes(run.code) && !hasStackTrace(run.stderr) && namesFile(r.c, ctx, run)) &&
    Object.values(r.changed).every((x) => x.length === 0) &&
    !r.hookRan &&
    r.appeared.length === 0
  );
}

// ---------------------------------------------------------------- the suite

const strict = cases.filter((c) => c.strict !== false);
t.ok(strict.length >= 100, `at least 100 hostile inputs held to exit 4 or 6 (${strict.length}, and ${cases.length - strict.length} more safety-only cases)`);
for (const probe of [ETC, TMPX]) if (existsSync(probe)) throw new Error(`${probe} exists before the suite: pick another name`);

t.test('hostile inputs', async (t) => {
  const started = Date.now();
  // RX_HOSTILE_ONLY=text runs the cases whose group or name contains it (for debugging).
  const only = process.env.RX_HOSTILE_ONLY;
  const selected = only ? cases.filter((c) => `${c.group}: ${c.name}`.includes(only)) : cases;
  const results = await runAll(selected, Math.max(1, Math.min(2, availableParallelism())));
  t.comment(`${selected.length} cases, ${results.reduce((n, r) => n + r.runs.length, 0)} rx runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const slow = results.flatMap((r) => r.runs.filter((run) => (run.ms ?? 0) > 5000).map((run) => `${r.c.name}: rx ${run.args.join(' ')} ${run.ms} ms`));
  if (slow.length > 0) t.comment(`slow runs:\n${slow.join('\n')}`);

  for (const group of [...new Set(selected.map((c) => c.group))]) {
    await t.test(group, async (t) => {
      for (const r of results.filter((x) => x.c.group === group)) {
        await t.test(r.c.name, async (t) => {
          const ctx = { root: r.root, proj: at(r.root, PROJ) };
          for (const run of r.runs) {
            const cmd = `rx ${run.args.join(' ')}`;
            const allowed = allowedFor(r.c, run.args);
            t.ok(allowed.includes(run.code), `${cmd}: exit ${allowed.join(' or ')}, got ${run.code}`, { stderr: run.stderr.slice(0, 2000), stdout: run.stdout.slice(0, 1000) });
            t.notOk(hasStackTrace(run.stderr), `${cmd}: no stack trace`, { stderr: run.stderr.slice(0, 2000) });
            t.ok(namesFile(r.c, ctx, run), `${cmd}: the message names ${r.c.names(ctx).join(' or ')}`, { output: output(run).slice(0, 2000) });
          }
          for (const [region, list] of Object.entries(r.changed)) t.ok(list.length === 0, `nothing in ${region} changed`, { changed: list });
          t.notOk(r.hookRan, 'no planted hook or fsmonitor ran on the next git checkout / git status');
          t.ok(r.appeared.length === 0, 'nothing appeared at absolute paths outside the sandbox', { appeared: r.appeared });
        });
      }
    });
  }
});
