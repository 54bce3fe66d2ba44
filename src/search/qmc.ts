// The QMC sampler: trial n is point n of one scrambled Sobol sequence (Joe & Kuo's
// new-joe-kuo-6.21201 direction numbers, Gray-code order, 32 bits), mapped through the
// priors' quantiles. All trials share the scramble, so the points stay a low-discrepancy set.
import { streamFor } from './rng.js';
import { configFromUnit, dimsOf } from './space.js';
import type { Sampler, SuggestInput, Suggestion } from './types.js';

/**
 * Dimensions 2..64 of new-joe-kuo-6.21201 (S. Joe and F. Y. Kuo, "Constructing Sobol
 * sequences with better two-dimensional projections", SIAM J. Sci. Comput. 30, 2008):
 * "s a m_1 ... m_s" per line, s the degree of the primitive polynomial, a its inner
 * coefficients as bits, m_i the initial direction numbers. Dimension 1 is all m_i = 1.
 */
const JOE_KUO = `1 0 1
2 1 1 3
3 1 1 3 1
3 2 1 1 1
4 1 1 1 3 3
4 4 1 3 5 13
5 2 1 1 5 5 17
5 4 1 1 5 5 5
5 7 1 1 7 11 19
5 11 1 1 5 1 1
5 13 1 1 1 3 11
5 14 1 3 5 5 31
6 1 1 3 3 9 7 49
6 13 1 1 1 15 21 21
6 16 1 3 1 13 27 49
6 19 1 1 1 15 7 5
6 22 1 3 1 15 13 25
6 25 1 1 5 5 19 61
7 1 1 3 7 11 23 15 103
7 4 1 3 7 13 13 15 69
7 7 1 1 3 13 7 35 63
7 8 1 3 5 9 1 25 53
7 14 1 3 1 13 9 35 107
7 19 1 3 1 5 27 61 31
7 21 1 1 5 11 19 41 61
7 28 1 3 5 3 3 13 69
7 31 1 1 7 13 1 19 1
7 32 1 3 7 5 13 19 59
7 37 1 1 3 9 25 29 41
7 41 1 3 5 13 23 1 55
7 42 1 3 7 3 13 59 17
7 50 1 3 1 3 5 53 69
7 55 1 1 5 5 23 33 13
7 56 1 1 7 7 1 61 123
7 59 1 1 7 9 13 61 49
7 62 1 3 3 5 3 55 33
8 14 1 3 1 15 31 13 49 245
8 21 1 3 5 15 31 59 63 97
8 22 1 3 1 11 11 11 77 249
8 38 1 3 1 11 27 43 71 9
8 47 1 1 7 15 21 11 81 45
8 49 1 3 7 3 25 31 65 79
8 50 1 3 1 1 19 11 3 205
8 52 1 1 5 9 19 21 29 157
8 56 1 3 7 11 1 33 89 185
8 67 1 3 3 3 15 9 79 71
8 70 1 3 7 11 15 39 119 27
8 84 1 1 3 1 11 31 97 225
8 97 1 1 1 3 23 43 57 177
8 103 1 3 7 7 17 17 37 71
8 115 1 3 1 5 27 63 123 213
8 122 1 1 3 5 11 43 53 133
9 8 1 3 5 5 29 17 47 173 479
9 13 1 3 3 11 3 1 109 9 69
9 16 1 1 1 5 17 39 23 5 343
9 22 1 3 1 5 25 15 31 103 499
9 25 1 1 1 11 11 17 63 105 183
9 44 1 1 5 11 9 29 97 231 363
9 47 1 1 5 15 19 45 41 7 383
9 52 1 3 7 7 31 19 83 137 221
9 55 1 1 1 3 23 15 111 223 83
9 59 1 1 5 13 31 15 55 25 161
9 62 1 1 3 13 25 47 39 87 257`;

const BITS = 32;
const SCALE = 2 ** -BITS;
export const SOBOL_MAX_DIMS = 64;
export const SCRAMBLE_STREAM = 'qmc-scramble';

/** Direction numbers v[d][j] (bit j+1, scaled by 2^32) for every dimension of the table. */
const DIRECTIONS: Uint32Array[] = buildDirections();

function buildDirections(): Uint32Array[] {
  const first = new Uint32Array(BITS);
  for (let j = 0; j < BITS; j++) first[j] = (1 << (BITS - 1 - j)) >>> 0;
  const out = [first];
  for (const line of JOE_KUO.split('\n')) {
    const [s, a, ...m] = line.trim().split(/\s+/).map(Number) as [number, number, ...number[]];
    const v = new Uint32Array(BITS);
    for (let j = 0; j < BITS; j++) {
      if (j < s) {
        v[j] = (m[j]! << (BITS - 1 - j)) >>> 0;
        continue;
      }
      // Bratley & Fox's recurrence: v_j = v_{j-s} ^ (v_{j-s} >> s) ^ sum_k a_k v_{j-k}.
      let x = v[j - s]! ^ (v[j - s]! >>> s);
      for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) x ^= v[j - k]!;
      v[j] = x >>> 0;
    }
    out.push(v);
  }
  return out;
}

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** The XOR of the direction numbers selected by the Gray code of n: point n without its predecessors. */
function digits(v: Uint32Array, n: number): number {
  const gray = (n ^ (n >>> 1)) >>> 0;
  let x = 0;
  for (let j = 0; j < BITS; j++) if ((gray >>> j) & 1) x ^= v[j]!;
  return x >>> 0;
}

function checkIndex(n: number, dims: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** BITS) throw new RangeError(`Sobol index ${n} is outside [0, 2^${BITS})`);
  if (dims > SOBOL_MAX_DIMS) throw new RangeError(`the QMC sampler supports up to ${SOBOL_MAX_DIMS} dimensions; this space has ${dims}`);
}

/** Point n of the unscrambled Sobol sequence in `dims` dimensions (point 0 is the origin). */
export function sobolPoint(n: number, dims: number): number[] {
  checkIndex(n, dims);
  const u: number[] = [];
  for (let d = 0; d < dims; d++) u.push(digits(DIRECTIONS[d]!, n) * SCALE);
  return u;
}

export interface Scramble {
  /** Per dimension: the scrambled direction numbers and the digital shift. */
  directions: Uint32Array[];
  shifts: Uint32Array;
}

/**
 * A scramble as scipy's Sobol draws one: a random lower-triangular binary matrix with unit
 * diagonal applied to every direction number (bit q becomes itself XOR a random subset of
 * the more significant bits; Matoušek's linear matrix scramble), then a random digital
 * shift. Dimension d's draws come after dimension d-1's, so adding a parameter at the end
 * leaves the earlier dimensions' scramble unchanged.
 */
export function drawScramble(seed: number, dims: number): Scramble {
  checkIndex(0, dims);
  const rng = streamFor(seed, 0, SCRAMBLE_STREAM);
  const directions: Uint32Array[] = [];
  const shifts = new Uint32Array(dims);
  for (let d = 0; d < dims; d++) {
    shifts[d] = rng.nextU32();
    const rows = new Uint32Array(BITS);
    for (let q = 0; q < BITS; q++) {
      const above = q === BITS - 1 ? 0 : (0xffffffff << (q + 1)) >>> 0;
      rows[q] = ((rng.nextU32() & above) | (1 << q)) >>> 0;
    }
    const v = DIRECTIONS[d]!;
    const scrambled = new Uint32Array(BITS);
    for (let j = 0; j < BITS; j++) {
      let x = 0;
      for (let q = 0; q < BITS; q++) x |= parity(rows[q]! & v[j]!) << q;
      scrambled[j] = x >>> 0;
    }
    directions.push(scrambled);
  }
  return { directions, shifts };
}

/** Point n of the scrambled sequence. */
export function scrambledSobolPoint(scramble: Scramble, n: number): number[] {
  checkIndex(n, scramble.directions.length);
  return scramble.directions.map((v, d) => ((digits(v, n) ^ scramble.shifts[d]!) >>> 0) * SCALE);
}

export const qmc: Sampler = {
  name: 'qmc',
  version: '1',
  suggest(input: SuggestInput): Suggestion {
    const dims = dimsOf(input.space).length;
    const unit = scrambledSobolPoint(drawScramble(input.seed, dims), input.number);
    return {
      config: configFromUnit(input.space, unit, true),
      sampler: 'qmc',
      details: { index: input.number, unit, stream: SCRAMBLE_STREAM },
    };
  },
};
