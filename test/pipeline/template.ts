import t from 'tap';
import { interpolateString, layeredLookup, getPath } from '../../src/pipeline/template.js';

const lookup = layeredLookup([
  { source: 'item', values: { item: { lr: 0.1, name: 'cnn' }, key: 'a' } },
  { source: 'vars', values: { out: 'results', seeds: [1, 2] } },
  { source: 'params.yaml', values: { train: { epochs: 3 }, out: 'shadowed' } },
]);

t.test('interpolates scalars into strings and keeps whole-string types', async (t) => {
  t.equal(interpolateString('train --lr ${item.lr} -o ${out}/${item.name}', lookup), 'train --lr 0.1 -o results/cnn');
  t.equal(interpolateString('${train.epochs}', lookup), 3);
  t.same(interpolateString('${seeds}', lookup), [1, 2]);
  t.equal(interpolateString('a \\${out} b', lookup), 'a ${out} b');
});

t.test('records which scope each name came from', async (t) => {
  const used = new Map<string, string>();
  interpolateString('${out} ${train.epochs}', lookup, used);
  t.same([...used], [['out', 'vars'], ['train.epochs', 'params.yaml']]);
});

t.test('unknown names and non-scalars inside strings are errors', async (t) => {
  t.throws(() => interpolateString('x ${nope}', lookup), { name: 'TemplateError', expression: 'nope' });
  t.throws(() => interpolateString('x ${seeds}', lookup), /only a whole-string reference/);
  t.throws(() => interpolateString('${bad name}', lookup), /not a valid reference/);
});

t.test('getPath walks mappings and list indices', async (t) => {
  t.same(getPath({ a: [{ b: 1 }] }, 'a.0.b'), { found: true, value: 1 });
  t.same(getPath({ a: 1 }, 'a.b'), { found: false });
  t.same(getPath({ a: null }, 'a'), { found: true, value: null });
});
