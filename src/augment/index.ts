// The augmentation API the trainer, rx diff and rx augment preview use: specs (load, parse,
// describe, diff) and per-sample application, a pure function of the seeds, epoch and sample id.
export { loadAugmentSpec, parseAugmentSpec, OP_INFO, OP_NAMES, suggestOp } from './spec.js';
export { augmentSample, augmentSampleTraced, scheduleScale, conditionsHold, drawMagnitude } from './policy.js';
export { describeAugmentSpec, describeAugmentOp, augmentSpecDiff, augmentSpecDiffLines } from './describe.js';
export type { AugmentSpecDiff, AugmentFieldChange, AugmentOpRef } from './describe.js';
export { SampleStream, sampleKey, philox4x32 } from './rng.js';
export type * from './types.js';
