#!/usr/bin/env node
// npm run demo: an end-to-end experiment on the built-in digits data, in a temporary
// directory. Each step runs the real CLI (bin/rx.js) and the git CLI, and prints what it ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, copyFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rxBin = path.join(repo, 'bin', 'rx.js');
const dir = mkdtempSync(path.join(tmpdir(), 'rx-demo-'));
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'rx demo', GIT_AUTHOR_EMAIL: 'demo@rx.invalid',
  GIT_COMMITTER_NAME: 'rx demo', GIT_COMMITTER_EMAIL: 'demo@rx.invalid',
};

function run(shown, cmd, args, { allowFail = false } = {}) {
  process.stdout.write(`\n$ ${shown}\n`);
  const r = spawnSync(cmd, args, { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 && !allowFail) {
    process.stderr.write(`demo step failed with exit code ${r.status}\n`);
    process.exit(1);
  }
  return r.status;
}
const rx = (...args) => run(['rx', ...args].join(' '), process.execPath, [rxBin, ...args]);
const rxMay = (...args) => run(['rx', ...args].join(' '), process.execPath, [rxBin, ...args], { allowFail: true });
const git = (...args) => run(['git', ...args].join(' '), 'git', args);
const say = (text) => process.stdout.write(`\n# ${text}\n`);

// The digits data set, one CSV per class; optionally with label noise (every k-th row of
// the source moved to the next class), a data-composition change rx tracks like any other.
function writeDigits(labelNoiseEvery) {
  const target = path.join(dir, 'data', 'digits');
  rmSync(target, { recursive: true, force: true });
  const rows = gunzipSync(readFileSync(path.join(repo, 'templates', 'digits', 'data', 'digits.csv.gz'))).toString('utf8').trim().split('\n');
  const byClass = new Map();
  rows.forEach((row, i) => {
    const cells = row.split(',');
    let label = Number(cells[64]);
    if (labelNoiseEvery > 0 && i % labelNoiseEvery === 0) label = (label + 1) % 10;
    byClass.set(label, [...(byClass.get(label) ?? []), cells.slice(0, 64).join(',')]);
  });
  mkdirSync(target, { recursive: true });
  for (const [label, list] of byClass) writeFileSync(path.join(target, `class-${label}.csv`), list.join('\n') + '\n');
}

console.log(`rx demo in ${dir}`);
say('A new project: the data goes to the store, git gets a pointer file');
rx('init');
writeDigits(0);
rx('add', 'data/digits', '--desc', 'UCI digits, one CSV per class (CC BY 4.0)');
for (const f of readdirSync(path.join(repo, 'scripts', 'demo-project'))) copyFileSync(path.join(repo, 'scripts', 'demo-project', f), path.join(dir, f));
rx('dag');

say('Run the pipeline: prepare -> train -> evaluate, every input and output recorded in rx.lock');
rx('repro');
rx('metrics', 'show');
git('add', '-A');
git('commit', '-q', '-m', 'Nearest-centroid baseline on clean digits');

say('Nothing changed: nothing runs');
rx('repro');

say('An experiment: shrink the centroids and add 10% label noise to the data');
writeFileSync(path.join(dir, 'params.yaml'), readFileSync(path.join(dir, 'params.yaml'), 'utf8').replace('shrink: 0.0', 'shrink: 0.2'));
writeDigits(10);
rx('status');
rx('repro', '--dry');
rx('add', 'data/digits');
rx('repro');
rx('params', 'diff');
rx('metrics', 'diff', '--md');
git('add', '-A');
git('commit', '-q', '-m', 'Shrunk centroids, noisy labels');

say('Try shrink 0.0 on the noisy data, then return to the committed params: the run cache restores that result without running');
writeFileSync(path.join(dir, 'params.yaml'), readFileSync(path.join(dir, 'params.yaml'), 'utf8').replace('shrink: 0.2', 'shrink: 0.0'));
rx('repro');
git('checkout', '-q', '--', 'params.yaml');
rx('repro');

say('Reproduce the baseline commit from scratch, in a temporary tree: did it reproduce bitwise?');
rx('repro', '--rev', 'HEAD~1');
rx('diff', 'HEAD~1', 'HEAD');

say('Experiments: runs recorded as commits under refs/rx/exps, HEAD and the working tree untouched');
rx('exp', 'run', '-n', 'shrink-0.1', '-S', 'train.shrink=0.1');
rx('exp', 'run', '-n', 'shrink-0.4', '-S', 'train.shrink=0.4');
rx('exp', 'show', '--sort-by', 'accuracy', '--desc');

say('What CI checks, read-only: lock, pipeline, files and store agree');
rx('verify');
rx('status');
rx('metrics', 'diff', 'HEAD~1', 'HEAD');

say('Lose the workspace copy of the data, then restore it from the store');
rmSync(path.join(dir, 'data', 'digits'), { recursive: true, force: true });
rxMay('status', '--exit-code');
rx('checkout');
rx('gc', '--all-commits', '--dry');
rx('fsck');
git('fsck', '--strict');
git('log', '--oneline');
console.log(`\ndemo finished; the project is left in ${dir}`);
