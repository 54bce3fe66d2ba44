// Chooses the TF.js backend once per process and hands out the one tf instance the rest of
// src/model uses: tfjs-node when its native binding loads, else the wasm backend (SIMD, with
// rx's gradient kernels registered for the ones tfjs-backend-wasm lacks), else plain cpu.
// Only src/model imports @tensorflow/*; everything in src/model gets tf via tfCore()/tfLayers().
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { RxError, ExitCode } from '../core/errors.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend name: 'tensorflow' is tfjs-node's native TensorFlow. */
  name: BackendName;
  /** Whether the wasm module runs with SIMD (false for the other backends). */
  simd: boolean;
  /** Compute threads the backend uses (wasm in Node: 1; tfjs-node: the machine's cores). */
  threads: number;
  /** Version of tfjs-core in use. */
  tfjsVersion: string;
}

export type Tf = typeof TfCore;
export type TfL = typeof TfLayers;

/** Environment variable that overrides the 'auto' choice (tests and benchmarks). */
export const BACKEND_ENV = 'RX_TFJS_BACKEND';

export class BackendError extends RxError {
  constructor(message: string, data: Record<string, unknown> = {}, cause?: unknown) {
    super('RX_MODEL_BACKEND', ExitCode.internal, message, {
      data,
      cause,
      hint: `choose one of node, wasm, cpu (or unset ${BACKEND_ENV})`,
    });
  }
}

interface Chosen {
  info: BackendInfo;
  core: Tf;
  layers: TfL;
}

let chosen: Chosen | undefined;
let pending: Promise<Chosen> | undefined;

/**
 * Initialises the backend (once; later calls return the same answer whatever they ask for).
 * An explicit preference other than 'auto' is honoured strictly and throws when it cannot
 * load; 'auto' (the default) takes RX_TFJS_BACKEND when set, else tries node, wasm, cpu in turn.
 */
export async function initBackend(prefer: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (chosen) return chosen.info;
  pending ??= choose(prefer).then(
    (c) => {
      chosen = c;
      return c;
    },
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return (await pending).info;
}

/** The backend chosen by initBackend, or undefined before it finished. */
export function backendInfo(): BackendInfo | undefined {
  return chosen?.info;
}

/** The tfjs-core API of the chosen backend (with tfjs-node: its bundled tfjs, same engine). */
export function tfCore(): Tf {
  return current().core;
}

/** The tfjs-layers API bound to the same tfjs-core instance as tfCore(). */
export function tfLayers(): TfL {
  return current().layers;
}

function current(): Chosen {
  if (!chosen) throw new BackendError('TF.js backend used before initBackend() finished');
  return chosen;
}

function preferenceFromEnv(): BackendPreference | undefined {
  const raw = process.env[BACKEND_ENV]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if (raw === 'node' || raw === 'tensorflow') return 'node';
  if (raw === 'wasm' || raw === 'cpu') return raw;
  throw new BackendError(`${BACKEND_ENV}=${raw} is not a backend`, { value: raw });
}

async function choose(prefer: BackendPreference): Promise<Chosen> {
  const want = prefer === 'auto' ? (preferenceFromEnv() ?? 'auto') : prefer;
  if (want === 'node') {
    const node = await tryNode();
    if (node instanceof Error) throw new BackendError(`@tensorflow/tfjs-node does not load: ${node.message}`, {}, node);
    return node;
  }
  if (want === 'wasm') return loadWasm();
  if (want === 'cpu') return loadCpu();
  const node = await tryNode();
  if (!(node instanceof Error)) return node;
  try {
    return await loadWasm();
  } catch {
    return loadCpu();
  }
}

/**
 * tfjs-node bundles its own @tensorflow/tfjs (core + layers + its native backend), so in
 * that path both accessors return the tfjs-node module itself: one engine, one registry.
 */
async function tryNode(): Promise<Chosen | Error> {
  try {
    // A variable specifier: the optional dependency is usually absent and has no types here.
    const spec = '@tensorflow/tfjs-node';
    const mod = (await import(spec)) as { default?: unknown } & Record<string, unknown>;
    const tf = (typeof mod.setBackend === 'function' ? mod : mod.default) as Tf & TfL & { version?: Record<string, string> };
    if (!(await tf.setBackend('tensorflow'))) return new Error('setBackend("tensorflow") failed');
    await tf.ready();
    return {
      core: tf,
      layers: tf,
      info: { name: 'tensorflow', simd: false, threads: availableParallelism(), tfjsVersion: tf.version_core },
    };
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function loadJs(): Promise<{ core: Tf; layers: TfL }> {
  const core = await import('@tensorflow/tfjs-core');
  const layers = await import('@tensorflow/tfjs-layers');
  return { core, layers };
}

async function loadWasm(): Promise<Chosen> {
  const { core, layers } = await loadJs();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  // Node has no cross-origin-isolated SharedArrayBuffer workers for the threaded build; the
  // plain SIMD build is what runs, single-threaded.
  wasm.setWasmPaths(dist);
  // The cpu backend must exist too: a few of rx's kernels fall back to it for data-dependent work.
  await import('@tensorflow/tfjs-backend-cpu');
  quietCpuBackend(core);
  const { registerWasmKernels } = await import('./kernels/index.js');
  registerWasmKernels(core);
  const before = processListeners();
  try {
    if (!(await core.setBackend('wasm'))) throw new BackendError('the wasm backend failed to initialise');
    await core.ready();
  } finally {
    dropNewListeners(before);
  }
  const simd = Boolean(await core.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threaded = Boolean(await core.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  return {
    core,
    layers,
    info: { name: 'wasm', simd, threads: threaded ? Math.max(1, wasm.getThreadsCount()) : 1, tfjsVersion: core.version_core },
  };
}

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const PROCESS_EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

function processListeners(): Map<ProcessEvent, Set<unknown>> {
  return new Map(PROCESS_EVENTS.map((e) => [e, new Set<unknown>(process.listeners(e as 'uncaughtException'))]));
}

/**
 * The emscripten runtime of tfjs-backend-wasm installs process handlers that rethrow every
 * uncaught exception and unhandled rejection from inside its module (Node then prints the whole
 * minified wasm glue as the "source line"). rx's CLI maps errors itself, so they are removed.
 */
function dropNewListeners(before: Map<ProcessEvent, Set<unknown>>): void {
  for (const event of PROCESS_EVENTS) {
    for (const listener of process.listeners(event as 'uncaughtException')) {
      if (!before.get(event)!.has(listener)) process.removeListener(event as 'uncaughtException', listener);
    }
  }
}

/**
 * The cpu backend prints a banner recommending tfjs-node on its first write; rx reports its
 * backend itself (BackendInfo), so the banner would only be noise on the CLI's stderr.
 */
function quietCpuBackend(core: Tf): void {
  const cpu = core.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

async function loadCpu(): Promise<Chosen> {
  const { core, layers } = await loadJs();
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await core.setBackend('cpu'))) throw new BackendError('the cpu backend failed to initialise');
  await core.ready();
  quietCpuBackend(core);
  return { core, layers, info: { name: 'cpu', simd: false, threads: 1, tfjsVersion: core.version_core } };
}
