// The ML sections of rx diff: the typed files a pipeline depends on (augmentation specs, model
// configs, data specs, recognised by their `schema:` field) and the data manifests its stages
// wrote (read from the store by the hash in each side's rx.lock), compared by meaning with each
// domain's own diff. A reviewer reads "rotate: p 0.5 -> 0.7" and "+160 noisy samples in train"
// instead of a YAML or JSON text diff.
import { parseYaml } from '../core/yaml.js';
import { compareStrings } from '../core/canonical.js';
import { structuralChanges, fieldChangeLine } from '../core/structural-diff.js';
import type { Project } from '../store/project.js';
import { readDirManifest } from '../store/tracked.js';
import type { Pipeline } from '../pipeline/definition.js';
import type { Lock } from '../pipeline/lock.js';
import type { MlChange } from '../pipeline/semantic-diff.js';
import { augmentSpecDiff, augmentSpecDiffLines, parseAugmentSpec } from '../augment/index.js';
import { parseManifest, diffManifests, type Manifest } from '../data/index.js';
import { manifestDiffLines } from '../report/data.js';
import { parseModelConfig, planModel, type ModelConfig } from '../model/config.js';
import type { Side } from './revisions.js';

type Kind = MlChange['kind'];
const KINDS: Record<string, Kind> = { 'rx.augment/1': 'augment', 'rx.model/1': 'model', 'rx.data/1': 'data-spec' };

interface Typed {
  kind: Kind;
  text: string;
  doc: unknown;
}

async function readTyped(side: Side, rel: string): Promise<Typed | undefined> {
  const text = await side.read(rel);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(text, rel);
  } catch {
    return undefined;
  }
  const schema = doc && typeof doc === 'object' ? (doc as { schema?: unknown }).schema : undefined;
  const kind = typeof schema === 'string' ? KINDS[schema] : undefined;
  return kind ? { kind, text, doc } : undefined;
}

/** The manifests of a side: data directories its lock records whose listing has a manifest.json. */
async function manifestsOf(project: Project, lock: Lock | undefined): Promise<Map<string, Manifest>> {
  const out = new Map<string, Manifest>();
  for (const stage of Object.values(lock?.stages ?? {})) {
    for (const o of stage.outs ?? []) {
      try {
        if (o.type === 'dir') {
          if (!(await project.store.has(o.hash))) continue;
          const entry = (await readDirManifest(project.store, o.hash)).entries.find((e) => e.path === 'manifest.json');
          if (!entry || !(await project.store.has(entry.hash))) continue;
          const rel = `${o.path}/manifest.json`;
          out.set(rel, parseManifest((await project.store.readBytes(entry.hash)).toString('utf8'), rel));
        } else if (o.path.endsWith('manifest.json') && (await project.store.has(o.hash))) {
          out.set(o.path, parseManifest((await project.store.readBytes(o.hash)).toString('utf8'), o.path));
        }
      } catch {
        // not a manifest after all, or unreadable: the data section still compares hashes
      }
    }
  }
  return out;
}

function change(a: unknown, b: unknown): MlChange['change'] {
  return a === undefined ? 'added' : b === undefined ? 'removed' : 'modified';
}

function modelLines(a: ModelConfig | undefined, b: ModelConfig | undefined, shape: number[] | undefined, classes: number | undefined): string[] {
  const lines = structuralChanges(a ?? {}, b ?? {}).map(fieldChangeLine);
  if (shape && classes) {
    const count = (c: ModelConfig | undefined) => {
      if (!c) return undefined;
      try {
        return planModel(c, shape, classes);
      } catch {
        return undefined;
      }
    };
    const pa = count(a);
    const pb = count(b);
    const n = (x: number) => x.toLocaleString('en-US');
    if (pa && pb && (pa.params !== pb.params || pa.flops !== pb.flops)) lines.push(`parameters ${n(pa.params)} -> ${n(pb.params)}, FLOPs per sample ${n(pa.flops)} -> ${n(pb.flops)} (on ${shape.join('x')} inputs)`);
  }
  return lines;
}

export async function mlChanges(project: Project, a: Side, b: Side, pipelines: Pipeline, locks: [Lock | undefined, Lock | undefined]): Promise<MlChange[]> {
  const out: MlChange[] = [];
  const [ma, mb] = [await manifestsOf(project, locks[0]), await manifestsOf(project, locks[1])];
  const anyManifest = [...mb.values(), ...ma.values()][0];
  const shape = anyManifest ? [anyManifest.image.height, anyManifest.image.width, anyManifest.image.channels] : undefined;
  const classes = anyManifest?.classes.length;

  const candidates = new Set<string>();
  for (const s of pipelines.stages) for (const d of s.deps) if (/\.ya?ml$/.test(d)) candidates.add(d);
  for (const lock of locks) for (const s of Object.values(lock?.stages ?? {})) for (const d of s.deps ?? []) if (/\.ya?ml$/.test(d.path)) candidates.add(d.path);
  for (const rel of [...candidates].sort(compareStrings)) {
    const [x, y] = [await readTyped(a, rel), await readTyped(b, rel)];
    if (!x && !y) continue;
    if (x && y && x.text === y.text) continue;
    const kind = (y ?? x)!.kind;
    let lines: string[];
    try {
      if (kind === 'augment') {
        const sa = x ? parseAugmentSpec(`${a.label}:${rel}`, x.text) : { schema: 'rx.augment/1' as const, seed: 0, ops: [] };
        const sb = y ? parseAugmentSpec(`${b.label}:${rel}`, y.text) : { schema: 'rx.augment/1' as const, seed: 0, ops: [] };
        lines = augmentSpecDiffLines(augmentSpecDiff(sa, sb));
      } else if (kind === 'model') {
        const ca = x ? parseModelConfig(`${a.label}:${rel}`, x.text).config : undefined;
        const cb = y ? parseModelConfig(`${b.label}:${rel}`, y.text).config : undefined;
        lines = modelLines(ca, cb, shape, classes);
      } else {
        lines = structuralChanges(x?.doc ?? {}, y?.doc ?? {}).map(fieldChangeLine);
      }
    } catch (err) {
      // An invalid file on one side still shows, as a field diff, with the problem named.
      lines = [`(not valid on one side: ${(err as Error).message.split('\n')[0]})`, ...structuralChanges(x?.doc ?? {}, y?.doc ?? {}).map(fieldChangeLine)];
    }
    if (lines.length === 0) lines = ['formatting or comments only'];
    out.push({ path: rel, kind, change: change(x, y), lines });
  }

  for (const rel of [...new Set([...ma.keys(), ...mb.keys()])].sort(compareStrings)) {
    const [x, y] = [ma.get(rel), mb.get(rel)];
    if (x && y) {
      const d = diffManifests(x, y, { a: `${a.label}:${rel}`, b: `${b.label}:${rel}` });
      if (!d.changed) continue;
      out.push({ path: rel, kind: 'manifest', change: 'modified', lines: manifestDiffLines(d) });
    } else {
      const m = (x ?? y)!;
      out.push({ path: rel, kind: 'manifest', change: change(x, y), lines: [`${m.samples.length} samples, ${Object.keys(m.sources).length} sources, ${m.classes.length} classes`] });
    }
  }
  return out;
}
