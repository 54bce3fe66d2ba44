// `npm run bench -- train`: training throughput of rx's TF.js backends against PyTorch on CPU.
// Two models (the reference CNN: conv 3x3 32 relu, maxpool 2, conv 3x3 64 relu, maxpool 2,
// dense 128 relu, dense 10 softmax; and an MLP 784-256-128-10), batch 64, Adam, random data of
// the right shape. Each backend runs in its own process (the backend is chosen once per
// process): warm-up steps first, then the best of several timed rounds, as samples/s. PyTorch
// runs bench/train_torch.py with torch.set_num_threads(threads of the rx backend). Ratio =
// rx samples/s / PyTorch samples/s, held to 0.5 (PASS/MISS). The fashion part: Fashion-MNIST test
// accuracy of the template's default CNN after its default epochs, through the real CLI.
//
// Child mode (what the parent spawns): node --import tsx bench/train.ts --child <backend> <model>
// prints one JSON line {backend, simd, threads, model, samples_per_s, ms_per_step, cpu_ms_per_step}.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, REPO_ROOT, say, step, type Row } from './lib.js';

/**
 * rx's model code is loaded from the build (dist/, made by `npm run build`, which `npm run
 * bench` runs first): bench/ type-checks on its own, so it names src/ modules only by URL.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
async function importBuilt(rel: string): Promise<Record<string, Loose>> {
  return (await import(pathToFileURL(path.join(REPO_ROOT, 'dist', rel)).href)) as Record<string, Loose>;
}

const BATCH = 64;
const WARMUP_STEPS = 5;
const ROUNDS = 5;
const STEPS_PER_ROUND = 8;
const TARGET_RATIO = 0.5;
const MODELS = ['cnn', 'mlp'] as const;
type ModelName = (typeof MODELS)[number];
const BACKENDS = ['wasm', 'cpu', 'node'] as const;
/** Worker counts rx's own trainer is measured with (data-parallel replicas). */
const TRAINER_WORKERS = [1, 2];
type BackendChoice = (typeof BACKENDS)[number];
/** The cpu backend's CNN step takes tens of seconds: fewer steps, so the bench stays minutes long. */
const CPU_CNN_STEPS = { warmup: 1, rounds: 1, steps: 2 };

export const TRAIN_METHOD = [
  `train: models cnn (28x28x1 conv32-pool-conv64-pool-dense128-dense10) and mlp (784-256-128-10), batch ${BATCH}, Adam 1e-3,`,
  `       random data; per backend one process: ${WARMUP_STEPS} warm-up steps, then best of ${ROUNDS} rounds of ${STEPS_PER_ROUND} steps`,
  '       (model.trainOnBatch, loss read back every step). PyTorch: bench/train_torch.py, same models and batch, Adam,',
  `       torch.set_num_threads = rx backend threads, warm-up excluded. Ratio = rx samples/s / torch samples/s, target ${TARGET_RATIO}:`,
  '       for single-threaded backends measured per CPU second of the process (wall time also printed), since both sides then',
  '       use one core and CPU time does not count other processes competing for the machine; multi-threaded ones use wall time.',
  `       "rx train" rows: rx's own trainer (what \`rx train\` runs: batches from a manifest, gradients per step, data-parallel`,
  `       over ${TRAINER_WORKERS.join(' and ')} worker replicas with a fixed reduction order) on the same models, wasm; x2 compares with torch on 2 threads.`,
];

interface ChildResult {
  backend: string;
  simd: boolean;
  threads: number;
  model: ModelName;
  samples_per_s: number;
  ms_per_step: number;
  cpu_ms_per_step: number;
}

interface TorchResult {
  model: ModelName;
  threads: number;
  samples_per_s: number;
  samples_per_cpu_s: number;
  torch: string;
}

// ---------------------------------------------------------------------------------------
// Child: one backend, one model

async function childMain(backend: BackendChoice, model: ModelName): Promise<void> {
  try {
    await measureChild(backend, model);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message.split('\n')[0] })}\n`);
    process.exitCode = 1;
  }
}

async function measureChild(backend: BackendChoice, model: ModelName): Promise<void> {
  const { initBackend, tfCore, tfLayers } = await importBuilt('model/backend.js');
  const info = (await initBackend(backend)) as { name: string; simd: boolean; threads: number };
  const tf = tfCore();
  const tfl = tfLayers();
  const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const m = tfl.sequential();
  if (model === 'cnn') {
    m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1) }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(2) }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
  } else {
    m.add(tfl.layers.flatten({ inputShape: [28, 28, 1] }));
    m.add(tfl.layers.dense({ units: 256, activation: 'relu', kernelInitializer: seeded(1) }));
  }
  m.add(tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: seeded(3) }));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(4) }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const batches = Array.from({ length: 4 }, (_, i) => ({
    x: tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 100 + i),
    y: tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 200 + i), 10),
  }));
  const slow = info.name === 'cpu' && model === 'cnn';
  const warmup = slow ? CPU_CNN_STEPS.warmup : WARMUP_STEPS;
  const rounds = slow ? CPU_CNN_STEPS.rounds : ROUNDS;
  const steps = slow ? CPU_CNN_STEPS.steps : STEPS_PER_ROUND;
  let k = 0;
  const trainStep = async () => {
    const b = batches[k++ % batches.length]!;
    await m.trainOnBatch(b.x, b.y);
  };
  for (let i = 0; i < warmup; i++) await trainStep();
  let bestMs = Infinity;
  let bestCpuMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await trainStep();
    const ms = (performance.now() - t0) / steps;
    const cpu = process.cpuUsage(cpu0);
    bestMs = Math.min(bestMs, ms);
    bestCpuMs = Math.min(bestCpuMs, (cpu.user + cpu.system) / 1000 / steps);
  }
  const result: ChildResult = {
    backend: info.name,
    simd: info.simd,
    threads: info.threads,
    model,
    samples_per_s: (BATCH * 1000) / bestMs,
    ms_per_step: bestMs,
    cpu_ms_per_step: bestCpuMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The bench's two models as rx model configs (the same layers as measureChild builds). */
const RX_CONFIGS: Record<ModelName, unknown> = {
  cnn: {
    schema: 'rx.model/1',
    blocks: [
      { type: 'conv', filters: 32, kernel: 3, padding: 'valid', activation: 'relu', pool: { type: 'max', size: 2 } },
      { type: 'conv', filters: 64, kernel: 3, padding: 'valid', activation: 'relu', pool: { type: 'max', size: 2 } },
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
    ],
  },
  mlp: { schema: 'rx.model/1', blocks: [{ type: 'flatten' }, { type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 128, activation: 'relu' }] },
};

/**
 * rx's own trainer (src/model/train.ts: batches built from a manifest, per-step gradients,
 * data-parallel over `workers` replicas) on random 28x28 data, wasm backend: epochs of
 * STEPS_PER_ROUND batches, the first a warm-up, the best of the rest timed.
 */
async function measureTrainer(workers: number, model: ModelName): Promise<void> {
  const { initBackend } = await importBuilt('model/backend.js');
  const info = (await initBackend('wasm')) as { name: string; simd: boolean; threads: number };
  const config = await importBuilt('model/config.js');
  const trainer = await importBuilt('model/train.js');
  const n = BATCH * STEPS_PER_ROUND;
  const pixels = new Uint8Array(n * 784);
  let x = 12345;
  for (let i = 0; i < pixels.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    pixels[i] = x >>> 24;
  }
  const manifest = {
    image: { height: 28, width: 28, channels: 1, maxValue: 255 },
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    samples: Array.from({ length: n }, (_, i) => ({ id: `r/${i}`, hash: '', source: 'r', label: i % 10, split: 'train' })),
  };
  const settings = { ...config.defaultTraining, epochs: ROUNDS + 1, batch_size: BATCH, workers };
  const plan = config.planModel(RX_CONFIGS[model], [28, 28, 1], 10);
  let last = 0;
  let lastCpu = process.cpuUsage();
  let bestMs = Infinity;
  let bestCpuMs = Infinity;
  last = performance.now();
  await trainer.trainModel({
    plan,
    settings,
    data: { manifest, pixels },
    onEpoch: (p: { epoch: number }) => {
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      if (p.epoch > 1) {
        bestMs = Math.min(bestMs, (now - last) / STEPS_PER_ROUND);
        bestCpuMs = Math.min(bestCpuMs, (cpu.user + cpu.system) / 1000 / STEPS_PER_ROUND);
      }
      last = now;
      lastCpu = process.cpuUsage();
    },
  });
  const result: ChildResult = { backend: info.name, simd: info.simd, threads: workers, model, samples_per_s: (BATCH * 1000) / bestMs, ms_per_step: bestMs, cpu_ms_per_step: bestCpuMs };
  process.stdout.write(`${JSON.stringify({ ...result, trainer: true })}\n`);
}

// ---------------------------------------------------------------------------------------
// Parent

function runChild(backend: BackendChoice, model: ModelName, trainerWorkers?: number): ChildResult | string {
  const mode = trainerWorkers === undefined ? ['--child', backend, model] : ['--trainer', String(trainerWorkers), model];
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'train.ts'), ...mode], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, RX_TFJS_BACKEND: '' },
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  const parsed = line ? (JSON.parse(line) as ChildResult | { error: string }) : undefined;
  if (parsed && 'error' in parsed) return parsed.error.slice(0, 200);
  if (r.status !== 0 || !line) {
    const why = (r.stderr || r.stdout || '').split('\n').find((l) => /Error|error:/.test(l)) ?? `exit ${r.status ?? r.signal}`;
    return why.trim().slice(0, 200);
  }
  return JSON.parse(line) as ChildResult;
}

/** A python3 that has torch: PATH's first, else Debian's (pyenv shims hide python3-torch). */
function pythonWithTorch(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function runTorch(python: string, threads: number): Map<ModelName, TorchResult> | string {
  const r = spawnSync(python, [path.join(BENCH_DIR, 'train_torch.py'), '--threads', String(threads), '--steps', String(ROUNDS * STEPS_PER_ROUND), '--warmup', String(WARMUP_STEPS)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (r.status !== 0) return `train_torch.py failed: ${(r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}`}`;
  const out = new Map<ModelName, TorchResult>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const t = JSON.parse(line) as TorchResult;
    out.set(t.model, t);
  }
  return out;
}

function fmtRate(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** The Fashion-MNIST README's benchmark row the template's default CNN mirrors. */
export const FASHION_REFERENCE = { model: '2 conv + pooling', accuracy: 0.916 };

export const FASHION_METHOD = [
  'fashion: `rx init --template fashion-mnist` (IDX files from the Debian package dataset-fashion-mnist,',
  `  installed when missing), then \`rx repro\` on the template's defaults; test accuracy from metrics.json`,
  `  against the Fashion-MNIST benchmark table (${FASHION_REFERENCE.model}: ${FASHION_REFERENCE.accuracy}).`,
];

/**
 * Fashion-MNIST test accuracy of the template's default CNN after its default epochs, through
 * the real CLI: init the template, rx repro, read metrics.json. Never prints a number it did
 * not measure: without the data it says why.
 */
export async function benchFashion(): Promise<Row[]> {
  const S = 'fashion';
  const dataDir = '/usr/share/datasets/fashion-mnist';
  if (!fs.existsSync(dataDir)) spawnSync('apt-get', ['install', '-y', '-q', 'dataset-fashion-mnist'], { stdio: 'ignore' });
  if (!fs.existsSync(dataDir)) {
    step(S, `n/a: ${dataDir} is absent and apt-get install dataset-fashion-mnist failed`);
    return [{ scenario: 'fashion-mnist accuracy', tool: 'rx template cnn', role: 'info', note: 'no data' }];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-fashion-'));
  const rxBin = path.join(REPO_ROOT, 'bin', 'rx.js');
  const rx = (args: string[]) => spawnSync(process.execPath, [rxBin, ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const init = rx(['init', '--template', 'fashion-mnist', '.']);
    if (init.status !== 0) throw new Error(`rx init failed (exit ${init.status})`);
    const started = performance.now();
    const repro = rx(['repro', '-q']);
    const seconds = (performance.now() - started) / 1000;
    if (repro.status !== 0) throw new Error(`rx repro failed (exit ${repro.status})`);
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as { accuracy: number; samples: number; backend: string };
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'work', 'model', 'train.json'), 'utf8')) as { settings: { epochs: number }; data: { train: number } };
    const gap = metrics.accuracy - FASHION_REFERENCE.accuracy;
    step(
      S,
      `test accuracy ${(metrics.accuracy * 100).toFixed(2)}% on ${metrics.samples} images after ${record.settings.epochs} epochs (${metrics.backend}, ${seconds.toFixed(0)} s for prepare+train+evaluate); ` +
        `benchmark table ${FASHION_REFERENCE.model}: ${(FASHION_REFERENCE.accuracy * 100).toFixed(1)}% -> ${gap >= 0 ? '+' : ''}${(gap * 100).toFixed(2)} points`,
    );
    return [
      {
        scenario: 'fashion-mnist accuracy',
        tool: `rx template cnn (${record.settings.epochs} epochs)`,
        role: 'info',
        m: { seconds },
        note: `accuracy ${(metrics.accuracy * 100).toFixed(2)}% vs ${FASHION_REFERENCE.accuracy} (${FASHION_REFERENCE.model})`,
      },
    ];
  } catch (err) {
    step(S, `failed: ${(err as Error).message}`);
    return [{ scenario: 'fashion-mnist accuracy', tool: 'rx template cnn', role: 'info', note: `failed: ${(err as Error).message}` }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTrain(): Promise<Row[]> {
  const S = 'train';
  const rows: Row[] = [];
  const results = new Map<string, ChildResult>();
  for (const backend of BACKENDS) {
    for (const model of MODELS) {
      const r = runChild(backend, model);
      if (typeof r === 'string') {
        step(S, `${backend} ${model}: n/a (${r})`);
        if (backend === 'node') break; // tfjs-node absent: one line is enough
        continue;
      }
      results.set(`${backend}/${model}`, r);
      step(S, `${r.backend}${r.simd ? ' simd' : ''} x${r.threads} ${model}: ${fmtRate(r.samples_per_s)} samples/s (${r.ms_per_step.toFixed(1)} ms/step, cpu ${r.cpu_ms_per_step.toFixed(1)} ms/step)`);
    }
  }
  // rx's own trainer (what `rx train` runs), single-threaded and data-parallel over 2 workers.
  for (const workers of TRAINER_WORKERS) {
    for (const model of MODELS) {
      const r = runChild('wasm', model, workers);
      if (typeof r === 'string') {
        step(S, `rx trainer x${workers} ${model}: n/a (${r})`);
        continue;
      }
      results.set(`trainer${workers}/${model}`, r);
      step(S, `rx trainer ${r.backend}${r.simd ? ' simd' : ''} x${workers} workers ${model}: ${fmtRate(r.samples_per_s)} samples/s (${r.ms_per_step.toFixed(1)} ms/step)`);
    }
  }
  const python = pythonWithTorch();
  const torchByThreads = new Map<number, Map<ModelName, TorchResult> | string>();
  if (!python) step(S, 'PyTorch: n/a (no python3 with torch; apt-get install python3-torch) - ratios skipped');
  for (const [key, r] of results) {
    const model = key.split('/')[1] as ModelName;
    const trainer = key.startsWith('trainer');
    const row: Row = {
      scenario: `train ${model}`,
      tool: trainer ? `rx train ${r.backend} x${r.threads} workers` : `rx ${r.backend}${r.simd ? ' simd' : ''} x${r.threads} (trainOnBatch)`,
      role: 'rx',
      m: { seconds: r.ms_per_step / 1000, cpuSeconds: r.cpu_ms_per_step / 1000 },
      target: { kind: 'ratio', minRatio: TARGET_RATIO, label: `>= ${TARGET_RATIO}x torch` },
    };
    if (python) {
      if (!torchByThreads.has(r.threads)) torchByThreads.set(r.threads, runTorch(python, r.threads));
      const torch = torchByThreads.get(r.threads)!;
      if (typeof torch === 'string') row.note = torch;
      else {
        const t = torch.get(model);
        if (t) {
          const wallRatio = r.samples_per_s / t.samples_per_s;
          const rxPerCpu = (BATCH * 1000) / r.cpu_ms_per_step;
          const cpuRatio = rxPerCpu / t.samples_per_cpu_s;
          row.ratio = r.threads === 1 ? cpuRatio : wallRatio;
          step(
            S,
            `${row.tool} ${model}: per CPU s ${fmtRate(rxPerCpu)} vs torch ${t.torch} x${t.threads} ${fmtRate(t.samples_per_cpu_s)} samples = ${cpuRatio.toFixed(2)}x; ` +
              `wall ${fmtRate(r.samples_per_s)} vs ${fmtRate(t.samples_per_s)} samples/s = ${wallRatio.toFixed(2)}x (${row.ratio >= TARGET_RATIO ? 'PASS' : 'MISS'})`,
          );
        }
      }
    } else row.note = 'PyTorch unavailable';
    rows.push(row);
  }
  if (python) {
    for (const [threads, torch] of torchByThreads) {
      if (typeof torch === 'string') continue;
      for (const t of torch.values()) {
        rows.push({ scenario: `train ${t.model}`, tool: `torch ${t.torch} x${threads}`, role: 'info', m: { seconds: BATCH / t.samples_per_s } });
      }
    }
  }
  return rows;
}

// Rows report seconds per step (sorted like the other scenarios: lower is better); the ratio
// column is rx samples/s over torch samples/s (> 1: rx trains faster).
if (process.argv[2] === '--child') {
  await childMain(process.argv[3] as BackendChoice, process.argv[4] as ModelName);
} else if (process.argv[2] === '--trainer') {
  try {
    await measureTrainer(Number(process.argv[3]), process.argv[4] as ModelName);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message.split('\n')[0] })}\n`);
    process.exitCode = 1;
  }
} else if (process.argv[1] && path.resolve(process.argv[1]) === path.join(BENCH_DIR, 'train.ts')) {
  const rows = await benchTrain();
  for (const r of rows) if (r.note) say(`  ${r.scenario} / ${r.tool}: ${r.note}`);
}
