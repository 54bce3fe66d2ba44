import t from 'tap';
import { withManagedEntry, managedEntries, IGNORE_MARKER } from '../../src/git/ignore.js';

t.test('creates the managed block after user lines', async (t) => {
  const text = withManagedEntry('node_modules/\n', 'data');
  t.equal(text, `node_modules/\n\n${IGNORE_MARKER}\n/data\n`);
  t.same(managedEntries(text), ['data']);
});

t.test('adds entries sorted and is idempotent', async (t) => {
  let text = withManagedEntry('', 'zeta');
  text = withManagedEntry(text, 'alpha');
  const again = withManagedEntry(text, 'alpha');
  t.equal(again, text);
  t.same(managedEntries(text), ['alpha', 'zeta']);
});

t.test('leaves user lines after the block alone', async (t) => {
  const base = `${IGNORE_MARKER}\n/b\n\n*.log\n`;
  const text = withManagedEntry(base, 'a');
  t.equal(text, `${IGNORE_MARKER}\n/a\n/b\n\n*.log\n`);
});

t.test('does not duplicate an entry the user already wrote', async (t) => {
  t.equal(withManagedEntry('/data\n', 'data'), '/data\n');
});
