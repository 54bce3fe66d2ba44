// rx init: makes a directory an rx project (.rx/config.yaml committed, .rx/.gitignore for
// the store and temp files), creating a git repository when there is none. Idempotent;
// refuses to nest inside another rx project.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic, pathExists } from '../core/atomic.js';
import { findProjectRoot, CONFIG_FILE, RX_DIR } from '../store/project.js';
import { findGitRoot, initRepo } from '../git/repo.js';

export interface InitOptions {
  dir?: string;
}

export interface InitResult {
  root: string;
  createdGitRepo: boolean;
  created: string[];
}

export const DEFAULT_CONFIG = `# rx project settings (committed). See \`rx --help\`.
schema: 1
# Hash algorithm of new objects: sha256 (default), blake3, xxh128 (fast, not for untrusted data), md5 (DVC interop)
hash: sha256
# How data is placed in the workspace, tried in order: reflink, hardlink (read-only), copy
link: [reflink, hardlink, copy]
`;

export async function init(ctx: Context, options: InitOptions): Promise<InitResult> {
  const root = path.resolve(ctx.cwd, options.dir ?? '.');
  const outer = findProjectRoot(path.dirname(root));
  if (outer && outer !== root) {
    throw new UsageError(`${root}: is inside the rx project ${outer}; rx projects do not nest`, { data: { outer } });
  }
  await fsp.mkdir(root, { recursive: true });
  const created: string[] = [];
  let createdGitRepo = false;
  if (!findGitRoot(root)) {
    await initRepo(root);
    createdGitRepo = true;
  }
  await fsp.mkdir(path.join(root, RX_DIR), { recursive: true });
  const files: [string, string][] = [
    [CONFIG_FILE, DEFAULT_CONFIG],
    [`${RX_DIR}/.gitignore`, '/cache/\n/tmp/\n'],
  ];
  for (const [rel, text] of files) {
    const abs = path.join(root, rel);
    if (await pathExists(abs)) continue;
    await writeFileAtomic(abs, text);
    created.push(rel);
  }
  return { root, createdGitRepo, created };
}
