#!/usr/bin/env node
// npm run demo: an end-to-end tour on the built-in digits data, in a temporary directory.
// Each step runs the real CLI (bin/rx.js) and the git CLI, and prints what it ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync } from 'node:fs';
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

function run(cmd, args, { allowFail = false } = {}) {
  const shown = cmd === process.execPath ? ['rx', ...args.slice(1)] : [cmd, ...args];
  process.stdout.write(`\n$ ${shown.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 && !allowFail) {
    process.stderr.write(`demo step failed with exit code ${r.status}\n`);
    process.exit(1);
  }
  return r.status;
}
const rx = (...args) => run(process.execPath, [rxBin, ...args]);
const git = (...args) => run('git', args);

// The digits data set, one CSV per class: a directory rx tracks as a whole.
function writeDigits(target, labelNoise) {
  const rows = gunzipSync(readFileSync(path.join(repo, 'templates', 'digits', 'data', 'digits.csv.gz'))).toString('utf8').trim().split('\n');
  const byClass = new Map();
  rows.forEach((row, i) => {
    const cells = row.split(',');
    let label = Number(cells[64]);
    // Deterministic label noise: every k-th row of the source gets the next class.
    if (labelNoise > 0 && i % labelNoise === 0) label = (label + 1) % 10;
    const list = byClass.get(label) ?? [];
    list.push(cells.slice(0, 64).join(','));
    byClass.set(label, list);
  });
  mkdirSync(target, { recursive: true });
  for (const [label, list] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const file = path.join(target, `class-${label}.csv`);
    try { chmodSync(file, 0o644); } catch {}
    writeFileSync(file, list.join('\n') + '\n');
  }
}

console.log(`rx demo in ${dir}`);
rx('init');
writeDigits(path.join(dir, 'data', 'digits'), 0);
rx('add', 'data/digits', '--desc', 'UCI digits, one CSV per class (CC BY 4.0)');
git('add', '-A');
git('commit', '-q', '-m', 'Track the digits data with rx');
rx('status');

console.log('\n# Introduce label noise (every 10th sample shifted to the next class) and look at it');
rmSync(path.join(dir, 'data', 'digits'), { recursive: true, force: true });
writeDigits(path.join(dir, 'data', 'digits'), 10);
run(process.execPath, [rxBin, 'status', '--exit-code'], { allowFail: true });
rx('add', 'data/digits');
git('commit', '-q', '-am', 'Digits with 10% label noise');
git('log', '--oneline');

console.log('\n# Go back to the clean data: git restores the pointer, rx the bytes');
git('checkout', '-q', 'HEAD~1', '--', 'data/digits.rx');
rx('checkout');
rx('status');
git('checkout', '-q', 'HEAD', '--', 'data/digits.rx');
rx('checkout');

console.log('\n# Lose the workspace copy entirely, then restore it from the store');
rmSync(path.join(dir, 'data', 'digits'), { recursive: true, force: true });
run(process.execPath, [rxBin, 'status', '--exit-code'], { allowFail: true });
rx('checkout');
rx('gc', '--all-commits', '--dry');
rx('fsck');
git('fsck', '--strict');
console.log(`\ndemo finished; the project is left in ${dir}`);
