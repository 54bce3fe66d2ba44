// rx verify: the CI check. Strictly read-only and never runs a command: rx.yaml, rx.lock
// and every pointer file validate; the lock covers exactly the pipeline's stages with the
// same commands, settings and params; every dependency's current hash equals the lock
// (git-tracked files hashed through the stat cache, rx-tracked data compared by pointer,
// stage outputs compared with the upstream entry, so no data is read); every hash the lock
// and the pointers name is in the store (or, with --no-store, only well-formed). With a
// revision, the same checks read the commit's tree blob by blob: nothing is checked out and
// the working tree and index are never read or written.
import { existsSync } from 'node:fs';
import type { Context } from '../core/context.js';
import { canonicalJson, compareStrings } from '../core/canonical.js';
import { absPath } from '../core/paths.js';
import { StatCache } from '../store/stat-cache.js';
import { findPointers, readPointer, parsePointer, pointerRefsIn, targetOfPointer, type Pointer, type PointerRef } from '../store/pointer.js';
import { readDirManifest } from '../store/tracked.js';
import { PIPELINE_FILE } from '../pipeline/definition.js';
import { producerOf } from '../pipeline/graph.js';
import { entryEnvs, parseLock, LOCK_FILE, type LockFileEntry, type Lock } from '../pipeline/lock.js';
import { paramValues, paramsReaderFrom } from '../pipeline/params.js';
import { observePath, observeInTree, type TreeEntry } from '../pipeline/observe.js';
import { buildGraph } from '../pipeline/graph.js';
import { openProject, type Project } from '../store/project.js';
import { loadPipelineFrom, workspaceReader, type FileReader } from '../pipeline/definition.js';
import { listCommitFiles, readBlobBytes } from '../git/tree.js';
import { resolveRevision } from '../git/revision.js';
import { projectRepo } from './revisions.js';

export interface VerifyOptions {
  /** Check hashes for format only, not for presence in the store (CI without the data). */
  noStore?: boolean;
  /** Verify this commit (any revision, an experiment name included) instead of the workspace. */
  rev?: string;
}

export interface Finding {
  code: string;
  file: string;
  stage?: string;
  path?: string;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  stages: number;
  pointers: number;
  findings: Finding[];
  /** With a revision: as given, and the commit it names. */
  rev?: string;
  commit?: string;
}

/** Where verify reads the project: the workspace, or a commit's tree. */
interface ProjectView {
  read: FileReader;
  pointerRefs(): PointerRef[];
  readPointer(ref: PointerRef): Promise<Pointer>;
  /** The path's hash as a lock records it (file or directory); undefined when it is not there. */
  observe(rel: string): Promise<LockFileEntry | undefined>;
  exists(rel: string): boolean;
}

function workspaceView(project: Project): ProjectView {
  const statCache = new StatCache(project.tmpDir, project.algo, { readOnly: true });
  return {
    read: workspaceReader(project.root),
    pointerRefs: () => findPointers(project.root),
    readPointer: (ref) => readPointer(project.root, ref.pointerRel, project.parsed),
    observe: (rel) => observePath(project, statCache, rel),
    exists: (rel) => existsSync(absPath(project.root, rel)),
  };
}

/** The project as a commit has it, every file read from its blob. */
async function commitView(project: Project, commit: string): Promise<ProjectView> {
  const { repo, prefix } = projectRepo(project);
  const entries: TreeEntry[] = (await listCommitFiles(repo, commit, prefix)).map((f) => ({ path: f.path, mode: f.mode, bytes: () => readBlobBytes(repo, f.oid) }));
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const read: FileReader = async (rel) => {
    const e = byPath.get(rel);
    return e && e.mode !== '120000' ? Buffer.from(await e.bytes()).toString('utf8') : undefined;
  };
  return {
    read,
    pointerRefs: () => pointerRefsIn(entries.filter((e) => e.mode !== '120000').map((e) => e.path)),
    readPointer: async (ref) => parsePointer(ref.pointerRel, (await read(ref.pointerRel))!, project.parsed),
    observe: (rel) => observeInTree(entries, rel, project.algo),
    exists: (rel) => byPath.has(rel) || entries.some((e) => e.path.startsWith(rel + '/')),
  };
}

/** The pointer that tracks `p` (itself or a directory containing it), if any. */
function pointerCovering(pointers: Map<string, Pointer>, p: string): [string, Pointer] | undefined {
  for (const [target, ptr] of pointers) if (p === target || p.startsWith(target + '/')) return [target, ptr];
  return undefined;
}

/** The hash the lock implies for `p` inside an upstream output, when knowable without reading data. */
async function impliedHash(project: Project, noStore: boolean, out: LockFileEntry, p: string): Promise<string | undefined> {
  if (out.path === p) return out.hash;
  if (noStore || out.type !== 'dir' || !(await project.store.has(out.hash))) return undefined;
  const rel = p.slice(out.path.length + 1);
  return (await readDirManifest(project.store, out.hash, out.path, { quarantine: false })).entries.find((e) => e.path === rel)?.hash;
}

export async function verify(ctx: Context, options: VerifyOptions): Promise<VerifyResult> {
  const project = await openProject(ctx.cwd, { readOnly: true });
  if (options.rev === undefined) return verifyView(project, workspaceView(project), options);
  const commit = await resolveRevision(projectRepo(project).repo, options.rev);
  const result = await verifyView(project, await commitView(project, commit), options);
  return { ...result, rev: options.rev, commit };
}

async function verifyView(project: Project, view: ProjectView, options: VerifyOptions): Promise<VerifyResult> {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const noStore = options.noStore ?? false;

  // Pointer files: each must parse and validate (exit 4 otherwise), and name stored data.
  const pointers = new Map<string, Pointer>();
  for (const ref of view.pointerRefs()) {
    const p = await view.readPointer(ref);
    pointers.set(targetOfPointer(ref.pointerRel, p), p);
    if (!noStore && !(await project.store.has(p.hash))) add({ code: 'RX_VERIFY_OBJECT_MISSING', file: ref.pointerRel, path: targetOfPointer(ref.pointerRel, p), message: `${p.hash} is not in the store` });
    // A directory's manifest passes the path guard too (exit 4 naming the entry); read only.
    else if (!noStore && p.type === 'dir') await readDirManifest(project.store, p.hash, ref.pointerRel, { quarantine: false });
  }

  const pipeline = await loadPipelineFrom(view.read, project.parsed);
  const lockText = await view.read(LOCK_FILE);
  const lock: Lock | undefined = lockText === undefined ? undefined : parseLock(lockText, LOCK_FILE, project.parsed);
  if (!pipeline) {
    if (lock && Object.keys(lock.stages).length > 0) add({ code: 'RX_VERIFY_STAGE_EXTRA', file: LOCK_FILE, message: `${LOCK_FILE} has stages but there is no ${PIPELINE_FILE}` });
    return { ok: findings.length === 0, stages: 0, pointers: pointers.size, findings };
  }
  const graph = buildGraph(pipeline.stages, pipeline.locate);
  if (!lock) {
    if (pipeline.stages.length > 0) add({ code: 'RX_VERIFY_NO_LOCK', file: LOCK_FILE, message: `no ${LOCK_FILE}: run rx repro and commit it` });
    return { ok: findings.length === 0, stages: pipeline.stages.length, pointers: pointers.size, findings };
  }
  const declared = new Set(pipeline.stages.map((s) => s.name));
  for (const name of Object.keys(lock.stages).sort(compareStrings)) {
    if (!declared.has(name)) add({ code: 'RX_VERIFY_STAGE_EXTRA', file: LOCK_FILE, stage: name, message: `stage ${name} is in ${LOCK_FILE} but not in ${PIPELINE_FILE}` });
  }
  const readParams = paramsReaderFrom(view.read);
  for (const stage of pipeline.stages) {
    const entry = lock.stages[stage.name];
    const at = { file: LOCK_FILE, stage: stage.name };
    if (!entry) {
      if (!stage.frozen) add({ ...at, code: 'RX_VERIFY_STAGE_NOT_LOCKED', message: `stage ${stage.name} has never been run (no entry in ${LOCK_FILE})` });
      continue;
    }
    if (canonicalJson(entry.cmd) !== canonicalJson(stage.cmd)) add({ ...at, code: 'RX_VERIFY_CMD_CHANGED', message: `the command of stage ${stage.name} differs from ${LOCK_FILE}` });
    const settings: [string, unknown, unknown][] = [
      ['wdir', entry.wdir ?? '', stage.wdir],
      // The run's own env (a replication seed) is recorded apart from env and is not rx.yaml's.
      ['env', entryEnvs(entry, stage.env).env, stage.env],
      ['seeds', entry.seeds ?? {}, stage.seeds],
    ];
    for (const [what, old, now] of settings) if (canonicalJson(old) !== canonicalJson(now)) add({ ...at, code: 'RX_VERIFY_SETTINGS_CHANGED', message: `${what} of stage ${stage.name} differs from ${LOCK_FILE}` });

    const { values, problems } = await paramValues(stage.params, readParams, stage.name);
    for (const p of problems) add({ ...at, code: 'RX_VERIFY_PARAM_MISSING', file: p.file, message: `${p.field ?? ''} ${p.message}`.trim() });
    const locked = entry.params ?? {};
    for (const spec of stage.params) {
      const keys = spec.keys ?? [...new Set([...Object.keys(values[spec.file] ?? {}), ...Object.keys(locked[spec.file] ?? {})])];
      for (const key of keys) {
        const now = spec.keys === null ? values[spec.file] : values[spec.file]?.[key];
        const old = spec.keys === null ? locked[spec.file] : locked[spec.file]?.[key];
        if (now === undefined) continue;
        if (canonicalJson(old ?? null) !== canonicalJson(now)) {
          add({ ...at, code: 'RX_VERIFY_PARAM_CHANGED', path: `${spec.file}:${spec.keys === null ? '(whole file)' : key}`, message: `param ${spec.file}:${spec.keys === null ? '(whole file)' : key} of stage ${stage.name} is ${canonicalJson(now)}, ${LOCK_FILE} says ${canonicalJson(old ?? null)}` });
        }
        if (spec.keys === null) break;
      }
    }

    const lockedDeps = new Map((entry.deps ?? []).map((d) => [d.path, d]));
    const lockedDepSet = [...lockedDeps.keys()].sort(compareStrings).join('\n');
    if (lockedDepSet !== stage.deps.join('\n')) add({ ...at, code: 'RX_VERIFY_DEPS_CHANGED', message: `the dependencies of stage ${stage.name} in ${PIPELINE_FILE} differ from ${LOCK_FILE}` });
    for (const dep of stage.deps) {
      const recorded = lockedDeps.get(dep);
      if (!recorded) continue;
      const producer = producerOf(graph, dep);
      if (producer !== undefined) {
        const upstreamOut = (lock.stages[producer]?.outs ?? []).find((o) => dep === o.path || dep.startsWith(o.path + '/'));
        if (!upstreamOut) continue; // reported for the upstream stage itself
        const implied = await impliedHash(project, noStore, upstreamOut, dep);
        if (implied !== undefined && implied !== recorded.hash) add({ ...at, code: 'RX_VERIFY_STALE', path: dep, message: `stage ${stage.name} used ${dep} ${recorded.hash}, but stage ${producer} now produces ${implied}: rerun rx repro` });
        continue;
      }
      const covering = pointerCovering(pointers, dep);
      if (covering) {
        // Data tracked by a pointer is compared through the pointer (and its manifest), not read.
        const [target, ptr] = covering;
        const tracked: LockFileEntry = { path: target, hash: ptr.hash, size: ptr.size, nfiles: ptr.nfiles };
        if (ptr.type === 'dir') tracked.type = 'dir';
        const implied = await impliedHash(project, noStore, tracked, dep);
        if (implied !== undefined) {
          if (implied !== recorded.hash) add({ ...at, code: 'RX_VERIFY_DEP_CHANGED', path: dep, message: `dependency ${dep} is tracked as ${implied}, ${LOCK_FILE} says ${recorded.hash}` });
          continue;
        }
      }
      if (covering && !view.exists(dep)) continue; // data not checked out here (never in a commit)
      const now = await view.observe(dep);
      if (!now) add({ ...at, code: 'RX_VERIFY_DEP_MISSING', path: dep, message: `dependency ${dep} of stage ${stage.name} does not exist` });
      else if (now.hash !== recorded.hash) add({ ...at, code: 'RX_VERIFY_DEP_CHANGED', path: dep, message: `dependency ${dep} is ${now.hash}, ${LOCK_FILE} says ${recorded.hash}` });
    }

    const lockedOuts = new Map((entry.outs ?? []).map((o) => [o.path, o]));
    if ([...lockedOuts.keys()].sort(compareStrings).join('\n') !== stage.outs.map((o) => o.path).join('\n')) {
      add({ ...at, code: 'RX_VERIFY_OUTS_CHANGED', message: `the outputs of stage ${stage.name} in ${PIPELINE_FILE} differ from ${LOCK_FILE}` });
    }
    for (const out of stage.outs) {
      const recorded = lockedOuts.get(out.path);
      if (!recorded) continue;
      if (!noStore && !(await project.store.has(recorded.hash))) add({ ...at, code: 'RX_VERIFY_OBJECT_MISSING', path: out.path, message: `output ${out.path} (${recorded.hash}) is not in the store` });
      // The manifest of a directory output passes the path guard too (exit 4 naming the entry).
      else if (!noStore && recorded.type === 'dir') await readDirManifest(project.store, recorded.hash, `${LOCK_FILE}: ${stage.name} ${out.path}`, { quarantine: false });
      // Outputs kept in git (metrics, plots) are checked against the lock: a hand edit is tampering.
      if (!out.cache) {
        const now = await view.observe(out.path);
        if (now && now.hash !== recorded.hash) add({ ...at, code: 'RX_VERIFY_OUT_CHANGED', path: out.path, message: `output ${out.path} is ${now.hash}, ${LOCK_FILE} says ${recorded.hash}` });
      }
    }
  }
  return { ok: findings.length === 0, stages: pipeline.stages.length, pointers: pointers.size, findings };
}
