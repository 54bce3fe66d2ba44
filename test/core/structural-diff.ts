import t from 'tap';
import { structuralChanges, fieldChangeLine } from '../../src/core/structural-diff.js';

t.test('field changes by dotted path with indices', async (t) => {
  const a = { width: 1, blocks: [{ type: 'conv', filters: 32 }, { type: 'flatten' }], training: { epochs: 5 } };
  const b = { width: 2, blocks: [{ type: 'conv', filters: 64, norm: 'batch' }, { type: 'flatten' }, { type: 'dense', units: 3 }], training: { epochs: 5 } };
  t.same(structuralChanges(a, b).map(fieldChangeLine), [
    '~ blocks[0].filters: 32 -> 64',
    '+ blocks[0].norm: batch',
    '+ blocks[2]: {"type":"dense","units":3}',
    '~ width: 1 -> 2',
  ]);
  t.same(structuralChanges(a, a), [], 'equal documents have no changes');
  t.same(structuralChanges(b, a).length, 4, 'symmetric in count');
  t.same(structuralChanges({ x: 1 }, [1]), [{ path: '', from: { x: 1 }, to: [1] }], 'a change of type is one change');
});
