// `rx data build` without the CLI: read and check a spec, read its real sources, resolve the
// manifest (pure, resolve.ts) and write DIR/manifest.json and DIR/pixels.u8. Every check runs
// before anything is written; both files are written atomically (pixels first, so a manifest
// never names a pack that is not there).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readInputFile } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { canonicalJson } from '../core/canonical.js';
import { findUp, toPosix } from '../core/paths.js';
import { parseDataSpec, type LoadedSpec } from './spec.js';
import { readSource } from './readers/index.js';
import type { SampleSet } from './image.js';
import { resolveManifest, PIXELS_FILE, type Resolved } from './resolve.js';
import { sha256Hex } from './hash.js';

export const MANIFEST_FILE = 'manifest.json';

/** The directory a spec's paths are relative to: its project's root, else its own directory. */
export function specBaseDir(specAbs: string): string {
  return findUp(path.dirname(specAbs), path.join('.rx', 'config.yaml')) ?? path.dirname(specAbs);
}

export async function loadSpecFile(specAbs: string, shown: string): Promise<LoadedSpec> {
  return parseDataSpec(shown, await readInputFile(specAbs, shown));
}

/** Resolves a spec file into a manifest and pixels in memory; writes nothing. */
export async function resolveSpecFile(specAbs: string, shown: string): Promise<Resolved> {
  const loaded = await loadSpecFile(specAbs, shown);
  const { spec, problem } = loaded;
  const baseDir = specBaseDir(specAbs);
  const read: Record<string, SampleSet> = {};
  for (const name of Object.keys(spec.sources).sort()) {
    const src = spec.sources[name]!;
    if (src.kind !== 'real' || !src.read) continue;
    read[name] = await readSource(src.read, { baseDir, specProblem: (segments, message) => problem(['sources', name, 'read', ...segments], message) });
  }
  const specRef = { path: toPosix(path.relative(baseDir, specAbs)), hash: sha256Hex(canonicalJson(spec)) };
  return resolveManifest({ spec, specRef, read, problem, pixelsFile: PIXELS_FILE });
}

export interface BuildResult extends Resolved {
  manifestPath: string;
  pixelsPath: string;
  manifestSha256: string;
}

export async function buildDataset(specAbs: string, shown: string, outDir: string): Promise<BuildResult> {
  const resolved = await resolveSpecFile(specAbs, shown);
  const text = canonicalJson(resolved.manifest) + '\n';
  await fsp.mkdir(outDir, { recursive: true });
  const manifestPath = path.join(outDir, MANIFEST_FILE);
  const pixelsPath = path.join(outDir, resolved.manifest.pixels.file);
  await writeFileAtomic(pixelsPath, resolved.pixels);
  await writeFileAtomic(manifestPath, text);
  return { ...resolved, manifestPath, pixelsPath, manifestSha256: sha256Hex(text) };
}
