#!/usr/bin/env node
// npm run demo: the digits template end to end in a temporary directory: train, change the
// augmentation policy and the architecture, compare, reproduce an old commit bitwise, change the
// data composition. Each step runs the real CLI (bin/rx.js) and the git CLI, and prints what it ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
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
const git = (...args) => run(['git', ...args].join(' '), 'git', args);
const say = (text) => process.stdout.write(`\n# ${text}\n`);

const edit = (rel, from, to) => {
  const file = path.join(dir, rel);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) {
    process.stderr.write(`demo: ${rel} no longer contains ${JSON.stringify(from)}\n`);
    process.exit(1);
  }
  writeFileSync(file, text.replace(from, to));
  process.stdout.write(`\n$ edit ${rel}: ${from.trim()}  ->  ${to.trim()}\n`);
};

console.log(`rx demo in ${dir}`);
say('A complete experiment from the digits template: a data spec with three sources (clean, label-noisy, synthetic),');
say('an augmentation spec, two model configs, params, and the pipeline prepare -> train -> evaluate');
rx('init', '--template', 'digits', '.');
rx('dag');
git('add', '-A');
git('commit', '-q', '-m', 'The digits template');

say('Run it: build the manifest, train the CNN with TF.js (seeded, deterministic), evaluate on the clean test split');
rx('repro');
rx('metrics', 'show');
rx('data', 'show', 'work/data/manifest.json');
rx('model', 'summary', 'models/cnn.yaml', '--data', 'work/data/manifest.json');
rx('augment', 'preview', 'augment/default.yaml', '--data', 'work/data/manifest.json', '--out', 'preview.png');
git('add', '-A');
git('commit', '-q', '-m', 'Baseline: CNN width 1, default augmentation');

say('Nothing changed: nothing runs');
rx('repro');

say('An experiment on two axes: stronger rotation in the augmentation policy, a wider CNN');
edit('augment/default.yaml', 'p: 0.5', 'p: 0.8');
edit('models/cnn.yaml', 'width: 1', 'width: 1.5');
rx('status');
rx('repro');
git('add', '-A');
git('commit', '-q', '-m', 'Rotate more often, CNN width 1.5');

say('What the reviewer reads: the change by meaning, with the metric deltas');
rx('diff', 'HEAD~1', 'HEAD');

say('Re-execute the baseline commit from scratch in a temporary tree: did it reproduce bitwise?');
rx('repro', '--rev', 'HEAD~1');

say('Data composition: take all 497 label-noisy rows instead of 400, and compare with the committed run');
edit('data/digits.yaml', 'budget: {count: 400}', 'budget: {count: 497}');
rx('repro');
rx('diff');
rx('data', 'audit', 'work/data/manifest.json');
git('checkout', '-q', '--', 'data/digits.yaml');
say('Back to the committed spec: the run cache restores the committed results without training');
rx('repro');

say('What CI checks, read-only: lock, pipeline, files and store agree');
rx('verify');
rx('log');
git('fsck', '--strict');
console.log(`\ndemo finished; the project is left in ${dir} (preview.png shows the augmentation policy)`);
