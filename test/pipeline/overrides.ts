// Overrides edit YAML in place: a replaced value (scalar or flow collection) and a new key of a
// block mapping are spliced into the text, so the rest stays byte for byte; strings that would
// read as something else are quoted; what cannot be spliced still goes through the Document.
import t from 'tap';
import { applyOverrides, parseOverride, type Override } from '../../src/pipeline/overrides.js';
import { parseYaml } from '../../src/core/yaml.js';

const TEXT = `# settings
train:
  lr: 0.002          # learning rate
  name: base
  budget: {count: 10}
  tags: [ a, b ]
  note: |
    free text
extra:
  k: 1
# end
`;

function o(key: string, value: unknown, add = false): Override {
  const segments = key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return { file: 'p.yaml', key, segments, value, add, raw: `${key}=${JSON.stringify(value)}` };
}

t.test('replaced values are spliced in, leaving every other byte as it was', async (t) => {
  const out = applyOverrides('p.yaml', TEXT, [o('train.lr', 0.01), o('train.name', 'wide')]);
  t.equal(out, TEXT.replace('lr: 0.002', 'lr: 0.01').replace('name: base', 'name: wide'));
  t.match(out, /^  lr: 0\.01 {10}# learning rate$/m, 'the comment stays where it was');
});

t.test('a flow collection is replaced in flow style, keeping its padding', async (t) => {
  const out = applyOverrides('p.yaml', TEXT, [o('train.budget', { fraction: 0.5 }), o('train.tags', ['x', 'y z'])]);
  t.equal(out, TEXT.replace('budget: {count: 10}', 'budget: {fraction: 0.5}').replace('tags: [ a, b ]', 'tags: [ x, "y z" ]'));
});

t.test('a new key of a block mapping is a line of its own at the end of the mapping', async (t) => {
  const out = applyOverrides('p.yaml', TEXT, [o('extra.m', 2, true), o('total', 5, true), o('extra.q', 'v', true)]);
  t.equal(out, TEXT.replace('  k: 1\n', '  k: 1\n  m: 2\n  q: v\n').replace('# end\n', 'total: 5\n# end\n'));
});

t.test('strings that would read as another type are quoted', async (t) => {
  for (const value of ['true', '12', '1e3', 'null', 'a: b', '0:1300', '#x', 'yes', '', ' lead']) {
    const out = applyOverrides('p.yaml', TEXT, [o('train.name', value)]);
    t.equal((parseYaml(out, 'p.yaml') as { train: { name: unknown } }).train.name, value, JSON.stringify(value));
    t.equal(out.split('\n').length, TEXT.split('\n').length, `${JSON.stringify(value)} on one line`);
  }
});

t.test('what cannot be spliced is set through the Document, comments kept', async (t) => {
  const out = applyOverrides('p.yaml', TEXT, [o('train.note', 'short'), o('extra.deep.key', 3, true)]);
  const value = parseYaml(out, 'p.yaml') as { train: { note: unknown }; extra: unknown };
  t.equal(value.train.note, 'short', 'a block scalar replaced');
  t.same(value.extra, { k: 1, deep: { key: 3 } }, 'a key under a new mapping');
  t.match(out, /# learning rate/);
});

t.test('an unknown key is refused unless added with +', async (t) => {
  t.throws(() => applyOverrides('p.yaml', TEXT, [parseOverride('p.yaml:train.nope=1')]), { code: 'RX_USAGE', message: /p.yaml has no key train.nope/ });
  const out = applyOverrides('p.yaml', TEXT, [parseOverride('+p.yaml:train.nope=1')]);
  t.equal((parseYaml(out, 'p.yaml') as { train: { nope: unknown } }).train.nope, 1);
});
