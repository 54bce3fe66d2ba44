// Applying a spec to one sample: conditions, schedules, probabilities and magnitudes drawn
// from the sample's own counter-based stream (rng.ts), then the pixel ops (ops.ts) in order.
// The result is a pure function of (spec, image, shape, ctx, partner), whatever else the
// caller augments before, after or in parallel.
//
// Random draws per op index i: draw 0 decides whether the op applies; draws 1..15 are its
// parameters (magnitude first); mixup's Beta draws start at 8; per-pixel values come from a
// stream keyed by draw 16 (SampleStream.fillPixelUniform).
import { SampleStream, truncatedNormal, symmetricBeta, normalQuantile } from './rng.js';
import { OP_INFO } from './spec.js';
import * as px from './ops.js';
import type { AugmentContext, AugmentOp, AugmentResult, AugmentSpec, Conditions, ImageShape, MixPartner, Schedule } from './types.js';

const PIXEL_DRAWS = 16;
const BETA_DRAWS = 8;

/** The multiplier a schedule gives at a 0-based epoch of a run of `totalEpochs` epochs. */
export function scheduleScale(s: Schedule, epoch: number, totalEpochs: number): number {
  switch (s.kind) {
    case 'constant':
      return s.scale;
    case 'linear':
    case 'cosine': {
      const span = s.epochs ?? Math.max(1, totalEpochs - 1);
      const t = Math.min(1, Math.max(0, epoch / span));
      const w = s.kind === 'linear' ? t : (1 - Math.cos(Math.PI * t)) / 2;
      return s.from + (s.to - s.from) * w;
    }
    case 'step': {
      let scale = 1;
      for (const k of s.knots) if (k.epoch <= epoch) scale = k.scale;
      return scale;
    }
  }
}

/** Whether an op's `when` holds for a sample at an epoch. */
export function conditionsHold(when: Conditions | undefined, ctx: AugmentContext): boolean {
  if (!when) return true;
  if (when.source && !when.source.includes(ctx.source)) return false;
  if (when.split && !(when.split as string[]).includes(ctx.split)) return false;
  if (when.class && !when.class.some((c) => (typeof c === 'number' ? c === ctx.label : c === (ctx.className ?? String(ctx.label))))) return false;
  if (when.epochs) {
    if (when.epochs.from !== undefined && ctx.epoch < when.epochs.from) return false;
    if (when.epochs.to !== undefined && ctx.epoch > when.epochs.to) return false;
  }
  return true;
}

/** A magnitude in [min, max] from the op's distribution and one uniform. */
export function drawMagnitude(op: AugmentOp, u: number): number {
  const m = op.magnitude!;
  const d = op.distribution ?? { kind: 'uniform' };
  switch (d.kind) {
    case 'truncated-normal':
      return truncatedNormal(u, d.mean, d.std, m.min, m.max);
    case 'choice':
      return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))]!;
    case 'log-uniform':
      return Math.min(m.max, Math.max(m.min, Math.exp(Math.log(m.min) + (Math.log(m.max) - Math.log(m.min)) * u)));
    default:
      return m.min + (m.max - m.min) * u;
  }
}

// Scratch buffers reused across calls (never returned to callers): augmentation is called per
// sample per epoch, and the shapes of one dataset never change.
const pool: Float32Array[] = [];
let uniforms = new Float64Array(0);
let kernelScratch = new Float64Array(64);
function scratch(slot: number, n: number): Float32Array {
  let b = pool[slot];
  if (!b || b.length !== n) pool[slot] = b = new Float32Array(n);
  return b;
}
/** Per-pixel uniforms stay in doubles: in float32 a value just below 1 would round to 1. */
function uniformScratch(n: number): Float64Array {
  if (uniforms.length < n) uniforms = new Float64Array(n);
  return uniforms;
}

function fmt(v: number): string {
  return String(Number(v.toFixed(3)));
}

interface Run {
  cur: Float32Array;
  spare: Float32Array;
}

function swap(run: Run): void {
  const t = run.cur;
  run.cur = run.spare;
  run.spare = t;
}

/**
 * augmentSample with a trace of what applied (for previews and debugging): one string per
 * applied op with its drawn parameters.
 */
export function augmentSampleTraced(
  spec: AugmentSpec,
  image: Float32Array,
  shape: ImageShape,
  ctx: AugmentContext,
  partner?: (u: number) => MixPartner,
  trace?: string[],
): AugmentResult {
  const { height: H, width: W, channels: C } = shape;
  const n = H * W * C;
  if (image.length !== n) throw new RangeError(`image has ${image.length} values, shape ${H}x${W}x${C} needs ${n}`);
  const result = image.slice();
  const run: Run = { cur: result, spare: scratch(0, n) };
  const stream = new SampleStream(spec.seed, ctx.seed, ctx.sampleId, ctx.epoch);
  let mixOut: AugmentResult['mix'];

  for (let i = 0; i < spec.ops.length; i++) {
    const op = spec.ops[i]!;
    if (!conditionsHold(op.when, ctx)) continue;
    let scale = 1;
    let scaleP = false;
    let scaleM = false;
    if (op.schedule) {
      scale = scheduleScale(op.schedule, ctx.epoch, ctx.epochs);
      scaleP = op.schedule.target !== 'magnitude';
      scaleM = op.schedule.target !== 'p';
    }
    const p = scaleP ? Math.min(1, Math.max(0, op.p * scale)) : op.p;
    if (!(stream.uniform(i, 0) < p)) continue;

    const info = OP_INFO[op.op];
    let v = 0;
    if (info.magnitude && op.magnitude) {
      v = drawMagnitude(op, stream.uniform(i, 1));
      if (scaleM) v = info.magnitude.identity + scale * (v - info.magnitude.identity);
      const [lo, hi] = info.magnitude.range;
      v = v < lo ? lo : v > hi ? hi : v;
    }
    switch (op.op) {
      case 'flip':
        px.flip(run.cur, run.spare, shape, op.axis ?? 'horizontal');
        swap(run);
        trace?.push(`flip ${op.axis}`);
        break;
      case 'rotate':
        px.rotate(run.cur, run.spare, shape, v, op.fill ?? 'zero');
        swap(run);
        trace?.push(`rotate ${fmt(v)}`);
        break;
      case 'translate': {
        // x and y shifts are independent draws from the same distribution.
        let dy = drawMagnitude(op, stream.uniform(i, 2));
        if (scaleM) dy *= scale;
        let dx = v;
        if (op.unit === 'fraction') {
          dx *= W;
          dy *= H;
        }
        px.translate(run.cur, run.spare, shape, dx, dy, op.fill ?? 'zero');
        swap(run);
        trace?.push(`translate ${fmt(dx)},${fmt(dy)}`);
        break;
      }
      case 'scale':
        px.scale(run.cur, run.spare, shape, v, op.fill ?? 'zero');
        swap(run);
        trace?.push(`scale ${fmt(v)}`);
        break;
      case 'crop': {
        const cw = v * W;
        const ch = v * H;
        const x0 = stream.uniform(i, 2) * (W - cw);
        const y0 = stream.uniform(i, 3) * (H - ch);
        px.cropResize(run.cur, run.spare, shape, x0, y0, cw, ch);
        swap(run);
        trace?.push(`crop ${fmt(v)}@${fmt(x0)},${fmt(y0)}`);
        break;
      }
      case 'brightness':
        px.brightness(run.cur, v);
        trace?.push(`brightness ${fmt(v)}`);
        break;
      case 'contrast':
        px.contrast(run.cur, v);
        trace?.push(`contrast ${fmt(v)}`);
        break;
      case 'gamma':
        px.gamma(run.cur, v);
        trace?.push(`gamma ${fmt(v)}`);
        break;
      case 'invert':
        px.invert(run.cur);
        trace?.push('invert');
        break;
      case 'gaussian-noise': {
        // One uniform per value through the inverse normal CDF (polynomial in the central 95%).
        const u = uniformScratch(n);
        stream.fillPixelUniform(i, PIXEL_DRAWS, u, n);
        const img = run.cur;
        for (let k = 0; k < n; k++) {
          const x = img[k]! + v * normalQuantile(u[k]!);
          img[k] = x < 0 ? 0 : x > 1 ? 1 : x;
        }
        trace?.push(`gaussian-noise ${fmt(v)}`);
        break;
      }
      case 'salt-and-pepper': {
        const u = uniformScratch(H * W);
        stream.fillPixelUniform(i, PIXEL_DRAWS, u, H * W);
        const [pepper, salt] = px.saltAndPepper(run.cur, shape, v, u);
        // Drawn but hitting no pixel: say it changed nothing rather than list it as applied.
        trace?.push(pepper + salt === 0 ? `salt-and-pepper ${fmt(v)} hit no pixel (image unchanged)` : `salt-and-pepper ${fmt(v)} (${pepper} black, ${salt} white)`);
        break;
      }
      case 'blur': {
        if (v <= 0) break;
        const size = op.kernel ?? 2 * Math.ceil(3 * v) + 1;
        if (kernelScratch.length < size) kernelScratch = new Float64Array(size);
        const k = px.gaussianKernel(v, size, kernelScratch);
        px.convolveSeparable(run.cur, run.spare, scratch(1, n), shape, k, size);
        swap(run);
        trace?.push(`blur ${fmt(v)}`);
        break;
      }
      case 'erasing': {
        const aspect = op.aspect ?? { min: 0.3, max: 3.3 };
        const la = Math.log(aspect.min);
        const r = Math.exp(la + stream.uniform(i, 2) * (Math.log(aspect.max) - la));
        const area = v * H * W;
        const h = Math.min(H, Math.max(1, Math.round(Math.sqrt(area * r))));
        const w = Math.min(W, Math.max(1, Math.round(Math.sqrt(area / r))));
        const y0 = Math.min(H - h, Math.floor(stream.uniform(i, 3) * (H - h + 1)));
        const x0 = Math.min(W - w, Math.floor(stream.uniform(i, 4) * (W - w + 1)));
        let noise: Float32Array | undefined;
        if (op.value === 'random') {
          noise = scratch(1, h * w * C);
          stream.fillPixelUniform(i, PIXEL_DRAWS, noise);
        }
        px.erase(run.cur, shape, x0, y0, w, h, typeof op.value === 'number' ? op.value : 0, noise);
        trace?.push(`erasing ${w}x${h}@${x0},${y0}`);
        break;
      }
      case 'mixup': {
        if (!partner) break;
        const other = partner(stream.uniform(i, 1));
        if (other.image.length !== n) throw new RangeError(`mixup partner ${other.id} has ${other.image.length} values, expected ${n}`);
        const b = symmetricBeta(op.alpha ?? 0.2, (k) => stream.uniform(i, BETA_DRAWS + k));
        let lambda = Math.min(b, 1 - b);
        if (scaleM) lambda = Math.min(0.5, Math.max(0, lambda * scale));
        px.mix(run.cur, other.image, lambda);
        mixOut = { label: other.label, lambda };
        trace?.push(`mixup ${other.id} ${fmt(lambda)}`);
        break;
      }
    }
  }
  if (run.cur !== result) result.set(run.cur);
  return mixOut ? { image: result, mix: mixOut } : { image: result };
}

/**
 * Augments one sample. Returns a new array (the input is never modified). With a mixup op
 * and a `partner` picker, the partner is chosen by `partner(u)` with u in [0,1) from the
 * sample's stream (pick from the dataset, e.g. index floor(u*N), not from the batch), and
 * `mix` reports its label and lambda in [0, 0.5], the partner's weight:
 *   image  = (1 - lambda) * own + lambda * partner
 *   target = (1 - lambda) * onehot(label) + lambda * onehot(mix.label)
 */
export function augmentSample(
  spec: AugmentSpec,
  image: Float32Array,
  shape: ImageShape,
  ctx: AugmentContext,
  partner?: (u: number) => MixPartner,
): AugmentResult {
  return augmentSampleTraced(spec, image, shape, ctx, partner);
}

