// Commits nobody vetted: `rx repro --rev` shows every command it will run (stderr, and
// `commands` under --json) before running any; `--dry --rev` lists them and writes nothing
// anywhere; `--isolate` runs them under bubblewrap, where a stage writing outside its tree or
// reaching the network fails while one writing its outputs reproduces bitwise (built-in rx
// train stages included); an unusable bwrap is refused plainly with nothing run; and
// `rx verify` never executes a stage command. Runs as root in CI, like the rest.
import t from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { rx, writeTree, commitAll, jsonOutput, RX_BIN, rxEnv, type RunResult } from '../../fixtures/project.js';
import { useProject, useTempDir, type TestLike } from '../../fixtures/e2e.js';
import { listingWithMtimes } from '../../fixtures/pipeline.js';
import { repoState, revDirs, rxErr, rxOut, gitOut } from '../../fixtures/history.js';
import { useDigitsProject, setYaml, rxOk } from '../../fixtures/ml.js';
import { revReproPlanOutputSchema, reproOutputSchema, verifyOutputSchema } from '../../src/schema/outputs.js';

const NODE = JSON.stringify(process.execPath);

const MAKE_SH = 'printf "%s from %s" "$1" "$(cat input.txt)"\n';
/** The trusted pipeline: a templated command list (through a private /tmp file) and a stage in a wdir. */
const GOOD_YAML = [
  'schema: 1',
  'vars:',
  '  out: work',
  'stages:',
  '  make:',
  '    cmd:',
  '      - echo "make starts" >&2',
  '      - mkdir -p ${out} && tmp=$(mktemp) && sh make.sh ${greeting} > "$tmp" && cat "$tmp" > ${out}/result.txt && rm "$tmp"',
  '    deps: [make.sh, input.txt]',
  '    params: [greeting]',
  '    outs: ["${out}/result.txt"]',
  '  shout:',
  '    wdir: sub',
  '    cmd: tr a-z A-Z < ../work/result.txt > upper.txt',
  '    deps: [../work/result.txt]',
  '    outs: [upper.txt]',
  '',
].join('\n');
const GOOD_COMMANDS = [
  { stage: 'make', wdir: '.', cmd: 'echo "make starts" >&2' },
  { stage: 'make', wdir: '.', cmd: 'mkdir -p work && tmp=$(mktemp) && sh make.sh hello > "$tmp" && cat "$tmp" > work/result.txt && rm "$tmp"' },
  { stage: 'shout', wdir: 'sub', cmd: 'tr a-z A-Z < ../work/result.txt > upper.txt' },
];

/** A stage that tries to write at each path of RX_TEST_TARGETS; its exit code counts the refusals. */
const ESCAPE_YAML =
  GOOD_YAML + ['  escape:', '    cmd: n=0; for f in $RX_TEST_TARGETS; do echo pwned > "$f" || n=$((n+1)); done; exit $n', '    outs: [escaped.txt]', ''].join('\n');

/** A stage that connects to 127.0.0.1:$RX_TEST_PORT and records that it could. */
const NET_JS = [
  "const s = require('node:net').connect(Number(process.env.RX_TEST_PORT), '127.0.0.1');",
  "s.on('connect', () => { process.stdout.write('online\\n'); s.destroy(); });",
  "s.on('error', (e) => { console.error('offline: ' + e.code); process.exit(1); });",
  '',
].join('\n');
const NET_YAML = GOOD_YAML + ['  net:', `    cmd: '${NODE} net.js > online.txt'`, '    deps: [net.js]', '    outs: [online.txt]', ''].join('\n');

/** Commands that would leave markers, one of them dressed up with terminal escapes and a bidi override. */
function markerYaml(markers: string): string {
  return [
    'schema: 1',
    'stages:',
    '  first:',
    `    cmd: "echo harmless \\r\\e[2K\\u202e; touch ${markers}/first"`,
    '    outs: [first.txt]',
    '  second:',
    `    cmd: touch ${markers}/second > second.txt`,
    '    outs: [second.txt]',
    '  iced:',
    '    frozen: true',
    `    cmd: touch ${markers}/iced`,
    '    outs: [iced.txt]',
    '',
  ].join('\n');
}

interface Fixture {
  dir: string;
  main: string;
  markers: string;
  port: number;
}

/** A project whose main commit is trusted (lock made by rx), with branches of untrusted commits. */
async function buildFixture(t: TestLike): Promise<Fixture> {
  const dir = useProject(t);
  const markers = useTempDir(t);
  const server = createServer((c) => c.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const must = (r: RunResult, what: string) => {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  };
  const main = gitOut(dir, ['symbolic-ref', '--short', 'HEAD']);
  writeTree(dir, { 'make.sh': MAKE_SH, 'input.txt': 'the input', 'params.yaml': 'greeting: hello\n', 'sub/.keep': '', 'rx.yaml': GOOD_YAML });
  must(rx(dir, ['repro']), 'rx repro');
  commitAll(dir, 'a trusted pipeline');
  gitOut(dir, ['tag', 'good']);

  const branch = (name: string, files: Record<string, string>, run: boolean) => {
    gitOut(dir, ['checkout', '-q', '-b', name, 'good']);
    writeTree(dir, files);
    if (run) must(rx(dir, ['repro'], { RX_TEST_PORT: String(port) }), `rx repro (${name})`);
    commitAll(dir, `untrusted: ${name}`);
    gitOut(dir, ['checkout', '-q', main]);
  };
  // The rx.lock of these stays the trusted one: nobody ran them.
  branch('escape', { 'rx.yaml': ESCAPE_YAML }, false);
  branch('marker', { 'rx.yaml': markerYaml(markers) }, false);
  // This one ran (online) where it was committed, so unisolated it reproduces bitwise.
  branch('net', { 'rx.yaml': NET_YAML, 'net.js': NET_JS }, true);
  rmSync(path.join(dir, 'online.txt'), { force: true });
  // rx.yaml a symbolic link: what a preview reads (the link) and what would run (its target) differ.
  gitOut(dir, ['checkout', '-q', '-b', 'linked', 'good']);
  rmSync(path.join(dir, 'rx.yaml'));
  writeTree(dir, { 'real.yaml': markerYaml(markers) });
  symlinkSync('real.yaml', path.join(dir, 'rx.yaml'));
  commitAll(dir, 'untrusted: rx.yaml is a link');
  gitOut(dir, ['checkout', '-q', main]);
  const status = gitOut(dir, ['status', '--porcelain']);
  if (status !== '') throw new Error(`fixture left a dirty tree:\n${status}`);
  return { dir, main, markers, port };
}

type RevJson = { verdict: string; failed: string[]; commands: { stage: string; wdir: string; cmd: string }[]; run: { name: string; action: string; exitCode?: number }[] };

t.test('untrusted commits', async (t) => {
  const f = await buildFixture(t);
  const markersLeft = () => ['first', 'second', 'iced'].filter((m) => existsSync(path.join(f.markers, m)));

  await t.test('--rev prints every command, templated, with stage and wdir, before running any', async (t) => {
    const before = repoState(f.dir);
    const r = rxOut<RevJson>(f.dir, 'repro-rev', ['repro', '--rev', 'good']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.json.verdict, 'bitwise');
    t.same(r.json.commands, GOOD_COMMANDS, 'the commands, in the order they run, in --json');
    const lines = r.stderr.split('\n');
    const header = lines.findIndex((l) => /^good \([0-9a-f]{12}\): 3 command\(s\) are defined to run, in this order:$/.test(l));
    t.ok(header >= 0, 'a header naming the revision');
    t.same(lines.slice(header + 1, header + 4), [
      '  make (in .): echo "make starts" >&2',
      `  make (in .): ${GOOD_COMMANDS[1]!.cmd}`,
      '  shout (in sub): tr a-z A-Z < ../work/result.txt > upper.txt',
    ]);
    const firstRun = lines.findIndex((l) => l.startsWith('running stage') || l.startsWith('[make]'));
    t.ok(firstRun > header + 3, 'the list comes before any stage runs');
    t.ok(lines.includes('[make] make starts'), 'and the stage did run');
    t.same(repoState(f.dir), before);
    t.same(revDirs(f.dir), []);
  });

  await t.test('--dry --rev lists the commands and writes nothing anywhere', async (t) => {
    const before = listingWithMtimes(f.dir);
    const state = repoState(f.dir);
    const text = rx(f.dir, ['repro', '--dry', '--rev', 'marker']);
    t.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    t.match(lines[0], /^marker \([0-9a-f]{12}\): 2 command\(s\) are defined to run, in this order:$/);
    t.equal(lines[1], `  first (in .): echo harmless \\x0d\\x1b[2K\\u202e; touch ${f.markers}/first`, 'control characters and bidi overrides are shown escaped');
    t.equal(lines[2], `  second (in .): touch ${f.markers}/second > second.txt`);
    t.equal(lines[3], '  iced: frozen, not run');
    t.match(lines[4], /nothing was run/);
    t.notOk(/[\r\u001b\u202e]/.test(text.stdout), 'no raw escape reaches the terminal');

    const json = jsonOutput<{ dry: true; commands: { stage: string; cmd: string }[]; frozen: string[]; commit: string }>(rx(f.dir, ['repro', '--dry', '--rev', 'marker', '--json']), revReproPlanOutputSchema, 'repro --dry --rev output');
    t.equal(json.dry, true);
    t.equal(json.commit, gitOut(f.dir, ['rev-parse', 'marker']));
    t.same(json.commands.map((c) => c.stage), ['first', 'second']);
    t.equal(json.commands[0]!.cmd, `echo harmless \r\u001b[2K\u202e; touch ${f.markers}/first`, 'the JSON carries the command as it is');
    t.same(json.frozen, ['iced']);

    const one = jsonOutput<{ commands: { stage: string }[] }>(rx(f.dir, ['repro', '--dry', '--rev', 'good', 'make', '--json']), revReproPlanOutputSchema, 'repro --dry --rev output');
    t.same(one.commands.map((c) => c.stage), ['make', 'make'], 'a named stage: it and its upstream only');
    t.equal(rx(f.dir, ['repro', '--dry', '--rev', 'good', '--exit-code']).code, 1, '--exit-code: 1 when something would run');

    t.same(markersLeft(), [], 'no command ran');
    t.same(listingWithMtimes(f.dir), before, 'not a file, directory or mtime changed: store, lock, tree, .git, .rx/tmp');
    t.same(repoState(f.dir), state, 'index, HEAD and refs untouched');
    for (const args of [['repro', '--rev', 'linked'], ['repro', '--dry', '--rev', 'linked']]) {
      const e = rxErr(f.dir, args);
      t.equal(e.code, 4, `${args.join(' ')}: a symbolic rx.yaml is refused`);
      t.match(e.json.error.message, /^linked:rx\.yaml: is a symbolic link/);
    }
    t.same(markersLeft(), [], 'still nothing ran');
    t.same(revDirs(f.dir), []);
    for (const args of [['repro', '--dry', '--rev', 'good', '--keep'], ['repro', '--rev', 'good', '--downstream']]) {
      const e = rxErr(f.dir, args);
      t.equal(e.code, 2, args.join(' '));
      t.equal(e.json.error.code, 'RX_USAGE');
    }
  });

  await t.test('--isolate: a commit writing only its outputs reproduces bitwise', async (t) => {
    const before = repoState(f.dir);
    const r = rxOut<RevJson>(f.dir, 'repro-rev', ['repro', '--rev', 'good', '--isolate']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.json.verdict, 'bitwise', 'outputs written in the temporary tree, through a private /tmp, identical');
    t.same(r.json.commands, GOOD_COMMANDS);
    t.same(r.json.run.map((s) => [s.name, s.action]), [['make', 'ran'], ['shout', 'ran']]);
    t.same(repoState(f.dir), before);
    t.same(revDirs(f.dir), []);
  });

  await t.test('--isolate: writing outside the temporary tree fails and leaves nothing', async (t) => {
    const outside = useTempDir(t);
    const targets: [string, string][] = [
      ['$HOME', path.join(homedir(), `rx-untrusted-${process.pid}`)],
      ["the test's temp dir", path.join(outside, 'victim')],
      ["the user's working tree", path.join(f.dir, 'victim.txt')],
      ["the user's git hooks", path.join(f.dir, '.git', 'hooks', 'post-checkout')],
      ["the user's store", path.join(f.dir, '.rx', 'cache', 'victim')],
      ['beside the temporary tree', path.join(f.dir, '.rx', 'tmp', 'rev', 'victim')],
    ];
    const before = repoState(f.dir);
    const r = rxOut<RevJson>(f.dir, 'repro-rev', ['repro', '--rev', 'escape', '--isolate'], { RX_TEST_TARGETS: targets.map(([, p]) => p).join(' ') });
    t.equal(r.code, 5, 'the stage failed');
    t.same(r.json.failed, ['escape']);
    t.equal(r.json.run.find((s) => s.name === 'escape')?.exitCode, targets.length, 'every write was refused');
    for (const [where, target] of targets) {
      t.match(r.stderr, new RegExp(`\\[escape\\] .*cannot create ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (Read-only file system|Directory nonexistent)`), `${where}: the shell says why`);
      t.notOk(existsSync(target), `${where}: nothing written at ${target}`);
    }
    t.same(repoState(f.dir), before);
    t.same(revDirs(f.dir), []);

    // The same commit without --isolate does write there: the check above is not vacuous.
    const control = path.join(outside, 'control');
    const c = rxOut<RevJson>(f.dir, 'repro-rev', ['repro', '--rev', 'escape'], { RX_TEST_TARGETS: control });
    t.equal(c.code, 5, 'unisolated, it fails only for lack of its declared output');
    t.match(c.json.run.find((s) => s.name === 'escape')?.action, 'failed');
    t.equal(readFileSync(control, 'utf8'), 'pwned\n', 'unisolated, the write lands');
  });

  await t.test('--isolate: no network', async (t) => {
    const env = { RX_TEST_PORT: String(f.port) };
    const open = await rxAsync(f.dir, ['repro', '--rev', 'net', '--json'], env);
    t.equal(open.code, 0, open.stderr);
    t.equal(JSON.parse(open.stdout).verdict, 'bitwise', 'unisolated, the stage reaches the listening port');
    const closed = await rxAsync(f.dir, ['repro', '--rev', 'net', '--isolate', '--json'], env);
    t.equal(closed.code, 5, 'isolated, it cannot');
    t.same(JSON.parse(closed.stdout).failed, ['net']);
    t.match(closed.stderr, /\[net\] offline: E(CONNREFUSED|NETUNREACH)/);
  });

  await t.test('bwrap missing or unable to sandbox: exit 2, said plainly, nothing run or written', async (t) => {
    const fake = path.join(useTempDir(t), 'bwrap');
    writeFileSync(fake, '#!/bin/sh\necho "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const cases: [string, Record<string, string>, RegExp][] = [
      ['not on PATH', { PATH: '/nonexistent' }, /bwrap is not installed \(not found on PATH\)/],
      ['RX_BWRAP names nothing', { RX_BWRAP: '/nonexistent/bwrap' }, /RX_BWRAP names \/nonexistent\/bwrap, which is not an executable file/],
      ['cannot create namespaces', { RX_BWRAP: fake }, /cannot create its sandbox here \(bwrap: No permissions to creating new namespace/],
    ];
    const before = listingWithMtimes(f.dir, (rel) => rel === '.rx/tmp');
    for (const [i, [what, env, message]] of cases.entries()) {
      // Each cause through --rev; the workspace repro goes through the same check (once is enough).
      for (const args of i === 0 ? [['repro', '--rev', 'marker', '--isolate'], ['repro', '--isolate', '--force']] : [['repro', '--rev', 'marker', '--isolate']]) {
        const r = rxErr(f.dir, args, env);
        t.equal(r.code, 2, `${what}, ${args.join(' ')}: exit 2`);
        t.equal(r.json.error.code, 'RX_ISOLATE_UNAVAILABLE');
        t.match(r.json.error.message, message);
        t.match(r.json.error.message, /nothing was run/);
        t.match(r.json.error.hint ?? '', what === 'cannot create namespaces' ? /namespaces/ : /apt-get install bubblewrap/);
      }
    }
    t.same(markersLeft(), [], 'no command ran');
    t.same(listingWithMtimes(f.dir, (rel) => rel === '.rx/tmp'), before, 'the workspace, lock, store and .git are as they were');
    t.same(revDirs(f.dir), []);
  });
});

t.test('repro --isolate in the workspace: the project is writable, its .git and .rx are not', async (t) => {
  const dir = useProject(t);
  writeTree(dir, {
    'rx.yaml': ['schema: 1', 'stages:', '  version:', '    cmd: rx --version > version.txt', '    outs: [version.txt]', '  hook:', '    cmd: echo pwned > .git/hooks/post-checkout', '    outs: [hooked.txt]', ''].join('\n'),
  });
  const r = rx(dir, ['repro', '--isolate', '--keep-going', '--json']);
  t.equal(r.code, 5, r.stderr);
  const result = jsonOutput<{ stages: { name: string; action: string }[] }>(r, reproOutputSchema, 'repro output');
  t.same(result.stages.map((s) => [s.name, s.action]), [['hook', 'failed'], ['version', 'ran']]);
  t.notOk(existsSync(path.join(dir, '.git', 'hooks', 'post-checkout')), 'no hook written');
  t.match(readFileSync(path.join(dir, 'version.txt'), 'utf8'), /^\d+\.\d+\.\d+/, 'the rx shim and node are reachable inside');
  t.match(readFileSync(path.join(dir, 'rx.lock'), 'utf8'), /version:/, 'rx (outside the sandbox) recorded the stage');
});

t.test('--isolate: the built-in rx data build and rx train stages run and reproduce bitwise', async (t) => {
  // A small digits run: fewer samples, one epoch; the template's CNN and augmentation.
  const dir = useDigitsProject(t, {
    edit: (d) => {
      setYaml(d, 'params.yaml', [[['train', 'epochs'], 1]]);
      setYaml(d, 'data/digits.yaml', [
        [['sources', 'clean', 'budget', 'count'], 300],
        [['sources', 'noisy', 'budget', 'count'], 50],
        [['sources', 'synthetic', 'budget', 'count'], 100],
      ]);
    },
  });
  rxOk(dir, ['repro', '-q', 'train']);
  commitAll(dir, 'trained, unisolated');
  const before = repoState(dir);
  const r = rxOut<RevJson>(dir, 'repro-rev', ['repro', '--rev', 'HEAD', 'train', '--isolate', '-q']);
  t.equal(r.code, 0, r.stderr);
  t.same(r.json.commands.map((c) => c.stage), ['prepare', 'train']);
  t.equal(r.json.verdict, 'bitwise', 'manifest, pixels and weights identical to the unisolated run');
  t.same(repoState(dir), before);
});

t.test('rx verify never executes a stage command', async (t) => {
  const dir = useProject(t);
  const markers = useTempDir(t);
  const marker = path.join(markers, 'ran');
  writeTree(dir, {
    'input.txt': 'one\n',
    'rx.yaml': ['schema: 1', 'stages:', '  touch:', `    cmd: touch ${marker} && cp input.txt out.txt`, '    deps: [input.txt]', '    outs: [out.txt]', ''].join('\n'),
  });
  rxOk(dir, ['repro', '-q']);
  commitAll(dir, 'a stage that leaves a marker');
  rmSync(marker);
  const clean = rx(dir, ['verify', '--json']);
  t.equal(clean.code, 0, clean.stderr);
  t.equal(jsonOutput<{ ok: boolean }>(clean, verifyOutputSchema, 'verify output').ok, true);
  writeTree(dir, { 'input.txt': 'two\n' }); // now out of date: verify reports it, and still runs nothing
  const stale = rx(dir, ['verify', '--json']);
  t.equal(stale.code, 1, 'a finding');
  t.equal(jsonOutput<{ ok: boolean }>(stale, verifyOutputSchema, 'verify output').ok, false);
  const atRev = rx(dir, ['verify', '--rev', 'HEAD']);
  t.not(atRev.code, 5, `verify --rev HEAD (exit ${atRev.code}) ran no stage`);
  t.notOk(existsSync(marker), 'no marker: rx verify ran nothing');
});

/** rx as a child the event loop keeps serving around (the network test's server answers meanwhile). */
function rxAsync(cwd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RX_BIN, ...args], { cwd, env: rxEnv(env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
