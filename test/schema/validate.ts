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
