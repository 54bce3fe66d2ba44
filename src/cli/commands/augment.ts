// rx augment preview
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { examples, type CliIO } from '../io.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadAugmentOps = () => import('../../ops/augment.js');

function wholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--${flag} must be a whole number, not ${v}`);
  return n;
}

interface PreviewFlags {
  data: string;
  out: string;
  epoch?: string;
  epochs?: string;
  samples?: string;
  variants?: string;
  scale?: string;
  split?: string;
  seed?: string;
  json?: boolean;
}

export function registerAugment(program: Command, io: CliIO): void {
  const augment = program
    .command('augment')
    .summary('augmentation specs: preview what a policy does to real samples')
    .addHelpText('after', examples(['rx augment preview augment/default.yaml --data data/manifest.json -o preview.png', 'a grid of samples and their variants']));
  augment
    .command('preview')
    .summary('a PNG grid of samples and their augmented variants')
    .description(
      [
        'Apply an augmentation spec (augment/*.yaml) to the first N samples of a split of',
        'a data manifest and write a PNG grid: the originals in the first column, then K',
        'variants per row, upscaled S times (nearest neighbour). Variant k is exactly',
        'what a training run with seed (--seed + k) sees at --epoch: every draw is a pure',
        'function of the seeds, the epoch and the sample id. Mixup partners come from the',
        'whole split.',
      ].join('\n'),
    )
    .argument('<spec>', 'the augmentation spec (YAML, schema: rx.augment/1)')
    .requiredOption('--data <manifest>', 'the data manifest (JSON, schema: rx.manifest/1) with its pixel pack')
    .requiredOption('-o, --out <png>', 'where to write the grid (written atomically)')
    .option('--epoch <e>', '0-based epoch to preview (conditions and schedules depend on it)', '0')
    .option('--epochs <n>', 'total epochs of the run, for schedules that span the run (default: max(10, epoch+1))')
    .option('-n, --samples <n>', 'rows: samples shown', '8')
    .option('-k, --variants <k>', 'augmented variants per sample', '7')
    .option('-s, --scale <s>', 'nearest-neighbour upscaling factor', '4')
    .option('--split <split>', 'which split the samples (and mixup partners) come from', 'train')
    .option('--seed <seed>', 'run seed of the first variant', '0')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      examples(
        ['rx augment preview augment/default.yaml --data data/manifest.json -o preview.png', '8 digits, 7 variants each, at epoch 0'],
        ['rx augment preview augment/strong.yaml --data data/manifest.json --epoch 9 --epochs 10 -n 4 -k 10 -s 8 -o late.png', 'what a scheduled policy does in the last epoch'],
      ),
    )
    .action(async (spec: string, opts: PreviewFlags, cmd: Command) => {
      const r = await (await loadAugmentOps()).augmentPreview(io.context(cmd), {
        spec,
        data: opts.data,
        out: opts.out,
        epoch: wholeNumber('epoch', opts.epoch),
        epochs: wholeNumber('epochs', opts.epochs),
        samples: wholeNumber('samples', opts.samples),
        variants: wholeNumber('variants', opts.variants),
        scale: wholeNumber('scale', opts.scale),
        split: opts.split,
        seed: wholeNumber('seed', opts.seed),
      });
      if (opts.json) {
        io.json(r);
        return;
      }
      const mixed = r.samples.reduce((n, s) => n + s.variants.filter((v) => v.mix).length, 0);
      io.print(
        [
          `wrote ${r.out} (${r.width}x${r.height} px): ${r.samples.length} samples x ${r.variants} variants of ${r.data.split}, epoch ${r.epoch} of ${r.epochs}, scale ${r.scale}${mixed ? `, ${mixed} mixed` : ''}`,
          r.spec.description,
        ].join('\n'),
      );
    });
}
