// The data domain's public surface: what training, evaluation, diffs and the CLI import.
export type { Manifest, ManifestSample, ManifestSource, ManifestLeakage, SplitName } from './types.js';
export { loadDataset, readManifest, parseManifest, splitIndices, samplePixels, type Dataset } from './load.js';
export { buildDataset, resolveSpecFile, MANIFEST_FILE } from './build.js';
export { parseDataSpec, type DataSpec } from './spec.js';
export { resolveManifest, assignSplit, PIXELS_FILE, DataLeakageError } from './resolve.js';
export { summarise, type ManifestSummary } from './summary.js';
export { diffManifests, type ManifestDiff } from './diff.js';
export { auditManifest, DEFAULT_IMBALANCE, type AuditReport, type Finding } from './audit.js';
