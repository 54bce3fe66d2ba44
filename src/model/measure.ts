// Measured inference cost of a planned model on the chosen backend: latency per sample and per
// batch (warm-up excluded, on zeros: the cost does not depend on the values) and the peak
// tensor memory of one batch. Used by rx model summary.
import type { Tensor } from '@tensorflow/tfjs-core';
import { tfCore } from './backend.js';
import { buildModel } from './builder.js';
import type { ModelPlan } from './config.js';

export interface InferenceCost {
  per_sample_ms: number;
  batch: number;
  per_batch_ms: number;
  peak_tensor_bytes: number;
}

export async function measureInference(plan: ModelPlan, batch: number): Promise<InferenceCost> {
  const tf = tfCore();
  const model = buildModel(plan, 0);
  try {
    const actual = model.countParams();
    if (actual !== plan.params) throw new Error(`model builder made ${actual} parameters where the plan counts ${plan.params}`);
    const time = (n: number, reps: number): number => {
      const x = tf.zeros([n, ...plan.input]);
      const once = () => tf.tidy(() => model.predict(x) as Tensor).dataSync();
      once(); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) once();
      const ms = (performance.now() - t0) / reps;
      x.dispose();
      return ms;
    };
    const perSample = time(1, 20);
    const perBatch = time(batch, 5);
    const x = tf.zeros([batch, ...plan.input]);
    const profile = await tf.profile(() => tf.tidy(() => model.predict(x) as Tensor));
    x.dispose();
    const round3 = (v: number) => Math.round(v * 1000) / 1000;
    return { per_sample_ms: round3(perSample), batch, per_batch_ms: round3(perBatch), peak_tensor_bytes: profile.peakBytes };
  } finally {
    model.dispose();
  }
}
