// Readable experiment names (adjective-noun), derived from a seed so that choosing one
// needs no randomness source; collisions are resolved by the caller.
const ADJECTIVES = ['amber', 'brisk', 'calm', 'dapper', 'eager', 'fuzzy', 'gentle', 'hardy', 'icy', 'jolly', 'keen', 'lucid', 'mellow', 'nimble', 'olive', 'plucky', 'quiet', 'rapid', 'sunny', 'tidy', 'umber', 'vivid', 'witty', 'young', 'zesty', 'bold', 'crisp', 'deft'];
const NOUNS = ['alder', 'badger', 'cedar', 'dingo', 'egret', 'finch', 'gecko', 'heron', 'ibis', 'jackal', 'koala', 'lemur', 'marten', 'newt', 'otter', 'panda', 'quail', 'raven', 'stoat', 'tapir', 'urchin', 'vole', 'wombat', 'yak', 'zebra', 'bison', 'crane', 'dace'];

export function experimentName(seed: number): string {
  const n = Math.abs(Math.floor(seed)) % (ADJECTIVES.length * NOUNS.length);
  return `${ADJECTIVES[n % ADJECTIVES.length]}-${NOUNS[Math.floor(n / ADJECTIVES.length)]}`;
}
