// The one YAML entry point: limits (size, entries, nesting, aliases and merge keys) refused as
// exit-4 errors with stable codes before the yaml library is handed the text, syntax errors,
// unknown tags and duplicate keys located as file:line:col, nothing printed, and every real
// file (the templates, a large lock) read exactly as the yaml library reads it.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse as libraryParse } from 'yaml';
import { InvalidFileError, ExitCode } from '../../src/core/errors.js';
import { parseYaml, stringifyYaml, YAML_LIMITS, LOCK_YAML_LIMITS } from '../../src/core/yaml.js';
import { parseYamlLocated } from '../../src/schema/validate.js';
import { pipelineSchema, lockSchema } from '../../src/schema/pipeline.js';
import { serialiseLock, type Lock } from '../../src/pipeline/lock.js';
import { REPO_ROOT } from '../../fixtures/project.js';

/** The InvalidFileError a parse throws (fails the test when it throws anything else or nothing). */
function refusal(fn: () => unknown): InvalidFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidFileError) return err;
    throw new Error(`expected InvalidFileError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  }
  throw new Error('expected InvalidFileError, but the text parsed');
}

const loose = { $id: 'test/any.json' };
const parse = (text: string, file = 'f.yaml') => parseYaml(text, file);

/** Billion laughs: 9 levels of 9 aliases each, 9^9 nodes when expanded. */
function billionLaughs(levels = 9): string {
  let s = 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < levels; i++) s += `l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]\n`;
  return s;
}

/** Merge keys whose expansion triples per level (the keys stay few; the work does not). */
function mergeBomb(levels = 30): string {
  let s = 'm0: &m0 {k0: 0, k1: 1, k2: 2, k3: 3}\n';
  for (let i = 1; i < levels; i++) s += `m${i}: &m${i} {<<: [*m${i - 1}, *m${i - 1}, *m${i - 1}], own${i}: ${i}}\n`;
  return s;
}

t.test('alias bombs are refused with a stable code, located, before expansion', async (t) => {
  for (const [name, text] of [
    ['billion laughs', billionLaughs()],
    ['billion laughs in block style', 'a: &a\n  - x\n  - x\n  - x\n  - x\n  - x\n  - x\n  - x\n  - x\n  - x\n  - x\n' + Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]}\n${Array(10).fill(`  - *${'abcdefghi'[i]}`).join('\n')}\n`).join('')],
    ['merge-key bomb', mergeBomb()],
    ['merge-key bomb, %YAML 1.1', '%YAML 1.1\n---\n' + mergeBomb()],
  ] as const) {
    for (const read of [() => parse(text, 'params.yaml'), () => parseYamlLocated('rx.yaml', text, pipelineSchema)]) {
      const e = refusal(read);
      t.equal(e.code, 'RX_YAML_ALIASES', `${name}: code`);
      t.equal(e.exitCode, ExitCode.invalidFile, `${name}: exit 4`);
      t.match(e.problems[0], { file: /^(params|rx)\.yaml$/, line: Number, column: Number, message: /alias/ }, `${name}: located`);
      t.same((e.data as { limit: unknown }).limit, { name: 'maxAliasExpansion', value: YAML_LIMITS.maxAliasExpansion });
    }
  }
});

t.test('aliases and merge keys within the limits read as the yaml library reads them', async (t) => {
  // 300 uses of one anchor: over the yaml library's own default (100), well within rx's.
  const shared = 'base: &base {image: python:3.12, retries: 2}\n' + Array.from({ length: 300 }, (_, i) => `s${i}: *base`).join('\n') + '\n';
  t.same(parse(shared), libraryParse(shared, { maxAliasCount: -1 }));
  const merged = 'defaults: &d {deps: [a.py], wdir: .}\nstages:\n  train: {<<: *d, cmd: python a.py}\n  test:\n    <<: [*d, {extra: 1}]\n    cmd: python t.py\n';
  t.same(parse(merged), { defaults: { deps: ['a.py'], wdir: '.' }, stages: { train: { deps: ['a.py'], wdir: '.', cmd: 'python a.py' }, test: { deps: ['a.py'], wdir: '.', extra: 1, cmd: 'python t.py' } } });
});

t.test('too many anchors and aliases, a self-reference, an alias before its anchor, a merge of a non-mapping', async (t) => {
  const many = Array.from({ length: 600 }, (_, i) => `a${i}: &x${i} ${i}\nb${i}: *x${i}`).join('\n') + '\n';
  const e = refusal(() => parse(many));
  t.equal(e.code, 'RX_YAML_ALIASES');
  t.match(e.problems[0]!.message, /more than 1000 anchors and aliases/);
  t.match(refusal(() => parse('a: &a [1, *a]\n')).problems[0], { line: 1, column: 11, message: /refers to a node that contains it/ });
  t.match(refusal(() => parse('a: *nowhere\n')).problems[0], { line: 1, column: 4 });
  t.match(refusal(() => parse('a: &a [1]\nb: {<<: *a}\n')).problems[0], { line: 2, column: 9, message: /merge key/ });
  t.match(refusal(() => parse('b: {<<: 3}\n')).problems[0], { line: 1, column: 9, message: /merge key/ });
});

t.test('deep nesting is refused by the pre-scan: 1 MB of it in well under a second', async (t) => {
  const MB = 1 << 20;
  const shapes: [string, string, { line: number; column: number }][] = [
    ['flow sequences [[[...]]]', '['.repeat(MB / 2) + ']'.repeat(MB / 2), { line: 1, column: 257 }],
    ['flow mappings {a: {a: ...}}', 'x: ' + '{a: '.repeat(MB / 8) + '1' + '}'.repeat(MB / 8), { line: 1, column: 4 * 256 }],
    ['unterminated flow', 'key: ' + '['.repeat(MB), { line: 1, column: 6 + 255 }],
    ['compact block sequences - - - x', '- '.repeat(MB / 2) + 'x\n', { line: 1, column: 2 * 257 + 1 }],
    ['block mappings, one more space each line', Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n', { line: 258, column: 258 }],
    ['flow inside deep block', Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' ' + '['.repeat(100) + ']'.repeat(100) + '\n', { line: 200, column: 199 + 3 + 57 }],
  ];
  for (const [name, text, where] of shapes) {
    const started = process.hrtime.bigint();
    const e = refusal(() => parseYamlLocated('rx.yaml', text, pipelineSchema));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    t.equal(e.code, 'RX_YAML_TOO_DEEP', `${name}: code`);
    t.match(e.problems[0], { file: 'rx.yaml', ...where, message: 'nested deeper than 256 levels' }, `${name}: located`);
    // A bound, not a benchmark: the quadratic path took 106 s for 400 KB.
    t.ok(ms < 1000, `${name}: refused in ${ms.toFixed(0)} ms`);
  }
});

t.test('nesting within the limit, and brackets that are not structure, parse', async (t) => {
  // 256 collections nested in one another: the limit.
  const deep = '['.repeat(256) + ']'.repeat(256);
  t.same(parse(deep), libraryParse(deep));
  t.equal(refusal(() => parse('[' + deep + ']')).code, 'RX_YAML_TOO_DEEP');
  const blockDeep = Array.from({ length: 256 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
  t.same(parse(blockDeep), libraryParse(blockDeep));
  const compact = '- '.repeat(256) + 'x\n';
  t.same(parse(compact), libraryParse(compact));
  t.same(parse('x: ' + '{a: '.repeat(255) + '1' + '}'.repeat(255)), libraryParse('x: ' + '{a: '.repeat(255) + '1' + '}'.repeat(255)));
  // One more of each is refused, by the pre-scan or by the check of the parsed document.
  for (const over of ['- '.repeat(257) + 'x\n', 'x: ' + '{a: '.repeat(256) + '1' + '}'.repeat(256), blockDeep.replace(/ 1\n$/, '\n' + ' '.repeat(256) + 'k: 1\n')]) {
    t.equal(refusal(() => parse(over)).code, 'RX_YAML_TOO_DEEP');
  }
  const brackets = '['.repeat(300);
  const notStructure = [
    `literal: |\n  ${brackets}\n  more\nfolded: >-\n  ${brackets}\nlisted:\n  - |\n    ${brackets}\n  - key: |\n      ${brackets}\n    sibling: 1`,
    `quoted: "${brackets}"\nsingle: '${brackets}'\nflow: ["${brackets}", '${brackets}']`,
    `plain: it's ${brackets}\ncmd: python -c "print(${brackets})"`,
    `# ${brackets}\nafter: 1 # ${brackets}`,
    `multi: "line one\n  ${brackets}\n  line three"`,
  ].join('\n') + '\n';
  t.same(parse(notStructure), libraryParse(notStructure));
});

t.test('size and entry limits', async (t) => {
  const big = '# padding\n'.repeat(YAML_LIMITS.maxBytes / 10 + 1) + 'a: 1\n';
  const e = refusal(() => parse(big, 'params.yaml'));
  t.equal(e.code, 'RX_YAML_TOO_LARGE');
  t.match(e.problems[0]!.message, `over the limit of ${YAML_LIMITS.maxBytes} bytes`);
  t.same((e.data as { limit: unknown }).limit, { name: 'maxBytes', value: YAML_LIMITS.maxBytes });
  // Bytes, not characters: 'é' is two.
  t.equal(refusal(() => parse('a: ' + 'é'.repeat(YAML_LIMITS.maxBytes / 2))).code, 'RX_YAML_TOO_LARGE');
  // rx.lock's limit is larger: the same text is a lock rx reads.
  t.same(parseYaml(big, 'rx.lock', LOCK_YAML_LIMITS), { a: 1 });

  const flowItems = 'big: [' + '1,'.repeat(YAML_LIMITS.maxEntries) + '1]\n';
  const f = refusal(() => parse(flowItems));
  t.equal(f.code, 'RX_YAML_TOO_MANY_ENTRIES');
  t.match(f.problems[0], { line: 1, column: Number, message: `more than ${YAML_LIMITS.maxEntries} entries` });
  const lines = Array.from({ length: YAML_LIMITS.maxEntries + 1 }, (_, i) => `k${i}: ${i}`).join('\n') + '\n';
  t.match(refusal(() => parse(lines)).problems[0], { line: YAML_LIMITS.maxEntries + 1, column: 1 });
  const under = Array.from({ length: YAML_LIMITS.maxEntries - 10 }, (_, i) => `k${i}: ${i}`).join('\n') + '\n';
  t.equal(Object.keys(parse(under) as object).length, YAML_LIMITS.maxEntries - 10);
});

t.test('a large lock (thousands of stages) reads as the yaml library reads it, with no quadratic key check', async (t) => {
  const lock: Lock = { schema: 1, stages: {} };
  for (let i = 0; i < 3000; i++) {
    lock.stages[`stage_${i}`] = {
      cmd: `python train.py --seed ${i}`,
      deps: [{ path: `data/in_${i}.csv`, hash: `sha256:${'a'.repeat(64)}`, size: i, nfiles: 1 }],
      outs: [{ path: `out/o_${i}.bin`, hash: `sha256:${'b'.repeat(64)}`, size: 7, nfiles: 1 }],
    };
  }
  const text = serialiseLock(lock);
  const { value } = parseYamlLocated<Lock>('rx.lock', text, lockSchema, undefined, LOCK_YAML_LIMITS);
  t.same(value, libraryParse(text));
  t.equal(Object.keys(value.stages).length, 3000);
});

t.test('syntax errors are file:line:col problems; many are summarised', async (t) => {
  const e = refusal(() => parse('train:\n  lr: [0.1, 0.2\n  seed: 1\n', 'params.yaml'));
  t.equal(e.code, 'RX_INVALID_FILE');
  t.match(e.message, /^params\.yaml:\d+:\d+: \S/);
  t.notMatch(e.message, /at line \d+, column/, 'the library position is not repeated');
  const garbage = Array.from({ length: 40 }, () => 'a: b: c').join('\n') + '\n';
  const g = refusal(() => parse(garbage));
  t.ok(g.problems.length <= 11, `${g.problems.length} problems reported`);
  t.match(g.problems[g.problems.length - 1]!.message, /^and \d+ more problems$/);
});

t.test('unknown tags are refused, located, and nothing is printed', async (t) => {
  const warnings: unknown[] = [];
  const onWarning = (w: unknown) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  for (const [text, tag] of [
    ['run: !!js/function "function () { return 1 }"\n', '!!js/function'],
    ['train: !foo {seed: 1}\n', '!foo'],
    ['%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n', 'tag:example.com,2000:thing'],
    ['blob: !!binary aGVsbG8=\n', '!!binary'],
    ['when: !!timestamp 2001-12-14\n', '!!timestamp'],
    ['s: !!set {a, b}\n', '!!set'],
    ['o: !!omap [a: 1]\n', '!!omap'],
  ] as const) {
    const e = refusal(() => parseYamlLocated('params.yaml', text, loose));
    t.equal(e.exitCode, ExitCode.invalidFile);
    t.match(e.problems[0], { file: 'params.yaml', line: Number, column: Number, message: `unknown tag ${tag}` }, tag);
  }
  // The core schema's own tags are plain YAML.
  t.match(refusal(() => parse('c: !!float 3\n')).problems[0], { line: 1, column: 4, message: 'the value is not a valid !!float' });
  t.same(parse('a: !!str 1\nb: !!int "2"\nc: !!float 3.5\nd: !!bool true\ne: !!null ""\nf: !!seq [1]\ng: !!map {x: 1}\n'), { a: '1', b: 2, c: 3.5, d: true, e: null, f: [1], g: { x: 1 } });
  await new Promise((resolve) => setImmediate(resolve));
  t.same(warnings, [], 'no process warning (it would print a raw YAMLWarning on stderr)');
});

t.test('a %YAML 1.1 directive does not change what values mean', async (t) => {
  t.same(parse('%YAML 1.1\n---\na: yes\nb: 010\nc: 2001-12-14\n'), { a: 'yes', b: 10, c: '2001-12-14' });
});

t.test('duplicate keys (1 and "1" are one key) and keys that are collections or aliases', async (t) => {
  t.match(refusal(() => parse('a: 1\nb: 2\na: 3\n')).problems[0], { line: 3, column: 1, message: 'duplicate key "a"' });
  t.match(refusal(() => parse('stages: {x: 1, "x": 2}\n')).problems[0], { line: 1, column: 16 });
  t.match(refusal(() => parse('1: a\n"1": b\n')).problems[0], { line: 2, column: 1 });
  t.match(refusal(() => parse('? [a, b]\n: 1\n')).problems[0], { line: 1, column: 3, message: /plain value/ });
  t.match(refusal(() => parse('k: &k x\n*k : 1\n')).problems[0], { line: 2, column: 1, message: /alias/ });
});

t.test('an empty file is a null value; through a schema it says it is empty', async (t) => {
  for (const text of ['', '\n\n', '# only a comment\n', '---\n', '--- # a comment\n...\n']) {
    t.equal(parse(text), null);
    const e = refusal(() => parseYamlLocated('rx.yaml', text, pipelineSchema));
    t.match(e.problems, [{ file: 'rx.yaml', line: 1, column: 1, message: 'the file is empty; expected a mapping with stages' }]);
    t.notMatch(e.message, /must be object/);
  }
});

t.test('hints name the cause: ": " in a plain value, or ${...} unquoted in [ ] or { }', async (t) => {
  const colon = refusal(() => parseYamlLocated('rx.yaml', 'schema: 1\nstages:\n  s:\n    cmd: python train.py --msg a: b\n', pipelineSchema));
  t.match(colon.problems[0], { line: 4, column: 10 });
  t.match(colon.hint, /cmd: contains ": "/);
  t.notMatch(colon.hint, /\$\{/);
  // ${...} in a plain block value is fine YAML: the cause here is the ": ", not the template.
  const both = refusal(() => parseYamlLocated('rx.yaml', 'schema: 1\nstages:\n  s:\n    cmd: run ${a} --msg x: ${b}\n', pipelineSchema));
  t.match(both.hint, /cmd: contains ": "/);
  const templated = refusal(() => parseYamlLocated('rx.yaml', 'schema: 1\nstages:\n  s:\n    cmd: run\n    outs: [out/${item}]\n', pipelineSchema));
  t.match(templated.hint, /quote values with \$\{\.\.\.\}/);
  t.equal(refusal(() => parse('a: [1, 2\n')).hint, undefined, 'no hint for other errors');
  // The old hint's regular expression backtracked quadratically on one long line of brackets.
  const line = 'a: ' + '[{'.repeat(40_000) + '${x}\n';
  const started = process.hrtime.bigint();
  refusal(() => parseYamlLocated('rx.yaml', line, pipelineSchema));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.ok(ms < 1000, `refused in ${ms.toFixed(0)} ms`);
});

t.test('every YAML file of every template reads as the yaml library reads it', async (t) => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = path.join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else if (/\.ya?ml$/.test(name)) files.push(abs);
    }
  };
  walk(path.join(REPO_ROOT, 'templates'));
  t.ok(files.length >= 10, `${files.length} template files`);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.same(parse(text, f), libraryParse(text), path.relative(REPO_ROOT, f));
  }
});

t.test('what rx writes never uses anchors', async (t) => {
  const shared = { path: 'a', hash: 'sha256:x' };
  const text = stringifyYaml({ deps: [shared], outs: [shared] });
  t.notMatch(text, /[&*]a\d/);
  t.same(parse(text), { deps: [shared], outs: [shared] });
});
