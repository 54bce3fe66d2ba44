// Progress of hashing spread over many targets (a cold rx status): each target announces
// the files it must read as it finds them, and one bar starts only once the work announced
// so far is long, so a warm status or a few small files never draw anything.
import type { ProgressBar, Reporter } from '../core/context.js';

/** What hashing code reports: work found (files and bytes to read) and bytes read. */
export interface HashWork {
  planned(files: number, bytes: number): void;
  hashed(bytes: number): void;
}

export interface HashProgress extends HashWork {
  stop(): void;
}

export interface HashProgressLimits {
  files: number;
  bytes: number;
}

/** Above either limit (files or bytes still to hash, summed over targets) the bar is drawn. */
export const HASH_PROGRESS_LIMITS: HashProgressLimits = { files: 200, bytes: 16 * 1024 * 1024 };

export function hashProgress(reporter: Reporter, label: string, limits: HashProgressLimits = HASH_PROGRESS_LIMITS): HashProgress {
  let files = 0;
  let bytes = 0;
  let done = 0;
  let bar: ProgressBar | undefined;
  return {
    planned(f, b) {
      files += f;
      bytes += b;
      if (bar) bar.setTotal(bytes);
      else if (bytes > 0 && (files > limits.files || bytes > limits.bytes)) {
        bar = reporter.progress(label, bytes, 'bytes');
        if (done > 0) bar.tick(done);
      }
    },
    hashed(b) {
      done += b;
      bar?.tick(b);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
