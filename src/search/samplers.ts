// The samplers a search spec can name, with the versions the ledger records (only those the
// spec's phases use, and what `auto` delegates to): a ledger written by other versions
// cannot be re-derived, and is refused rather than mis-replayed.
import type { Method, Sampler } from './types.js';
import type { SamplerSet } from './schedule.js';
import { grid } from './grid.js';
import { random } from './random.js';
import { qmc } from './qmc.js';
import { tpe } from './tpe.js';
import { gp } from './gp.js';
import { auto } from './auto.js';

const ALL: Record<Method, Sampler> = { grid, random, qmc, tpe, gp, auto };
const DELEGATES: Partial<Record<Method, Method[]>> = { auto: ['gp', 'tpe'] };

export function samplerSetFor(methods: readonly Method[]): SamplerSet {
  const used = new Set<Method>();
  for (const m of methods) {
    used.add(m);
    for (const d of DELEGATES[m] ?? []) used.add(d);
  }
  const versions: Record<string, string> = {};
  for (const m of [...used].sort()) {
    const s = ALL[m];
    if (!s) throw new Error(`no sampler ${m}`);
    versions[m] = s.version;
  }
  return {
    get(method: Method): Sampler {
      const s = ALL[method];
      if (!s || !used.has(method)) throw new Error(`sampler ${method} is not one this search uses`);
      return s;
    },
    versions,
  };
}
