// rx install-hooks and the git-facing commands it installs: a stage-wise merge driver for
// rx.lock, a textconv diff driver for locks and pointer files, and a pre-commit hook that
// runs `rx verify --no-store`.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseYaml, LOCK_YAML_LIMITS } from '../core/yaml.js';
import type { Context } from '../core/context.js';
import { RxError, ExitCode } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { openProject } from '../store/project.js';
import { setRepoConfig } from '../git/repo.js';
import { parseLock, serialiseLock, LOCK_FILE, type Lock } from '../pipeline/lock.js';
import type { Manifest } from '../data/types.js';
import { mergeLocks } from '../pipeline/merge.js';
import { projectRepo } from './revisions.js';

export interface InstallHooksOptions {
  /** The shell words that run this rx (node and the bin script, absolute). */
  rxCommand: string;
  force?: boolean;
}

export interface InstallHooksResult {
  gitattributes: string;
  config: string[];
  hooks: string[];
  skipped: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const HOOK_MARKER = '# installed by rx install-hooks';
const ATTRIBUTES = [`${LOCK_FILE} merge=rx-lock diff=rx-lock`, '*.rx diff=rx-lock', 'manifest.json diff=rx-lock', 'augment/*.yaml diff=rx-lock', 'models/*.yaml diff=rx-lock', 'data/*.yaml diff=rx-lock'];

export async function installHooks(ctx: Context, options: InstallHooksOptions): Promise<InstallHooksResult> {
  const project = await openProject(ctx.cwd);
  const { repo, prefix } = projectRepo(project);
  const config: [string, string][] = [
    ['merge.rx-lock.name', 'rx stage-wise merge of rx.lock'],
    ['merge.rx-lock.driver', `${options.rxCommand} merge-driver %O %A %B %P`],
    ['diff.rx-lock.textconv', `${options.rxCommand} textconv`],
  ];
  for (const [k, v] of config) await setRepoConfig(repo, k, v);

  const attrFile = path.join(project.root, '.gitattributes');
  const current = await fsp.readFile(attrFile, 'utf8').catch(() => '');
  const lines = current === '' ? [] : current.replace(/\n$/, '').split('\n');
  for (const a of ATTRIBUTES) if (!lines.includes(a)) lines.push(a);
  await writeFileAtomic(attrFile, lines.join('\n') + '\n');

  const hooks: string[] = [];
  const skipped: string[] = [];
  const hookFile = path.join(repo.gitdir, 'hooks', 'pre-commit');
  const existing = await fsp.readFile(hookFile, 'utf8').catch(() => undefined);
  if (existing !== undefined && !existing.includes(HOOK_MARKER) && !options.force) {
    skipped.push(`${hookFile} exists and is not rx's (use --force to replace it)`);
  } else {
    const cd = prefix === '' ? '' : `cd ${JSON.stringify(prefix)} || exit 1\n`;
    const script = `#!/bin/sh\n${HOOK_MARKER}\n${cd}exec ${options.rxCommand} verify --no-store\n`;
    await fsp.mkdir(path.dirname(hookFile), { recursive: true });
    await writeFileAtomic(hookFile, script, { mode: 0o755 });
    await fsp.chmod(hookFile, 0o755);
    hooks.push('pre-commit');
  }
  return { gitattributes: path.relative(project.root, attrFile), config: config.map(([k]) => k), hooks, skipped };
}

async function readLockFile(file: string, label: string): Promise<Lock | undefined> {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined || text.trim() === '') return undefined;
  return parseLock(text, label);
}

export interface MergeDriverResult {
  conflicts: string[];
}

/** git merge driver: merges %O %A %B stage by stage and writes the result to %A. */
export async function mergeDriver(options: { base: string; ours: string; theirs: string; label?: string }): Promise<MergeDriverResult> {
  const label = options.label ?? LOCK_FILE;
  const base = await readLockFile(options.base, `${label} (base)`);
  const ours = await readLockFile(options.ours, `${label} (ours)`);
  const theirs = await readLockFile(options.theirs, `${label} (theirs)`);
  if (!ours || !theirs) {
    throw new RxError('RX_MERGE_UNREADABLE', ExitCode.differences, `${label}: one side of the merge is empty or missing; resolve by hand`);
  }
  const merged = mergeLocks(base, ours, theirs);
  await writeFileAtomic(options.ours, serialiseLock(merged.lock));
  return { conflicts: merged.conflicts };
}

/**
 * git textconv: a line-per-fact view of a lock, pointer file, data manifest (one line per
 * sample) or augmentation spec (one line per op), so diffs read well.
 */
export async function textconv(file: string): Promise<string> {
  const text = await fsp.readFile(file, 'utf8');
  let doc: unknown;
  try {
    // Any kind of file may be shown, a lock among them: the lock's size limit.
    doc = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text, file, LOCK_YAML_LIMITS);
  } catch {
    return text;
  }
  const d = doc as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') return text;
  if (d.schema === 'rx.manifest/1' && Array.isArray(d.samples)) {
    const m = d as unknown as Manifest;
    const head = `manifest: ${m.samples.length} samples, ${m.image.height}x${m.image.width}x${m.image.channels}, classes ${m.classes.join(' ')}; spec ${m.spec.path} ${m.spec.hash.slice(0, 12)}; pixels ${m.pixels.sha256.slice(0, 12)}`;
    const sources = Object.entries(m.sources).map(([n, x]) => `source ${n}: ${x.kind}, ${x.selected} of ${x.available} selected`);
    return [head, ...sources, ...m.samples.map((x) => `${x.id} ${x.split} ${m.classes[x.label] ?? x.label} ${x.hash.slice(0, 12)}`)].join('\n') + '\n';
  }
  if (d.schema === 'rx.augment/1') {
    try {
      const { parseAugmentSpec, describeAugmentSpec } = await import('../augment/index.js');
      return describeAugmentSpec(parseAugmentSpec(file, text)) + '\n';
    } catch {
      return text;
    }
  }
  // Model configs and data specs: one `key = value` line per fact, so a diff names the field.
  if (d.schema === 'rx.model/1' || d.schema === 'rx.data/1') {
    const { flatten } = await import('../pipeline/values.js');
    const lines: string[] = [];
    const walk = (v: unknown, at: string) => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}.${i}`));
      else if (v !== null && typeof v === 'object') for (const [k, x] of flatten(v)) walk(x, at === '' ? k : `${at}.${k}`);
      else lines.push(`${at} = ${JSON.stringify(v)}`);
    };
    walk(d, '');
    return lines.join('\n') + '\n';
  }
  const short = (h: unknown) => (typeof h === 'string' ? h.slice(0, h.indexOf(':') + 13) : String(h));
  if ('stages' in d && typeof d.stages === 'object') {
    const lock = d as unknown as Lock;
    const out: string[] = [];
    if (lock.env) out.push(`env: rx ${lock.env.rx}, node ${lock.env.node}, ${lock.env.platform}-${lock.env.arch}${lock.env.tfjs_backend ? `, tfjs ${lock.env.tfjs_backend}` : ''}`);
    for (const [name, s] of Object.entries(lock.stages ?? {})) {
      out.push(`stage ${name}: cmd ${JSON.stringify(s.cmd)}`);
      for (const dep of s.deps ?? []) out.push(`stage ${name}: dep ${dep.path} ${short(dep.hash)} (${plural(dep.nfiles, 'file')}, ${plural(dep.size, 'byte')})`);
      for (const [file, values] of Object.entries(s.params ?? {})) for (const [k, v] of Object.entries(values)) out.push(`stage ${name}: param ${file}:${k} = ${JSON.stringify(v)}`);
      for (const o of s.outs ?? []) out.push(`stage ${name}: out ${o.path} ${short(o.hash)} (${plural(o.nfiles, 'file')}, ${plural(o.size, 'byte')})`);
      for (const [k, v] of Object.entries(s.seeds ?? {})) out.push(`stage ${name}: seed ${k} = ${v}`);
    }
    return out.join('\n') + '\n';
  }
  if ('hash' in d && 'path' in d) return `${String(d.path)} (${String(d.type)}): ${short(d.hash)}, ${plural(Number(d.nfiles), 'file')}, ${plural(Number(d.size), 'byte')}\n`;
  return text;
}
