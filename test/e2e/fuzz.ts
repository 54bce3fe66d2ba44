// A fuzz corpus of bad input (fixtures/fuzz.ts, fixed seed): every kind of YAML file rx reads,
// mutated, each through a command that reads it. For each input rx must exit 0 or 4 (verify
// also 1, a finding), an exit 4 must name the file, nothing may print a stack trace, an
// internal error or a raw library warning, no run may use 2 s of CPU, and the project must be
// exactly as before (its listing with sizes, modes and mtimes; .rx/tmp, rx's scratch space
// for caches and the writer lock, aside).
//
// Two pristine projects are built once: the digits template (rx.yaml, params.yaml, an
// augmentation spec, a model config, .rx/config.yaml, plus a small data spec over a 150-row
// CSV) and the shell pipeline of fixtures/pipeline.ts run once (a real rx.lock, metrics.json)
// with a tracked directory (a pointer). Each input runs in a `cp -a` of its project; runs go
// two at a time, the assertions come after, one subtest per kind.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { rx, tempDir, writeTree, commitAll, rxEnv, RX_BIN } from '../../fixtures/project.js';
import { registerRepo, hasStackTrace } from '../../fixtures/e2e.js';
import { writePipeline, listingWithMtimes } from '../../fixtures/pipeline.js';
import { digitsCsv, digitsRows, digitsSpecYaml } from '../../fixtures/data.js';
import { fuzzInputs, type FuzzBase, type FuzzInput } from '../../fixtures/fuzz.js';
import { YAML_LIMITS, LOCK_YAML_LIMITS } from '../../src/core/yaml.js';

const SEED = 20260101;
const POOL = 2;
const CPU_BOUND_SECONDS = 2;

const top = tempDir('rx-fuzz-');
t.teardown(() => rmSync(top, { recursive: true, force: true }));

function ok(cwd: string, args: string[]): void {
  const r = rx(cwd, args);
  if (r.code !== 0) throw new Error(`rx ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

// ---------------------------------------------------------------- the pristine projects

const digits = path.join(top, 'pristine-digits');
mkdirSync(digits);
ok(digits, ['init', '-q', '--template', 'digits']);
writeTree(digits, { 'data/d.csv': digitsCsv(digitsRows(150)), 'data/small.yaml': digitsSpecYaml() });
commitAll(digits, 'digits template and a small spec');
registerRepo(t, digits, () => {});
// The first command of a project creates .rx/tmp (its scratch space); every later one finds it.
ok(digits, ['status']);

const pipe = path.join(top, 'pristine-pipe');
mkdirSync(pipe);
ok(pipe, ['init', '-q']);
writePipeline(pipe);
commitAll(pipe, 'pipeline');
writeTree(pipe, { 'images/a.txt': 'alpha\n', 'images/sub/b.txt': 'beta\n' });
ok(pipe, ['add', 'images']);
ok(pipe, ['repro']);
commitAll(pipe, 'first run, tracked images');
registerRepo(t, pipe, () => {});

// A manifest outside both projects, for augment preview.
const manifestDir = path.join(top, 'manifest');
ok(digits, ['data', 'build', 'data/small.yaml', '--out', manifestDir]);
const manifest = path.join(manifestDir, 'manifest.json');

// ---------------------------------------------------------------- kinds and their readers

interface Kind {
  base: FuzzBase;
  project: string;
  /** readers, used in turn; OUT is a directory outside the project */
  readers: string[][];
}
const lockLimits = LOCK_YAML_LIMITS;
const KINDS: Kind[] = (
  [
    ['rx.yaml', digits, 'rx.yaml', [['status'], ['dag'], ['repro', '--dry'], ['verify']]],
    ['params.yaml', digits, 'params.yaml', [['status'], ['params', 'diff'], ['repro', '--dry']]],
    ['data spec', digits, 'data/small.yaml', [['data', 'build', 'data/small.yaml', '--out', 'OUT/data']]],
    ['augment spec', digits, 'augment/default.yaml', [['augment', 'preview', 'augment/default.yaml', '--data', manifest, '-o', 'OUT/p.png', '-n', '2', '-k', '2']]],
    ['model config', digits, 'models/cnn.yaml', [['model', 'summary', 'models/cnn.yaml', '--input', '8x8x1', '--no-measure']]],
    ['.rx/config.yaml', digits, '.rx/config.yaml', [['status'], ['dag']]],
    ['rx.lock', pipe, 'rx.lock', [['status'], ['verify'], ['repro', '--dry']]],
    ['pointer', pipe, 'images.rx', [['status'], ['verify']]],
    ['metrics', pipe, 'metrics.json', [['metrics', 'show'], ['metrics', 'diff']]],
  ] as const
).map(([kind, project, file, readers]) => ({
  base: { kind, file, text: readFileSync(path.join(project, file), 'utf8'), limits: file === 'rx.lock' ? lockLimits : YAML_LIMITS },
  project,
  readers: readers.map((r) => [...r]),
}));

const inputs = fuzzInputs(
  KINDS.map((k) => k.base),
  SEED,
);

// ---------------------------------------------------------------- running

interface Run {
  input: FuzzInput;
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  cpu: number;
  wall: number;
  /** paths whose listing entry changed, appeared or disappeared */
  written: string[];
}

const skipScratch = (rel: string) => rel === '.rx/tmp' || rel.startsWith('.rx/tmp/');

function diffListings(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/** rx under bash, whose `times` (on fd 3) gives the child's CPU time. */
function runTimed(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; cpu: number; wall: number }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', '"$@"; s=$?; times >&3; exit $s', 'fuzz', process.execPath, RX_BIN, ...args], { cwd, env: rxEnv(), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let times = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => (times += d));
    // A hang guard, far above the bound asserted below.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(guard);
      const line = times.trim().split('\n')[1] ?? '';
      const seconds = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      resolve({ code: code ?? -1, stdout, stderr, cpu: seconds.length === 2 ? seconds[0]! + seconds[1]! : Infinity, wall: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}

async function runOne(input: FuzzInput, index: number): Promise<Run> {
  const kind = KINDS.find((k) => k.base.kind === input.kind)!;
  const caseDir = path.join(top, `case-${index}`);
  const proj = path.join(caseDir, 'proj');
  const out = path.join(caseDir, 'out');
  mkdirSync(out, { recursive: true });
  const cp = spawnSync('cp', ['-a', `${kind.project}/.`, proj]);
  if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
  const abs = path.join(proj, input.file);
  rmSync(abs, { force: true });
  writeFileSync(abs, input.content);
  const args = kind.readers[index % kind.readers.length]!.map((a) => a.replace(/^OUT\//, `${out}/`));
  const before = listingWithMtimes(proj, skipScratch);
  const r = await runTimed(proj, args);
  const written = diffListings(before, listingWithMtimes(proj, skipScratch));
  rmSync(caseDir, { recursive: true, force: true });
  return { input, args, ...r, written };
}

const runs: Run[] = new Array(inputs.length);
{
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      runs[i] = await runOne(inputs[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: POOL }, worker));
}

// ---------------------------------------------------------------- assertions

t.test('the corpus', async (t) => {
  t.ok(inputs.length >= 300, `${inputs.length} inputs`);
  t.same(
    fuzzInputs(
      KINDS.map((k) => k.base),
      SEED,
    ).map((i) => i.content.toString('base64')),
    inputs.map((i) => i.content.toString('base64')),
    'the same seed gives the same inputs',
  );
  const located = runs.filter((r) => r.code === 4 && /:\d+:\d+: /.test(r.stderr)).length;
  const refused = runs.filter((r) => r.code === 4).length;
  t.comment(`exit 4: ${refused} (${located} with line:col), exit 0: ${runs.filter((r) => r.code === 0).length}, other: ${runs.filter((r) => r.code !== 0 && r.code !== 4).length}`);
  t.comment(`CPU per run: max ${Math.max(...runs.map((r) => r.cpu)).toFixed(2)} s; wall: max ${Math.max(...runs.map((r) => r.wall)).toFixed(2)} s`);
});

for (const kind of KINDS) {
  t.test(`${kind.base.kind} (${kind.base.file})`, async (t) => {
    for (const r of runs.filter((x) => x.input.kind === kind.base.kind)) {
      const what = `${r.input.name}, rx ${r.args.slice(0, 2).join(' ')}`;
      const allowed = r.args[0] === 'verify' ? [0, 1, 4] : [0, 4];
      const first = r.stderr.split('\n').find((l) => l.startsWith('error:')) ?? r.stderr.slice(0, 200);
      t.ok(allowed.includes(r.code), `${what}: exit ${r.code} ${first}`);
      if (r.code === 4) {
        const name = path.basename(kind.base.file);
        t.ok(r.stderr.includes(name), `${what}: the message names ${name}`);
      }
      t.notOk(hasStackTrace(r.stderr), `${what}: no stack trace`);
      t.notMatch(r.stderr, /please report|internal error|YAMLWarning|\(node:\d+\)/, `${what}: no internal error or raw warning`);
      // A bound, not a benchmark (CPU, so a loaded machine does not fail it).
      t.ok(r.cpu < CPU_BOUND_SECONDS, `${what}: ${r.cpu.toFixed(2)} s of CPU (${r.wall.toFixed(2)} s wall)`);
      t.same(r.written, [], `${what}: nothing written`);
    }
  });
}
