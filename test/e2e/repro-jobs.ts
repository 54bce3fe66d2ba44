// Parallel and concurrent reproduction: --jobs 2 runs the two independent stages (stats and
// train, each sleeping a second between start and end timestamps) at the same time, --jobs 1
// one after the other; two rx repro processes started together never corrupt anything: the
// second waits with --wait or fails with exit 7, and the result validates and verifies.
import t from 'tap';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { rx } from '../../fixtures/project.js';
import { rxAsync } from '../../fixtures/e2e.js';
import { usePipeline, copyProject, outputAs, reproJson, runsLog, read, validLock, STAGES, type ReproJson } from '../../fixtures/pipeline.js';

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** [start, end] of a timed stage, in nanoseconds since the epoch. */
function interval(dir: string, stage: string): [bigint, bigint] {
  return [BigInt(read(dir, `times/${stage}.start`).trim()), BigInt(read(dir, `times/${stage}.end`).trim())];
}

const base = usePipeline(t, { timing: true });

for (const jobs of [1, 2]) {
  t.test(`--jobs ${jobs}: independent stages ${jobs === 2 ? 'overlap' : 'run one after the other'}`, async (t) => {
    const dir = copyProject(t, base);
    const r = reproJson(dir, ['--jobs', String(jobs)]);
    t.equal(r.code, 0, r.stderr);
    t.same(r.actions, Object.fromEntries(STAGES.map((s) => [s, 'ran'])));
    const [s0, s1] = interval(dir, 'stats');
    const [t0, t1] = interval(dir, 'train');
    t.ok(s1 - s0 >= 900_000_000n && t1 - t0 >= 900_000_000n, 'each stage took its second');
    const overlap = s0 < t1 && t0 < s1;
    t.equal(overlap, jobs === 2, `stats [${s0}, ${s1}] and train [${t0}, ${t1}] ${jobs === 2 ? 'overlap' : 'do not overlap'}`);
    const log = runsLog(dir);
    t.equal(log[0], 'prepare', 'upstream first');
    t.equal(log[3], 'evaluate', 'downstream last');
    validLock(dir);
    t.equal(rx(dir, ['verify']).code, 0);
  });
}

/** Starts `rx repro` and resolves once it holds the project lock. */
async function startHolder(dir: string): Promise<ReturnType<typeof rxAsync>> {
  const first = rxAsync(dir, ['repro', '--json']);
  const lockFile = path.join(dir, '.rx', 'tmp', 'lock');
  for (let i = 0; i < 400 && !existsSync(lockFile) && first.running(); i++) await sleepMs(10);
  if (!existsSync(lockFile)) throw new Error('the first rx repro never took the lock');
  return first;
}

t.test('two concurrent rx repro: the second waits with --wait 30', async (t) => {
  const dir = copyProject(t, base);
  const first = await startHolder(dir);
  const second = rxAsync(dir, ['--wait', '30', 'repro', '--json']);
  // A dry run reads and never takes the lock, so it is not blocked either.
  const dry = rx(dir, ['repro', '--dry', '--json']);
  t.equal(dry.code, 0, 'rx repro --dry runs while the lock is held');
  const [a, b] = await Promise.all([first.done, second.done]);
  t.equal(a.code, 0, a.stderr);
  t.equal(b.code, 0, b.stderr);
  t.same(
    outputAs<ReproJson>('repro', a).stages.map((s) => s.action),
    ['ran', 'ran', 'ran', 'ran'],
  );
  t.same(
    outputAs<ReproJson>('repro', b).stages.map((s) => s.action),
    ['up-to-date', 'up-to-date', 'up-to-date', 'up-to-date'],
    'the second found the work done',
  );
  t.equal(runsLog(dir).length, 4, 'each command ran once');
  validLock(dir);
  t.equal(rx(dir, ['verify']).code, 0);
});

t.test('two concurrent rx repro: without --wait the second fails with exit 7', async (t) => {
  const dir = copyProject(t, base);
  const first = await startHolder(dir);
  const second = rx(dir, ['repro', '--json']);
  t.equal(second.code, 7);
  t.equal(outputAs('error', second).error.code, 'RX_LOCKED');
  t.match(second.stderr, 'locked by');
  const a = await first.done;
  t.equal(a.code, 0, a.stderr);
  t.same(runsLog(dir).sort(), [...STAGES], 'each command ran once');
  validLock(dir);
  t.equal(rx(dir, ['verify']).code, 0);
  t.same(reproJson(dir).json.stages.map((s) => s.action), ['up-to-date', 'up-to-date', 'up-to-date', 'up-to-date']);
});
