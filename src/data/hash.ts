// Hashes the data domain relies on: sha256 of pixel bytes (content hashes) and seeded hashes
// that stand in for randomness. A seeded hash is a pure function of (seed, purpose, key), so a
// sample's split, rank or label flip never depends on which other samples exist.
import { createHash } from 'node:crypto';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function seededDigest(seed: number, purpose: string, key: string): Buffer {
  return createHash('sha256').update(`rx.data\0${seed}\0${purpose}\0${key}`).digest();
}

/** A uniform number in [0, 1) from 48 bits of sha256(seed, purpose, key). */
export function seededUnit(seed: number, purpose: string, key: string): number {
  return seededDigest(seed, purpose, key).readUIntBE(0, 6) / 2 ** 48;
}

/** A uniform 32-bit unsigned integer from sha256(seed, purpose, key). */
export function seededUint32(seed: number, purpose: string, key: string): number {
  return seededDigest(seed, purpose, key).readUInt32BE(8);
}

/** Sorts keys by their seeded hash (ties, which need a sha256 collision, broken by the key). */
export function seededOrder<T>(items: T[], keyOf: (item: T) => string, seed: number, purpose: string): T[] {
  const ranked = items.map((item) => {
    const key = keyOf(item);
    return { item, key, rank: seededDigest(seed, purpose, key).toString('hex') };
  });
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return ranked.map((r) => r.item);
}

/** Largest-remainder apportionment of `total` units by weights; the result sums to total exactly.
 * Ties in the remainder go to the earlier index, so the result is deterministic. */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const quotas = weights.map((w) => (total * w) / sum);
  const out = quotas.map((q) => Math.floor(q + 1e-9));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, i) => ({ i, r: q - out[i]! })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0 && k < order.length; k++, left--) out[order[k]!.i]! += 1;
  return out;
}

/** Rounds half up: the rounding rule for fraction budgets. */
export function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5 + 1e-9);
}
