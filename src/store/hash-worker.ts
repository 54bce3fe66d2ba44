// Worker-thread side of the hash pool: hashes the files it is sent, synchronously, one
// chunk buffer per worker, and reports bytes read so the main thread can show progress.
import { parentPort } from 'node:worker_threads';
import { hasherFactory, hashFileSync, CHUNK_SIZE, type HashAlgorithm } from './hash.js';
import { ingestFileSync, type IngestResult } from './ingest.js';

export interface HashJob {
  id: number;
  algo: HashAlgorithm;
  files: string[];
  /** Store each file as an object of this store while hashing it. */
  ingestInto?: string;
}

export type HashJobResult = { hash: string; size: number } | IngestResult | { error: string; code?: string };

const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
const PROGRESS_STEP = 32 * 1024 * 1024;

parentPort?.on('message', async (job: HashJob) => {
  const results: HashJobResult[] = [];
  let pending = 0;
  const onBytes = (n: number) => {
    pending += n;
    if (pending >= PROGRESS_STEP) {
      parentPort?.postMessage({ type: 'progress', id: job.id, bytes: pending });
      pending = 0;
    }
  };
  const newHasher = await hasherFactory(job.algo);
  for (const file of job.files) {
    try {
      results.push(job.ingestInto ? ingestFileSync(file, job.algo, newHasher(), buffer, job.ingestInto, onBytes) : hashFileSync(file, job.algo, newHasher(), buffer, onBytes));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      results.push({ error: e.message, code: e.code });
    }
  }
  parentPort?.postMessage({ type: 'done', id: job.id, results, bytes: pending });
});
