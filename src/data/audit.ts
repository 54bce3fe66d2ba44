// Audit of a manifest, from the manifest alone (no pixels): provenance gaps (a source without
// licence or origin), class imbalance within a split beyond a max/min ratio, exact leakage
// (one content hash in several splits) and near-duplicates across splits (perceptual hashes
// recorded at build time in each sample's meta.phash).
import type { Manifest, SplitName } from './types.js';
import { exactLeaks, nearPairs } from './leakage.js';
import { DEFAULT_NEAR } from './spec.js';

export type FindingKind = 'provenance' | 'imbalance' | 'leakage' | 'near-duplicate';

export interface Finding {
  kind: FindingKind;
  severity: 'error' | 'warning';
  message: string;
  source?: string;
  split?: SplitName;
  missing?: string[];
  samples?: string[];
  ratio?: number;
  counts?: Record<string, number>;
  hash?: string;
  distance?: number;
}

export interface AuditOptions {
  /** Largest allowed max/min class-count ratio within a split (default 1.5). */
  imbalance?: number;
  /** Near-duplicate rule; default: the manifest's own (from its spec). */
  near?: false | { method: 'dhash' | 'ahash'; size?: 8 | 16; distance: number };
  /** Most near-duplicate pairs listed (all are counted). */
  maxNearListed?: number;
}

export interface AuditReport {
  manifest: string;
  ok: boolean;
  imbalanceThreshold: number;
  near: false | { method: 'dhash' | 'ahash'; size?: 8 | 16; distance: number };
  counts: Record<FindingKind, number>;
  findings: Finding[];
  /** The near-duplicate search hit its comparison limit: counts are lower bounds. */
  nearTruncated?: boolean;
}

export const DEFAULT_IMBALANCE = 1.5;
const REQUIRED_PROVENANCE = ['licence', 'origin'];
const SPLITS: SplitName[] = ['train', 'val', 'test'];

export function auditManifest(manifest: Manifest, manifestPath: string, options: AuditOptions = {}): AuditReport {
  const threshold = options.imbalance ?? DEFAULT_IMBALANCE;
  const near = options.near ?? manifest.leakage?.near ?? DEFAULT_NEAR;
  const findings: Finding[] = [];
  let truncated = false;
  const counts: Record<FindingKind, number> = { provenance: 0, imbalance: 0, leakage: 0, 'near-duplicate': 0 };

  for (const source of Object.keys(manifest.sources).sort()) {
    const src = manifest.sources[source]!;
    const selected = manifest.samples.filter((s) => s.source === source).length;
    if (selected === 0) continue;
    const missing = REQUIRED_PROVENANCE.filter((k) => {
      const v = src.provenance[k];
      return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
    });
    if (src.kind === 'synthetic' && src.generator) {
      // A synthetic source's origin is its generator; its licence follows its parent's.
      const parent = manifest.sources[String(src.generator.from)];
      const i = missing.indexOf('origin');
      if (i >= 0) missing.splice(i, 1);
      if (parent && missing.includes('licence') && parent.provenance.licence) missing.splice(missing.indexOf('licence'), 1);
    }
    if (missing.length > 0) {
      findings.push({ kind: 'provenance', severity: 'warning', source, missing, message: `${selected} sample(s) of source ${source} lack provenance: no ${missing.join(', no ')}` });
    }
  }

  for (const split of SPLITS) {
    const per = manifest.classes.map(() => 0);
    let n = 0;
    for (const s of manifest.samples) if (s.split === split) {
      per[s.label] = (per[s.label] ?? 0) + 1;
      n++;
    }
    if (n === 0) continue;
    const max = Math.max(...per);
    const min = Math.min(...per);
    const ratio = min === 0 ? Infinity : max / min;
    if (ratio > threshold + 1e-12) {
      const c: Record<string, number> = {};
      manifest.classes.forEach((cls, k) => (c[cls] = per[k]!));
      const most = manifest.classes[per.indexOf(max)]!;
      const least = manifest.classes[per.indexOf(min)]!;
      findings.push({
        kind: 'imbalance',
        severity: 'warning',
        split,
        counts: c,
        ...(Number.isFinite(ratio) ? { ratio: +ratio.toFixed(4) } : {}),
        message: min === 0
          ? `split ${split}: class ${least} has no samples (class ${most} has ${max})`
          : `split ${split}: class ${most} has ${max} samples, class ${least} ${min} (ratio ${ratio.toFixed(2)} > ${threshold})`,
      });
    }
  }

  for (const leak of exactLeaks(manifest.samples)) {
    findings.push({ kind: 'leakage', severity: 'error', hash: leak.hash, samples: leak.ids, message: `identical image in ${leak.splits.join(' and ')}: ${leak.ids.join(', ')}` });
  }

  if (near) {
    const items = manifest.samples.flatMap((s) => (typeof s.meta?.phash === 'string' ? [{ id: s.id, split: s.split, phash: s.meta.phash }] : []));
    const found = nearPairs(items, near.distance, options.maxNearListed ?? 100);
    for (const p of found.pairs) {
      findings.push({ kind: 'near-duplicate', severity: 'warning', samples: [p.a, p.b], distance: p.distance, message: `near-duplicate across ${p.splits[0]} and ${p.splits[1]}: ${p.a} ~ ${p.b} (${near.method} distance ${p.distance})` });
    }
    counts['near-duplicate'] = found.count;
    if (found.truncated) truncated = true;
  }
  for (const f of findings) if (f.kind !== 'near-duplicate') counts[f.kind]++;
  return { manifest: manifestPath, ok: findings.length === 0, imbalanceThreshold: threshold, near, counts, findings, ...(truncated ? { nearTruncated: true } : {}) };
}
