// The on-disk layout of an rx project: finding its root, reading .rx/config.yaml and
// opening the object store it configures. Everything under .rx/ is named here.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { NotProjectError } from '../core/errors.js';
import { findUp } from '../core/paths.js';
import { parseYamlValidated, type ParsedCache } from '../schema/validate.js';
import { parsedCacheIn } from './parse-cache.js';
import { configSchema } from '../schema/files.js';
import { ObjectStore } from './objects.js';
import { defaultLinkOrder, type LinkType } from './link-strategy.js';
import type { HashAlgorithm } from './hash.js';

export const RX_DIR = '.rx';
export const CONFIG_FILE = '.rx/config.yaml';
export const POINTER_SUFFIX = '.rx';

export interface ProjectConfig {
  schema: 1;
  hash?: HashAlgorithm;
  link?: LinkType[];
  cache?: string;
}

export interface Project {
  root: string;
  config: ProjectConfig;
  algo: HashAlgorithm;
  store: ObjectStore;
  tmpDir: string;
  /** Remembers parsed YAML files (rx.yaml, rx.lock, pointers) between runs. */
  parsed: ParsedCache;
}

/** The nearest ancestor of dir (inclusive) holding .rx/config.yaml, or undefined. */
export function findProjectRoot(dir: string): string | undefined {
  return findUp(dir, CONFIG_FILE);
}

export async function readConfig(root: string, parsed?: ParsedCache): Promise<ProjectConfig> {
  const file = path.join(root, CONFIG_FILE);
  const text = await fsp.readFile(file, 'utf8');
  return parseYamlValidated<ProjectConfig>(CONFIG_FILE, text, configSchema, parsed);
}

export async function openProject(cwd: string, options: { readOnly?: boolean } = {}): Promise<Project> {
  const root = findProjectRoot(cwd);
  if (!root) throw new NotProjectError(cwd, findUp(cwd, 'dvc.yaml'));
  const tmpDir = path.join(root, RX_DIR, 'tmp');
  const parsed = parsedCacheIn(tmpDir, options);
  const config = await readConfig(root, parsed);
  const algo = config.hash ?? 'sha256';
  const cacheDir = config.cache ? path.resolve(root, config.cache) : path.join(root, RX_DIR, 'cache');
  // Corrupt objects go beside the project's other debris, or beside a shared store.
  const store = new ObjectStore(cacheDir, algo, config.link ?? defaultLinkOrder, config.cache ? path.join(cacheDir, 'corrupt') : path.join(tmpDir, 'corrupt'));
  store.shared = config.cache !== undefined;
  return {
    root,
    config,
    algo,
    store,
    tmpDir,
    parsed,
  };
}
