// No-op `rx status` benchmark: 100,000 tracked small files (100 directories x 1,000) that
// nothing has touched since `rx add`, against `git status` on the same tree committed in a
// plain git repository, and against the floor: a bare Node process that walks the tree
// and lstat()s every file. Each is run once to warm, then timed best of 3.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORK_DIR, bestOf, discard, measure, measureRow, run, rxArgv, settleAndWarm, shq, step, withRatios, writeRandomTree, type Row } from './lib.js';

export const STATUS_SPEC = { dirs: 100, filesPerDir: 1000, fileSize: 1024, seed: 3 };
const RUNS = 3;

/**
 * The floor: what any tool that stats every tracked file pays, node start-up included.
 * Plain JavaScript run by bare `node` (no tsx), given as a string so nothing is compiled.
 */
const LSTAT_FLOOR_SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
let n = 0;
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else { fs.lstatSync(p); n++; }
  }
};
walk(process.argv[1]);
console.log(n + ' files');
`;

export async function benchStatus(): Promise<Row[]> {
  const S = 'status 100k no-op';
  const base = path.join(WORK_DIR, 'status');
  const rxDir = path.join(base, 'rx');
  const data = path.join(rxDir, 'data');
  // The git repository's work tree is rx's data/ itself: all three tools stat the very same
  // files (the same inodes), and no second 100k-file tree has to be written and removed.
  const git = ['git', `--git-dir=${path.join(base, 'git.git')}`, `--work-tree=${data}`];
  const rows: Row[] = [];
  try {
    fs.mkdirSync(rxDir, { recursive: true });
    const t0 = Date.now();
    const n = writeRandomTree(data, STATUS_SPEC);
    step(S, `wrote ${n} files of ${STATUS_SPEC.fileSize} B in ${STATUS_SPEC.dirs} directories in ${((Date.now() - t0) / 1000).toFixed(1)} s; rx tracks data/ in its project, and a plain git repository (git dir beside it) has the same data/ as its work tree, committed`);

    // rx project: git init + rx init + rx add (timed for information).
    await run(['git', 'init', '-q'], { cwd: rxDir, log: 'status-setup-rx' });
    await run(rxArgv('init'), { cwd: rxDir, log: 'status-setup-rx' });
    await settleAndWarm(data, 'status');
    const rxAdd = await measureRow({ scenario: S, tool: 'rx add (setup, 100k files)', role: 'info', target: { kind: 'memory', maxMB: 150, label: 'peak < 150 MB' } }, () =>
      measure(rxArgv('add', 'data'), { cwd: rxDir, log: 'status-rx-add' }),
    );
    if (!rxAdd.m) return [{ scenario: S, tool: `rx status (best of ${RUNS})`, role: 'rx', note: 'not run: rx add failed' }, rxAdd];

    const gitSetup = await measureRow({ scenario: S, tool: 'git add + commit (setup)', role: 'info' }, async () => {
      await run([...git, 'init', '-q'], { cwd: base, log: 'status-setup-git' });
      const g = git.map(shq).join(' ');
      return measure(['bash', '-c', `${g} add . && ${g} commit -q -m data`], { cwd: data, log: 'status-git-add' });
    });

    step(S, `each status command: one warm-up run (rx status --exit-code checks it is clean), then best of ${RUNS}`);
    const rxStatus = await measureRow({ scenario: S, tool: `rx status (best of ${RUNS})`, role: 'rx' }, async () => {
      await run(rxArgv('status', '--exit-code'), { cwd: rxDir, log: 'status-rx-warm' });
      return bestOf(RUNS, rxArgv('status'), { cwd: rxDir, log: 'status-rx' });
    });
    const gitStatus = await measureRow(
      { scenario: S, tool: `git status (best of ${RUNS})`, role: 'ref', available: gitSetup.m !== undefined, unavailable: 'git set-up failed', target: { kind: 'ratio', minRatio: 1 / 3, label: 'ratio >= 0.33 (rx <= 3x)' } },
      async () => {
        await run([...git, 'status'], { cwd: data, log: 'status-git-warm' });
        return bestOf(RUNS, [...git, 'status'], { cwd: data, log: 'status-git' });
      },
    );
    const floorArgv = [process.execPath, '-e', LSTAT_FLOOR_SCRIPT, data];
    const floor = await measureRow(
      { scenario: S, tool: `node readdir+lstat floor (best of ${RUNS})`, role: 'ref', target: { kind: 'ratio', minRatio: 1 / 1.3, label: 'ratio >= 0.77 (rx <= 1.3x)' } },
      async () => {
        await run(floorArgv, { cwd: rxDir, log: 'status-floor-warm' });
        return bestOf(RUNS, floorArgv, { cwd: rxDir, log: 'status-floor' });
      },
    );
    rows.push(rxStatus, gitStatus, floor, rxAdd, gitSetup);
    return withRatios(rows);
  } finally {
    discard(base);
  }
}

export const STATUS_METHOD = [
  `status 100k no-op: ${STATUS_SPEC.dirs} dirs x ${STATUS_SPEC.filesPerDir} files of ${STATUS_SPEC.fileSize} B. rx status in the project after rx add data;`,
  '  git status in a plain repo (git dir beside, work tree = the same data/) after git add . && git commit; the floor is',
  '  `node -e <readdir + fs.lstatSync walk> data`, a whole process, on the same files.',
  '  Each: one warm-up run, then best of 3 (all three times are in the step lines above).',
];
