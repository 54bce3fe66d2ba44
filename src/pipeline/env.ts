// The environment fingerprint recorded once in rx.lock: what must match for a bitwise
// reproduction (rx and Node versions, platform, the npm dependency tree's digest).
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { LockEnv } from './lock.js';
import type { RuntimeFacts } from '../core/context.js';


export async function environmentFingerprint(root: string, facts: RuntimeFacts): Promise<LockEnv> {
  const env: LockEnv = { rx: facts.rxVersion, node: facts.nodeVersion, platform: facts.platform, arch: facts.arch };
  try {
    const text = await fsp.readFile(path.join(root, 'package-lock.json'));
    env.npm_lock = 'sha256:' + createHash('sha256').update(text).digest('hex');
  } catch {
    // no npm tree in this project
  }
  return env;
}
