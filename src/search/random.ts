// The random sampler: each trial is an independent draw from the prior (the user's where
// declared, uniform on the internal scale otherwise), from the stream of its own trial
// number, so it ignores the history and any trial can be re-derived alone.
import { streamFor } from './rng.js';
import { samplePrior } from './space.js';
import type { Param, Sampler, Space, SuggestInput, Suggestion } from './types.js';

export const RANDOM_STREAM = 'random';

/** Which prior each parameter is drawn from: the spec's, or the uninformative default. */
export function priorSources(space: Space): Record<string, 'user' | 'uninformative'> {
  const out: Record<string, 'user' | 'uninformative'> = {};
  for (const p of space.params) out[p.name] = hasUserPrior(p) ? 'user' : 'uninformative';
  return out;
}

function hasUserPrior(p: Param): boolean {
  if (p.type === 'categorical') return p.weights !== undefined;
  if (p.type === 'simplex') return p.dirichlet !== undefined;
  return p.prior !== undefined;
}

export const random: Sampler = {
  name: 'random',
  version: '1',
  suggest(input: SuggestInput): Suggestion {
    const config = samplePrior(input.space, streamFor(input.seed, input.number, RANDOM_STREAM));
    return { config, sampler: 'random', details: { stream: RANDOM_STREAM, prior: priorSources(input.space) } };
  },
};
