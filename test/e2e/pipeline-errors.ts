// Bad pipeline input: each mistake in rx.yaml (YAML syntax, unknown key, wrong type, a
// cycle, two stages writing one output, an unknown ${var}, a dependency nothing provides)
// exits 4 naming rx.yaml:LINE, with no stack trace, and changes nothing in the workspace or
// the store; so does a malformed rx.lock; a command that does not exist fails its stage
// with exit 5 and leaves the lock intact.
import t from 'tap';
import { rx, writeTree } from '../../fixtures/project.js';
import { hasStackTrace } from '../../fixtures/e2e.js';
import { usePipeline, copyProject, outputAs, pipelineYaml, reproJson, runsLog, read, readBytes, listingWithMtimes } from '../../fixtures/pipeline.js';

const base = usePipeline(t, { run: true });
const good = pipelineYaml();

/** The 1-based line of the first line containing `marker`. */
function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in:\n${text}`);
  return i + 1;
}

/** Inserts `line` after the first line equal to `after`. */
function insertAfter(text: string, after: string, line: string): string {
  const lines = text.split('\n');
  const i = lines.indexOf(after);
  if (i < 0) throw new Error(`no line ${after}`);
  lines.splice(i + 1, 0, line);
  return lines.join('\n');
}

// The workspace and the store: everything but git's own files and rx's scratch space
// (.rx/tmp holds the stat cache and the writer lock's claim file).
const workspaceAndStore = (dir: string) => listingWithMtimes(dir, (rel) => rel === '.git' || rel === '.rx/tmp');

// Every case fails rx repro; the other readers of rx.yaml take turns (one each per case).
const OTHERS = [['status'], ['dag'], ['verify'], ['repro', '--dry']];

const yamlCases: { name: string; yaml: string; marker: string | ((yaml: string) => number[]); message: RegExp; commands?: string[][] }[] = [
  {
    name: 'a YAML syntax error',
    yaml: insertAfter(good, '      - data/raw.txt', '     - bad: indent'),
    marker: 'bad: indent',
    message: /rx\.yaml:\d+:\d+: /,
  },
  {
    name: 'an unknown key',
    yaml: insertAfter(good, '  stats:', '    outputs: [x]'),
    marker: 'outputs: [x]',
    message: /stages\.stats\.outputs: is not a known field/,
  },
  {
    name: 'a value of the wrong type',
    yaml: insertAfter(good, '    desc: scale the raw numbers', '    frozen: maybe'),
    marker: 'frozen: maybe',
    message: /stages\.prepare\.frozen: must be boolean/,
  },
  {
    name: 'a list where a string is expected',
    yaml: insertAfter(good, '    desc: scale the raw numbers', '    wdir: [a, b]'),
    marker: 'wdir: [a, b]',
    message: /stages\.prepare\.wdir: must be string/,
  },
  {
    name: 'a cycle between two stages',
    yaml: 'schema: 1\nstages:\n  first:\n    cmd: cat second.txt > first.txt\n    deps: [second.txt]\n    outs: [first.txt]\n  second:\n    cmd: cat first.txt > second.txt\n    deps: [first.txt]\n    outs: [second.txt]\n',
    marker: 'deps: [second.txt]',
    message: /stages form a cycle: first -> second -> first|stages form a cycle: second -> first -> second/,
  },
  {
    name: 'two stages writing one output',
    yaml: good.replace('      - ${work}/stats.txt\n  train:', '      - model/model.txt\n  train:'),
    // Either stage's outs entry is a fair place to point at.
    marker: (yaml) => yaml.split('\n').flatMap((l, i, all) => (l === '      - model/model.txt' && all[i - 1] === '    outs:' ? [i + 1] : [])),
    message: /output model\/model\.txt overlaps output model\/model\.txt of stage (stats|train): two stages cannot write one output/,
  },
  {
    name: 'an unknown ${var}',
    yaml: good.replace('cmd: sh scripts/stats.sh', 'cmd: sh scripts/stats.sh ${nope}'),
    marker: '${nope}',
    message: /stages\.stats\.cmd: \$\{nope\} is not defined/,
  },
  {
    name: 'a dependency that does not exist and no stage produces',
    yaml: insertAfter(good, '      - scripts/stats.sh', '      - data/missing.txt'),
    // Located at the missing entry itself.
    marker: '      - data/missing.txt',
    message: /stages\.stats\.deps\[1\]: dependency data\/missing\.txt of stage stats does not exist and no stage produces it/,
    commands: [['repro'], ['repro', '--dry', 'stats']],
  },
];

for (const [i, c] of yamlCases.entries()) {
  t.test(`rx.yaml with ${c.name}: exit 4 at rx.yaml:LINE, nothing changes`, async (t) => {
    const dir = copyProject(t, base);
    writeTree(dir, { 'rx.yaml': c.yaml });
    const lines = typeof c.marker === 'string' ? [lineOf(c.yaml, c.marker)] : c.marker(c.yaml);
    t.ok(lines.length > 0);
    const before = workspaceAndStore(dir);
    const lock = readBytes(dir, 'rx.lock');
    for (const args of c.commands ?? [['repro'], OTHERS[i % OTHERS.length]!]) {
      const r = rx(dir, args);
      t.equal(r.code, 4, `rx ${args.join(' ')}: exit 4`);
      const located = lines.some((l) => r.stderr.includes(`rx.yaml:${l}:`));
      t.ok(located, `rx ${args.join(' ')}: rx.yaml:${lines.join(' or ')} in ${JSON.stringify(r.stderr)}`);
      t.match(r.stderr, c.message);
      t.notOk(hasStackTrace(r.stderr), 'no stack trace');
      t.equal(r.stdout, '', 'nothing on stdout');
    }
    const json = outputAs('error', rx(dir, ['repro', '--json']));
    t.equal(json.error.code, 'RX_INVALID_FILE');
    t.equal(json.error.exitCode, 4);
    t.ok(json.error.data.problems.some((p: { file: string; line?: number }) => p.file === 'rx.yaml' && lines.includes(p.line!)), 'located problems in the JSON error');
    t.same(runsLog(dir), [], 'no stage ran');
    t.same(readBytes(dir, 'rx.lock'), lock, 'rx.lock untouched');
    t.same(workspaceAndStore(dir), before, 'workspace and store untouched (mtimes included)');
  });
}

t.test('a malformed params.yaml exits 4 naming it', async (t) => {
  const dir = copyProject(t, base);
  writeTree(dir, { 'params.yaml': 'train:\n  lr: [0.1\n' });
  const before = workspaceAndStore(dir);
  for (const args of [['repro'], ['status'], ['verify']]) {
    const r = rx(dir, args);
    t.equal(r.code, 4, `rx ${args.join(' ')}: exit 4`);
    t.match(r.stderr, 'params.yaml');
    t.notOk(hasStackTrace(r.stderr));
  }
  t.same(workspaceAndStore(dir), before);
});

const lockCases: { name: string; edit: (lock: string) => string; marker?: string; message: RegExp }[] = [
  { name: 'a YAML syntax error', edit: (l) => l.replace('    cmd: sh scripts/stats.sh', '    cmd: @stats'), marker: 'cmd: @stats', message: /rx\.lock:\d+:\d+: Plain value cannot start with reserved character @/ },
  { name: 'a malformed hash', edit: (l) => l.replace(/hash: sha256:[0-9a-f]+/, 'hash: not-a-hash'), marker: 'not-a-hash', message: /rx\.lock:\d+:\d+: stages\.evaluate\.deps\[0\]\.hash/ },
  { name: 'an unknown field', edit: (l) => l.replace('  prepare:\n', '  prepare:\n    duration: 3\n'), marker: 'duration: 3', message: /stages\.prepare\.duration: is not a known field/ },
  { name: 'a newer lock schema', edit: (l) => l.replace('schema: 1', 'schema: 2'), message: /rx\.lock: written by a newer rx/ },
];

for (const c of lockCases) {
  t.test(`rx.lock with ${c.name}: exit 4, nothing changes`, async (t) => {
    const dir = copyProject(t, base);
    const text = c.edit(read(dir, 'rx.lock'));
    writeTree(dir, { 'rx.lock': text });
    const before = workspaceAndStore(dir);
    for (const args of [['repro'], ['status'], ['verify', '--no-store']]) {
      const r = rx(dir, args);
      t.equal(r.code, 4, `rx ${args.join(' ')}: exit 4`);
      t.match(r.stderr, c.message);
      if (c.marker) t.match(r.stderr, `rx.lock:${lineOf(text, c.marker)}:`, 'located');
      t.notOk(hasStackTrace(r.stderr), 'no stack trace');
    }
    t.equal(read(dir, 'rx.lock'), text, 'rx.lock left as it was');
    t.same(runsLog(dir), []);
    t.same(workspaceAndStore(dir), before);
  });
}

t.test('a command that does not exist fails its stage with exit 5; the lock is intact', async (t) => {
  const dir = copyProject(t, base);
  const lock = readBytes(dir, 'rx.lock');
  const outputs = ['work/stats.txt', 'metrics.json'].map((p) => readBytes(dir, p));
  writeTree(dir, { 'rx.yaml': good.replace('cmd: sh scripts/stats.sh', 'cmd: no-such-program-xyz') });
  const r = reproJson(dir);
  t.equal(r.code, 5);
  t.notOk(hasStackTrace(r.stderr));
  t.same(r.json.failed, ['stats']);
  const stats = r.json.stages.find((s) => s.name === 'stats')!;
  t.equal(stats.action, 'failed');
  t.same(stats.reasons, ['command changed']);
  t.equal(stats.failedCommand, 'no-such-program-xyz');
  t.equal(stats.exitCode, 127, "the shell's 'not found' exit code");
  t.match(stats.message ?? '', 'no-such-program-xyz');
  t.equal(r.actions.evaluate, 'not-run');
  t.same(readBytes(dir, 'rx.lock'), lock, 'rx.lock byte-identical');
  t.same(['work/stats.txt', 'metrics.json'].map((p) => readBytes(dir, p)), outputs, 'outputs intact');
  const text = rx(dir, ['repro']);
  t.equal(text.code, 5);
  t.match(text.stderr, /stats.*no-such-program-xyz|no-such-program-xyz.*stats/);
  t.equal(rx(dir, ['verify']).code, 1, 'verify reports the changed command');
});
