// rx verify: exit 0 on a clean project; each kind of tampering reported with its own code
// and exit 1 (with and without --no-store); never runs a stage and writes nothing at all
// (a listing of the whole project, .git and .rx included, with mtimes, is unchanged);
// --json output validates against a schema (inline in fixtures/pipeline.ts: src/schema has
// none for verify yet).
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { rx, writeTree } from '../../fixtures/project.js';
import { objectPath } from '../../fixtures/e2e.js';
import { usePipeline, copyProject, outputAs, paramsYaml, pipelineYaml, runsLog, read, readLockYaml, listingWithMtimes } from '../../fixtures/pipeline.js';

interface VerifyJson {
  ok: boolean;
  stages: number;
  pointers: number;
  findings: { code: string; file: string; stage?: string; path?: string; message: string }[];
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const base = usePipeline(t, { run: true });

/** Rewrites rx.lock through a function of its parsed content. */
function editLock(dir: string, edit: (lock: any) => void): void {
  const lock = readLockYaml(dir);
  edit(lock);
  writeFileSync(path.join(dir, 'rx.lock'), stringify(lock, { lineWidth: 0 }));
}

/** Runs verify (text, --json and --no-store --json) and checks it changed nothing on disk. */
function verifyAll(t: Tap, dir: string): { text: ReturnType<typeof rx>; json: VerifyJson; code: number; noStore: VerifyJson; noStoreCode: number } {
  const before = listingWithMtimes(dir);
  const text = rx(dir, ['verify']);
  const full = rx(dir, ['verify', '--json']);
  const noStore = rx(dir, ['verify', '--no-store', '--json']);
  t.same(listingWithMtimes(dir), before, 'verify wrote, created, removed and touched nothing (whole tree with mtimes)');
  t.same(runsLog(dir), [], 'no stage ran');
  t.equal(text.code, full.code, 'same exit code with and without --json');
  return { text, json: outputAs<VerifyJson>('verify', full), code: full.code, noStore: outputAs<VerifyJson>('verify', noStore), noStoreCode: noStore.code };
}
const found = (v: VerifyJson) => v.findings.map((f) => `${f.code} ${f.stage ?? '-'}`).sort();

t.test('a clean project verifies (exit 0), read-only', async (t) => {
  const dir = copyProject(t, base);
  const v = verifyAll(t, dir);
  t.equal(v.code, 0);
  t.same(v.json, { ok: true, stages: 4, pointers: 0, findings: [] });
  t.equal(v.noStoreCode, 0);
  t.match(v.text.stdout, 'verified: 4 stage(s)');
});

const tampers: { name: string; tamper: (dir: string) => void; expect: string[]; noStore?: string[] }[] = [
  {
    name: 'an edited dependency',
    tamper: (dir) => writeTree(dir, { 'data/raw.txt': '3\n1\n4\n1\n5\n9\n2\n7\n' }),
    expect: ['RX_VERIFY_DEP_CHANGED prepare'],
  },
  {
    name: 'an edited script (a dependency of one stage)',
    tamper: (dir) => writeTree(dir, { 'scripts/train.sh': read(dir, 'scripts/train.sh') + '# edited\n' }),
    expect: ['RX_VERIFY_DEP_CHANGED train'],
  },
  {
    name: "an upstream output's lock hash edited to an unknown hash",
    tamper: (dir) => editLock(dir, (l) => (l.stages.prepare.outs[0].hash = 'sha256:' + 'ab'.repeat(32))),
    expect: ['RX_VERIFY_OBJECT_MISSING prepare', 'RX_VERIFY_STALE stats', 'RX_VERIFY_STALE train'],
    noStore: ['RX_VERIFY_STALE stats', 'RX_VERIFY_STALE train'],
  },
  {
    name: "an upstream output's lock hash edited to another stored object",
    tamper: (dir) => editLock(dir, (l) => (l.stages.train.outs[0].hash = l.stages.stats.outs[0].hash)),
    expect: ['RX_VERIFY_STALE evaluate'],
  },
  {
    name: 'a store object removed',
    tamper: (dir) => rmSync(objectPath(dir, readLockYaml(dir).stages.train.outs[0].hash)),
    expect: ['RX_VERIFY_OBJECT_MISSING train'],
    noStore: [],
  },
  {
    name: 'a stale stage after a param change',
    tamper: (dir) => writeTree(dir, { 'params.yaml': paramsYaml({ lr: 0.2 }) }),
    expect: ['RX_VERIFY_PARAM_CHANGED train'],
  },
  {
    name: 'a changed command',
    tamper: (dir) => writeTree(dir, { 'rx.yaml': pipelineYaml().replace('cmd: sh scripts/stats.sh', 'cmd: sh scripts/stats.sh --verbose') }),
    expect: ['RX_VERIFY_CMD_CHANGED stats'],
  },
  {
    name: 'a stage missing from the lock',
    tamper: (dir) => editLock(dir, (l) => delete l.stages.stats),
    expect: ['RX_VERIFY_STAGE_NOT_LOCKED stats'],
  },
  {
    name: 'a stage in the lock but not in rx.yaml',
    tamper: (dir) => editLock(dir, (l) => (l.stages.ghost = { cmd: 'true' })),
    expect: ['RX_VERIFY_STAGE_EXTRA ghost'],
  },
  {
    name: 'a hand-edited metrics file',
    tamper: (dir) => writeTree(dir, { 'metrics.json': read(dir, 'metrics.json').replace('"score": 2.3250', '"score": 9.9000') }),
    expect: ['RX_VERIFY_OUT_CHANGED evaluate'],
  },
];

for (const c of tampers) {
  t.test(`verify reports ${c.name}`, async (t) => {
    const dir = copyProject(t, base);
    c.tamper(dir);
    const v = verifyAll(t, dir);
    t.equal(v.code, 1, 'exit 1');
    t.equal(v.json.ok, false);
    t.same(found(v.json), c.expect, 'findings (code and stage)');
    const noStore = c.noStore ?? c.expect;
    t.same(found(v.noStore), noStore, 'findings with --no-store');
    t.equal(v.noStoreCode, noStore.length > 0 ? 1 : 0, 'exit code with --no-store');
    for (const f of v.json.findings) t.match(v.text.stdout, f.code, `${f.code} in the text output`);
    for (const f of v.json.findings) t.ok(f.message.length > 0);
  });
}
