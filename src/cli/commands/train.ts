// rx train and rx evaluate: the built-in ML stages.
import type { Command } from 'commander';
// Loaded when the command runs: tfjs and the data readers cost nothing to other commands.
const loadTrainOps = () => import('../../ops/train.js');
const loadEvaluateOps = () => import('../../ops/evaluate.js');
import { UsageError } from '../../core/errors.js';
import { textTable } from '../../report/table.js';
import { examples, type CliIO } from '../io.js';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number, not ${value}`);
  return n;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : (100 * x).toFixed(2) + '%';
}

export function registerTrain(program: Command, io: CliIO): void {
  program
    .command('train')
    .summary('train a model config on a data manifest, deterministically (a built-in stage)')
    .description(
      'Train the architecture of a model config on the train split of a data manifest, with an optional\naugmentation spec, and write the model directory: model.json, weights.bin, train.json (settings,\nseeds, backend, weights hash, per-epoch curves) and curves.json. Every random choice is seeded, so two\nruns on one tfjs backend write bitwise-identical weights. Progress per epoch goes to stderr.\nSettings come from the config\'s training: section, overridden by params.yaml\'s train: section.',
    )
    .requiredOption('--model <config>', 'model config (models/*.yaml)')
    .requiredOption('--data <manifest>', 'data manifest built by rx data build')
    .option('--augment <spec>', 'augmentation spec (augment/*.yaml)')
    .option('--params <file>', "params file whose train: section overrides the config's training settings")
    .requiredOption('--out <dir>', 'model directory to write (replaced only when training succeeds)')
    .option('--epochs <n>', 'override the number of epochs')
    .option('--seed <n>', 'override the training seed')
    .option('--workers <n>', 'data-parallel replicas (worker threads); results depend on it, so it is recorded')
    .option('--json', 'print the training record as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx train --model models/cnn.yaml --data work/data/manifest.json --augment augment/default.yaml --params params.yaml --out work/model', 'the digits template\'s train stage'],
        ['RX_TFJS_BACKEND=cpu rx train --model models/mlp.yaml --data work/data/manifest.json --out /tmp/m --epochs 1', 'a quick run on the plain cpu backend'],
      ),
    )
    .action(async (opts: { model: string; data: string; augment?: string; params?: string; out: string; epochs?: string; seed?: string; workers?: string; json?: boolean }, cmd: Command) => {
      const overrides: Record<string, number> = {};
      const epochs = positiveInt('--epochs', opts.epochs);
      if (epochs !== undefined) overrides.epochs = epochs;
      const workers = positiveInt('--workers', opts.workers);
      if (workers !== undefined) {
        if (workers > 16) throw new UsageError(`--workers must be at most 16, not ${workers}`);
        overrides.workers = workers;
      }
      if (opts.seed !== undefined) {
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number >= 0, not ${opts.seed}`);
        overrides.seed = seed;
      }
      const r = await (await loadTrainOps()).train(io.context(cmd), { model: opts.model, data: opts.data, augment: opts.augment, params: opts.params, out: opts.out, overrides });
      if (opts.json) return io.json(r);
      const last = r.curves[r.curves.length - 1];
      io.print(
        `trained ${r.model.path} (${r.params.toLocaleString('en-US')} parameters) on ${r.data.train} samples for ${r.settings.epochs} epochs on ${r.backend.name}${r.backend.simd ? ' (simd)' : ''}${r.settings.workers > 1 ? ` x${r.settings.workers} workers` : ''}\n` +
          `final: loss ${last.train_loss.toFixed(4)}, accuracy ${pct(last.train_accuracy)}${last.val_accuracy !== undefined ? `, val accuracy ${pct(last.val_accuracy)}` : ''}\n` +
          `weights ${r.weights} -> ${opts.out}`,
      );
    });

  program
    .command('evaluate')
    .summary('evaluate a trained model on a split of a data manifest (a built-in stage)')
    .description(
      'Predict the chosen split (default: test) of a data manifest with a model directory written by\nrx train, without augmentation, and write a metrics file: accuracy, loss, expected calibration error,\nper-class and per-source accuracy, train and val accuracy and the generalisation gap (train minus val).\nThe confusion matrix goes to --confusion FILE.',
    )
    .requiredOption('--model <dir>', 'model directory written by rx train')
    .requiredOption('--data <manifest>', 'data manifest built by rx data build')
    .requiredOption('--out <file>', 'metrics file to write (JSON)')
    .option('--split <split>', 'train, val or test', 'test')
    .option('--confusion <file>', 'also write the confusion matrix (JSON) here')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx evaluate --model work/model --data work/data/manifest.json --out metrics.json --confusion plots/confusion.json', 'the digits template\'s evaluate stage']))
    .action(async (opts: { model: string; data: string; out: string; split: string; confusion?: string; json?: boolean }, cmd: Command) => {
      if (!['train', 'val', 'test'].includes(opts.split)) throw new UsageError(`--split must be train, val or test, not ${opts.split}`);
      const r = await (await loadEvaluateOps()).evaluate(io.context(cmd), { model: opts.model, data: opts.data, out: opts.out, split: opts.split as 'test', confusion: opts.confusion });
      if (opts.json) return io.json(r);
      const m = r.metrics;
      const lines = [
        `${m.split}: ${m.samples} samples, accuracy ${pct(m.accuracy)}, loss ${m.loss.toFixed(4)}, ECE ${m.ece.toFixed(4)}` +
          (m.generalisation_gap !== undefined ? `, generalisation gap ${(100 * m.generalisation_gap).toFixed(2)} points` : ''),
        textTable({ headers: ['class', 'accuracy'], rows: Object.entries(m.per_class_accuracy).map(([c, a]) => [c, pct(a)]), right: [1] }),
        `metrics -> ${r.out}`,
      ];
      io.print(lines.join('\n'));
    });
}
