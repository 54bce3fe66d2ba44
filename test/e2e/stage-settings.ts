// A stage's wdir and env are part of what the stage is: rx.lock records both, and changing
// either (nothing else) makes rx status report the stage changed, naming the setting, and
// rx repro run it again; an unchanged stage stays up to date.
import t from 'tap';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rx, writeTree, commitAll } from '../../fixtures/project.js';
import { useProject } from '../../fixtures/e2e.js';
import { outputAs, reproJson, validLock } from '../../fixtures/pipeline.js';

interface StatusJson {
  clean: boolean;
  stages: { name: string; state: string; reasons: string[]; changes: { command: boolean; settings: string[]; deps: string[]; params: string[]; outs: string[] } }[];
}

/** One stage writing its greeting and the name of the directory it ran in; a second stage that never changes. */
function rxYaml(wdir: string, env: Record<string, string>): string {
  const envLines = Object.keys(env).length === 0 ? '' : '    env:\n' + Object.entries(env).map(([k, v]) => `      ${k}: ${v}\n`).join('');
  return (
    'schema: 1\n' +
    'stages:\n' +
    '  greet:\n' +
    `    cmd: sh -c 'echo "[$GREETING]" "$(basename "$PWD")" > out.txt'\n` +
    `    wdir: ${wdir}\n` +
    envLines +
    '    outs:\n' +
    '      - out.txt\n' +
    '  other:\n' +
    '    cmd: echo same > other.txt\n' +
    '    outs:\n' +
    '      - other.txt\n'
  );
}

const status = (dir: string) => outputAs<StatusJson>('status', rx(dir, ['status', '--json']));
const stageOf = (s: StatusJson, name: string) => s.stages.find((x) => x.name === name)!;
const read = (dir: string, rel: string) => readFileSync(path.join(dir, rel), 'utf8');

t.test('changing a stage env or wdir makes it changed for rx status and rx repro; rx.lock records both', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'rx.yaml': rxYaml('a', { GREETING: 'hello' }), 'a/.keep': '', 'b/.keep': '' });
  const first = reproJson(dir);
  t.equal(first.code, 0, first.stderr);
  t.equal(read(dir, 'a/out.txt'), '[hello] a\n', 'the command saw the env and ran in its wdir');
  const lock = validLock(dir);
  t.same([lock.stages.greet.wdir, lock.stages.greet.env], ['a', { GREETING: 'hello' }], 'rx.lock records the wdir and the env');
  t.same(parseYaml(read(dir, 'rx.lock')).stages.greet.env, { GREETING: 'hello' });
  t.notOk('env' in lock.stages.other, 'a stage without env records none');
  commitAll(dir, 'greet');
  t.equal(status(dir).clean, true);

  const cases: { name: string; yaml: string; setting: string; out: [string, string]; env: Record<string, string> | undefined; wdir: string }[] = [
    { name: 'an env value', yaml: rxYaml('a', { GREETING: 'hi' }), setting: 'env', out: ['a/out.txt', '[hi] a\n'], env: { GREETING: 'hi' }, wdir: 'a' },
    { name: 'an env variable added', yaml: rxYaml('a', { GREETING: 'hi', EXTRA: 'x' }), setting: 'env', out: ['a/out.txt', '[hi] a\n'], env: { EXTRA: 'x', GREETING: 'hi' }, wdir: 'a' },
    { name: 'the env removed', yaml: rxYaml('a', {}), setting: 'env', out: ['a/out.txt', '[] a\n'], env: undefined, wdir: 'a' },
    { name: 'the wdir', yaml: rxYaml('b', {}), setting: 'wdir', out: ['b/out.txt', '[] b\n'], env: undefined, wdir: 'b' },
  ];
  for (const c of cases) {
    writeTree(dir, { 'rx.yaml': c.yaml });
    const s = status(dir);
    t.equal(s.clean, false, `${c.name}: not clean`);
    const greet = stageOf(s, 'greet');
    t.equal(greet.state, 'changed', `${c.name}: greet is changed`);
    t.same(greet.changes.settings, [c.setting], `${c.name}: the ${c.setting} setting is named`);
    t.ok(greet.reasons.includes(`${c.setting} changed`), `${c.name}: reason "${c.setting} changed" in ${JSON.stringify(greet.reasons)}`);
    t.equal(stageOf(s, 'other').state, 'up-to-date', `${c.name}: the other stage is untouched`);
    t.equal(rx(dir, ['status', '--exit-code']).code, 1);

    const r = reproJson(dir);
    t.equal(r.code, 0, r.stderr);
    t.same(r.actions, { greet: 'ran', other: 'up-to-date' }, `${c.name}: rx repro runs greet only`);
    t.equal(read(dir, c.out[0]), c.out[1], `${c.name}: the command ran with the new setting`);
    const after = validLock(dir).stages.greet;
    t.same([after.wdir, after.env], [c.wdir, c.env], `${c.name}: rx.lock records the new wdir and env`);
    // (Not `clean` after a wdir move: the old a/out.txt stays behind as an ignored file.)
    t.same(status(dir).stages.map((x) => [x.name, x.state]), [['greet', 'up-to-date'], ['other', 'up-to-date']], `${c.name}: up to date after the run`);
    commitAll(dir, c.name);
  }
});
