// History benchmark: `rx repro --rev HEAD~1` (re-executes every stage of that commit in a
// temporary directory and compares with its rx.lock) on a 20-stage pipeline (4 chains of 5,
// every output cached) with four commits, against doing it by hand: `git worktree add` of
// HEAD~1, the store shared through `cache:` in the worktree's .rx/config.yaml, `rx checkout`
// and `rx repro --force`, run as one shell script. No target: the ratio is information.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORK_DIR, bestOf, discard, measure, measureRow, run, rxArgv, shq, step, withRatios, type Measurement, type Row } from './lib.js';
import { CHAIN_LENGTH, writeChainPipeline } from './repro.js';

const STAGES = 20;
/** Commits after the first: each changes one chain's source, so HEAD~1 differs from HEAD. */
const EDITS = 3;
const RUNS = 3;

async function commitAll(dir: string, message: string): Promise<void> {
  await run(['git', 'add', '-A'], { cwd: dir, log: 'history-setup-git' });
  await run(['git', 'commit', '-q', '-m', message], { cwd: dir, log: 'history-setup-git' });
}

export async function benchHistory(): Promise<Row[]> {
  const S = `repro --rev (${STAGES} stages)`;
  const base = path.join(WORK_DIR, 'history');
  const dir = path.join(base, 'project');
  try {
    fs.mkdirSync(dir, { recursive: true });
    await run(['git', 'init', '-q'], { cwd: dir, log: 'history-setup' });
    await run(rxArgv('init'), { cwd: dir, log: 'history-setup' });
    writeChainPipeline(dir, { stages: STAGES, chain: CHAIN_LENGTH });
    await run(rxArgv('repro'), { cwd: dir, log: 'history-setup-repro' });
    await commitAll(dir, 'pipeline');
    for (let k = 1; k <= EDITS; k++) {
      fs.appendFileSync(path.join(dir, 'src', `c${(k - 1) % (STAGES / CHAIN_LENGTH)}.txt`), `edit ${k}\n`);
      await run(rxArgv('repro'), { cwd: dir, log: 'history-setup-repro' });
      await commitAll(dir, `edit ${k}`);
    }
    step(S, `${STAGES} stages in chains of ${CHAIN_LENGTH}, outputs cached; ${EDITS + 1} commits (each later one edits one chain's source and re-runs it); best of ${RUNS} each`);

    const rx = await measureRow({ scenario: S, tool: `rx repro --rev HEAD~1 (best of ${RUNS})`, role: 'rx' }, () =>
      bestOf(RUNS, rxArgv('repro', '--rev', 'HEAD~1'), { cwd: dir, log: 'history-rx' }),
    );

    const rxCmd = rxArgv().map(shq).join(' ');
    const cache = path.join(dir, '.rx', 'cache');
    const worktree = await measureRow({ scenario: S, tool: `git worktree + rx checkout + rx repro --force (best of ${RUNS})`, role: 'ref' }, async () => {
      let best: Measurement | undefined;
      const all: number[] = [];
      for (let i = 1; i <= RUNS; i++) {
        const wt = path.join(base, `wt-${i}`);
        const script = [
          `git worktree add -q --detach ${shq(wt)} HEAD~1`,
          `cd ${shq(wt)}`,
          `printf 'cache: %s\\n' ${shq(cache)} >> .rx/config.yaml`,
          `${rxCmd} checkout`,
          `${rxCmd} repro --force`,
        ].join(' && ');
        try {
          const m = await measure(['bash', '-c', script], { cwd: dir, log: `history-worktree-${i}` });
          all.push(m.seconds);
          if (!best || m.seconds < best.seconds) best = m;
        } finally {
          if (fs.existsSync(wt)) await run(['git', 'worktree', 'remove', '--force', wt], { cwd: dir, log: 'history-worktree-remove' });
        }
      }
      return { ...best!, runs: all };
    });
    const rows = withRatios([rx, worktree]);
    if (worktree.ratio !== undefined) step(S, `worktree time / rx time = ${worktree.ratio.toFixed(2)} (no target; > 1 means rx is faster)`);
    return rows;
  } finally {
    discard(base);
  }
}

export const HISTORY_METHOD = [
  `repro --rev (${STAGES} stages): ${STAGES} stages in chains of ${CHAIN_LENGTH} (as in repro), ${EDITS + 1} commits; rx repro --rev HEAD~1 in the project, best of ${RUNS},`,
  `  against one bash script: git worktree add --detach <wt> HEAD~1 && cd <wt> && append cache: <project>/.rx/cache to .rx/config.yaml`,
  `  && rx checkout && rx repro --force, best of ${RUNS} (git worktree remove --force after each, not timed). No target: ratio > 1 means rx is faster.`,
];
