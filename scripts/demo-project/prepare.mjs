// Stage "prepare": splits the digits data (one CSV per class) into train and test sets by a
// hash of each row's content, so a sample's split never depends on the order of the files.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

const testFraction = Number(process.argv[2] ?? '0.2');
const rows = { train: [], test: [] };
for (const file of readdirSync('data/digits').sort()) {
  const label = Number(/class-(\d+)\.csv/.exec(file)[1]);
  for (const line of readFileSync(`data/digits/${file}`, 'utf8').trim().split('\n')) {
    const h = createHash('sha256').update(line).digest().readUInt32BE(0) / 2 ** 32;
    rows[h < testFraction ? 'test' : 'train'].push(`${line},${label}`);
  }
}
mkdirSync('work/split', { recursive: true });
for (const split of ['train', 'test']) writeFileSync(`work/split/${split}.csv`, rows[split].sort().join('\n') + '\n');
console.log(`train ${rows.train.length} rows, test ${rows.test.length} rows`);
