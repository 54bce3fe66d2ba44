// rx migrate dvc on real DVC layouts (fixtures/dvc-projects.ts): a DVC-only directory is told
// to migrate (exit 3), --dry writes nothing, the migration creates the rx project and an rx.yaml
// that rx dag and rx repro --dry accept, reports what it could not convert (--json validated
// against its schema), refuses to replace rx.yaml without --force, and writes nothing when
// rx itself would refuse the converted pipeline.
import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { rx, jsonOutput, writeTree } from '../../fixtures/project.js';
import { useProject, useTempDir, rxError, gitOk, hasStackTrace } from '../../fixtures/e2e.js';
import { DVC_PROJECTS, makeDvcProject } from '../../fixtures/dvc-projects.js';
import { migrateDvcOutputSchema, dagOutputSchema, reproOutputSchema } from '../../src/schema/outputs.js';

const migrateJson = (dir: string, args: string[] = []) => {
  const r = rx(dir, ['migrate', 'dvc', ...args, '--json']);
  return { code: r.code, stderr: r.stderr, json: jsonOutput<any>(r, migrateDvcOutputSchema, 'rx migrate dvc --json output') };
};
const noTemps = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

for (const project of DVC_PROJECTS) {
  t.test(`${project.name}: migrated, then rx dag and rx repro --dry accept it`, async (t) => {
    const dir = makeDvcProject(t, project);

    const before = rxError(dir, ['dag']);
    t.equal(before.code, 3, 'a DVC-only directory is not an rx project');
    t.equal(before.json.error.code, 'RX_NOT_PROJECT');
    t.match(before.json.error.message, 'found dvc.yaml but no rx.yaml');
    t.match(before.json.error.message, 'run `rx migrate dvc`');
    t.equal(before.json.error.data!.dvcYaml, path.join(dir, 'dvc.yaml'));

    const dry = migrateJson(dir, ['--dry']);
    t.equal(dry.code, 0, dry.stderr);
    t.match(dry.json, { dry: true, written: false, initialised: false, source: 'dvc.yaml', target: 'rx.yaml' });
    t.notOk(existsSync(path.join(dir, 'rx.yaml')), '--dry writes no rx.yaml');
    t.notOk(existsSync(path.join(dir, '.rx')), '--dry creates no project');
    const dryText = rx(dir, ['migrate', 'dvc', '--dry']);
    t.equal(dryText.code, 0);
    t.equal(dryText.stdout, dry.json.text, '--dry prints exactly the rx.yaml');

    const done = migrateJson(dir);
    t.equal(done.code, 0, done.stderr);
    t.match(done.json, { dry: false, written: true, initialised: true, root: dir });
    t.same(done.json.stages.flatMap((s: { rx: string[] }) => s.rx).sort(), project.stages);
    t.same(done.json.warnings.map((w: { code: string }) => w.code).sort(), project.warnings);
    t.same(done.json.problems, []);
    t.equal(readFileSync(path.join(dir, 'rx.yaml'), 'utf8'), done.json.text, 'rx.yaml is the text reported');
    t.same(noTemps(dir), [], 'no temp file left beside rx.yaml');
    t.ok(existsSync(path.join(dir, '.rx', 'config.yaml')), 'the rx project was created');
    t.ok(existsSync(path.join(dir, 'dvc.yaml')), 'dvc.yaml is left in place');

    const dag = rx(dir, ['dag', '--json']);
    t.equal(dag.code, 0, dag.stderr);
    const graph = jsonOutput<{ stages: { name: string }[] }>(dag, dagOutputSchema, 'rx dag --json');
    t.same(graph.stages.map((s) => s.name).sort(), project.stages);
    const plan = rx(dir, ['repro', '--dry', '--json']);
    t.equal(plan.code, 0, plan.stderr);
    const planned = jsonOutput<{ stages: { name: string; action: string }[] }>(plan, reproOutputSchema, 'rx repro --dry --json');
    t.same(planned.stages.map((s) => s.name).sort(), project.stages);
    t.ok(planned.stages.every((s) => s.action === 'would-run'), 'every stage would run, none ran');
    t.notOk(existsSync(path.join(dir, 'rx.lock')), 'repro --dry wrote no lock');

    const again = rxError(dir, ['migrate', 'dvc']);
    t.equal(again.code, 1, 'an existing rx.yaml is not replaced');
    t.equal(again.json.error.code, 'RX_WOULD_OVERWRITE');
    writeFileSync(path.join(dir, 'rx.yaml'), 'stages: {}\n');
    t.equal(rx(dir, ['migrate', 'dvc']).code, 1);
    t.equal(readFileSync(path.join(dir, 'rx.yaml'), 'utf8'), 'stages: {}\n', 'rx.yaml untouched by a refused migration');
    const forced = migrateJson(dir, ['--force']);
    t.equal(forced.code, 0);
    t.match(forced.json, { written: true, initialised: false });
    t.equal(readFileSync(path.join(dir, 'rx.yaml'), 'utf8'), done.json.text, '--force writes the conversion again');

    if (project.runnable) {
      const run = rx(dir, ['repro']);
      t.equal(run.code, 0, run.stderr);
      t.equal(readFileSync(path.join(dir, project.runnable.output), 'utf8'), project.runnable.content, 'the converted stage ran');
      t.equal(rx(dir, ['status', '--exit-code']).code, 0, 'and is up to date');
    }
  });
}

t.test('in an rx project without rx.yaml, a dvc.yaml is pointed at', async (t) => {
  const dir = useProject(t);
  writeTree(dir, { 'dvc.yaml': 'stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n' });
  for (const args of [['repro'], ['dag']]) {
    const r = rxError(dir, args);
    t.equal(r.code, 2, `rx ${args.join(' ')}`);
    t.match(r.json.error.message, 'found dvc.yaml but no rx.yaml');
    t.match(r.json.error.message, 'run `rx migrate dvc`');
    t.notOk(hasStackTrace(r.stderr));
  }
  const done = migrateJson(dir);
  t.match(done.json, { written: true, initialised: false });
  t.equal(rx(dir, ['repro']).code, 0);
  t.equal(readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'a\n');
});

t.test('a directory with no dvc.yaml: not a project, nothing created', async (t) => {
  const dir = useTempDir(t);
  const r = rxError(dir, ['migrate', 'dvc']);
  t.equal(r.code, 3);
  t.equal(r.json.error.code, 'RX_NOT_PROJECT');
  t.same(readdirSync(dir), []);
});

t.test('a conversion rx would refuse writes nothing; --dry shows it and exits 4', async (t) => {
  const dir = useTempDir(t);
  gitOk(dir, ['init', '-q']);
  writeTree(dir, { 'dvc.yaml': 'stages:\n  a:\n    cmd: run ${nowhere.defined}\n  b:\n    cmd: x\n    outs: [o]\n  c:\n    cmd: y\n    outs: [o]\n' });
  const r = rxError(dir, ['migrate', 'dvc']);
  t.equal(r.code, 4);
  t.equal(r.json.error.code, 'RX_INVALID_FILE');
  t.match(r.json.error.data!.problems, [{ file: 'rx.yaml', message: /\$\{nowhere\.defined\} is not defined/ }]);
  t.notOk(existsSync(path.join(dir, 'rx.yaml')));
  t.notOk(existsSync(path.join(dir, '.rx')), 'no project created for a refused conversion');
  const dry = migrateJson(dir, ['--dry']);
  t.equal(dry.code, 4);
  t.not(dry.json.problems.length, 0);
  t.match(dry.json.text, 'cmd: run ${nowhere.defined}');
});

t.test('warnings come with dvc.yaml:LINE:COL on stderr, and atop rx.yaml as comments; the DVC state is named', async (t) => {
  const dir = useTempDir(t);
  gitOk(dir, ['init', '-q']);
  writeTree(dir, {
    'dvc.yaml': 'stages:\n  train:\n    cmd: cp data.xml model.pkl\n    deps: [data.xml]\n    outs:\n      - model.pkl:\n          push: false\n',
    'data.xml': 'x\n',
    'data.xml.dvc': 'outs:\n- md5: 0\n  path: data.xml\n',
    'dvc.lock': 'schema: "2.0"\nstages: {}\n',
  });
  const r = rx(dir, ['migrate', 'dvc']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, 'dvc.yaml:7:11: stages.train.outs[0].model.pkl.push: push is dropped');
  t.match(r.stderr, 'rx add data.xml');
  t.match(r.stderr, 'dvc.lock is not imported');
  t.match(readFileSync(path.join(dir, 'rx.yaml'), 'utf8'), /^#   dvc\.yaml:7:11: stages\.train\.outs\[0\]\.model\.pkl\.push: /m);
  const warnings = migrateJson(dir, ['--dry']).json.warnings.map((w: { code: string }) => w.code).sort();
  t.same(warnings, ['dvc-lock', 'dvc-output-setting', 'dvc-tracked-data']);
});

t.test('rx migrate dvc --help shows examples', async (t) => {
  const help = rx(process.cwd(), ['migrate', 'dvc', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, 'Examples:');
  t.match(help.stdout, '--dry');
  t.match(help.stdout, '--force');
});
