// Leakage between splits: identical content hashes in more than one split (exact), and pairs
// of samples in different splits whose perceptual hashes lie within a Hamming distance (near).
// Near pairs are found by the pigeonhole principle: two 64-bit hashes within distance d agree
// exactly on at least one of d+1 disjoint bit ranges, so only samples sharing a range compare.
import type { SplitName } from './types.js';
import { hammingHex } from './image.js';

export interface ExactLeak {
  hash: string;
  splits: SplitName[];
  ids: string[];
}

export interface NearPair {
  a: string;
  b: string;
  splits: [SplitName, SplitName];
  distance: number;
}

const SPLIT_ORDER: SplitName[] = ['train', 'val', 'test'];

export function exactLeaks(samples: { id: string; hash: string; split: SplitName }[]): ExactLeak[] {
  const byHash = new Map<string, { id: string; split: SplitName }[]>();
  for (const s of samples) {
    const list = byHash.get(s.hash);
    if (list) list.push(s);
    else byHash.set(s.hash, [s]);
  }
  const out: ExactLeak[] = [];
  for (const [hash, list] of byHash) {
    const splits = SPLIT_ORDER.filter((sp) => list.some((s) => s.split === sp));
    if (splits.length > 1) out.push({ hash, splits, ids: list.map((s) => s.id) });
  }
  return out.sort((x, y) => (x.ids[0]! < y.ids[0]! ? -1 : 1));
}

/** Pairs in different splits within `distance` bits; at most `limit` pairs are listed, all found are
 * counted. Hashes are hex strings of one length; the pigeonhole ranges are runs of hex digits.
 * `maxComparisons` bounds the work on data where many hashes share a range (large near-uniform
 * classes); when it is reached the result says `truncated`. */
export function nearPairs(
  items: { id: string; split: SplitName; phash: string }[],
  distance: number,
  limit = 1000,
  maxComparisons = 20_000_000,
): { pairs: NearPair[]; count: number; truncated: boolean } {
  const n = items.length;
  const digits = items[0]?.phash.length ?? 16;
  if (items.some((it) => it.phash.length !== digits)) throw new Error('perceptual hashes of different sizes');
  const chunks = Math.min(digits, distance + 1);
  const keys: string[][] = [];
  for (let c = 0; c < chunks; c++) {
    const from = Math.floor((c * digits) / chunks);
    const to = Math.floor(((c + 1) * digits) / chunks);
    keys.push(items.map((it) => it.phash.slice(from, to)));
  }
  const pairs: NearPair[] = [];
  let count = 0;
  let comparisons = 0;
  let truncated = false;
  outer: for (let c = 0; c < chunks; c++) {
    const buckets = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const key = keys[c]![i]!;
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    }
    for (const list of buckets.values()) {
      if (list.length < 2) continue;
      for (let x = 0; x < list.length; x++) {
        const i = list[x]!;
        for (let y = x + 1; y < list.length; y++) {
          const j = list[y]!;
          if (items[i]!.split === items[j]!.split) continue;
          // A pair sharing an earlier range was considered there already.
          let earlier = false;
          for (let e = 0; e < c && !earlier; e++) earlier = keys[e]![i] === keys[e]![j];
          if (earlier) continue;
          if (++comparisons > maxComparisons) {
            truncated = true;
            break outer;
          }
          const d = hammingHex(items[i]!.phash, items[j]!.phash);
          if (d > distance) continue;
          count++;
          if (pairs.length < limit) pairs.push({ a: items[i]!.id, b: items[j]!.id, splits: [items[i]!.split, items[j]!.split], distance: d });
        }
      }
    }
  }
  pairs.sort((p, q) => p.distance - q.distance || (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
  return { pairs, count, truncated };
}
