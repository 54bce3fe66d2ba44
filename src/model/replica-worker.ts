// The worker-thread side of data-parallel training: one Replica on its own tfjs backend
// instance. Messages: init {plan, settings, replica, backend} -> ready {backend}; step {apply?,
// lr, xs?, ys?, n, batch} -> applies the previous step's summed gradients first, then answers
// with its shard's gradients (or nothing for an empty shard); close -> exits.
import { parentPort } from 'node:worker_threads';
import { initBackend, type BackendPreference } from './backend.js';
import { Replica } from './replica.js';
import type { ModelPlan, TrainingSettings } from './config.js';

type Message =
  | { type: 'init'; plan: ModelPlan; settings: TrainingSettings; replica: number; backend: BackendPreference }
  | { type: 'step'; apply?: Float32Array[]; applyLr?: number; xs?: Float32Array; ys?: Float32Array; n: number; batch: number }
  | { type: 'close' };

let replica: Replica | undefined;
const port = parentPort!;

port.on('message', (msg: Message) => {
  void handle(msg).catch((err: unknown) => port.postMessage({ type: 'error', message: (err as Error).message ?? String(err) }));
});

async function handle(msg: Message): Promise<void> {
  if (msg.type === 'init') {
    const info = await initBackend(msg.backend);
    replica = new Replica(msg.plan, msg.settings, msg.replica);
    port.postMessage({ type: 'ready', backend: info });
  } else if (msg.type === 'step') {
    if (!replica) throw new Error('step before init');
    if (msg.apply) replica.apply(msg.apply, msg.applyLr!);
    if (msg.n === 0 || !msg.xs || !msg.ys) {
      port.postMessage({ type: 'grads', result: null });
      return;
    }
    const result = replica.gradients(msg.xs, msg.ys, msg.n, msg.batch);
    port.postMessage({ type: 'grads', result }, result.grads.map((g) => g.buffer as ArrayBuffer));
  } else {
    replica?.dispose();
    port.close();
  }
}
