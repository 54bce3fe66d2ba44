// The data manifest: the resolved sample list a data spec builds into (a stage output, in the
// store, hashed in rx.lock). Training, evaluation, augmentation previews and diffs read only this
// and its pixel pack, never the spec's raw sources, so a manifest alone reproduces the data.

export type SplitName = 'train' | 'val' | 'test';

/** One resolved sample. `label` indexes Manifest.classes. */
export interface ManifestSample {
  /** Stable id: `<source>/<index within the source as read>`; unique in a manifest. */
  id: string;
  /** sha256 (hex) of the sample's pixel bytes (uint8, H*W*C, row-major HWC) after preprocessing. */
  hash: string;
  source: string;
  label: number;
  split: SplitName;
  /** Samples derived from another (synthetic copies) carry their parent's hash as group; the split is
   * assigned by the group hash, so a copy never lands in another split than its parent. */
  group?: string;
  meta?: Record<string, string | number | boolean>;
}

export interface ManifestSource {
  kind: 'real' | 'synthetic';
  /** Samples the source offered after preprocessing, before the budget. */
  available: number;
  /** Samples the budget selected. */
  selected: number;
  budget: { count: number } | { fraction: number; of: number };
  provenance: Record<string, unknown>;
  /** The split every sample of the source is pinned to, when the spec pins one. */
  split?: SplitName;
  /** The preprocessing steps as declared (for diffs and audits). */
  preprocess?: Record<string, unknown>[];
  /** A synthetic source's generator settings as declared. */
  generator?: Record<string, unknown>;
  /** Selected samples whose label a `label-noise` step flipped. */
  flipped?: number;
}

/** The leakage rules the manifest was checked against (audit reuses them). */
export interface ManifestLeakage {
  exact: 'error' | 'warn';
  near: false | { method: 'dhash' | 'ahash'; size?: 8 | 16; distance: number };
}

export interface Manifest {
  schema: 'rx.manifest/1';
  /** Project-relative path of the spec it was built from, and the spec's canonical hash. */
  spec: { path: string; hash: string };
  image: { height: number; width: number; channels: number; maxValue: number };
  classes: string[];
  split: { seed: number; fractions: Record<SplitName, number> };
  stratify: string[];
  /** Sibling binary file: uint8 pixels of every sample in `samples` order (N*H*W*C bytes). */
  pixels: { file: string; sha256: string; bytes: number };
  sources: Record<string, ManifestSource>;
  leakage?: ManifestLeakage;
  samples: ManifestSample[];
}
