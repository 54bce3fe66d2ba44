// What the store knew of each object when it last wrote or verified it: the object file's
// stat key (inode, size, mtime, ctime). An object whose key still matches was not touched
// since it was known good, so it is used without re-reading; any other is re-hashed first.
// Kept in one small JSON file per hash prefix under <store>/keys/<algo>/; it is only a
// cache of verifications: a lost or unreadable file means "re-hash before use", never "trust".
import { promises as fsp, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { advisoryWrite } from '../core/errors.js';
import { parseHash } from './hash.js';

export function objectStatKey(st: BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

type Bucket = Map<string, string>;

export class ObjectKeys {
  private readonly dir: string;
  private readonly buckets = new Map<string, Promise<Bucket>>();
  /**
   * Changes not yet written: hash -> key, or null for a removal. Keyed by the hash string the
   * caller holds anyway (an add of 100k new objects made a bucket name and a sliced string
   * per object); grouped into buckets when saved.
   */
  private readonly changes = new Map<string, string | null>();

  constructor(storeDir: string) {
    this.dir = path.join(storeDir, 'keys');
  }

  private locate(hash: string): { bucket: string; rest: string } {
    const { algo, hex } = parseHash(hash);
    return { bucket: `${algo}/${hex.slice(0, 2)}`, rest: hex.slice(2) };
  }

  private fileOf(bucket: string): string {
    return path.join(this.dir, ...bucket.split('/')) + '.json';
  }

  private async readBucket(bucket: string): Promise<Bucket> {
    try {
      const data = JSON.parse(await fsp.readFile(this.fileOf(bucket), 'utf8')) as Record<string, unknown>;
      const out: Bucket = new Map();
      for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out.set(k, v);
      return out;
    } catch {
      return new Map();
    }
  }

  private bucket(bucket: string): Promise<Bucket> {
    let b = this.buckets.get(bucket);
    if (!b) {
      b = this.readBucket(bucket);
      this.buckets.set(bucket, b);
    }
    return b;
  }

  async get(hash: string): Promise<string | undefined> {
    // Changes not yet saved win over what was read; a removal is null.
    const changed = this.changes.get(hash);
    if (changed !== undefined) return changed ?? undefined;
    const { bucket, rest } = this.locate(hash);
    return (await this.bucket(bucket)).get(rest);
  }

  // Only the change is kept (no promise per record: an add of 100k new objects made 100k of them).
  private record(hash: string, key: string | null): void {
    this.changes.set(hash, key);
  }

  set(hash: string, key: string): void {
    this.record(hash, key);
  }

  delete(hash: string): void {
    this.record(hash, null);
  }

  /**
   * Writes the changed buckets, each merged into what is on disk now (another rx sharing the
   * store may have written it since): a lost update only costs a re-hash later.
   */
  async save(): Promise<void> {
    if (this.changes.size === 0) return;
    const byBucket = new Map<string, Map<string, string | null>>();
    for (const [hash, key] of this.changes) {
      const { bucket, rest } = this.locate(hash);
      let c = byBucket.get(bucket);
      if (!c) byBucket.set(bucket, (c = new Map()));
      c.set(rest, key);
    }
    this.changes.clear();
    for (const [bucket, c] of byBucket) {
      const current = await this.readBucket(bucket);
      for (const [rest, key] of c) {
        if (key === null) current.delete(rest);
        else current.set(rest, key);
      }
      const file = this.fileOf(bucket);
      // A read-only store (shared, mounted read-only) cannot keep the record: objects are re-hashed next time.
      await advisoryWrite(async () => {
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, JSON.stringify(Object.fromEntries(current)), { durable: false });
      });
      // What was read of the bucket is now the merged bucket.
      if (this.buckets.has(bucket)) this.buckets.set(bucket, Promise.resolve(current));
    }
  }
}
