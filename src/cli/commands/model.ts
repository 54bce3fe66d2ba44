// rx model summary
import type { Command } from 'commander';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadSummaryOps = () => import('../../ops/model-summary.js');
import { UsageError } from '../../core/errors.js';
import { textTable } from '../../report/table.js';
import { formatBytes } from '../../report/format.js';
import { examples, type CliIO } from '../io.js';

export function registerModel(program: Command, io: CliIO): void {
  const model = program
    .command('model')
    .summary('model configs: summary')
    .addHelpText('after', examples(['rx model summary models/cnn.yaml --input 28x28x1', 'layers, parameters and FLOPs of a config']));
  model
    .command('summary')
    .summary('layers, parameters, FLOPs, weight bytes and measured latency of a model config')
    .argument('<config>', 'model config (models/*.yaml)')
    .option('--data <manifest>', 'the data manifest it is for (gives the input shape and classes)')
    .option('--input <HxWxC>', 'input shape when no manifest is given, e.g. 28x28x1')
    .option('--classes <n>', 'classes when no manifest is given', '10')
    .option('--width <w>', 'width multiplier (default: the config\'s)')
    .option('--batch <n>', 'batch size for the latency measurement', '64')
    .option('--no-measure', 'skip loading tfjs and measuring latency and memory')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx model summary models/cnn.yaml --data work/data/manifest.json', 'the template CNN on the digits'], ['rx model summary models/cnn.yaml --input 28x28x1 --width 2 --json', 'a wider variant for Fashion-MNIST']))
    .action(async (config: string, opts: { data?: string; input?: string; classes: string; width?: string; batch: string; measure: boolean; json?: boolean }, cmd: Command) => {
      const classes = Number(opts.classes);
      const batch = Number(opts.batch);
      const width = opts.width === undefined ? undefined : Number(opts.width);
      if (!Number.isInteger(classes) || classes < 2) throw new UsageError(`--classes must be a whole number >= 2, not ${opts.classes}`);
      if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive whole number, not ${opts.batch}`);
      if (width !== undefined && !(width > 0 && width <= 16)) throw new UsageError(`--width must be a number in (0, 16], not ${opts.width}`);
      const s = await (await loadSummaryOps()).modelSummary(io.context(cmd), { config, data: opts.data, input: opts.input, classes, width, batch, measure: opts.measure });
      if (opts.json) return io.json(s);
      const table = textTable({
        headers: ['block', 'layer', 'kind', 'output', 'params', 'FLOPs'],
        rows: s.layers.map((l) => [l.block === null ? 'head' : String(l.block), l.name, l.kind, l.output.join('x'), l.params.toLocaleString('en-US'), l.flops.toLocaleString('en-US')]),
        right: [4, 5],
      });
      const lines = [
        `${s.config}: input ${s.input.join('x')}, ${s.classes} classes`,
        table,
        `parameters ${s.params.toLocaleString('en-US')} (trainable ${s.trainable_params.toLocaleString('en-US')}), weights ${formatBytes(s.weight_bytes)}, ${s.flops_per_sample.toLocaleString('en-US')} FLOPs per sample`,
      ];
      if (s.latency) lines.push(`latency on ${s.backend}: ${s.latency.per_sample_ms} ms per sample, ${s.latency.per_batch_ms} ms per batch of ${s.latency.batch}; peak tensor memory ${formatBytes(s.latency.peak_tensor_bytes)}`);
      io.print(lines.join('\n'));
    });
}
