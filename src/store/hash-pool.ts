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
  const out: { hash: string; size: number }[] = new Array(files.length);
  await runPool(files.length, (i) => files[i]!.path, (i) => files[i]!.size, algo, onBytes, (i, r) => (out[i] = r), options);
  return out;
}

/**
 * Hashes count files given by index, handing each result to onResult as it comes (in no
 * particular order): 100k files need no array of paths in and of results out.
 */
export async function hashFilesInto(
  count: number,
  pathAt: (i: number) => string,
  sizeAt: (i: number) => number,
  algo: HashAlgorithm,
  onResult: (i: number, r: { hash: string; size: number }) => void,
  onBytes: (n: number) => void = () => {},
  options: { threads?: number; inline?: boolean } = {},
): Promise<void> {
  await runPool(count, pathAt, sizeAt, algo, onBytes, onResult, options);
}

/** Hashes files given by index and stores each as an object of the store at storeDir, reading each once. */
export async function ingestFilesInto(
  count: number,
  pathAt: (i: number) => string,
  sizeAt: (i: number) => number,
  algo: HashAlgorithm,
  storeDir: string,
  onResult: (i: number, r: IngestResult) => void,
  onBytes: (n: number) => void = () => {},
  options: { threads?: number; inline?: boolean } = {},
): Promise<void> {
  await runPool(count, pathAt, sizeAt, algo, onBytes, onResult as (i: number, r: { hash: string; size: number } | IngestResult) => void, { ...options, ingestInto: storeDir });
}

async function runPool(
  count: number,
  pathAt: (i: number) => string,
  sizeAt: (i: number) => number,
  algo: HashAlgorithm,
  onBytes: (n: number) => void,
  onResult: (i: number, r: { hash: string; size: number } | IngestResult) => void,
  { threads = availableParallelism(), inline, ingestInto }: { threads?: number; inline?: boolean; ingestInto?: string },
): Promise<void> {
  let totalBytes = 0;
  for (let i = 0; i < count; i++) totalBytes += sizeAt(i);
  const small = totalBytes <= INLINE_MAX_BYTES && count <= INLINE_MAX_FILES;
  if (threads <= 1 || (inline ?? small)) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(64 * 1024, totalBytes)));
    const newHasher = await hasherFactory(algo);
    for (let i = 0; i < count; i++) {
      const file = pathAt(i);
      let r: { hash: string; size: number } | IngestResult;
      try {
        r = ingestInto ? ingestFileSync(file, algo, newHasher(), buffer, ingestInto, onBytes) : hashFileSync(file, algo, newHasher(), buffer, onBytes);
      } catch (err) {
        if (err instanceof RxError) throw err;
        throw toError(file, { error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
      }
      onResult(i, r);
    }
    return;
  }

  // Batches: big files alone, small files grouped; largest first so the tail is short.
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => sizeAt(b) - sizeAt(a));
  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  for (const i of order) {
    current.push(i);
    currentBytes += sizeAt(i);
    if (currentBytes >= BATCH_BYTES || current.length >= BATCH_FILES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);

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
          const job: HashJob = { id: next, algo, files: running.map(pathAt), ingestInto };
          next += 1;
          worker.postMessage(job);
        };
        worker.on('message', (msg: { type: string; bytes: number; results?: HashJobResult[] }) => {
          if (msg.bytes) onBytes(msg.bytes);
          if (msg.type !== 'done' || !running) return;
          msg.results!.forEach((r, k) => {
            const idx = running![k]!;
            if ('error' in r) firstError ??= toError(pathAt(idx), r);
            else onResult(idx, r);
          });
          dispatch();
        });
        worker.on('error', reject);
        dispatch();
      }),
    ),
  );
  if (firstError) throw firstError;
}
