// rx data build|show|diff|audit: the data domain's commands. Text output is compact tables;
// --json prints the op's result (schemas in src/schema/data.ts).
import type { Command } from 'commander';
import type { DataBuildResult } from '../../ops/data.js';
import { UsageError } from '../../core/errors.js';
import { renderSummary, renderDiff, renderAudit } from '../../report/data.js';
import { examples, type CliIO } from '../io.js';
// Loaded when the command runs, so that start-up pays only for the command used.
const loadDataOps = () => import('../../ops/data.js');

export function registerData(program: Command, io: CliIO): void {
  const data = program
    .command('data')
    .summary('data specs and manifests: build, show, diff, audit')
    .addHelpText('after', examples(['rx data build data/digits.yaml --out out/data', 'build a manifest'], ['rx data audit out/data/manifest.json', 'check it for leakage and imbalance']));

  data
    .command('build')
    .summary('resolve a data spec into a manifest and a pixel pack')
    .description(
      'Read the sources of a data spec (data/*.yaml, schema rx.data/1), apply preprocessing, generators,\nbudgets, stratification and the seeded split, check leakage, and write OUT/manifest.json and\nOUT/pixels.u8. Nothing is written when anything is wrong. Usable as a stage command in rx.yaml.',
    )
    .argument('<spec>', 'the data spec (YAML)')
    .requiredOption('--out <dir>', 'directory for manifest.json and pixels.u8')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx data build data/digits.yaml --out out/data', 'build the digits mix'], ['rx data build data/digits.yaml --out out/data --json', 'the same, with the summary as JSON']))
    .action(async (spec: string, opts: { out: string; json?: boolean }, cmd: Command) => {
      const r: DataBuildResult = await (await loadDataOps()).dataBuild(io.context(cmd), { spec, out: opts.out });
      if (opts.json) io.json(r);
      else io.print(renderSummary(r.summary));
    });

  data
    .command('show')
    .summary('counts per source, split and class of a manifest')
    .argument('<manifest>', 'a manifest.json')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['rx data show out/data/manifest.json', 'sources, splits and classes as tables']))
    .action(async (manifest: string, opts: { json?: boolean }, cmd: Command) => {
      const s = await (await loadDataOps()).dataShow(io.context(cmd), { manifest });
      if (opts.json) io.json(s);
      else io.print(renderSummary(s));
    });

  data
    .command('diff')
    .summary('what changed between two manifests: sources, budgets, samples per source, class and split')
    .argument('<a>', 'a manifest path, or REV:path to read it from git')
    .argument('<b>', 'a manifest path, or REV:path')
    .option('--json', 'print the result as JSON')
    .option('--exit-code', 'exit 1 when anything differs')
    .addHelpText('after', examples(['rx data diff old/manifest.json out/data/manifest.json', 'samples added, removed and moved'], ['rx data diff HEAD~1:data/manifest.json data/manifest.json --json', 'against a committed manifest']))
    .action(async (a: string, b: string, opts: { json?: boolean; exitCode?: boolean }, cmd: Command) => {
      const d = await (await loadDataOps()).dataDiff(io.context(cmd), { a, b });
      if (opts.json) io.json(d);
      else io.print(renderDiff(d));
      if (opts.exitCode && d.changed) io.exitCode = 1;
    });

  data
    .command('audit')
    .summary('provenance gaps, class imbalance, leakage and near-duplicates in a manifest')
    .argument('<manifest>', 'a manifest.json')
    .option('--imbalance <ratio>', 'largest allowed max/min class ratio within a split', '1.5')
    .option('--json', 'print the result as JSON')
    .option('--exit-code', 'exit 1 when there are findings')
    .addHelpText('after', examples(['rx data audit out/data/manifest.json', 'every finding, one a line'], ['rx data audit out/data/manifest.json --imbalance 2 --exit-code', 'for CI: fail on findings']))
    .action(async (manifest: string, opts: { imbalance: string; json?: boolean; exitCode?: boolean }, cmd: Command) => {
      const imbalance = Number(opts.imbalance);
      if (!Number.isFinite(imbalance) || imbalance < 1) throw new UsageError(`--imbalance ${opts.imbalance}: expected a ratio >= 1`);
      const a = await (await loadDataOps()).dataAudit(io.context(cmd), { manifest, imbalance });
      if (opts.json) io.json(a);
      else io.print(renderAudit(a));
      if (opts.exitCode && !a.ok) io.exitCode = 1;
    });
}
