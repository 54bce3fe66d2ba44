// Bad YAML in every kind of file rx reads, through the command that reads it: alias and
// merge-key bombs, deep nesting, syntax errors, empty files, custom tags and the `: ` trap in a
// stage command each end in exit 4 naming the file (file:line:col where the text allows), with
// a stable code, no stack trace and no raw library warning; and a SIGTERM while rx parses the
// largest file within the limits ends it promptly.
import t from 'tap';
import { readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { rx, tempDir, writeTree, commitAll, rxEnv, RX_BIN } from '../../fixtures/project.js';
import { rxError, rxAsync, hasStackTrace } from '../../fixtures/e2e.js';
import { useDigitsProject, rxOk } from '../../fixtures/ml.js';
import { digitsCsv, digitsRows, digitsSpecYaml } from '../../fixtures/data.js';
import { YAML_LIMITS } from '../../src/core/yaml.js';

const dir = useDigitsProject(t, {
  edit: (d) => {
    writeTree(d, { 'data/d.csv': digitsCsv(digitsRows(150)), 'data/small.yaml': digitsSpecYaml() });
  },
});
writeTree(dir, { 'notes/readme.txt': 'tracked\n' });
rxOk(dir, ['add', 'notes/readme.txt']);
writeFileSync(path.join(dir, 'rx.lock'), 'schema: 1\nstages: {}\n');
writeFileSync(path.join(dir, 'metrics.json'), '{"accuracy": 0.5}\n');
commitAll(dir, 'a pointer, a lock and metrics');
const outside = tempDir('rx-yaml-out-');
t.teardown(() => rmSync(outside, { recursive: true, force: true }));
const manifest = path.join(outside, 'data', 'manifest.json');
rxOk(dir, ['data', 'build', 'data/small.yaml', '--out', path.join(outside, 'data')]);

/** Every file kind, the command that reads it, and the name its errors carry. */
interface Kind {
  file: string;
  args: string[];
  shown?: string;
}
const KINDS: Kind[] = [
  { file: 'rx.yaml', args: ['status'] },
  { file: 'params.yaml', args: ['status'] },
  { file: 'params.yaml', args: ['params', 'diff'] },
  { file: 'notes/readme.txt.rx', args: ['status'] },
  { file: 'rx.lock', args: ['status'] },
  { file: 'data/small.yaml', args: ['data', 'build', 'data/small.yaml', '--out', path.join(outside, 'built')] },
  { file: 'augment/default.yaml', args: ['augment', 'preview', 'augment/default.yaml', '--data', manifest, '-o', path.join(outside, 'p.png'), '-n', '2', '-k', '2'] },
  { file: 'models/cnn.yaml', args: ['model', 'summary', 'models/cnn.yaml', '--input', '8x8x1', '--no-measure'] },
  { file: 'metrics.json', args: ['metrics', 'show'] },
  { file: '.rx/config.yaml', args: ['status'] },
];

/** Runs args with `file` replaced by content, then puts the file back. */
function withFile<T>(rel: string, content: string | Buffer, fn: () => T): T {
  const abs = path.join(dir, rel);
  const saved = readFileSync(abs);
  rmSync(abs, { force: true });
  writeFileSync(abs, content);
  try {
    return fn();
  } finally {
    rmSync(abs, { force: true });
    writeFileSync(abs, saved);
  }
}

const original = (rel: string) => readFileSync(path.join(dir, rel), 'utf8');

/** Billion laughs ahead of a file's own content (its keys are new top-level keys). */
const BOMB = Array.from({ length: 9 }, (_, i) => (i === 0 ? 'x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]' : `x${i}: &x${i} [${Array(9).fill(`*x${i - 1}`).join(', ')}]`)).join('\n') + '\n';
const MERGE_BOMB = 'm0: &m0 {k0: 0, k1: 1, k2: 2}\n' + Array.from({ length: 29 }, (_, i) => `m${i + 1}: &m${i + 1} {<<: [*m${i}, *m${i}, *m${i}], own: ${i}}`).join('\n') + '\n';

function expectRefusal(t: Tap.Test, kind: Kind, content: string | Buffer, code: string, where: RegExp = new RegExp(`${escape(kind.shown ?? kind.file)}:\\d+:\\d+: `)): { message: string; hint?: string; stderr: string } {
  return withFile(kind.file, content, () => {
    const r = rxError(dir, kind.args);
    t.equal(r.code, 4, `${kind.file} via rx ${kind.args.slice(0, 2).join(' ')}: exit 4 (${r.json.error.message.split('\n')[0]})`);
    t.equal(r.json.error.code, code, 'its code');
    t.match(r.stderr, where, 'named and located');
    t.notOk(hasStackTrace(r.stderr), 'no stack trace');
    t.notMatch(r.stderr, /please report|YAMLWarning/, 'no internal error, no raw library warning');
    return { message: r.json.error.message, hint: r.json.error.hint, stderr: r.stderr };
  });
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

t.test('alias bombs in every kind of file: exit 4, not an internal error', async (t) => {
  for (const kind of KINDS) {
    // metrics.json is read as YAML (JSON is YAML): the bomb's block keys need a block body.
    const body = kind.file.endsWith('.json') ? 'accuracy: 0.5\n' : original(kind.file);
    expectRefusal(t, kind, BOMB + body, 'RX_YAML_ALIASES');
  }
});

t.test('merge-key bombs', async (t) => {
  for (const kind of KINDS.filter((k) => ['rx.yaml', 'params.yaml', 'data/small.yaml', 'models/cnn.yaml'].includes(k.file))) {
    expectRefusal(t, kind, MERGE_BOMB + original(kind.file), 'RX_YAML_ALIASES');
  }
});

t.test('1 MB of nesting, flow and block, is refused at once, located', async (t) => {
  const flow = '['.repeat(1 << 19) + ']'.repeat(1 << 19);
  const block = Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
  for (const kind of KINDS.filter((k) => ['rx.yaml', 'params.yaml', 'rx.lock', 'data/small.yaml'].includes(k.file))) {
    expectRefusal(t, kind, flow, 'RX_YAML_TOO_DEEP', new RegExp(`${escape(kind.file)}:1:257: nested deeper than 256 levels`));
    expectRefusal(t, kind, block, 'RX_YAML_TOO_DEEP', new RegExp(`${escape(kind.file)}:258:258: nested deeper than 256 levels`));
  }
});

t.test('files over the size and entry limits', async (t) => {
  const kind = KINDS[0]!;
  const big = original('rx.yaml') + '# padding\n'.repeat(YAML_LIMITS.maxBytes / 10);
  const r = expectRefusal(t, kind, big, 'RX_YAML_TOO_LARGE', /rx\.yaml: is \d+ bytes, over the limit of 4194304 bytes/);
  t.match(r.hint, /Limits/);
  const many = original('params.yaml') + 'grid:\n' + Array.from({ length: YAML_LIMITS.maxEntries }, (_, i) => `  k${i}: ${i}`).join('\n') + '\n';
  expectRefusal(t, KINDS[1]!, many, 'RX_YAML_TOO_MANY_ENTRIES', /params\.yaml:\d+:1: has more than 20000 entries/);
});

t.test('syntax errors are file:line:col: message in every kind, params.yaml included', async (t) => {
  for (const kind of KINDS) {
    const broken = kind.file.endsWith('.json') ? '{"accuracy": [0.5, }\n' : original(kind.file) + 'extra: [unclosed, list\n';
    const r = expectRefusal(t, kind, broken, 'RX_INVALID_FILE');
    // augment preview names its argument as resolved, an absolute path.
    t.match(r.stderr, new RegExp(`^error: (/\\S*/)?${escape(kind.file)}:\\d+:\\d+: [A-Z]`, 'm'), 'the first line is the located problem');
    t.notMatch(r.stderr, /at line \d+, column \d+/, 'not the library pretty-printed position');
  }
});

t.test('an empty file says it is empty', async (t) => {
  for (const kind of KINDS.filter((k) => ['rx.yaml', 'notes/readme.txt.rx', 'rx.lock', 'data/small.yaml', 'augment/default.yaml', 'models/cnn.yaml'].includes(k.file))) {
    const r = expectRefusal(t, kind, '', 'RX_INVALID_FILE', new RegExp(`${escape(kind.file)}:1:1: the file is empty; expected a mapping with (schema|stages)`));
    t.notMatch(r.message, /must be object/);
  }
  const params = withFile('params.yaml', '# nothing yet\n', () => rxError(dir, ['status']));
  t.equal(params.code, 4);
  t.match(params.stderr, /params\.yaml: the file is empty; expected a mapping with train \(used by stage train\)/);
});

t.test('custom and language tags are refused, with nothing raw on stderr', async (t) => {
  for (const tagged of ['train: !foo {seed: 1}\n', 'train: !!js/function "function () {}"\n', 'train: !!python/object:os.system {}\n']) {
    const r = expectRefusal(t, KINDS[1]!, tagged, 'RX_INVALID_FILE', /params\.yaml:1:8: unknown tag !/);
    t.notMatch(r.stderr, /TAG_RESOLVE_FAILED|\(node:\d+\)/);
  }
  expectRefusal(t, KINDS[0]!, original('rx.yaml').replace('schema: 1', 'schema: !custom 1'), 'RX_INVALID_FILE', /rx\.yaml:\d+:9: unknown tag !custom/);
});

t.test('": " in a plain cmd gets a hint about quoting, not about ${...}', async (t) => {
  const text = original('rx.yaml').replace(/cmd: rx data build .*\n/, 'cmd: python prepare.py --msg note: this\n');
  const r = expectRefusal(t, KINDS[0]!, text, 'RX_INVALID_FILE');
  t.match(r.hint, /cmd: contains ": "/);
  t.match(r.hint, /quote it or write it as a block/);
  t.notMatch(r.hint ?? '', /\$\{/);
  const templated = original('rx.yaml').replace('outs: [work/data]', 'outs: [work/${name}]');
  t.match(expectRefusal(t, KINDS[0]!, templated, 'RX_INVALID_FILE').hint, /quote values with \$\{\.\.\.\}/);
});

t.test('a valid file with anchors and merge keys within the limits is read', async (t) => {
  const text = original('params.yaml').replace(/^train:/m, 'base: &base {seed: 0}\ntrain:\n  <<: *base');
  withFile('params.yaml', text.replace(/\n  seed: 0/, ''), () => {
    const r = rx(dir, ['status', '--json']);
    t.equal(r.code, 0, r.stderr);
  });
});

/** CPU seconds (user + system) of one whole rx run, from the shell's `times`. */
function cpuOfRun(args: string[]): number {
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'cpu', process.execPath, RX_BIN, ...args], { cwd: dir, env: rxEnv(), encoding: 'utf8' });
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`cannot read the times of rx ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return seconds[0]! + seconds[1]!;
}

/** CPU seconds a process has used so far (utime + stime from /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

t.test('SIGTERM while rx parses the largest params.yaml within the limits ends it promptly', { skip: !existsSync('/proc/self/stat') && 'needs /proc' }, async (t) => {
  // The most expensive shape per byte: one entry per line, just under the entry limit.
  const large = original('params.yaml') + 'grid:\n' + Array.from({ length: YAML_LIMITS.maxEntries - 20 }, (_, i) => `  k${i}: ${i}`).join('\n') + '\n';
  const abs = path.join(dir, 'params.yaml');
  const saved = readFileSync(abs);
  writeFileSync(abs, large);
  t.teardown(() => writeFileSync(abs, saved));
  const full = rx(dir, ['status', '--json']);
  t.equal(full.code, 0, `it is within the limits: ${full.stderr}`);

  // Signalled once it has used more CPU than a whole `rx status` of the template takes: past
  // start-up and rx's own signal handlers, inside the parse of the large file.
  const baseline = withFile('params.yaml', saved, () => cpuOfRun(['status']));
  const child = rxAsync(dir, ['status']);
  await new Promise<void>((resolve) => {
    const poll = () => {
      try {
        if (!child.running() || cpuSeconds(child.pid) >= baseline + 0.1) return resolve();
      } catch {
        return resolve();
      }
      setTimeout(poll, 10);
    };
    poll();
  });
  t.ok(child.running(), 'still running when signalled');
  const signalled = process.hrtime.bigint();
  child.kill('SIGTERM');
  const r = await child.done;
  const seconds = Number(process.hrtime.bigint() - signalled) / 1e9;
  t.equal(r.code, 128 + 15, `ended by rx's SIGTERM handler (code ${r.code}, signal ${r.signal}) after ${baseline.toFixed(2)} s of CPU`);
  // A bound, not a benchmark: the parse is bounded by the limits (under a second of CPU here).
  t.ok(seconds < 5, `ended ${seconds.toFixed(2)} s after SIGTERM`);
  t.notOk(existsSync(path.join(dir, '.rx', 'tmp', 'lock')), 'no writer lock left behind');
});
