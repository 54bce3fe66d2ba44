// `rx exp run --seeds`: one configuration run once per seed with RX_SEED set, each recorded as
// NAME/s<seed>, summarised per metric (describe() with hash32(NAME) as bootstrap seed); `rx exp
// show` gives such a group one line (mean ± half-width, seeds = n), --per-seed every line, --json
// both; bad lists and taken names are refused (exit 2) before anything runs; a failing seed is
// not recorded (exit 5) while the others are; a group never takes in another run's experiments.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { rx, rxSpawn, git, writeTree, commitAll, gitFsckStrict, jsonOutput, tempDir } from '../../fixtures/project.js';
import { useProject, hasStackTrace } from '../../fixtures/e2e.js';
import { expRunSeedsOutputSchema, expShowOutputSchema, expRunOutputSchema, errorOutputSchema } from '../../src/schema/outputs.js';
import { describe as describeSeeds } from '../../src/search/stats.js';
import { hash32 } from '../../src/search/rng.js';
import { formatMeanHalf, formatInterval } from '../../src/exp/seeds.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

// The stage: metrics that depend on RX_SEED and on p.scale; seed 1 fails when p.fail is 1.
const SCORE = `const fs = require('fs');
const seed = Number(process.env.RX_SEED || 0);
const text = fs.readFileSync('params.yaml', 'utf8');
const scale = Number(/scale: *([0-9.]+)/.exec(text)[1]);
if (/fail: *1/.test(text) && seed === 1) { console.error('seed 1 diverged'); process.exit(3); }
fs.writeFileSync('metrics.json', JSON.stringify({ acc: scale * (0.8 + ((seed * 37) % 11) / 100), loss: 1 / (seed + 2), ok: seed % 2 === 0 }));
`;
const acc = (scale: number, seed: number) => scale * (0.8 + ((seed * 37) % 11) / 100);
const loss = (seed: number) => 1 / (seed + 2);

function project(t: Test, extraCmd = ''): { dir: string; head: string } {
  const dir = useProject(t);
  writeTree(dir, {
    'score.cjs': SCORE,
    'params.yaml': 'p:\n  scale: 1\n  fail: 0\n',
    'rx.yaml': `schema: 1\nstages:\n  score:\n    cmd: node score.cjs${extraCmd}\n    deps: [score.cjs]\n    params: [p.scale, p.fail]\n    metrics: [metrics.json]\n`,
  });
  const r = rx(dir, ['repro']);
  if (r.code !== 0) throw new Error(r.stderr);
  commitAll(dir, 'baseline');
  return { dir, head: git(dir, ['rev-parse', 'HEAD']).stdout.trim() };
}

const expRefs = (dir: string) => git(dir, ['for-each-ref', '--format=%(refname)', 'refs/rx/exps']).stdout.split('\n').filter(Boolean);
const runSeeds = (dir: string, args: string[]) => {
  const r = rx(dir, ['exp', 'run', ...args, '--json']);
  return { code: r.code, stderr: r.stderr, json: jsonOutput<any>(r, r.code === 0 || r.code === 5 ? expRunSeedsOutputSchema : errorOutputSchema, 'exp run --seeds') };
};
const show = (dir: string, args: string[] = []) => {
  const r = rx(dir, ['exp', 'show', ...args, '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return jsonOutput<any>(r, expShowOutputSchema, 'exp show');
};
const stats = (group: string, values: number[]) => describeSeeds(values, { seed: hash32(group) });

t.test('three seeds: three refs NAME/s<seed>, RX_SEED in each lock, metrics per seed, summary = describe()', async (t) => {
  const { dir, head } = project(t);
  const r = runSeeds(dir, ['--seeds', '0,1,2', '-n', 'rep', '-S', 'p.scale=2']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.json.group, 'rep');
  t.equal(r.json.baseline, head);
  t.same(r.json.overrides, ['p.scale=2']);
  t.same(r.json.failedSeeds, []);
  t.equal(r.json.statsSeed, hash32('rep'), 'the bootstrap seed is hash32 of the name');
  t.same(
    r.json.seeds.map((s: any) => [s.seed, s.name, s.ref]),
    [0, 1, 2].map((s) => [s, `rep/s${s}`, `refs/rx/exps/${head}/rep/s${s}`]),
  );
  t.same(expRefs(dir), [0, 1, 2].map((s) => `refs/rx/exps/${head}/rep/s${s}`), 'exactly three refs');
  for (const s of r.json.seeds) {
    t.equal(git(dir, ['rev-parse', s.ref]).stdout.trim(), s.commit);
    t.equal(git(dir, ['rev-parse', `${s.ref}^`]).stdout.trim(), head, 'parent: HEAD');
    t.same(JSON.parse(git(dir, ['show', `${s.ref}:metrics.json`]).stdout), { acc: acc(2, s.seed), loss: loss(s.seed), ok: s.seed % 2 === 0 }, `seed ${s.seed}: its own metrics`);
    t.match(git(dir, ['show', `${s.ref}:rx.lock`]).stdout, new RegExp(`run_env:\\n {6}RX_SEED: "${s.seed}"`), 'RX_SEED recorded in the lock entry as the run\'s env');
    t.notMatch(git(dir, ['show', `${s.ref}:rx.lock`]).stdout, /\n {4}env:/, 'not as the stage\'s declared env');
    t.same(s.metrics, { 'metrics.json:acc': acc(2, s.seed), 'metrics.json:loss': loss(s.seed), 'metrics.json:ok': s.seed % 2 === 0 });
    t.same(s.failed, []);
  }
  t.equal(new Set(r.json.seeds.map((s: any) => s.metrics['metrics.json:acc'])).size, 3, 'the seeds give different values');
  t.same(Object.keys(r.json.summary), ['metrics.json:acc', 'metrics.json:loss'], 'numeric metrics only');
  const accs = [0, 1, 2].map((s) => acc(2, s));
  t.same(r.json.summary['metrics.json:acc'], { seeds: [0, 1, 2], values: accs, stats: stats('rep', accs) });
  t.same(r.json.summary['metrics.json:loss'].stats, stats('rep', [0, 1, 2].map(loss)));
  t.ok(r.json.summary['metrics.json:acc'].stats.mean.percentile.high > r.json.summary['metrics.json:acc'].stats.mean.percentile.low, 'a real interval');
  t.same(readdirSync(path.join(dir, '.rx', 'tmp', 'exp')), [], 'no sandbox left');
  t.equal(git(dir, ['rev-parse', 'HEAD']).stdout.trim(), head, 'HEAD not moved');
  t.same(git(dir, ['status', '--porcelain']).stdout, '', 'working tree untouched');
  const fsck = gitFsckStrict(dir);
  t.equal(fsck.code, 0, fsck.stderr);
});

t.test('a seed\'s experiment verifies against its rx.yaml and re-executes with its own RX_SEED; so does a lock that kept RX_SEED in env', async (t) => {
  const { dir } = project(t);
  const r = runSeeds(dir, ['--seeds', '0,1', '-n', 'rv']);
  t.equal(r.code, 0, r.stderr);
  const ref = r.json.seeds[1].ref;
  const verify = rx(dir, ['verify', '--rev', ref, '--json']);
  t.equal(verify.code, 0, `verify --rev of seed 1: ${verify.stdout}${verify.stderr}`);
  const repro = rx(dir, ['repro', '--rev', ref, '--json']);
  t.equal(repro.code, 0, repro.stderr);
  t.equal(JSON.parse(repro.stdout).verdict, 'bitwise', 'seed 1 re-executed with RX_SEED=1');
  t.match(repro.stderr, /with RX_SEED=1, as rx\.lock records for score/, 'the preview says which environment the commands get');
  // A lock as rx wrote it before run_env existed: RX_SEED inside the entry's env.
  const legacyLock = git(dir, ['show', `${ref}:rx.lock`]).stdout.replace(/\n    run_env:\n/, '\n    env:\n');
  t.match(legacyLock, /\n    env:\n      RX_SEED: "1"/, 'the legacy lock form');
  git(dir, ['checkout', '-q', '-b', 'legacy', ref]);
  writeTree(dir, { 'rx.lock': legacyLock });
  commitAll(dir, 'legacy lock');
  const legacyVerify = rx(dir, ['verify', '--rev', 'legacy']);
  t.equal(legacyVerify.code, 0, legacyVerify.stdout + legacyVerify.stderr);
  const legacyRepro = rx(dir, ['repro', '--rev', 'legacy', '--json']);
  t.equal(legacyRepro.code, 0, legacyRepro.stderr);
  t.equal(JSON.parse(legacyRepro.stdout).verdict, 'bitwise', 'the legacy lock re-executes with its RX_SEED too');
  t.equal(rx(dir, ['status', '--json']).code, 0);
  // Declared in rx.yaml, RX_SEED is the stage's own env, not the run's.
  git(dir, ['checkout', '-q', '-b', 'declared', 'legacy']);
  writeTree(dir, { 'rx.yaml': readFileSync(path.join(dir, 'rx.yaml'), 'utf8').replace('    metrics: [metrics.json]\n', '    metrics: [metrics.json]\n    env: {RX_SEED: "1"}\n') });
  commitAll(dir, 'declared');
  const declared = rx(dir, ['verify', '--rev', 'declared']);
  t.equal(declared.code, 0, declared.stdout + declared.stderr);
});

t.test('SIGINT or SIGTERM while a seed runs: exit 130/143, that seed not recorded, no sandbox left, and no advice to run rx repro', async (t) => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    // Seed 1 writes a marker and then takes long; the signal comes once it is running.
    const { dir } = project(t, ' && if [ "$RX_SEED" = 1 ]; then touch "$MARK_DIR/seed1-running-$PPID"; sleep 30; fi');
    const markDir = tempDir('rx-marks-');
    t.teardown(() => rmSync(markDir, { recursive: true, force: true }));
    const markers = () => readdirSync(markDir);
    const before = 0;
    const child = rxSpawn(dir, ['exp', 'run', '--seeds', '0,1', '-n', 'stop'], { MARK_DIR: markDir });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    for (let i = 0; i < 2400 && markers().length === before; i++) await new Promise((res) => setTimeout(res, 25));
    t.ok(markers().length > before, `${signal}: seed 1 started`);
    child.kill(signal);
    t.equal(await ended, code, `${signal}: exit ${code}; ${stderr}`);
    t.notMatch(stderr, /rx repro/, `${signal}: no advice to run rx repro (the user's tree was never touched): ${stderr}`);
    t.notOk(hasStackTrace(stderr), 'no stack trace');
    t.same(expRefs(dir).map((r) => r.replace(/^.*\//, '')), ['s0'], `${signal}: seed 0 is recorded, seed 1 is not`);
    t.same(readdirSync(path.join(dir, '.rx', 'tmp', 'exp')), [], `${signal}: no sandbox left`);
    t.same(git(dir, ['status', '--porcelain']).stdout, '', 'the working tree untouched');
  }
});

t.test('a sandbox left by a SIGKILLed rx is removed by the next experiment; one kept with --keep stays', async (t) => {
  const { dir } = project(t, ' && if [ "$RX_SEED" = 1 ]; then touch "$MARK_DIR/running"; sleep 5; fi');
  const markDir = tempDir('rx-marks-');
  t.teardown(() => rmSync(markDir, { recursive: true, force: true }));
  const kept = rx(dir, ['repro', '--rev', 'HEAD', '--keep', '--json']);
  t.equal(kept.code, 0, kept.stderr);
  const keptDir = JSON.parse(kept.stdout).dir as string;
  t.ok(existsSync(keptDir), 'the kept re-execution tree');
  const child = rxSpawn(dir, ['exp', 'run', '--seeds', '1', '-n', 'killed'], { MARK_DIR: markDir });
  const ended = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  for (let i = 0; i < 2400 && !existsSync(path.join(markDir, 'running')); i++) await new Promise((res) => setTimeout(res, 25));
  child.kill('SIGKILL');
  await ended;
  const leftover = readdirSync(path.join(dir, '.rx', 'tmp', 'exp'));
  t.equal(leftover.length, 1, `SIGKILL leaves its sandbox: ${leftover.join(', ')}`);
  const next = rx(dir, ['exp', 'run', '-n', 'next']);
  t.equal(next.code, 0, next.stderr);
  t.same(readdirSync(path.join(dir, '.rx', 'tmp', 'exp')), [], 'the next experiment removed the dead one\'s sandbox');
  const again = rx(dir, ['repro', '--rev', 'HEAD', '--json']);
  t.equal(again.code, 0, again.stderr);
  t.ok(existsSync(keptDir), 'the --keep tree is still there after another re-execution');
});

t.test('text output: a line per seed, then mean ± half-width [low, high] (n seeds) per metric', async (t) => {
  const { dir } = project(t);
  const r = rx(dir, ['exp', 'run', '--seeds', '2,0', '-n', 'two']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.match(lines[0], new RegExp(`^seed 2 +two/s2 +[0-9a-f]{12} +acc=${esc(String(acc(1, 2)))} loss=0\\.25 ok=true$`), 'seeds in the order run');
  t.match(lines[1], new RegExp(`^seed 0 +two/s0 +[0-9a-f]{12} +acc=0\\.8 loss=0\\.5 ok=true$`));
  // Values by ascending seed: s0 then s2.
  t.ok(lines.includes(`  acc: ${formatInterval(stats('two', [acc(1, 0), acc(1, 2)]))}`), r.stdout);
  t.ok(lines.includes(`  loss: ${formatInterval(stats('two', [loss(0), loss(2)]))}`), r.stdout);
  t.match(r.stdout, /\(2 seeds\)/);
  t.match(r.stderr, /seed 2: two\/s2/, 'each seed announced on stderr');
});

t.test('exp show: one line per group with mean ± half and seeds; --per-seed, --json, --only, --sort-by', async (t) => {
  const { dir, head } = project(t);
  t.equal(runSeeds(dir, ['--seeds', '0,1,2', '-n', 'big', '-S', 'p.scale=2']).code, 0);
  t.equal(runSeeds(dir, ['--seeds', '3,4', '-n', 'small', '-S', 'p.scale=0.5']).code, 0);
  const plain = jsonOutput<any>(rx(dir, ['exp', 'run', '-n', 'plain', '-S', 'p.scale=1.5', '--json']), expRunOutputSchema, 'exp run');
  t.equal(plain.name, 'plain');

  const j = show(dir);
  t.same(j.rows.map((r: any) => r.name), ['HEAD', 'big/s0', 'big/s1', 'big/s2', 'small/s3', 'small/s4', 'plain'], 'rows: every experiment, as before');
  t.same(j.groups.map((g: any) => [g.name, g.baseline, g.statsSeed]), [['big', head, hash32('big')], ['small', head, hash32('small')]]);
  const big = j.groups[0];
  t.same(big.experiments.map((e: any) => [e.seed, e.name, e.metrics['metrics.json:acc']]), [0, 1, 2].map((s) => [s, `big/s${s}`, acc(2, s)]), 'per-seed values');
  t.same(big.params, { 'p.scale': 2, 'p.fail': 0 });
  const bigAcc = [0, 1, 2].map((s) => acc(2, s));
  t.same(big.metrics['metrics.json:acc'], { seeds: [0, 1, 2], values: bigAcc, stats: stats('big', bigAcc) }, '--json: describe() of the values');
  const smallAcc = [3, 4].map((s) => acc(0.5, s));
  t.same(j.groups[1].metrics['metrics.json:acc'].stats, stats('small', smallAcc));
  t.same(j.groups[1].metrics['metrics.json:loss'].stats, stats('small', [3, 4].map(loss)));

  const text = rx(dir, ['exp', 'show']);
  t.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  t.match(lines[0], /^experiment +commit +seeds +p\.scale +acc +loss +ok$/);
  t.same(lines.map((l) => l.split(/ {2,}/)[0]), ['experiment', 'HEAD', 'big', 'small', 'plain'], 'a group is one line, where its first seed was');
  const cells = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/ {2,}/).map((c) => c.trim());
  t.same(cells('big'), ['big', '-', '3', '2', formatMeanHalf(stats('big', bigAcc)), formatMeanHalf(stats('big', [0, 1, 2].map(loss))), '-']);
  t.same(cells('small'), ['small', '-', '2', '0.5', formatMeanHalf(stats('small', smallAcc)), formatMeanHalf(stats('small', [3, 4].map(loss))), '-']);
  t.same(cells('plain').slice(1, 5), [plain.commit.slice(0, 7), '-', '1.5', String(acc(1.5, 0))]);

  const perSeed = rx(dir, ['exp', 'show', '--per-seed']);
  t.same(perSeed.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/)[0]), ['experiment', 'HEAD', 'big/s0', 'big/s1', 'big/s2', 'small/s3', 'small/s4', 'plain'], '--per-seed: the rows as before');
  t.notMatch(perSeed.stdout, /±|seeds/);

  const only = rx(dir, ['exp', 'show', '--only', 'acc']);
  t.match(only.stdout.split('\n')[0], /^experiment +commit +seeds +acc$/, '--only keeps the seeds column and the chosen metric');
  const dropped = rx(dir, ['exp', 'show', '--drop', 'loss,ok']);
  t.notMatch(dropped.stdout.split('\n')[0], /loss|ok/);
  const md = rx(dir, ['exp', 'show', '--md']);
  t.match(md.stdout, new RegExp(`^\\| big \\| - \\| 3 \\| 2 \\| ${formatMeanHalf(stats('big', bigAcc)).replace(/\./g, '\\.')} \\|`, 'm'));

  // By acc: big's mean ~1.68, plain 1.2, HEAD 0.8, small's mean ~0.44.
  const sorted = rx(dir, ['exp', 'show', '--sort-by', 'acc', '--desc']);
  t.same(sorted.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/ {2,}/)[0]), ['big', 'plain', 'HEAD', 'small'], 'groups sorted by their mean');
  const asc = rx(dir, ['exp', 'show', '--sort-by', 'acc']);
  t.same(asc.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/ {2,}/)[0]), ['small', 'HEAD', 'plain', 'big']);
  const sortedJson = show(dir, ['--sort-by', 'loss']);
  t.same(sortedJson.groups.map((g: any) => g.name), ['small', 'big'], '--json groups sorted by their mean too');
  t.equal(sortedJson.rows[0].name, 'small/s4');
  const none = rx(dir, ['exp', 'show', '--sort-by', 'nope']);
  t.equal(none.code, 2);
});

t.test('the same name again is refused like any taken name; nothing runs, nothing is recorded', async (t) => {
  const { dir } = project(t);
  t.equal(runSeeds(dir, ['--seeds', '0,1', '-n', 'rep']).code, 0);
  const refs = expRefs(dir);
  for (const args of [
    ['--seeds', '0,1', '-n', 'rep'],
    ['--seeds', '5', '-n', 'rep'],
  ]) {
    const r = runSeeds(dir, args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.json.error.code, 'RX_USAGE');
    t.match(r.json.error.message, /an experiment named rep already exists/);
    t.notMatch(r.stderr, /running stage/, 'refused before running');
  }
  const plain = rx(dir, ['exp', 'run', '-n', 'rep', '--json']);
  t.equal(plain.code, 2, 'a plain experiment cannot take the group name either');
  t.same(expRefs(dir), refs);
  const generated = runSeeds(dir, ['--seeds', '0,1']);
  t.equal(generated.code, 0, 'without -n a free name is generated');
  t.not(generated.json.group, 'rep');
  t.same(generated.json.seeds.map((s: any) => s.name), [`${generated.json.group}/s0`, `${generated.json.group}/s1`]);
});

t.test('bad --seeds lists exit 2 before anything runs', async (t) => {
  const { dir } = project(t);
  for (const [list, why] of [
    ['', /at least one seed/],
    ['0,0', /seed 0 is listed twice/],
    ['-1', /not a whole number/],
    ['1.5', /not a whole number/],
    ['a,b', /not a whole number/],
    ['0,,1', /empty entry/],
    ['01', /not a whole number/],
  ] as const) {
    const r = runSeeds(dir, [`--seeds=${list}`, '-n', 'x']);
    t.equal(r.code, 2, `--seeds ${JSON.stringify(list)}`);
    t.equal(r.json.error.code, 'RX_USAGE');
    t.match(r.json.error.message, why);
    t.notOk(hasStackTrace(r.stderr));
  }
  t.same(expRefs(dir), [], 'nothing recorded');
  t.notOk(existsSync(path.join(dir, '.rx', 'tmp', 'exp')) && readdirSync(path.join(dir, '.rx', 'tmp', 'exp')).length > 0, 'no sandbox made');
});

t.test('a failing seed is not recorded, the others are; exit 5', async (t) => {
  const { dir, head } = project(t);
  const r = runSeeds(dir, ['--seeds', '0,1,2', '-n', 'shaky', '-S', 'p.fail=1']);
  t.equal(r.code, 5, r.stderr);
  t.same(r.json.failedSeeds, [1]);
  const s1 = r.json.seeds.find((s: any) => s.seed === 1);
  t.same([s1.ref, s1.commit, s1.failed, s1.metrics], ['', '', ['score'], {}]);
  t.same(expRefs(dir), [0, 2].map((s) => `refs/rx/exps/${head}/shaky/s${s}`));
  t.same(r.json.summary['metrics.json:acc'].seeds, [0, 2], 'the summary is over the recorded seeds');
  t.same(r.json.summary['metrics.json:acc'].stats, stats('shaky', [acc(1, 0), acc(1, 2)]));
  const text = rx(dir, ['exp', 'run', '--seeds', '1', '-n', 'shaky2', '-S', 'p.fail=1']);
  t.equal(text.code, 5);
  t.match(text.stdout, /^seed 1 +shaky2\/s1 +not recorded: stage\(s\) failed: score$/m);
  t.match(text.stderr, /seed\(s\) 1 not recorded/);
});

t.test("a group never takes in another run's experiment: recorded meanwhile, it stops the run (exit 2)", async (t) => {
  // While seed 1 runs, its stage writes refs/rx/exps/<HEAD>/race/s9 into the project repo, as
  // another `exp run -n race --seeds 9` finishing then would.
  const { dir, head } = project(t, ' && if [ "$RX_SEED" = 1 ]; then git update-ref refs/rx/exps/$(git rev-parse HEAD)/race/s9 HEAD; fi');
  const r = runSeeds(dir, ['--seeds', '0,1,2', '-n', 'race']);
  t.equal(r.code, 2, r.stderr);
  t.equal(r.json.error.code, 'RX_USAGE');
  t.match(r.json.error.message, /race\/\.\.\. were recorded on this baseline by another run/);
  t.same(expRefs(dir), [`refs/rx/exps/${head}/race/s0`, `refs/rx/exps/${head}/race/s9`], 'seed 0 kept, seed 1 not recorded, the other ref untouched');
  t.equal(git(dir, ['rev-parse', `refs/rx/exps/${head}/race/s9`]).stdout.trim(), head);
});

t.test('a generated group name another run took before any seed was recorded is chosen again', async (t) => {
  // Seed 0's stage records <group>/s9 as another run would; its sandbox directory is named <group>-s0-<pid>.<host>-XXXXXX.
  const { dir, head } = project(t, ' && if [ "$RX_SEED" = 0 ]; then g=$(basename "$PWD" | sed "s/-s[0-9]*-[0-9]*\\.[A-Za-z0-9_]*-[^-]*\\$//"); git update-ref refs/rx/exps/$(git rev-parse HEAD)/$g/s9 HEAD; fi');
  const r = runSeeds(dir, ['--seeds', '0,1']);
  t.equal(r.code, 0, r.stderr);
  const refs = expRefs(dir);
  const other = refs.find((ref) => ref.endsWith('/s9'))!;
  t.ok(other, 'the other run\'s experiment is there');
  const taken = other.split('/').slice(-2, -1)[0]!;
  t.match(r.stderr, `seed 0: ${taken}/s0`, 'it was recorded under the name this run had chosen');
  t.not(r.json.group, taken, 'a new name');
  t.same(r.json.seeds.map((s: any) => s.name), [`${r.json.group}/s0`, `${r.json.group}/s1`], 'both seeds under it');
  t.same(refs.sort(), [other, `refs/rx/exps/${head}/${r.json.group}/s0`, `refs/rx/exps/${head}/${r.json.group}/s1`].sort());
  t.equal(r.json.statsSeed, hash32(r.json.group));
});

t.test('--seed-jobs 2: the same experiments and summary as one at a time, stage output in a log per seed', async (t) => {
  const { dir, head } = project(t, ' && echo "scored seed $RX_SEED"');
  const r = runSeeds(dir, ['--seeds', '3,0,2,1', '--seed-jobs', '2', '-n', 'par', '-S', 'p.scale=3']);
  t.equal(r.code, 0, r.stderr);
  t.same(r.json.seeds.map((s: any) => s.seed), [3, 0, 2, 1], 'in the order of --seeds');
  t.same(expRefs(dir), [0, 1, 2, 3].map((s) => `refs/rx/exps/${head}/par/s${s}`));
  for (const s of r.json.seeds) {
    t.same(s.metrics, { 'metrics.json:acc': acc(3, s.seed), 'metrics.json:loss': loss(s.seed), 'metrics.json:ok': s.seed % 2 === 0 });
    t.equal(s.log, `.rx/tmp/runs/exp/par/s${s.seed}.log`);
    t.match(readFileSync(path.join(dir, s.log), 'utf8'), new RegExp(`scored seed ${s.seed}`), 'its stage output is in its log');
  }
  t.notMatch(r.stderr, /scored seed/, 'not on the terminal');
  const accs = [0, 1, 2, 3].map((s) => acc(3, s));
  t.same(r.json.summary['metrics.json:acc'], { seeds: [0, 1, 2, 3], values: accs, stats: stats('par', accs) });
  t.same(show(dir).groups[0].metrics['metrics.json:acc'].stats, stats('par', accs), 'exp show agrees');
  const bad = runSeeds(dir, ['--seed-jobs', '2']);
  t.equal(bad.code, 2, '--seed-jobs needs --seeds');
  t.equal(runSeeds(dir, ['--seeds', '0', '--seed-jobs', '0']).code, 2);
});
