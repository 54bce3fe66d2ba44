// Backend choice: once per process, the RX_TFJS_BACKEND override, typed errors, one tf instance
// behind tfCore()/tfLayers(), and no emscripten process handlers left behind. Each case that
// needs a fresh process re-runs this file as a child (RX_BACKEND_TEST_CHILD=<case>).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = process.env.RX_BACKEND_TEST_CHILD;

async function child(kind: string): Promise<void> {
  const backend = await import('../../src/model/backend.js');
  const out: Record<string, unknown> = {};
  try {
    if (kind === 'before-init') {
      try {
        backend.tfCore();
        out.threw = false;
      } catch (err) {
        out.threw = (err as { code?: string }).code;
      }
    }
    const info = await backend.initBackend(kind === 'explicit-cpu' ? 'cpu' : 'auto');
    out.info = info;
    out.again = await backend.initBackend('wasm');
    out.listeners = process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');
    const tf = backend.tfCore();
    const tfl = backend.tfLayers();
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })] });
    const y = model.predict(tf.ones([1, 3])) as InstanceType<typeof tf.Tensor>;
    out.sameInstance = y instanceof tf.Tensor && tf.getBackend() === (info.name === 'tensorflow' ? 'tensorflow' : info.name);
  } catch (err) {
    out.error = (err as { code?: string }).code ?? (err as Error).message;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (CHILD) {
  await child(CHILD);
} else {
  const { default: t } = await import('tap');
  const self = fileURLToPath(import.meta.url);
  const runChild = (kind: string, env: Record<string, string>): Record<string, any> => {
    const r = spawnSync(process.execPath, [...process.execArgv, self], {
      encoding: 'utf8',
      env: { ...process.env, ...env, RX_BACKEND_TEST_CHILD: kind },
      timeout: 60_000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`child ${kind} printed nothing: ${r.stderr}`);
    return JSON.parse(line) as Record<string, any>;
  };

  let nodeLoads = false;
  try {
    const spec = '@tensorflow/tfjs-node';
    await import(spec);
    nodeLoads = true;
  } catch {
    // the usual case here: the optional native binding is not installed
  }

  t.test('auto picks tfjs-node when it loads, else wasm with SIMD; later calls keep the choice', async (t) => {
    const r = runChild('auto', { RX_TFJS_BACKEND: '' });
    t.equal(r.error, undefined);
    t.equal(r.info.name, nodeLoads ? 'tensorflow' : 'wasm');
    if (!nodeLoads) t.equal(r.info.simd, true, 'SIMD build in use');
    t.ok(r.info.threads >= 1);
    t.equal(r.info.tfjsVersion, '4.22.0');
    t.same(r.again, r.info, 'a second initBackend returns the first choice');
    t.equal(r.sameInstance, true, 'tfLayers() builds on the tfCore() instance and backend');
    t.equal(r.listeners, 0, 'no emscripten uncaughtException/unhandledRejection handlers left');
  });

  t.test('RX_TFJS_BACKEND selects the backend for auto', async (t) => {
    t.equal(runChild('env-cpu', { RX_TFJS_BACKEND: 'cpu' }).info.name, 'cpu');
    t.equal(runChild('env-wasm', { RX_TFJS_BACKEND: 'wasm' }).info.name, 'wasm');
    const node = runChild('env-node', { RX_TFJS_BACKEND: 'node' });
    if (nodeLoads) t.equal(node.info.name, 'tensorflow');
    else t.equal(node.error, 'RX_MODEL_BACKEND', 'asking for tfjs-node without it is a typed error');
    t.equal(runChild('env-bad', { RX_TFJS_BACKEND: 'gpu' }).error, 'RX_MODEL_BACKEND');
  });

  t.test('an explicit preference wins over the environment', async (t) => {
    t.equal(runChild('explicit-cpu', { RX_TFJS_BACKEND: 'wasm' }).info.name, 'cpu');
  });

  t.test('tfCore() before initBackend() is a typed error', async (t) => {
    t.equal(runChild('before-init', { RX_TFJS_BACKEND: 'cpu' }).threw, 'RX_MODEL_BACKEND');
  });
}
