// Hash progress over many targets: nothing is drawn until the work announced so far is
// long; then one bar whose total grows with each target and whose ticks are the bytes read.
import t from 'tap';
import { hashProgress } from '../../src/store/hash-progress.js';
import { recordingReporter } from '../../fixtures/reporter.js';

t.test('short work draws nothing', async (t) => {
  const { reporter, events } = recordingReporter();
  const p = hashProgress(reporter, 'hashing', { files: 10, bytes: 1000 });
  p.planned(3, 300);
  p.hashed(300);
  p.planned(7, 700);
  p.hashed(700);
  p.stop();
  t.same(events, []);
});

t.test('a bar starts once files or bytes pass a limit, with the bytes read before it', async (t) => {
  const { reporter, events } = recordingReporter();
  const p = hashProgress(reporter, 'hashing', { files: 10, bytes: 1000 });
  p.planned(6, 60);
  p.hashed(60);
  p.planned(6, 60); // 12 files: over the file limit
  p.hashed(60);
  p.planned(1, 5000);
  p.hashed(5000);
  p.stop();
  t.same(events, ['start hashing 120 bytes', 'tick 60', 'tick 60', 'total 5120', 'tick 5000', 'stop']);
  const big = recordingReporter();
  const q = hashProgress(big.reporter, 'hashing', { files: 10, bytes: 1000 });
  q.planned(1, 2000);
  q.stop();
  t.same(big.events, ['start hashing 2000 bytes', 'stop']);
});

t.test('many empty files have no bytes to count', async (t) => {
  const { reporter, events } = recordingReporter();
  const p = hashProgress(reporter, 'hashing', { files: 10, bytes: 1000 });
  p.planned(50, 0);
  p.stop();
  t.same(events, []);
});
