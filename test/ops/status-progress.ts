// rx status reports hashing progress for files the stat cache cannot vouch for: a cold
// status of 250 files starts a bar whose ticks add up to their bytes; a warm one none.
import t from 'tap';
import { utimesSync } from 'node:fs';
import * as path from 'node:path';
import { rx, writeTree, pseudoRandomBytes } from '../../fixtures/project.js';
import { useProject } from '../../fixtures/e2e.js';
import { quietContext } from '../../src/core/context.js';
import { status } from '../../src/ops/status.js';
import { recordingReporter } from '../../fixtures/reporter.js';

const FILES = 250;
const SIZE = 300;

t.test('a cold status of 250 files reports its hashing; a warm one reports nothing', async (t) => {
  const dir = useProject(t);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < FILES; i++) files[`data/f${String(i).padStart(3, '0')}.bin`] = pseudoRandomBytes(SIZE, i + 1);
  writeTree(dir, files);
  t.equal(rx(dir, ['add', 'data']).code, 0);

  // Every stat cache entry stale: a new mtime on each file, same content.
  const later = new Date(Date.UTC(2030, 0, 1));
  for (const rel of Object.keys(files)) utimesSync(path.join(dir, rel), later, later);
  const cold = recordingReporter();
  const result = await status(quietContext(dir, { reporter: cold.reporter }), { paths: [] });
  t.same(result.entries.map((e) => e.state), ['unchanged']);
  t.equal(cold.events[0], `start hashing ${FILES * SIZE} bytes`);
  t.equal(cold.events.at(-1), 'stop');
  const ticked = cold.events.filter((e) => e.startsWith('tick ')).reduce((s, e) => s + Number(e.slice(5)), 0);
  t.equal(ticked, FILES * SIZE, 'ticks add up to the bytes hashed');

  const warm = recordingReporter();
  await status(quietContext(dir, { reporter: warm.reporter }), { paths: [] });
  t.same(warm.events, [], 'the stat cache vouches for everything: no bar');
});
