// Classification metrics against hand-computed values.
import t from 'tap';
import { classificationMetrics, learningRateAt } from '../../src/model/metrics.js';

t.test('accuracy, loss, per-class accuracy and the confusion matrix', async (t) => {
  const probs = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7];
  const m = classificationMetrics(probs, [0, 1, 1, 1], ['a', 'b']);
  t.equal(m.accuracy, 0.75);
  t.same(m.confusion, [[1, 0], [1, 2]]);
  t.same(m.perClass, { a: 1, b: 0.666667 });
  const loss = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.7)) / 4;
  t.equal(m.loss, Math.round(loss * 1e6) / 1e6);
  // confidences 0.9 (right), 0.8 (right), 0.6 (wrong), 0.7 (right); 15 bins: each alone in its bin
  const ece = (Math.abs(1 - 0.9) + Math.abs(1 - 0.8) + Math.abs(0 - 0.6) + Math.abs(1 - 0.7)) / 4;
  t.equal(m.ece, Math.round(ece * 1e6) / 1e6);
  t.same(classificationMetrics([0.5, 0.5], [0], ['a', 'b'], 2).perClass, { a: 1, b: null }, 'a class with no samples has no accuracy');
});

t.test('a perfectly calibrated bin has no calibration error', async (t) => {
  // two samples at confidence 0.5, one right and one wrong
  const m = classificationMetrics([0.5, 0.5, 0.5, 0.5], [0, 1], ['a', 'b'], 10);
  t.equal(m.ece, 0);
});

t.test('learning-rate schedules', async (t) => {
  t.equal(learningRateAt(0.1, 'constant', 5, 10), 0.1);
  t.equal(learningRateAt(0.1, 'cosine', 0, 10), 0.1);
  t.ok(Math.abs(learningRateAt(0.1, 'cosine', 5, 10) - 0.05) < 1e-12);
  t.ok(learningRateAt(0.1, 'cosine', 9, 10) < 0.003);
});
