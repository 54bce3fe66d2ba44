// Stage "train": a nearest-centroid classifier. Each class is summarised by the mean of its
// training images, shrunk toward the overall mean by the `shrink` parameter.
import { readFileSync, writeFileSync } from 'node:fs';

const shrink = Number(process.argv[2] ?? '0');
const rows = readFileSync('work/split/train.csv', 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
const sums = Array.from({ length: 10 }, () => new Array(64).fill(0));
const counts = new Array(10).fill(0);
const overall = new Array(64).fill(0);
for (const r of rows) {
  const label = r[64];
  counts[label] += 1;
  for (let i = 0; i < 64; i++) {
    sums[label][i] += r[i];
    overall[i] += r[i] / rows.length;
  }
}
const centroids = sums.map((s, c) => s.map((v, i) => (1 - shrink) * (v / counts[c]) + shrink * overall[i]));
writeFileSync('work/model.json', JSON.stringify({ kind: 'nearest-centroid', shrink, centroids }) + '\n');
console.log(`trained on ${rows.length} rows, shrink ${shrink}`);
