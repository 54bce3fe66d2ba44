// The `auto` method: the GP sampler for spaces of unconditional float and int parameters,
// TPE for everything else (categories, simplexes, conditions), as Optuna's AutoSampler
// chooses. The choice depends on the space alone, so it is the same for every trial.
import type { Sampler, Space, SuggestInput, Suggestion } from './types.js';
import { gp } from './gp.js';
import { tpe } from './tpe.js';

/** Which sampler `auto` hands a space to, and why. */
export function autoDelegate(space: Space): { delegate: 'gp' | 'tpe'; reason: string } {
  for (const p of space.params) {
    if (p.type === 'categorical' || p.type === 'simplex') return { delegate: 'tpe', reason: `'${p.name}' is ${p.type}` };
    if (p.when) return { delegate: 'tpe', reason: `'${p.name}' has a condition` };
  }
  return { delegate: 'gp', reason: 'every parameter is an unconditional float or int' };
}

function suggest(input: SuggestInput): Suggestion {
  const { delegate, reason } = autoDelegate(input.space);
  const inner = (delegate === 'gp' ? gp : tpe).suggest(input);
  return { config: inner.config, sampler: inner.sampler, details: { ...inner.details, delegate, reason } };
}

export const auto: Sampler = { name: 'auto', version: '1', suggest };
