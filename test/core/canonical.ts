import t from 'tap';
import { canonicalJson, compareStrings } from '../../src/core/canonical.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { formatProblem } from '../../src/core/errors.js';

t.test('canonicalJson sorts keys recursively and drops undefined', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
});

t.test('canonicalJson is independent of key insertion order (property)', async (t) => {
  const keys = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta'];
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
  for (let round = 0; round < 50; round++) {
    const shuffled = [...keys].sort(() => (next() % 3) - 1);
    const a: Record<string, number> = {};
    const b: Record<string, number> = {};
    keys.forEach((k, i) => (a[k] = i));
    shuffled.forEach((k) => (b[k] = keys.indexOf(k)));
    t.equal(canonicalJson(a), canonicalJson(b));
  }
});

t.test('compareStrings orders by code unit, like git', async (t) => {
  t.same(['a/b', 'a-c', 'a'].sort(compareStrings), ['a', 'a-c', 'a/b']);
});

t.test('mapLimit keeps order, bounds concurrency and propagates the first error', async (t) => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, n));
    inFlight--;
    return n * 10;
  });
  t.same(out, [50, 10, 40, 20, 30]);
  t.equal(peak, 2);
  await t.rejects(mapLimit([1, 2, 3], 2, async (n) => {
    if (n === 2) throw new Error('boom');
    return n;
  }), { message: 'boom' });
});

t.test('formatProblem renders file:line:col: field: message', async (t) => {
  t.equal(formatProblem({ file: 'a.rx', line: 3, column: 7, field: 'size', message: 'must be integer' }), 'a.rx:3:7: size: must be integer');
  t.equal(formatProblem({ file: 'a.rx', message: 'unreadable' }), 'a.rx: unreadable');
});
