// Classification metrics as pure functions of predicted probabilities and labels: accuracy,
// per-class accuracy, mean cross-entropy, expected calibration error (equal-width confidence
// bins) and the confusion matrix. No tfjs here, so they are tested on hand-made arrays.

export interface ClassificationMetrics {
  samples: number;
  accuracy: number;
  loss: number;
  ece: number;
  /** class name -> accuracy over its samples; null when the class has none */
  perClass: Record<string, number | null>;
  /** confusion[true][predicted] */
  confusion: number[][];
}

const EPS = 1e-7;

/** Rounds to 6 significant decimals so metrics files do not carry float noise in the last bits. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function argmaxRow(probs: Float32Array | number[], row: number, classes: number): number {
  let best = 0;
  let bestP = -Infinity;
  for (let c = 0; c < classes; c++) {
    const p = probs[row * classes + c];
    if (p > bestP) {
      bestP = p;
      best = c;
    }
  }
  return best;
}

/**
 * `probs` holds n rows of `classNames.length` probabilities (summing to 1); `labels` the true class
 * of each row. ECE uses `bins` equal-width bins over the top-class confidence.
 */
export function classificationMetrics(probs: Float32Array | number[], labels: ArrayLike<number>, classNames: string[], bins = 15): ClassificationMetrics {
  const k = classNames.length;
  const n = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const binCount = new Array<number>(bins).fill(0);
  const binConf = new Array<number>(bins).fill(0);
  const binCorrect = new Array<number>(bins).fill(0);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const pred = argmaxRow(probs, i, k);
    const conf = probs[i * k + pred];
    confusion[y][pred]++;
    const ok = pred === y ? 1 : 0;
    correct += ok;
    loss -= Math.log(Math.max(probs[i * k + y], EPS));
    const b = Math.min(bins - 1, Math.floor(conf * bins));
    binCount[b]++;
    binConf[b] += conf;
    binCorrect[b] += ok;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (binCount[b] > 0) ece += (binCount[b] / n) * Math.abs(binCorrect[b] / binCount[b] - binConf[b] / binCount[b]);
  const perClass: Record<string, number | null> = {};
  classNames.forEach((name, c) => {
    const total = confusion[c].reduce((a, v) => a + v, 0);
    perClass[name] = total === 0 ? null : round6(confusion[c][c] / total);
  });
  return {
    samples: n,
    accuracy: n === 0 ? 0 : round6(correct / n),
    loss: n === 0 ? 0 : round6(loss / n),
    ece: n === 0 ? 0 : round6(ece),
    perClass,
    confusion,
  };
}

/** Learning rate at a 0-based epoch under the schedule (cosine decays to 0 over the run). */
export function learningRateAt(base: number, schedule: 'constant' | 'cosine', epoch: number, epochs: number): number {
  if (schedule === 'constant' || epochs <= 1) return base;
  return base * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
}
