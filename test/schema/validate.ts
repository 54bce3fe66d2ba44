import t from 'tap';
import { problemsOf, matchList } from '../../fixtures/problems.js';
import { parseYamlValidated, parseJsonValidated } from '../../src/schema/validate.js';
import { pointerSchema, configSchema } from '../../src/schema/files.js';

const good = 'schema: 1\npath: data\ntype: dir\nhash: sha256:' + 'a'.repeat(64) + '\nsize: 10\nnfiles: 2\n';

const problems = problemsOf;

t.test('a valid pointer parses', async (t) => {
  t.same(parseYamlValidated('data.rx', good, pointerSchema), { schema: 1, path: 'data', type: 'dir', hash: 'sha256:' + 'a'.repeat(64), size: 10, nfiles: 2 });
});

t.test('wrong type is located at its line and column', async (t) => {
  const p = problems(() => parseYamlValidated('data.rx', good.replace('size: 10', 'size: ten'), pointerSchema));
  matchList(t, p, [{ file: 'data.rx', line: 5, column: 7, field: 'size' }]);
});

t.test('unknown field is located at its key', async (t) => {
  const p = problems(() => parseYamlValidated('data.rx', good + 'colour: red\n', pointerSchema));
  matchList(t, p, [{ line: 7, column: 1, field: 'colour', message: 'is not a known field' }]);
});

t.test('missing field names it', async (t) => {
  const p = problems(() => parseYamlValidated('data.rx', good.replace(/nfiles.*\n/, ''), pointerSchema));
  matchList(t, p, [{ field: 'nfiles', message: 'is required' }]);
});

t.test('YAML syntax errors carry the position', async (t) => {
  const p = problems(() => parseYamlValidated('c.yaml', 'schema: 1\nlink: [a, b\n', configSchema));
  t.equal(p[0]!.file, 'c.yaml');
  t.ok(p[0]!.line! >= 2);
});

t.test('enum errors list the allowed values, with array index paths', async (t) => {
  const p = problems(() => parseYamlValidated('c.yaml', 'schema: 1\nlink: [copy, teleport]\n', configSchema));
  matchList(t, p, [{ field: 'link[1]', line: 2, message: /must be one of "reflink", "hardlink", "copy"/ }]);
});

t.test('JSON syntax errors are located', async (t) => {
  const p = problems(() => parseJsonValidated('m.json', '{\n  "a": 1,\n  oops\n}', { type: 'object' }));
  t.equal(p[0]!.line, 3);
});

// Alternatives (anyOf/oneOf) fail once per branch in ajv; a person wants one message.
const alternatives = {
  $id: 'test/alternatives.json',
  type: 'object',
  properties: {
    a: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'integer' } }] },
    b: { oneOf: [{ type: 'integer', description: 'a count' }, { type: 'object', description: 'a mapping {from, to}', additionalProperties: false, properties: { from: { type: 'integer' }, to: { type: 'integer' } } }] },
    c: { anyOf: [{ const: 'auto' }, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'boolean' }] } }] },
  },
} as const;

t.test('a value fitting no alternative gives ONE message at its location listing the forms', async (t) => {
  const p = problems(() => parseYamlValidated('x.yaml', 'a: 5\n', alternatives));
  t.same(p, [{ file: 'x.yaml', line: 1, column: 4, field: 'a', message: 'must be a string or a list' }]);
  const b = problems(() => parseYamlValidated('x.yaml', 'b: nope\n', alternatives));
  t.same(b, [{ file: 'x.yaml', line: 1, column: 4, field: 'b', message: 'must be a count or a mapping {from, to}' }]);
});

t.test('a value of one alternative\'s shape reports that alternative\'s own problem, located', async (t) => {
  const p = problems(() => parseYamlValidated('x.yaml', 'a:\n  - 1\n  - two\n', alternatives));
  t.same(p, [{ file: 'x.yaml', line: 3, column: 5, field: 'a[1]', message: 'must be integer' }]);
  const b = problems(() => parseYamlValidated('x.yaml', 'b: {from: 1, colour: red}\n', alternatives));
  t.same(b, [{ file: 'x.yaml', line: 1, column: 14, field: 'b.colour', message: 'is not a known field' }]);
});

t.test('nested alternatives collapse at each level', async (t) => {
  const p = problems(() => parseYamlValidated('x.yaml', 'c: [yes, 3]\n', alternatives));
  t.same(p, [{ file: 'x.yaml', line: 1, column: 10, field: 'c[1]', message: 'must be a string or true or false' }]);
  const q = problems(() => parseYamlValidated('x.yaml', 'c: 7\n', alternatives));
  t.same(q, [{ file: 'x.yaml', line: 1, column: 4, field: 'c', message: 'must be "auto" or a list' }]);
});

t.test('plain values (JSON) collapse alternatives the same way', async (t) => {
  const p = problems(() => parseJsonValidated('x.json', '{"a": 5}', alternatives));
  t.same(p, [{ file: 'x.json', field: 'a', message: 'must be a string or a list' }]);
});
