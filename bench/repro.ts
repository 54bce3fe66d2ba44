// Pipeline benchmarks: a no-op `rx repro` of a 50-stage pipeline (10 chains of 5 stages,
// each stage cat-ing its dependency into its output and appending a line), held to an
// absolute target and shown beside snakemake's figure quoted from the spec (not run here);
// then `rx verify --no-store` on 50 stages whose outputs are directories and whose
// dependencies include a tracked directory of 100,000 tiny files (so every stage has a
// 100,000-entry manifest to check), with `rx status` on the same project for information.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORK_DIR, bestOf, discard, fmtSeconds, measure, measureRow, run, rxArgv, settleAndWarm, step, writeRandomTree, type Row } from './lib.js';

export const PIPELINE_STAGES = 50;
export const CHAIN_LENGTH = 5;
const NOOP_RUNS = 5;
const VERIFY_RUNS = 3;
/** Snakemake's no-op time for the same 50-stage pipeline, as measured by the spec's authors. */
const SNAKEMAKE_NOOP_SECONDS = 0.69;
/** The shared dependency: 100 directories x 1,000 files of 8 bytes, tracked with rx add. */
export const BIG_SPEC = { dirs: 100, filesPerDir: 1000, fileSize: 8, seed: 11 };

export interface PipelineSpec {
  stages: number;
  /** Stages per chain: the first reads src/cN.txt, each next one its predecessor's output. */
  chain: number;
  /** Every stage's output is a directory out/sI/ (holding part.txt) rather than a file out/sI.txt. */
  dirOuts?: boolean;
  /** An extra dependency of every stage (a tracked directory). */
  sharedDep?: string;
}

/**
 * Writes src/c<chain>.txt and an rx.yaml of `stages` stages s0..s<n-1> in chains; returns
 * the stage names. Contents are fixed text, so every run produces the same bytes.
 */
export function writeChainPipeline(dir: string, spec: PipelineSpec): string[] {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const lines = ['schema: 1', 'stages:'];
  const names: string[] = [];
  const outFile = (i: number) => (spec.dirOuts ? `out/s${i}/part.txt` : `out/s${i}.txt`);
  for (let i = 0; i < spec.stages; i++) {
    const chain = Math.floor(i / spec.chain);
    let dep: string;
    if (i % spec.chain === 0) {
      dep = `src/c${chain}.txt`;
      fs.writeFileSync(path.join(dir, dep), `source of chain ${chain}\n`);
    } else {
      dep = outFile(i - 1);
    }
    const out = spec.dirOuts ? `out/s${i}` : outFile(i);
    const mkdir = spec.dirOuts ? `mkdir -p ${out} && ` : '';
    const deps = spec.sharedDep ? `[${spec.sharedDep}, ${dep}]` : `[${dep}]`;
    names.push(`s${i}`);
    lines.push(`  s${i}:`, `    cmd: ${mkdir}cat ${dep} > ${outFile(i)} && echo stage ${i} >> ${outFile(i)}`, `    deps: ${deps}`, `    outs: [${out}]`);
  }
  fs.writeFileSync(path.join(dir, 'rx.yaml'), `${lines.join('\n')}\n`);
  return names;
}

async function benchNoop(base: string): Promise<Row[]> {
  const S = `repro ${PIPELINE_STAGES}-stage no-op`;
  const dir = path.join(base, 'noop');
  fs.mkdirSync(dir, { recursive: true });
  await run(['git', 'init', '-q'], { cwd: dir, log: 'repro-setup' });
  await run(rxArgv('init'), { cwd: dir, log: 'repro-setup' });
  writeChainPipeline(dir, { stages: PIPELINE_STAGES, chain: CHAIN_LENGTH });
  step(S, `${PIPELINE_STAGES} stages in chains of ${CHAIN_LENGTH} (cat dependency > output; echo line >> output), sources under src/`);
  const build = await measureRow({ scenario: S, tool: 'rx repro (setup: builds all stages)', role: 'info' }, () => measure(rxArgv('repro'), { cwd: dir, log: 'repro-build' }));
  if (!build.m) return [{ scenario: S, tool: `rx repro no-op (best of ${NOOP_RUNS})`, role: 'rx', note: 'not run: the first rx repro failed' }, build];
  step(S, `warm-up: rx repro --dry --exit-code (fails if anything would run), then best of ${NOOP_RUNS}`);
  const noop = await measureRow(
    { scenario: S, tool: `rx repro no-op (best of ${NOOP_RUNS})`, role: 'rx', target: { kind: 'max-seconds', seconds: 0.3, label: 'under 0.300 s' } },
    async () => {
      await run(rxArgv('repro', '--dry', '--exit-code'), { cwd: dir, log: 'repro-noop-warm' });
      return bestOf(NOOP_RUNS, rxArgv('repro'), { cwd: dir, log: 'repro-noop' });
    },
  );
  const snake: Row = { scenario: S, tool: `snakemake no-op (spec authors' figure, not run)`, role: 'info', m: { seconds: SNAKEMAKE_NOOP_SECONDS } };
  if (noop.m) step(S, `snakemake reference (measured by the spec's authors, not run here): ${fmtSeconds(SNAKEMAKE_NOOP_SECONDS)} s; snakemake / rx = ${(SNAKEMAKE_NOOP_SECONDS / noop.m.seconds).toFixed(2)} (> 1: rx is faster)`);
  return [noop, snake, build];
}

async function benchVerify(base: string): Promise<Row[]> {
  const S = `verify ${PIPELINE_STAGES} stages x 100k`;
  const dir = path.join(base, 'verify');
  const big = path.join(dir, 'data', 'big');
  fs.mkdirSync(dir, { recursive: true });
  await run(['git', 'init', '-q'], { cwd: dir, log: 'verify-setup' });
  await run(rxArgv('init'), { cwd: dir, log: 'verify-setup' });
  const t0 = Date.now();
  const n = writeRandomTree(big, BIG_SPEC);
  step(S, `wrote data/big: ${n} files of ${BIG_SPEC.fileSize} B in ${BIG_SPEC.dirs} directories in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  writeChainPipeline(dir, { stages: PIPELINE_STAGES, chain: CHAIN_LENGTH, dirOuts: true, sharedDep: 'data/big' });
  step(S, `${PIPELINE_STAGES} stages in chains of ${CHAIN_LENGTH}, each depending on data/big (tracked, ${n}-entry manifest) and its predecessor, each output a directory`);
  await settleAndWarm(big, 'verify');
  const add = await measureRow({ scenario: S, tool: `rx add data/big (setup, ${n / 1000}k files)`, role: 'info' }, () => measure(rxArgv('add', 'data/big'), { cwd: dir, log: 'verify-rx-add' }));
  const build = add.m
    ? await measureRow({ scenario: S, tool: 'rx repro (setup: builds all stages)', role: 'info' }, () => measure(rxArgv('repro'), { cwd: dir, log: 'verify-build' }))
    : undefined;
  const tool = `rx verify --no-store (best of ${VERIFY_RUNS})`;
  if (!add.m || !build?.m) return [{ scenario: S, tool, role: 'rx', note: `not run: ${add.m ? 'rx repro' : 'rx add'} failed` }, add, ...(build ? [build] : [])];
  step(S, `warm-up: one rx verify --no-store (must exit 0: no findings), then best of ${VERIFY_RUNS}`);
  const verify = await measureRow({ scenario: S, tool, role: 'rx', target: { kind: 'max-seconds', seconds: 1, label: 'under 1.000 s' } }, async () => {
    await run(rxArgv('verify', '--no-store'), { cwd: dir, log: 'verify-warm' });
    return bestOf(VERIFY_RUNS, rxArgv('verify', '--no-store'), { cwd: dir, log: 'verify' });
  });
  const status = await measureRow({ scenario: S, tool: 'rx status (once)', role: 'info' }, () => measure(rxArgv('status'), { cwd: dir, log: 'verify-rx-status' }));
  return [verify, status, add, build];
}

export async function benchRepro(): Promise<Row[]> {
  const base = path.join(WORK_DIR, 'repro');
  try {
    return [...(await benchNoop(base)), ...(await benchVerify(base))];
  } finally {
    discard(base);
  }
}

export const REPRO_METHOD = [
  `repro ${PIPELINE_STAGES}-stage no-op: rx.yaml of ${PIPELINE_STAGES} stages in chains of ${CHAIN_LENGTH} (stage i: cat <dependency> > out/si.txt && echo stage i >> out/si.txt),`,
  `  built once by rx repro; then rx repro --dry --exit-code (warm-up, fails if anything would run) and rx repro, best of ${NOOP_RUNS}.`,
  `  snakemake's ${SNAKEMAKE_NOOP_SECONDS} s is the spec authors' measurement of the same no-op, quoted, not run here.`,
  `verify ${PIPELINE_STAGES} stages x 100k: data/big = ${BIG_SPEC.dirs} dirs x ${BIG_SPEC.filesPerDir} files of ${BIG_SPEC.fileSize} B, tracked with rx add; the same ${PIPELINE_STAGES} chained stages, each`,
  `  also depending on data/big and writing a directory out/si/; built by rx repro; rx verify --no-store once to warm, then best of ${VERIFY_RUNS};`,
  '  rx status once afterwards on the same project (information).',
];
