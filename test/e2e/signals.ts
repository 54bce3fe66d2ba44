// Signals on a real multi-process stage: a shell that starts a child writing into the
// stage's output for about a second (half of the trials with a child that ignores SIGTERM
// and SIGINT, so the grace period and SIGKILL are exercised). SIGINT, SIGTERM and SIGKILL of
// rx at 10 seeded moments each. After SIGINT/SIGTERM: rx exits 128 + the signal, no process
// of the stage is left, the previous outputs and rx.lock are as they were, the project lock
// is released. After SIGKILL: the next rx repro ends the orphaned group from the journal,
// puts the previous outputs back and completes. In every case the next rx repro completes.
import t from 'tap';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree } from '../../fixtures/project.js';
import { useProject, rxAsync, seededRandom, snapshotTree } from '../../fixtures/e2e.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STAGE_SH = `# the stage: a child that writes for about a second, waited for by the shell
mkdir -p out
echo "$(cat input.txt)" > out/version
sh writer.sh &
wait
echo done >> out/version
`;
const WRITER_SH = `[ -n "$STUBBORN" ] && trap '' TERM INT
i=0
while [ $i -lt 10 ]; do echo "line $i" >> out/log; i=$((i+1)); sleep 0.1; done
`;

/** Pids of processes (other than this test) whose environment carries the token. */
function processesWith(token: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      const state = readFileSync(`/proc/${name}/stat`, 'latin1').split(') ')[1]?.[0];
      if (state !== 'Z' && env.split('\0').includes(`SIGNAL_TEST_TOKEN=${token}`)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function project(t: Tap, stubborn: boolean): string {
  const dir = useProject(t);
  writeTree(dir, {
    'stage.sh': STAGE_SH,
    'writer.sh': WRITER_SH,
    'input.txt': 'v1\n',
    'rx.yaml': 'schema: 1\nstages:\n  write:\n    cmd: sh stage.sh\n    deps: [stage.sh, writer.sh, input.txt]\n    outs: [out]\n',
  });
  const r = rx(dir, ['repro'], { STUBBORN: stubborn ? '1' : '' });
  if (r.code !== 0) throw new Error(r.stderr);
  // The next run has work to do: a changed input.
  writeFileSync(path.join(dir, 'input.txt'), 'v2\n');
  return dir;
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

for (const signal of SIGNALS) {
  t.test(`${signal} of rx while a multi-process stage runs, at 10 seeded moments`, async (t) => {
    const random = seededRandom(SIGNALS.indexOf(signal) + 11);
    for (let trial = 0; trial < 10; trial++) {
      const stubborn = trial % 2 === 1;
      const dir = project(t, stubborn);
      const token = `${signal}-${trial}-${process.pid}`;
      const env = { SIGNAL_TEST_TOKEN: token, STUBBORN: stubborn ? '1' : '', RX_STOP_GRACE: '0.3' };
      const before = snapshotTree(path.join(dir, 'out'));
      const lockBefore = readFileSync(path.join(dir, 'rx.lock'), 'utf8');
      const child = rxAsync(dir, ['repro'], env);
      // From just after start-up (no stage yet) to the middle of the stage's writing.
      const moment = Math.floor(200 + random() * 1100);
      await sleep(moment);
      const what = `${signal} at ${moment} ms (${stubborn ? 'a child ignoring SIGTERM' : 'an ordinary child'})`;
      child.kill(signal);
      const ended = await child.done;
      const read = (rel: string) => (existsSync(path.join(dir, rel)) ? readFileSync(path.join(dir, rel), 'utf8') : '(missing)');
      if (signal === 'SIGKILL') {
        t.equal(ended.signal, 'SIGKILL', what);
      } else if (ended.signal === signal) {
        // Before rx installed its handlers (a slow start-up): ended by the default action, before it did anything.
        t.same(snapshotTree(path.join(dir, 'out')), before, `${what}: ended during start-up, nothing touched`);
        t.same(existsSync(path.join(dir, '.rx/tmp/staging')) ? readdirSync(path.join(dir, '.rx/tmp/staging')) : [], [], `${what}: no stage had started`);
      } else {
        // A run that had finished before the signal came exits 0; otherwise 128 + the signal.
        if (ended.code === 0) {
          t.equal(read('out/version'), 'v2\ndone\n', `${what}: finished before the signal\n${ended.stderr}`);
        } else {
          t.equal(ended.code, EXIT[signal], `${what}: exit ${EXIT[signal]}\n${ended.stderr}`);
          t.notOk(/internal error|please report|\n\s+at /.test(ended.stderr), `${what}: no internal error\n${ended.stderr}`);
          t.same(processesWith(token), [], `${what}: no process of the stage is left`);
          t.same(snapshotTree(path.join(dir, 'out')), before, `${what}: the previous outputs are back`);
          t.equal(readFileSync(path.join(dir, 'rx.lock'), 'utf8'), lockBefore, `${what}: rx.lock unchanged`);
          t.notOk(existsSync(path.join(dir, '.rx/tmp/lock')), `${what}: the project lock is released`);
        }
      }
      const next = rx(dir, ['repro'], { ...env, STUBBORN: '' });
      t.equal(next.code, 0, `${what}: the next rx repro completes\n${next.stderr}`);
      t.notOk(/internal error|ENOTEMPTY/.test(next.stderr), `${what}: no internal error on recovery`);
      t.equal(read('out/version'), 'v2\ndone\n', `${what}: the new outputs`);
      t.equal(readFileSync(path.join(dir, 'out/log'), 'utf8').split('\n').filter(Boolean).length, 10, `${what}: written by one run only`);
      t.same(processesWith(token), [], `${what}: nothing of the stage runs afterwards`);
      const st = rx(dir, ['status', '--json']);
      t.equal(st.code, 0, st.stderr);
    }
  });
}
