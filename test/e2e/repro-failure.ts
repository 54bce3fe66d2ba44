// A failing stage (exit 5 from rx): its outputs and its rx.lock entry stay byte-identical
// to what they were, stages downstream of it do not run, stages that succeeded before it
// are recorded, nothing is left in staging, and the next run completes. Failures are
// injected by RX_TEST_FAIL (the fixture scripts scribble on their output, then exit 3).
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree } from '../../fixtures/project.js';
import { usePipeline, copyProject, paramsYaml, reproJson, runsLog, clearRuns, read, readBytes, validLock, STAGES, type ParamValues } from '../../fixtures/pipeline.js';

const ORDER = ['prepare', 'stats', 'train', 'evaluate'];
const OUTPUTS: Record<string, string> = { prepare: 'work/prepared.txt', stats: 'work/stats.txt', train: 'model/model.txt', evaluate: 'metrics.json' };

/** The text of one stage's entry in rx.lock (its lines under `stages:`). */
function lockEntryText(lock: string, name: string): string {
  const lines = lock.split('\n');
  const start = lines.indexOf(`  ${name}:`);
  if (start < 0) return '';
  let end = start + 1;
  while (end < lines.length && (lines[end]!.startsWith('    ') || lines[end] === '')) end++;
  return lines.slice(start, end).join('\n');
}

const base = usePipeline(t, { run: true });

const cases: { name: string; change: Partial<ParamValues>; fail: string; ran: string[]; notRun: string[]; keepGoing?: boolean }[] = [
  { name: 'train fails after prepare and stats ran', change: { scale: 3 }, fail: 'train', ran: ['prepare', 'stats'], notRun: ['evaluate'] },
  { name: 'evaluate (metrics kept in git) fails', change: { lr: 0.2 }, fail: 'evaluate', ran: ['train'], notRun: [] },
  { name: 'the first stage fails', change: { scale: 3 }, fail: 'prepare', ran: [], notRun: ['stats', 'train', 'evaluate'] },
  { name: 'with --keep-going an independent stage still runs', change: { scale: 3 }, fail: 'stats', ran: ['prepare', 'train'], notRun: ['evaluate'], keepGoing: true },
];

for (const c of cases) {
  t.test(`a failing stage keeps its outputs and lock entry: ${c.name}`, async (t) => {
    const dir = copyProject(t, base);
    const lockBefore = read(dir, 'rx.lock');
    const outputsBefore = Object.fromEntries(STAGES.map((s) => [s, readBytes(dir, OUTPUTS[s]!)]));
    writeTree(dir, { 'params.yaml': paramsYaml(c.change) });

    const r = reproJson(dir, c.keepGoing ? ['--keep-going', '--jobs', '1'] : [], { RX_TEST_FAIL: c.fail });
    t.equal(r.code, 5, 'exit 5: a stage command failed');
    t.same(r.json.failed, [c.fail]);
    const failed = r.json.stages.find((s) => s.name === c.fail)!;
    t.equal(failed.action, 'failed');
    t.equal(failed.exitCode, 3, "the command's exit code");
    t.match(failed.message ?? '', `stage ${c.fail}`);
    t.match(r.stderr, `${c.fail} fails on purpose`, "the command's stderr is shown");
    t.match(r.stderr, /1 stage\(s\) failed/);
    for (const s of c.ran) t.equal(r.actions[s], 'ran', `${s} ran`);
    for (const s of c.notRun) t.equal(r.actions[s], 'not-run', `${s} did not run`);
    t.same(runsLog(dir), ORDER.filter((s) => [...c.ran, c.fail].includes(s)), 'the commands that ran');

    const lockAfter = read(dir, 'rx.lock');
    validLock(dir);
    for (const s of [c.fail, ...c.notRun]) {
      t.equal(lockEntryText(lockAfter, s), lockEntryText(lockBefore, s), `rx.lock entry of ${s} byte-identical`);
      t.same(readBytes(dir, OUTPUTS[s]!), outputsBefore[s], `output of ${s} byte-identical`);
    }
    for (const s of c.ran) t.not(lockEntryText(lockAfter, s), lockEntryText(lockBefore, s), `rx.lock entry of ${s} updated`);
    const staging = path.join(dir, '.rx', 'tmp', 'staging');
    t.same(existsSync(staging) ? readdirSync(staging) : [], [], 'nothing left in staging');
    t.equal(rx(dir, ['verify']).code, 1, 'verify reports the stale stages');

    clearRuns(dir);
    const again = reproJson(dir);
    t.equal(again.code, 0, again.stderr);
    t.equal(again.actions[c.fail], 'ran', 'the next run completes');
    t.equal(rx(dir, ['verify']).code, 0);
  });
}

t.test('a command that succeeds without writing its output fails the stage', async (t) => {
  const dir = copyProject(t, base);
  const lock = readBytes(dir, 'rx.lock');
  const model = readBytes(dir, 'model/model.txt');
  writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.3 }), 'scripts/train.sh': 'echo train >> runs.log\n' });
  const r = reproJson(dir);
  t.equal(r.code, 5);
  t.equal(r.actions.train, 'failed');
  t.match(r.json.stages.find((s) => s.name === 'train')!.message ?? '', 'did not produce model/model.txt');
  t.same(readBytes(dir, 'model/model.txt'), model, 'the previous output is put back');
  t.same(readBytes(dir, 'rx.lock'), lock);
});
