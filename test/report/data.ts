// The data diff's header lines read as facts, not JSON: a spec as `path (hash)`, other
// objects as key=value, absent values as (none).
import t from 'tap';
import { renderDiff } from '../../src/report/data.js';
import type { ManifestDiff } from '../../src/data/diff.js';

const add = { added: 0, removed: 0, before: 0, after: 0 };
const diff = (header: ManifestDiff['header']): ManifestDiff => ({
  a: 'HEAD~1',
  b: 'HEAD',
  changed: true,
  header,
  sources: [],
  samples: { before: 1, after: 1, added: 0, removed: 0, modified: 0, relabelled: 0, moved: 0, examples: { added: [], removed: [], modified: [], relabelled: [], moved: [] } },
  bySource: [{ source: 's', ...add }],
  byClass: [],
  bySplit: [],
  moves: [],
});

t.test('header values: a spec by path and short hash, objects as key=value, nothing as (none)', async (t) => {
  const text = renderDiff(
    diff([
      { field: 'spec', before: { path: 'data/digits.yaml', hash: 'sha256:' + 'a'.repeat(64) }, after: { path: 'data/digits.yaml', hash: 'sha256:' + 'b'.repeat(64) } },
      { field: 'image', before: { height: 8, width: 8 }, after: { height: 16, width: 16 } },
      { field: 'seed', before: undefined, after: 7 },
    ]),
  );
  const lines = text.split('\n').slice(1, 4);
  t.same(lines, [
    `  spec: data/digits.yaml (sha256:${'a'.repeat(12)}) -> data/digits.yaml (sha256:${'b'.repeat(12)})`,
    '  image: height=8, width=8 -> height=16, width=16',
    '  seed: (none) -> 7',
  ]);
  t.notMatch(text, /[{}"]/, 'no raw JSON');
});
