// The parsed-file cache under .rx/tmp/parsed/: one JSON file per (schema, text) that
// parsed and validated before. Only a cache: unreadable entries are misses, writes are
// atomic and not synced, and values JSON cannot carry exactly are never cached.
import { readFileSync, writeFileSync, renameSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { ParsedCache } from '../schema/validate.js';

function jsonExact(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every(jsonExact);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(jsonExact);
  return false;
}

export function parsedCacheIn(tmpDir: string, options: { readOnly?: boolean } = {}): ParsedCache {
  const dir = path.join(tmpDir, 'parsed');
  let made = false;
  return {
    get(key) {
      try {
        return (JSON.parse(readFileSync(path.join(dir, `${key}.json`), 'utf8')) as { v: unknown }).v;
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      if (options.readOnly || !jsonExact(value)) return;
      try {
        if (!made) mkdirSync(dir, { recursive: true });
        made = true;
        const file = path.join(dir, `${key}.json`);
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ v: value }));
        renameSync(tmp, file);
      } catch {
        // a read-only or full disk only costs the next run a parse
      }
    },
  };
}

export function clearParsedCache(tmpDir: string): void {
  rmSync(path.join(tmpDir, 'parsed'), { recursive: true, force: true });
}
