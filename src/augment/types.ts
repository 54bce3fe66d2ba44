// The augmentation spec contract (augment/*.yaml, schema: rx.augment/1) after parsing and
// normalisation: shorthand strings are expanded, defaults filled in, so every consumer (the
// trainer, describe, diff) reads one shape.

export type OpName =
  | 'flip'
  | 'rotate'
  | 'translate'
  | 'scale'
  | 'crop'
  | 'brightness'
  | 'contrast'
  | 'gamma'
  | 'invert'
  | 'gaussian-noise'
  | 'salt-and-pepper'
  | 'blur'
  | 'erasing'
  | 'mixup';

export type OpFamily = 'geometric' | 'colour' | 'noise' | 'mixing';

export interface Bounds {
  min: number;
  max: number;
}

export type Distribution =
  | { kind: 'uniform' }
  /** Uniform in log(magnitude): scale-like ops (zoom, contrast) get as many draws in [0.5, 1] as in [1, 2]. */
  | { kind: 'log-uniform' }
  | { kind: 'truncated-normal'; mean: number; std: number }
  | { kind: 'choice'; values: number[] };

/** Scale multiplies the magnitude towards the op's identity value and/or the probability. */
export type ScheduleTarget = 'magnitude' | 'p' | 'both';

export type Schedule =
  | { kind: 'constant'; scale: number; target: ScheduleTarget }
  /** from at epoch 0 to `to` at epoch `epochs` (default: the run's last epoch), then held. */
  | { kind: 'linear'; from: number; to: number; epochs?: number; target: ScheduleTarget }
  /** Half-cosine from `from` to `to` over the same span as linear. */
  | { kind: 'cosine'; from: number; to: number; epochs?: number; target: ScheduleTarget }
  /** Piecewise constant: the scale of the last knot at or before the epoch (1 before the first). */
  | { kind: 'step'; knots: { epoch: number; scale: number }[]; target: ScheduleTarget };

export interface Conditions {
  source?: string[];
  /** Label indices (integers) or class names (strings, matched against ctx.className or the label as text). */
  class?: (string | number)[];
  split?: ('train' | 'val' | 'test')[];
  /** Inclusive, 0-based epochs. */
  epochs?: { from?: number; to?: number };
}

export interface AugmentOp {
  op: OpName;
  desc?: string;
  /** Probability the op applies to a sample, in [0,1]. */
  p: number;
  /** Bounds of the op's magnitude, in the op's unit (see OP_INFO); absent for flip, invert, mixup. */
  magnitude?: Bounds;
  distribution?: Distribution;
  when?: Conditions;
  schedule?: Schedule;
  /** flip */
  axis?: 'horizontal' | 'vertical';
  /** translate: magnitude in pixels (default) or as a fraction of the side. */
  unit?: 'pixels' | 'fraction';
  /** Geometric ops: what enters from outside the image (default zero). */
  fill?: 'zero' | 'edge';
  /** blur: kernel size in pixels (odd); default 2*ceil(3*sigma)+1. */
  kernel?: number;
  /** erasing: height/width ratio bounds of the erased rectangle (drawn log-uniformly). */
  aspect?: Bounds;
  /** erasing: fill value in [0,1], or per-pixel uniform noise. */
  value?: number | 'random';
  /** mixup: Beta(alpha, alpha) concentration. */
  alpha?: number;
}

export interface AugmentSpec {
  schema: 'rx.augment/1';
  desc?: string;
  seed: number;
  ops: AugmentOp[];
}

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export interface AugmentContext {
  /** The run's seed (mixed with the spec's seed). */
  seed: number;
  /** 0-based epoch. */
  epoch: number;
  sampleId: string;
  source: string;
  label: number;
  split: string;
  /** Total epochs of the run (schedules without `epochs` span it). */
  epochs: number;
  /** Optional class name, for `when.class` given by name. */
  className?: string;
}

export interface MixPartner {
  image: Float32Array;
  label: number;
  id: string;
}

export interface AugmentResult {
  image: Float32Array;
  /** Mixup happened: lambda in [0, 0.5] is the partner's weight, image = (1-lambda)*own + lambda*partner. */
  mix?: { label: number; lambda: number };
}
