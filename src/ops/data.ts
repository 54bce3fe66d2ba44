// rx data build|show|diff|audit: paths from the user (relative to the context's cwd) to the
// data domain's cores, results returned as data. A diff side may be `REV:path`, read from git.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../core/context.js';
import { InvalidFileError, UsageError } from '../core/errors.js';
import { toPosix } from '../core/paths.js';
import { findGitRoot, openRepo } from '../git/repo.js';
import { resolveRevision, readFileAtCommit } from '../git/revision.js';
import { buildDataset } from '../data/build.js';
import { readManifest, parseManifest } from '../data/load.js';
import { summarise, type ManifestSummary } from '../data/summary.js';
import { diffManifests, type ManifestDiff } from '../data/diff.js';
import { auditManifest, type AuditReport } from '../data/audit.js';
import type { Manifest } from '../data/types.js';

export interface DataBuildResult {
  manifest: string;
  pixels: { file: string; sha256: string; bytes: number };
  manifestSha256: string;
  summary: ManifestSummary;
  warnings: string[];
}

export async function dataBuild(ctx: Context, options: { spec: string; out: string }): Promise<DataBuildResult> {
  const specAbs = path.resolve(ctx.cwd, options.spec);
  const outDir = path.resolve(ctx.cwd, options.out);
  const r = await buildDataset(specAbs, options.spec, outDir);
  const shownManifest = toPosix(path.relative(ctx.cwd, r.manifestPath));
  for (const w of r.warnings) ctx.reporter.warn(w);
  ctx.reporter.info(`wrote ${shownManifest} (${r.manifest.samples.length} samples) and ${toPosix(path.relative(ctx.cwd, r.pixelsPath))} (${r.pixels.length} bytes)`);
  return {
    manifest: shownManifest,
    pixels: { file: toPosix(path.relative(ctx.cwd, r.pixelsPath)), sha256: r.manifest.pixels.sha256, bytes: r.manifest.pixels.bytes },
    manifestSha256: r.manifestSha256,
    summary: summarise(r.manifest, shownManifest),
    warnings: r.warnings,
  };
}

export async function dataShow(ctx: Context, options: { manifest: string }): Promise<ManifestSummary> {
  const m = await readManifest(path.resolve(ctx.cwd, options.manifest), options.manifest);
  return summarise(m, options.manifest);
}

/** A manifest from a path, or from `REV:path` (read from git, never checked out). */
export async function manifestFromArg(ctx: Context, arg: string): Promise<Manifest> {
  const abs = path.resolve(ctx.cwd, arg);
  const m = /^([^:]+):(.+)$/.exec(arg);
  if (existsSync(abs) || !m) return readManifest(abs, arg);
  const gitRoot = findGitRoot(ctx.cwd);
  if (!gitRoot) throw new UsageError(`${arg}: no such file, and ${ctx.cwd} is not inside a git repository to read ${m[2]} at ${m[1]} from`);
  const repo = openRepo(gitRoot);
  const commit = await resolveRevision(repo, m[1]!);
  const rel = toPosix(path.relative(gitRoot, path.resolve(ctx.cwd, m[2]!)));
  const text = await readFileAtCommit(repo, commit, rel);
  if (text === undefined) throw new InvalidFileError([{ file: arg, message: `no file ${rel} at ${m[1]}` }]);
  return parseManifest(text, arg);
}

export async function dataDiff(ctx: Context, options: { a: string; b: string }): Promise<ManifestDiff> {
  const a = await manifestFromArg(ctx, options.a);
  const b = await manifestFromArg(ctx, options.b);
  return diffManifests(a, b, { a: options.a, b: options.b });
}

export async function dataAudit(ctx: Context, options: { manifest: string; imbalance?: number }): Promise<AuditReport> {
  const m = await readManifest(path.resolve(ctx.cwd, options.manifest), options.manifest);
  return auditManifest(m, options.manifest, options.imbalance === undefined ? {} : { imbalance: options.imbalance });
}
