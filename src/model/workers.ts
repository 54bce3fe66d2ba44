// The trainer's side of data-parallel training: starts worker threads that each hold a replica
// (replica-worker.ts) and talks to them with one request and one answer per step.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { BackendInfo, BackendPreference } from './backend.js';
import type { ModelPlan, TrainingSettings } from './config.js';
import type { ShardResult } from './replica.js';

type Reply = { type: 'ready'; backend: BackendInfo } | { type: 'grads'; result: ShardResult | null } | { type: 'error'; message: string };

export class RemoteReplica {
  private readonly worker: Worker;
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (r: Reply) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (!w) return;
      if (r.type === 'error') w.reject(new Error(`training worker: ${r.message}`));
      else w.resolve(r);
    });
    worker.on('error', (err) => {
      this.waiting?.reject(err);
      this.waiting = undefined;
    });
  }

  private request(msg: unknown, transfer: ArrayBuffer[] = []): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(msg, transfer);
    });
  }

  static async start(plan: ModelPlan, settings: TrainingSettings, replica: number, backend: BackendInfo): Promise<RemoteReplica> {
    // Built code runs the built worker; under tsx (tests) the TypeScript one, through tsx.
    const self = fileURLToPath(import.meta.url);
    const ts = self.endsWith('.ts');
    const worker = ts
      ? new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(new URL('./replica-worker.ts', import.meta.url).href)}); })`, { eval: true })
      : new Worker(new URL('./replica-worker.js', import.meta.url));
    const r = new RemoteReplica(worker);
    const prefer: BackendPreference = backend.name === 'tensorflow' ? 'node' : backend.name;
    try {
      const ready = await r.request({ type: 'init', plan, settings, replica, backend: prefer });
      if (ready.type !== 'ready' || ready.backend.name !== backend.name || ready.backend.simd !== backend.simd) {
        throw new Error(`a training worker chose another backend (${ready.type === 'ready' ? ready.backend.name : ready.type}) than the trainer (${backend.name})`);
      }
      return r;
    } catch (err) {
      // A worker that failed to start must not keep the process alive.
      await r.close();
      throw err;
    }
  }

  /** Applies the previous summed gradients (if any), then computes this shard's. */
  async step(apply: Float32Array[] | undefined, applyLr: number, xs: Float32Array | undefined, ys: Float32Array | undefined, n: number, batch: number): Promise<ShardResult | null> {
    const reply = await this.request({ type: 'step', apply, applyLr, xs, ys, n, batch }, xs && ys ? [xs.buffer as ArrayBuffer, ys.buffer as ArrayBuffer] : []);
    if (reply.type !== 'grads') throw new Error(`training worker answered ${reply.type} to a step`);
    return reply.result;
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' });
    await this.worker.terminate();
  }
}
