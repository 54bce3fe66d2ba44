// Data spec checks, each reported as file:line:col and field: unknown fields, fractions not
// summing to 1, a generator naming no source, generator cycles, options foreign to a format,
// fields a kind or format requires.
import t from 'tap';
import { parseDataSpec, generatorCycle, sourceOrder } from '../../src/data/spec.js';
import { InvalidFileError, type FileProblem } from '../../src/core/errors.js';
import { validateJson } from '../../fixtures/project.js';
import { dataSpecSchema } from '../../src/schema/data.js';
import { parseYaml } from '../../src/core/yaml.js';
import { readFileSync } from 'node:fs';
import { digitsSpecYaml } from '../../fixtures/data.js';
import { matchList } from '../../fixtures/problems.js';

function problems(text: string): FileProblem[] {
  try {
    parseDataSpec('data/s.yaml', text);
  } catch (err) {
    if (err instanceof InvalidFileError) return err.problems;
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

const base = (sources: string, extra = '') => `schema: rx.data/1
split:
  seed: 1
  fractions: {train: 0.8, val: 0.1, test: 0.1}
${extra}sources:
${sources}`;
const clean = `  clean:
    kind: real
    read: {format: digits-csv, path: d.csv}
`;

t.test('the shipped digits spec and the fixture spec parse', async (t) => {
  const text = readFileSync(new URL('../../templates/digits/data/digits.yaml', import.meta.url), 'utf8');
  const { spec } = parseDataSpec('data/digits.yaml', text);
  t.same(Object.keys(spec.sources).sort(), ['clean', 'noisy', 'synthetic']);
  t.equal(spec.sources.noisy!.split, 'train');
  t.equal(spec.sources.synthetic!.split, 'train');
  t.equal(spec.sources.clean!.provenance!.licence, 'CC BY 4.0');
  validateJson(dataSpecSchema, parseYaml(text, 'digits.yaml'), 'digits.yaml');
  t.ok(parseDataSpec('s.yaml', digitsSpecYaml()).spec);
});

t.test('unknown fields are located by line, column and field', async (t) => {
  const p = problems(base(clean + '    colour: blue\n'));
  matchList(t, p, [{ file: 'data/s.yaml', line: 9, column: 5, field: 'sources.clean.colour', message: 'is not a known field' }]);
  const q = problems(base(clean, 'budgets: 3\n'));
  matchList(t, q, [{ line: 5, column: 1, field: 'budgets', message: 'is not a known field' }]);
});

t.test('split fractions must sum to 1 within 1e-9', async (t) => {
  const p = problems(base(clean).replace('test: 0.1', 'test: 0.2'));
  matchList(t, p, [{ line: 4, field: 'split.fractions', message: /must sum to 1 \(they sum to 1.1\)/ }]);
  t.ok(parseDataSpec('s.yaml', base(clean).replace('{train: 0.8, val: 0.1, test: 0.1}', '{train: 0.7, val: 0.2, test: 0.1}')));
});

t.test('generators: unknown `from`, cycles, and the build order', async (t) => {
  const unknown = problems(base(clean + '  syn:\n    kind: synthetic\n    generator: {from: dirty, method: shifted-copies}\n'));
  matchList(t, unknown, [{ line: 11, column: 23, field: 'sources.syn.generator.from', message: /names no source of this spec \(sources: clean, syn\)/ }]);
  const cyc = base(clean + '  a:\n    kind: synthetic\n    generator: {from: b, method: shifted-copies}\n  b:\n    kind: synthetic\n    generator: {from: a, method: shifted-copies}\n');
  matchList(t, problems(cyc), [{ line: 11, field: 'sources.a.generator.from', message: 'generators form a cycle: a -> b -> a' }]);
  const chain = parseDataSpec('s.yaml', base(clean + '  z:\n    kind: synthetic\n    generator: {from: y, method: shifted-copies}\n  y:\n    kind: synthetic\n    generator: {from: clean, method: shifted-copies}\n')).spec;
  t.same(sourceOrder(chain), ['clean', 'y', 'z']);
  t.equal(generatorCycle(chain), undefined);
});

t.test('kind and format requirements, foreign options, fraction budgets without a total', async (t) => {
  matchList(t, problems(base('  a:\n    kind: real\n')), [{ field: 'sources.a.read', message: 'is required for a real source' }]);
  matchList(t, problems(base('  a:\n    kind: synthetic\n')), [{ field: 'sources.a.generator', message: 'is required for a synthetic source' }]);
  matchList(t, problems(base('  a:\n    kind: real\n    read: {format: idx, images: i}\n')), [{ line: 8, field: 'sources.a.read.labels', message: 'is required for format idx' }]);
  matchList(t, problems(base('  a:\n    kind: real\n    read: {format: digits-csv, path: d, images: x}\n')), [{ line: 8, column: 49, field: 'sources.a.read.images', message: /is not an option of format digits-csv/ }]);
  matchList(t, problems(base(clean + '    budget: {fraction: 0.5}\n')), [{ line: 9, field: 'sources.clean.budget.fraction', message: /needs a spec-level `total`/ }]);
  matchList(t, problems(base(clean + '    budget: {count: 5, fraction: 0.5}\n')), [{ field: 'sources.clean.budget', message: /must NOT have more than 1 properties/ }]);
  matchList(t, problems(base(clean + '    preprocess:\n      - label-noise: {rate: 1.5}\n')), [{ line: 10, field: 'sources.clean.preprocess[0].label-noise.rate', message: /must be <= 1/ }]);
  matchList(t, problems(base(clean).replace('rx.data/1', 'rx.data/2')), [{ line: 1, field: 'schema', message: 'must be "rx.data/1"' }]);
});
