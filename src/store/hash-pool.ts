// Hashes many files or a few huge ones on a pool of worker threads sized to the cores.
// Small batches are hashed on the calling thread: starting workers costs more than it saves.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { hasherFactory, hashFileSync, CHUNK_SIZE, type HashAlgorithm } from './hash.js';
import type { HashJob, HashJobResult } from './hash-worker.js';
import { ingestFileSync, type IngestResult } from './ingest.js';
import { RxError, ExitCode, SystemError, systemErrorFrom } from '../core/errors.js';

export interface FileToHash {
  path: string;
  size: number;
}

function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = here.replace(/hash-pool\.(ts|js)$/, 'hash-worker.js');
  if (existsSync(sibling)) return sibling;
  // Running from sources (tests): use the compiled worker.
  return fileURLToPath(new URL('../../dist/store/hash-worker.js', import.meta.url));
}

// Starting a worker costs ~60 ms; hashing a small file inline ~20 us.
const INLINE_MAX_BYTES = 64 * 1024 * 1024;
const INLINE_MAX_FILES = 2000;
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 256;
// A worker holds one chunk buffer (outside its heap) and one batch's results: small heaps,
// collected often, instead of V8's defaults, which let two workers of a 100k-file add grow
// to 100 MB of garbage between them.
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 };

function toError(file: string, r: { error: string; code?: string }): RxError {
  if (r.code === 'RX_FILE_CHANGED') return new RxError('RX_FILE_CHANGED', ExitCode.usage, r.error, { data: { path: file } });
  // A worker writing the object (ingest) can run out of space or hit a read-only store.
  const system = systemErrorFrom(Object.assign(new Error(r.error), { code: r.code }));
  if (system) return new SystemError(system.code, `${file}: ${system.message}`, { data: { ...system.data, path: file }, hint: system.hint });
  return new RxError('RX_READ_FAILED', ExitCode.usage, `${file}: cannot read: ${r.error}`, { data: { path: file } });
}

/**
 * Hashes files, returning results in input order. onBytes receives bytes read as they go.
 * Throws the first file error after all work has stopped.
 */
export async function hashFiles(
  files: FileToHash[],
  algo: HashAlgorithm,
  onBytes: (n: number) => void = () => {},
  options: { threads?: number; inline?: boolean } = {},
): Promise<{ hash: string; size: number }[]> {
  return runPool(files, algo, onBytes, options);
}

/** Hashes files and stores each as an object of the store at storeDir, reading each once. */
export async function ingestFiles(
  files: FileToHash[],
  algo: HashAlgorithm,
  storeDir: string,
  onBytes: (n: number) => void = () => {},
  options: { threads?: number; inline?: boolean } = {},
): Promise<IngestResult[]> {
  return (await runPool(files, algo, onBytes, { ...options, ingestInto: storeDir })) as IngestResult[];
}

async function runPool(
  files: FileToHash[],
  algo: HashAlgorithm,
  onBytes: (n: number) => void,
  { threads = availableParallelism(), inline, ingestInto }: { threads?: number; inline?: boolean; ingestInto?: string },
): Promise<({ hash: string; size: number } | IngestResult)[]> {
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  const small = totalBytes <= INLINE_MAX_BYTES && files.length <= INLINE_MAX_FILES;
  if (threads <= 1 || (inline ?? small)) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(64 * 1024, totalBytes)));
    const out: ({ hash: string; size: number } | IngestResult)[] = [];
    const newHasher = await hasherFactory(algo);
    for (const f of files) {
      try {
        out.push(ingestInto ? ingestFileSync(f.path, algo, newHasher(), buffer, ingestInto, onBytes) : hashFileSync(f.path, algo, newHasher(), buffer, onBytes));
      } catch (err) {
        if (err instanceof RxError) throw err;
        throw toError(f.path, { error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
      }
    }
    return out;
  }

  // Batches: big files alone, small files grouped; largest first so the tail is short.
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.size - files[a]!.size);
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  for (const i of order) {
    current.push(i);
    currentBytes += files[i]!.size;
    if (currentBytes >= BATCH_BYTES || current.length >= BATCH_FILES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);

  const results: ({ hash: string; size: number } | IngestResult | undefined)[] = new Array(files.length);
  let firstError: RxError | undefined;
  const poolSize = Math.min(threads, batches.length);
  const script = workerScript();
  let next = 0;
  await Promise.all(
    Array.from({ length: poolSize }, () =>
      new Promise<void>((resolve, reject) => {
        // No inherited loader flags: the worker is plain compiled JS.
        const worker = new Worker(script, { execArgv: [], resourceLimits: WORKER_LIMITS });
        let running: number[] | undefined;
        const dispatch = () => {
          if (next >= batches.length || firstError) {
            void worker.terminate();
            resolve();
            return;
          }
          running = batches[next]!;
          const job: HashJob = { id: next, algo, files: running.map((i) => files[i]!.path), ingestInto };
          next += 1;
          worker.postMessage(job);
        };
        worker.on('message', (msg: { type: string; bytes: number; results?: HashJobResult[] }) => {
          if (msg.bytes) onBytes(msg.bytes);
          if (msg.type !== 'done' || !running) return;
          msg.results!.forEach((r, k) => {
            const idx = running![k]!;
            if ('error' in r) firstError ??= toError(files[idx]!.path, r);
            else results[idx] = r;
          });
          dispatch();
        });
        worker.on('error', reject);
        dispatch();
      }),
    ),
  );
  if (firstError) throw firstError;
  return results as ({ hash: string; size: number } | IngestResult)[];
}
