// The content-addressed object store: objects are written to a temp file on the same
// filesystem, renamed into place and made read-only, and checked before use (an object whose
// stat key changed since the store knew it good is re-hashed; a mismatch is quarantined and
// refused). Layout, link strategy, pending syncs and integrity checks live in their modules.
import { promises as fsp, constants as fsc, lstatSync, chmodSync, linkSync, mkdirSync, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { tempNameIn } from '../core/atomic.js';
import { isErrno, StoreIntegrityError } from '../core/errors.js';
import { createHasher, parseHash, hashFileSync, hashBytes, CHUNK_SIZE, type HashAlgorithm } from './hash.js';
import { ObjectKeys, objectStatKey } from './object-keys.js';
import { registerWriter, oldestOtherWriter } from './live-writers.js';
import { ingestFilesInto, hashFiles } from './hash-pool.js';
import { LinkStrategy, LINK_UNSUPPORTED, defaultLinkOrder, linkObject, type LinkType, type FileMode } from './link-strategy.js';
import { PendingSyncs } from './pending-syncs.js';
import { objectPathIn, quarantinePathIn, listObjects } from './object-layout.js';
import { corruptObjectError, missingObjectError, checkUnchanged, copyChecked } from './object-integrity.js';
import { cleanStaleTemp } from './store-temp.js';

/** What putFile did: stored a new object, found it stored, or also replaced the workspace file (a link to it, or a private copy). */
export type PutOutcome = 'created' | 'present' | 'relinked';

/** Files this big are hashed while the kernel copies them, rather than copied chunk by chunk. */
const BIG_FILE = 16 * 1024 * 1024;

export class ObjectStore {
  readonly dir: string;
  readonly algo: HashAlgorithm;
  readonly linkOrder: LinkType[];
  /** Where objects found corrupt are moved (never deleted). */
  readonly quarantineDir: string;
  private readonly tmpDir: string;
  private readonly links = new LinkStrategy();
  private readonly syncs = new PendingSyncs((hash) => this.objectPath(hash));
  private rehashBuffer: Buffer | undefined;
  private tmpReady = false;
  private readonly keys: ObjectKeys;

  /**
   * The store is shared with other trees (an experiment's or a commit's temporary tree):
   * objects found present are touched, so a gc in the owning project, which keeps what
   * changed since the oldest live writer registered, keeps them until this run names them.
   */
  shared = false;

  constructor(dir: string, algo: HashAlgorithm, linkOrder: LinkType[] = defaultLinkOrder, quarantineDir: string = path.join(dir, 'corrupt')) {
    this.dir = dir;
    this.algo = algo;
    this.linkOrder = linkOrder;
    this.quarantineDir = quarantineDir;
    this.tmpDir = path.join(dir, 'tmp');
    this.keys = new ObjectKeys(dir);
  }

  objectPath(hash: string): string {
    return objectPathIn(this.dir, hash);
  }

  /** Whether workspace files placed under this link order are copies of their own (reflink or copy). */
  keepsCopies(linkOrder: LinkType[] = this.linkOrder): boolean {
    const first = this.links.preferredLink(linkOrder);
    return first === 'reflink' || first === 'copy';
  }

  /** Whether workspace files placed by this store are the objects themselves (read-only then). */
  get sharesInodes(): boolean {
    return this.links.preferredLink(this.linkOrder) === 'hardlink';
  }

  private async lstatObject(hash: string): Promise<BigIntStats | undefined> {
    try {
      return await fsp.lstat(this.objectPath(hash), { bigint: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  /** Size of the object, or undefined when absent. Reads no content. */
  async stat(hash: string): Promise<{ size: number; ino: bigint } | undefined> {
    const st = await this.lstatObject(hash);
    return st ? { size: Number(st.size), ino: st.ino } : undefined;
  }

  async has(hash: string): Promise<boolean> {
    return (await this.lstatObject(hash)) !== undefined;
  }

  /** Starts writing: registers this process as a live writer and prepares the temp dir. */
  private async tempPath(base: string): Promise<string> {
    if (!this.tmpReady) {
      await fsp.mkdir(this.tmpDir, { recursive: true });
      registerWriter(this.dir);
      await this.cleanTemp();
      this.tmpReady = true;
    }
    return tempNameIn(this.tmpDir, base);
  }

  /** A present object about to be named again: its ctime is moved (see `shared`). */
  private async claimPresent(hash: string): Promise<void> {
    if (!this.shared) return;
    registerWriter(this.dir);
    const obj = this.objectPath(hash);
    const before = await this.lstatObject(hash);
    if (!before) return;
    const wasKnown = (await this.keys.get(hash)) === objectStatKey(before);
    const now = new Date();
    await fsp.utimes(obj, now, now).catch(() => {});
    if (wasKnown) this.remember(hash, await fsp.lstat(obj, { bigint: true }));
  }

  private remember(hash: string, st: BigIntStats): void {
    this.keys.set(hash, objectStatKey(st));
  }

  private async install(tmp: string, hash: string): Promise<void> {
    const dest = this.objectPath(hash);
    await fsp.chmod(tmp, 0o444);
    try {
      await fsp.rename(tmp, dest);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(tmp, dest);
    }
    this.syncs.add(hash);
    this.remember(hash, await fsp.lstat(dest, { bigint: true }));
  }

  /**
   * Checks an object before it is used: present (exit 6 if not) and, unless its stat key is
   * the one recorded when it was last known good, re-hashed. A mismatch is moved to the
   * quarantine and refused (exit 6), so the next use reports it missing, on every run.
   */
  async verify(hash: string): Promise<void> {
    const st = await this.lstatObject(hash);
    if (!st) throw missingObjectError(hash);
    if ((await this.keys.get(hash)) === objectStatKey(st)) return;
    const actual = await this.rehash(hash);
    if (actual !== hash) {
      const moved = await this.quarantine(hash).catch(() => undefined);
      throw corruptObjectError(hash, actual, moved);
    }
    this.remember(hash, st);
  }

  /** Whether an object is present and intact (checked as verify does), without throwing. */
  async intact(hash: string): Promise<boolean> {
    try {
      await this.verify(hash);
      return true;
    } catch (err) {
      if (err instanceof StoreIntegrityError) return false;
      throw err;
    }
  }

  /**
   * Whether every object is present and intact, checked as verify checks each one (stat key
   * known good, else re-hashed), with one synchronous lstat per object: 100k async lstats
   * cost a re-add of an unchanged directory seconds of waiting. Stops at the first that is not.
   */
  async allIntact(hashes: Iterable<string>): Promise<boolean> {
    for (const hash of hashes) {
      let st: BigIntStats;
      try {
        st = lstatSync(this.objectPath(hash), { bigint: true });
      } catch {
        return false;
      }
      if ((await this.keys.get(hash)) === objectStatKey(st)) continue;
      if (!(await this.intact(hash))) return false;
    }
    return true;
  }

  /** Stores bytes under their hash (manifests and other small objects); a corrupt copy is replaced. */
  async putBytes(hash: string, data: Uint8Array | string | { bytes: number; chunks(): Iterable<string> }): Promise<boolean> {
    const existing = await this.lstatObject(hash);
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Uint8Array ? data.byteLength : data.bytes;
    if (existing && Number(existing.size) === size && (await this.intact(hash))) {
      await this.claimPresent(hash);
      return false;
    }
    if (await this.has(hash)) await this.quarantine(hash);
    const tmp = await this.tempPath('obj');
    if (typeof data === 'string' || data instanceof Uint8Array) await fsp.writeFile(tmp, data);
    else {
      // Large text (a directory manifest) written chunk by chunk, never held whole.
      const fh = await fsp.open(tmp, 'w');
      try {
        for (const chunk of data.chunks()) await fh.write(chunk);
      } finally {
        await fh.close();
      }
    }
    await this.install(tmp, hash);
    return true;
  }

  /**
   * Stores a workspace file whose hash is already known, following the link order:
   * reflink (the workspace keeps an independent copy-on-write copy), hardlink (opt-in: the
   * workspace file becomes the read-only object itself, unless it has other links, which
   * rx never takes over), copy (hashed while copying, so a file that changed since it was
   * hashed is refused). `linkOrder` overrides the store's for this call.
   */
  async putFile(src: string, hash: string, size: number, mode: FileMode, linkOrder: LinkType[] = this.linkOrder): Promise<PutOutcome> {
    const srcStat = lstatSync(src, { bigint: true });
    const ownLinks = Number(srcStat.nlink) === 1;
    if (mode === '644' && ownLinks && this.links.preferredLink(linkOrder) === 'hardlink') {
      const fast = this.linkIntoStore(src, hash);
      if (fast) return fast;
    }
    const existing = await this.lstatObject(hash);
    if (existing && Number(existing.size) === size) {
      if (existing.ino === srcStat.ino && existing.dev === srcStat.dev) {
        // The workspace file is the object itself (hardlink mode, or from it): it is intact
        // if its content is the hash it was just given.
        this.remember(hash, existing);
        return (await this.separateWorkspace(src, hash, mode, linkOrder)) ? 'relinked' : 'present';
      }
      if (await this.intact(hash)) {
        await this.claimPresent(hash);
        if (mode === '644' && ownLinks && this.links.preferredLink(linkOrder) === 'hardlink') {
          await this.materialise(hash, src, mode, linkOrder);
          return 'relinked';
        }
        return 'present';
      }
    }
    const tmp = await this.tempPath('obj');
    await this.links.tryLinkTypes(mode, src, linkOrder, async () => tmp, async (link) => {
      if (link === 'reflink') {
        await fsp.copyFile(src, tmp, fsc.COPYFILE_FICLONE_FORCE);
        await checkUnchanged(src, srcStat, hash);
      } else if (link === 'hardlink') {
        if (!ownLinks) throw Object.assign(new Error('the file has other hard links'), { code: 'EMLINK' });
        await fsp.link(src, tmp);
      } else {
        await copyChecked(src, tmp, hash, size);
      }
      await this.install(tmp, hash);
    });
    return 'created';
  }

  /**
   * Whether new files are stored by copying under this link order (no reflinks here, no
   * hardlinks wanted): then hashing and storing are done in one read by `ingest`.
   */
  async storesByCopy(linkOrder: LinkType[] = this.linkOrder): Promise<boolean> {
    return this.links.storesByCopy(linkOrder, (base) => this.tempPath(base));
  }

  /**
   * Hashes workspace files and stores each as an object with one read of it: small files in
   * the hash pool's workers (read, hash and write the object's temp file together), big ones
   * hashed while the kernel copies them (copy_file_range) beside, the file's stat compared
   * before and after so a file changed meanwhile is refused. Files are given by index and each
   * result is handed to onResult as it comes (100k files need no arrays in or out).
   */
  async ingest(
    count: number,
    pathAt: (i: number) => string,
    sizeAt: (i: number) => number,
    onResult: (i: number, r: { hash: string; size: number; created: boolean }) => void,
    onBytes?: (n: number) => void,
  ): Promise<void> {
    await this.tempPath('obj');
    const small: number[] = [];
    const big: number[] = [];
    for (let i = 0; i < count; i++) (sizeAt(i) >= BIG_FILE ? big : small).push(i);
    if (small.length > 0) {
      // Two workers storing equal files may both rename into place: count the object once,
      // and let its key be re-learnt (by a re-hash) rather than trust the one that lost.
      const created = new Set<string>();
      const present: string[] = [];
      await ingestFilesInto(
        small.length,
        (k) => pathAt(small[k]!),
        (k) => sizeAt(small[k]!),
        this.algo,
        this.dir,
        (k, r) => {
          let isNew = false;
          if (r.stored === 'created') {
            if (created.has(r.hash)) this.keys.delete(r.hash);
            else {
              created.add(r.hash);
              isNew = true;
              this.syncs.add(r.hash);
              if (r.key) this.keys.set(r.hash, r.key);
            }
          } else if (this.shared) present.push(r.hash);
          onResult(small[k]!, { hash: r.hash, size: r.size, created: isNew });
        },
        onBytes,
      );
      for (const hash of present) await this.claimPresent(hash);
    }
    for (const i of big) {
      const f = { path: pathAt(i), size: sizeAt(i) };
      const before = await fsp.lstat(f.path, { bigint: true });
      const tmp = await this.tempPath('obj');
      try {
        const [[h]] = await Promise.all([hashFiles([f], this.algo, onBytes), fsp.copyFile(f.path, tmp)]);
        await checkUnchanged(f.path, before, h!.hash);
        if (await this.has(h!.hash)) {
          await fsp.rm(tmp, { force: true });
          await this.claimPresent(h!.hash);
          onResult(i, { hash: h!.hash, size: h!.size, created: false });
        } else {
          await this.install(tmp, h!.hash);
          onResult(i, { hash: h!.hash, size: h!.size, created: true });
        }
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw err;
      }
    }
  }

  /**
   * The common hardlink case, made cheap (two system calls, no thread-pool round trips):
   * the workspace file becomes read-only and is hardlinked straight to the object's name.
   * link(2) is atomic and the content is complete, so no temp name is needed. Returns
   * undefined when the object exists already or hardlinks are refused (the caller then
   * takes the general path).
   */
  private linkIntoStore(src: string, hash: string): PutOutcome | undefined {
    const dest = this.objectPath(hash);
    if (!this.tmpReady) return undefined; // the first object goes the general way, which registers this writer
    const previousMode = lstatSync(src).mode & 0o7777;
    chmodSync(src, 0o444);
    try {
      try {
        linkSync(src, dest);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        mkdirSync(path.dirname(dest), { recursive: true });
        linkSync(src, dest);
      }
      this.syncs.add(hash);
      this.remember(hash, lstatSync(dest, { bigint: true }));
      return 'relinked';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      chmodSync(src, previousMode);
      if (code === 'EEXIST') return undefined;
      if (code !== undefined && LINK_UNSUPPORTED.has(code)) {
        this.links.unsupported.add('hardlink');
        return undefined;
      }
      throw err;
    }
  }

  /**
   * A workspace file that is the object's own inode gets its own copy unless hardlinks are
   * wanted for it: an executable (chmod +x on a hardlink changes the object too), or a
   * store whose link order no longer shares inodes.
   */
  private async separateWorkspace(src: string, hash: string, mode: FileMode, linkOrder: LinkType[]): Promise<boolean> {
    if (mode === '644' && this.links.preferredLink(linkOrder) === 'hardlink') return false;
    await fsp.chmod(this.objectPath(hash), 0o444);
    this.remember(hash, await fsp.lstat(this.objectPath(hash), { bigint: true }));
    await this.materialise(hash, src, mode, linkOrder.filter((l) => l !== 'hardlink'));
    return true;
  }

  /**
   * Writes the object to dest (replacing whatever is there atomically) per the link order,
   * after checking the object (verify): a corrupt or missing object is never handed out.
   */
  async materialise(hash: string, dest: string, mode: FileMode, linkOrder: LinkType[] = this.linkOrder): Promise<LinkType> {
    await this.verify(hash);
    const obj = this.objectPath(hash);
    // Links are made in the store's temp directory (it shares the object's filesystem), so a
    // process killed before the rename leaves no stray file in the workspace; copies must be
    // made next to dest, which may be on another filesystem.
    const tempFor = async (link: LinkType) => (link === 'copy' ? tempNameIn(path.dirname(dest), path.basename(dest)) : await this.tempPath('link'));
    try {
      return await this.links.tryLinkTypes(mode, dest, linkOrder, tempFor, async (link, tmp) => {
        await linkObject(obj, tmp, mode, link);
        await fsp.rename(tmp, dest);
        if (link === 'hardlink') this.remember(hash, await fsp.lstat(obj, { bigint: true }));
        return link;
      });
    } catch (err) {
      if (isErrno(err, 'ENOENT') && !(await this.has(hash))) throw missingObjectError(hash);
      throw err;
    }
  }

  async readBytes(hash: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.objectPath(hash));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw missingObjectError(hash);
      throw err;
    }
  }

  /**
   * Reads a (small) object and checks its bytes hash to its name; a mismatch is exit 6, and
   * the object is quarantined unless the caller only reads (fsck without --repair).
   */
  async readVerified(hash: string, options: { quarantine?: boolean } = {}): Promise<Buffer> {
    const bytes = await this.readBytes(hash);
    const actual = await hashBytes(parseHash(hash).algo, bytes);
    if (actual !== hash) {
      const moved = options.quarantine === false ? undefined : await this.quarantine(hash).catch(() => undefined);
      throw corruptObjectError(hash, actual, moved);
    }
    return bytes;
  }

  /** Re-hashes an object's content; returns the hash its bytes actually have. */
  async rehash(hash: string): Promise<string> {
    const { algo } = parseHash(hash);
    // One chunk buffer reused for every object: a stream per object allocated a fresh 4 MiB
    // buffer each time, which made fsck of many small objects GC-bound.
    this.rehashBuffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
    return hashFileSync(this.objectPath(hash), algo, await createHasher(algo), this.rehashBuffer).hash;
  }

  /** Records that fsck found an object good as it is now (its stat key). */
  async markVerified(hash: string): Promise<void> {
    const st = await this.lstatObject(hash);
    if (st) this.remember(hash, st);
  }

  /**
   * Makes every object written since the last flush durable with one filesystem sync,
   * falling back to an fsync per object where syncfs is unavailable; then saves what is
   * known of the objects' stat keys. Callers flush before writing anything that names them.
   */
  async flush(): Promise<void> {
    await this.syncs.flush(this.dir);
    await this.keys.save();
  }

  /** Every object in the store, as `algo:hex` with its size and change time (ms). */
  async list(): Promise<{ hash: string; size: number; ctimeMs: number }[]> {
    return listObjects(this.dir);
  }

  async remove(hash: string): Promise<void> {
    await fsp.rm(this.objectPath(hash), { force: true });
    this.keys.delete(hash);
  }

  /** Moves an object aside (never deletes it): used for corrupt objects. Returns where it went. */
  async quarantine(hash: string, dir: string = this.quarantineDir): Promise<string> {
    await fsp.mkdir(dir, { recursive: true });
    const dest = quarantinePathIn(dir, hash);
    await fsp.rename(this.objectPath(hash), dest);
    this.keys.delete(hash);
    await this.keys.save();
    return dest;
  }

  /** The registration time of the oldest other live rx process writing this store, if any. */
  oldestOtherWriter(): number | undefined {
    return oldestOtherWriter(this.dir);
  }

  /**
   * Removes temp files left by processes that died: those older than the oldest live
   * writer (all of them when no other writer is live), never this process's own.
   */
  async cleanTemp(): Promise<number> {
    return cleanStaleTemp(this.dir, this.tmpDir);
  }
}
