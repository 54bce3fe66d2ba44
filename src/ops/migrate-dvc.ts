// rx migrate dvc: reads dvc.yaml, params.yaml and the vars files it names, converts them with
// pipeline/dvc-import and writes rx.yaml atomically (never over an existing one unless forced).
// Creating the rx project first, when there is none, is the caller's (createProject).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { RxError, ExitCode, UsageError, InvalidFileError, NotProjectError, isErrno, type FileProblem } from '../core/errors.js';
import { writeFileAtomic, pathExists } from '../core/atomic.js';
import { parseYaml } from '../core/yaml.js';
import { absPath, unsafePathReason } from '../core/paths.js';
import { findProjectRoot } from '../store/project.js';
import { PIPELINE_FILE, DEFAULT_PARAMS_FILE } from '../pipeline/definition.js';
import { DVC_FILE, parseDvcYaml, dvcVarsFiles } from '../pipeline/dvc-read.js';
import { convertDvcPipeline } from '../pipeline/dvc-import.js';
import type { ConversionWarning } from '../pipeline/dvc-report.js';

export interface MigrateDvcOptions {
  /** Convert and return the text; write nothing (and create no project). */
  dry?: boolean;
  /** Replace an existing rx.yaml. */
  force?: boolean;
  /** Makes dir an rx project when it is not one yet (rx init); absent: refuse instead. */
  createProject?: (dir: string) => Promise<void>;
}

export interface MigrateDvcResult {
  root: string;
  source: string;
  target: string;
  dry: boolean;
  written: boolean;
  /** Whether an rx project was created for the migration. */
  initialised: boolean;
  stages: { dvc: string; rx: string[] }[];
  warnings: ConversionWarning[];
  /** What rx refuses in the converted rx.yaml (a dry run reports them; a real one fails on them). */
  problems: FileProblem[];
  text: string;
}

async function readText(abs: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(abs, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'EISDIR')) return undefined;
    throw err;
  }
}

/** A vars file's parsed content; undefined when it is missing, unreadable, outside the project or not YAML/JSON. */
async function readVarsFile(root: string, rel: string): Promise<unknown> {
  if (path.posix.isAbsolute(rel) || rel === '..' || rel.startsWith('../') || unsafePathReason(rel) !== undefined) return undefined;
  const text = await readText(absPath(root, rel));
  if (text === undefined) return undefined;
  try {
    return parseYaml(text, rel);
  } catch {
    return undefined;
  }
}

const SKIPPED_DIRS = new Set(['.git', '.dvc', '.rx', 'node_modules']);
const MAX_SCANNED_ENTRIES = 20_000;

/** Data DVC tracks with `.dvc` pointer files (rx needs it added with rx add), project-relative. */
async function dvcTrackedData(root: string): Promise<string[]> {
  const found: string[] = [];
  let budget = MAX_SCANNED_ENTRIES;
  const walk = async (rel: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fsp.readdir(rel === '' ? root : absPath(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (--budget < 0) return;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) await walk(child);
      else if (e.isFile() && e.name.endsWith('.dvc') && e.name !== '.dvc') found.push(child);
    }
  };
  await walk('');
  return found;
}

export async function migrateDvc(ctx: Context, options: MigrateDvcOptions = {}): Promise<MigrateDvcResult> {
  const projectRoot = findProjectRoot(ctx.cwd);
  const root = projectRoot ?? ctx.cwd;
  const dvcText = await readText(path.join(root, DVC_FILE));
  if (dvcText === undefined) {
    if (!projectRoot) throw new NotProjectError(ctx.cwd);
    throw new UsageError(`no ${DVC_FILE} in ${root}: nothing to migrate`, { data: { root }, hint: `run rx migrate dvc where ${DVC_FILE} is (the project root)` });
  }
  const target = path.join(root, PIPELINE_FILE);
  if (!options.dry && !options.force && (await pathExists(target))) {
    throw new RxError('RX_WOULD_OVERWRITE', ExitCode.differences, `${PIPELINE_FILE} exists in ${root}; not replaced`, {
      data: { path: target },
      hint: 'rx migrate dvc --dry prints the conversion; --force replaces rx.yaml',
    });
  }

  const dvc = parseDvcYaml(DVC_FILE, dvcText);
  const paramsText = await readText(path.join(root, DEFAULT_PARAMS_FILE));
  let params: unknown;
  try {
    params = paramsText === undefined ? undefined : parseYaml(paramsText, DEFAULT_PARAMS_FILE);
  } catch (err) {
    if (err instanceof InvalidFileError) throw err; // located by the YAML reader
    throw new InvalidFileError([{ file: DEFAULT_PARAMS_FILE, message: (err as Error).message.split('\n')[0]! }]);
  }
  const files: Record<string, unknown> = {};
  for (const rel of dvcVarsFiles(dvc)) {
    const doc = await readVarsFile(root, rel);
    if (doc !== undefined) files[rel] = doc;
  }
  const conversion = convertDvcPipeline({ dvc, params, files });

  const warnings = [...conversion.warnings];
  if (await pathExists(path.join(root, 'dvc.lock'))) {
    warnings.push({ code: 'dvc-lock', file: 'dvc.lock', message: 'dvc.lock is not imported: the first rx repro runs every stage and writes rx.lock' });
  }
  for (const pointer of await dvcTrackedData(root)) {
    const data = pointer.slice(0, -'.dvc'.length);
    warnings.push({ code: 'dvc-tracked-data', file: pointer, message: `${data} is tracked by DVC: after dvc pull, track it with rx add ${data}` });
  }

  const result: MigrateDvcResult = {
    root,
    source: DVC_FILE,
    target: PIPELINE_FILE,
    dry: Boolean(options.dry),
    written: false,
    initialised: false,
    stages: conversion.stages,
    warnings,
    problems: conversion.problems,
    text: conversion.text,
  };
  if (options.dry) return result;
  if (conversion.problems.length > 0) {
    throw new InvalidFileError(conversion.problems, {
      hint: `the ${PIPELINE_FILE} converted from ${DVC_FILE} would not load; nothing was written (rx migrate dvc --dry prints it)`,
    });
  }
  if (!projectRoot) {
    if (!options.createProject) throw new NotProjectError(ctx.cwd, root);
    await options.createProject(root);
    result.initialised = true;
  }
  await writeFileAtomic(target, conversion.text);
  result.written = true;
  return result;
}
