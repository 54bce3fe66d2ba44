// rx init: makes a directory an rx project (.rx/config.yaml committed, .rx/.gitignore for
// the store and temp files), creating a git repository when there is none. Idempotent;
// refuses to nest inside another rx project. With --template, also copies a complete project
// (data spec, augmentation specs, model configs, params, rx.yaml) from templates/<name>; the
// fashion-mnist template copies the IDX files in and tracks them with rx add.
import { promises as fsp, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic, pathExists } from '../core/atomic.js';
import { findProjectRoot, CONFIG_FILE, RX_DIR } from '../store/project.js';
import { findGitRoot, initRepo } from '../git/repo.js';

export interface InitOptions {
  dir?: string;
  template?: string;
  /** Where the fashion-mnist template reads the IDX files from. */
  data?: string;
}

export interface InitResult {
  root: string;
  createdGitRepo: boolean;
  created: string[];
  template?: string;
  tracked?: string[];
}

export const TEMPLATES = ['empty', 'digits', 'fashion-mnist'] as const;
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const TEMPLATE_ROOT = fileURLToPath(new URL('../../templates/', import.meta.url));

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The files a template puts in a project: [project-relative path, absolute source]. */
async function templateFiles(name: string, dataDir: string | undefined): Promise<[string, string][]> {
  if (!(TEMPLATES as readonly string[]).includes(name)) {
    throw new UsageError(`no template named ${name}: choose one of ${TEMPLATES.join(', ')}`);
  }
  if (name === 'empty') return [];
  const dir = path.join(TEMPLATE_ROOT, name);
  const files: [string, string][] = (await listFiles(dir)).map((rel) => [rel, path.join(dir, rel)]);
  if (name === 'fashion-mnist') {
    const from = dataDir ?? FASHION_MNIST_DIR;
    const missing = FASHION_MNIST_FILES.filter((f) => !existsSync(path.join(from, f)));
    if (missing.length > 0) {
      throw new UsageError(`the fashion-mnist template needs the Fashion-MNIST IDX files, and ${from} lacks ${missing.join(', ')}`, {
        data: { dir: from, missing },
        hint: dataDir
          ? 'point --data at the directory holding the four *-ubyte.gz files, or install the Debian package dataset-fashion-mnist and leave --data out'
          : 'install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or pass --data DIR',
      });
    }
    for (const f of FASHION_MNIST_FILES) files.push([`data/fashion-mnist/${f}`, path.join(from, f)]);
  }
  return files;
}

export const DEFAULT_CONFIG = `# rx project settings (committed). See \`rx --help\`.
schema: 1
# Hash algorithm of new objects: sha256 (default), blake3, xxh128 (fast, not for untrusted data), md5 (DVC interop)
hash: sha256
# How data is placed in the workspace, tried in order. reflink and copy give every workspace file
# its own inode, so no edit can reach a stored version. [hardlink] saves space and time but makes
# workspace files the read-only store objects themselves: run \`rx unprotect PATH\` before editing.
link: [reflink, copy]
`;

export async function init(ctx: Context, options: InitOptions): Promise<InitResult> {
  const root = path.resolve(ctx.cwd, options.dir ?? '.');
  const outer = findProjectRoot(path.dirname(root));
  if (outer && outer !== root) {
    throw new UsageError(`${root}: is inside the rx project ${outer}; rx projects do not nest`, { data: { outer } });
  }
  // The template is checked (name, data files, conflicts) before anything is created, so a
  // refused init leaves the directory as it was.
  const todo = await templateTodo(root, options.template ? await templateFiles(options.template, options.data && path.resolve(ctx.cwd, options.data)) : []);
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
  const result: InitResult = { root, createdGitRepo, created };
  if (options.template) {
    const copied = await copyTemplate(root, todo);
    created.push(...copied);
    result.template = options.template;
    if (options.template === 'fashion-mnist' && copied.some((f) => f.startsWith('data/fashion-mnist/'))) {
      const { add } = await import('./add.js');
      await add({ ...ctx, cwd: root }, { paths: ['data/fashion-mnist'], desc: 'Fashion-MNIST (Zalando Research, MIT licence), IDX files' });
      result.tracked = ['data/fashion-mnist'];
    }
  }
  return result;
}

/**
 * The template files not there yet. A file already present with other content is a conflict:
 * the init is refused then, so a project is never half-templated.
 */
async function templateTodo(root: string, files: [string, string][]): Promise<[string, string][]> {
  const todo: [string, string][] = [];
  const conflicts: string[] = [];
  for (const [rel, src] of files) {
    const dest = path.join(root, rel);
    if (!(await pathExists(dest))) todo.push([rel, src]);
    else if (!(await fsp.readFile(dest)).equals(await fsp.readFile(src))) conflicts.push(rel);
  }
  if (conflicts.length > 0) {
    throw new UsageError(`the template would overwrite files that differ from it: ${conflicts.join(', ')}`, { data: { conflicts }, hint: 'init the template into a new directory, or move these files away' });
  }
  return todo;
}

async function copyTemplate(root: string, todo: [string, string][]): Promise<string[]> {
  for (const [rel, src] of todo) {
    const dest = path.join(root, rel);
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await writeFileAtomic(dest, await fsp.readFile(src));
  }
  return todo.map(([rel]) => rel);
}
