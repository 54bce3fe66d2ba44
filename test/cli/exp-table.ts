// exp show's table from rows and seed groups: a group's rows become one line where its first
// row was (sorted: where its mean puts it), with `mean ± half` cells and a seeds column; the
// table without groups is the one it always was.
import t from 'tap';
import { showItems, sortShowItems, type ExpRow } from '../../src/ops/exp.js';
import { seedGroups, formatMeanHalf } from '../../src/exp/seeds.js';
import { expTable } from '../../src/cli/commands/exp.js';

const row = (name: string, acc: number | boolean, lr = 0.1): ExpRow => ({ name, commit: `${name.replace(/\W/g, '')}0000000000`, baseline: 'B', params: { lr }, metrics: { 'm.json:acc': acc } });
const rows = [row('HEAD', 0.5), row('g/s1', 0.7, 0.2), row('plain', 0.6), row('g/s0', 0.9, 0.2), row('h/s0', 0.1)];
const result = { rows, groups: seedGroups(rows.slice(1)).groups };
const names = (items: ReturnType<typeof showItems>) => items.map((i) => (i.kind === 'experiment' ? i.row.name : `group ${i.group.name}`));

t.test('items: a group in place of its rows, or every row with perSeed', async (t) => {
  t.same(names(showItems(result)), ['HEAD', 'group g', 'plain', 'group h']);
  t.same(names(showItems(result, { perSeed: true })), ['HEAD', 'g/s1', 'plain', 'g/s0', 'h/s0']);
  t.same(names(showItems(result, { sortBy: 'acc', descending: true })), ['group g', 'plain', 'HEAD', 'group h'], "g's mean 0.8 is above plain's 0.6");
  t.same(names(showItems(result, { sortBy: 'lr' })), ['HEAD', 'plain', 'group h', 'group g'], 'a param every seed shares sorts a group');
  t.same(names(sortShowItems(showItems(result), 'nope')), names(showItems(result)), 'nothing to sort by: the order stays');
});

t.test('table: mean ± half and seeds for a group; unchanged without groups', async (t) => {
  const table = expTable(showItems(result));
  t.same(table.headers, ['experiment', 'commit', 'seeds', 'lr', 'acc']);
  const g = result.groups[0]!;
  t.same(table.rows[1], ['g', '-', '2', '0.2', formatMeanHalf(g.metrics['m.json:acc']!.stats)]);
  t.same(table.rows[0], ['HEAD', 'HEAD000', '-', '0.1', '0.5']);
  t.same(table.right, [2, 3, 4]);
  const plain = expTable(showItems({ rows: [row('HEAD', 0.5), row('a', 0.6, 0.3)], groups: [] }));
  t.same(plain, { headers: ['experiment', 'commit', 'lr', 'acc'], rows: [['HEAD', 'HEAD000', '0.1', '0.5'], ['a', 'a000000', '0.3', '0.6']], right: [2, 3] });
  const mixed = [row('b/s0', true), row('b/s1', false)];
  t.same(expTable(showItems({ rows: mixed, groups: seedGroups(mixed).groups })).rows, [['b', '-', '2', '-']], 'a boolean metric has no mean');
  const same = [row('c/s0', true), row('c/s1', true)];
  t.same(expTable(showItems({ rows: same, groups: seedGroups(same).groups })).rows, [['c', '-', '2', 'true']], 'one every seed shares is shown');
});
