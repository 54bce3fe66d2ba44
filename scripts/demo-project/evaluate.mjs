// Stage "evaluate": accuracy and per-class accuracy of the model on the test split.
import { readFileSync, writeFileSync } from 'node:fs';

const { centroids } = JSON.parse(readFileSync('work/model.json', 'utf8'));
const rows = readFileSync('work/split/test.csv', 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
const right = new Array(10).fill(0);
const seen = new Array(10).fill(0);
for (const r of rows) {
  let best = 0;
  let bestDist = Infinity;
  centroids.forEach((c, k) => {
    let d = 0;
    for (let i = 0; i < 64; i++) d += (r[i] - c[i]) ** 2;
    if (d < bestDist) [best, bestDist] = [k, d];
  });
  seen[r[64]] += 1;
  if (best === r[64]) right[r[64]] += 1;
}
const round = (x) => Math.round(x * 10000) / 10000;
const metrics = {
  accuracy: round(right.reduce((a, b) => a + b, 0) / rows.length),
  per_class: Object.fromEntries(right.map((r, k) => [String(k), round(r / seen[k])])),
  test_rows: rows.length,
};
writeFileSync('metrics.json', JSON.stringify(metrics, null, 2) + '\n');
console.log(`accuracy ${metrics.accuracy} on ${rows.length} test rows`);
