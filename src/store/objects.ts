// The content-addressed object store: objects live at <cache>/<algo>/<2 hex>/<rest>,
// are written to a temp file on the same filesystem, renamed into place and made
// read-only. This class is the one owner of three things: the link strategy (how a
// workspace file and an object relate: reflink or verified copy by default, so a workspace
// file is never an object's inode unless hardlinks are chosen), the pending syncs (new
// objects are synced once, before any pointer, lock entry or ref names them, as git's
// core.fsyncMethod=batch does), and the check before use (an object whose stat key changed
// since the store knew it good is re-hashed; a mismatch is quarantined and refused).
import { promises as fsp, constants as fsc, createReadStream, lstatSync, chmodSync, linkSync, mkdirSync, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tempNameIn, fsyncDir } from '../core/atomic.js';
import { isErrno, StoreIntegrityError } from '../core/errors.js';
import { createHasher, formatHash, parseHash, hashFileSync, hashBytes, CHUNK_SIZE, hashAlgorithms, type HashAlgorithm } from './hash.js';
import { ObjectKeys, objectStatKey } from './object-keys.js';
import { registerWriter, oldestOtherWriter } from './live-writers.js';
import { ingestFiles, hashFiles } from './hash-pool.js';

const execFileP = promisify(execFile);

export type LinkType = 'reflink' | 'hardlink' | 'copy';
/** DVC's default cache.type: a workspace file is never the object itself. */
export const defaultLinkOrder: LinkType[] = ['reflink', 'copy'];
/** For outputs kept in git (metrics, plots, cache: false): always ordinary writable files. */
export const independentLinkOrder: LinkType[] = ['reflink', 'copy'];
export type FileMode = '644' | '755';
/** What putFile did: stored a new object, found it stored, or also replaced the workspace file (a link to it, or a private copy). */
export type PutOutcome = 'created' | 'present' | 'relinked';

const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS', 'EMLINK']);
/** Files this big are hashed while the kernel copies them, rather than copied chunk by chunk. */
const BIG_FILE = 16 * 1024 * 1024;

export function corruptObjectError(hash: string, actual: string, movedTo?: string): StoreIntegrityError {
  return new StoreIntegrityError('RX_OBJECT_CORRUPT', `store object ${hash} is corrupt (its content hashes to ${actual})${movedTo ? `; moved to ${movedTo}` : ''}`, {
    data: { hash, actual, ...(movedTo ? { quarantined: movedTo } : {}) },
    hint: 'run `rx fsck`, then `rx add` a good copy of the data (or fetch it from where it was made)',
  });
}

export function missingObjectError(hash: string): StoreIntegrityError {
  return new StoreIntegrityError('RX_OBJECT_MISSING', `store object ${hash} is missing`, { data: { hash } });
}

export class ObjectStore {
  readonly dir: string;
  readonly algo: HashAlgorithm;
  readonly linkOrder: LinkType[];
  /** Where objects found corrupt are moved (never deleted). */
  readonly quarantineDir: string;
  private readonly tmpDir: string;
  private readonly unsupported = new Set<LinkType>();
  private pending: string[] = [];
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
    const { algo, hex } = parseHash(hash);
    return path.join(this.dir, algo, hex.slice(0, 2), hex.slice(2));
  }

  /** Whether workspace files placed by this store are the objects themselves (read-only then). */
  get sharesInodes(): boolean {
    return this.preferredLink(this.linkOrder) === 'hardlink';
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
    this.pending.push(dest);
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

  /** Stores bytes under their hash (manifests and other small objects); a corrupt copy is replaced. */
  async putBytes(hash: string, data: Uint8Array | string): Promise<boolean> {
    const existing = await this.lstatObject(hash);
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (existing && Number(existing.size) === size && (await this.intact(hash))) {
      await this.claimPresent(hash);
      return false;
    }
    if (await this.has(hash)) await this.quarantine(hash);
    const tmp = await this.tempPath('obj');
    await fsp.writeFile(tmp, data);
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
    if (mode === '644' && ownLinks && this.preferredLink(linkOrder) === 'hardlink') {
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
        if (mode === '644' && ownLinks && this.preferredLink(linkOrder) === 'hardlink') {
          await this.materialise(hash, src, mode, linkOrder);
          return 'relinked';
        }
        return 'present';
      }
    }
    const tmp = await this.tempPath('obj');
    await this.tryLinkTypes(mode, src, linkOrder, async () => tmp, async (link) => {
      if (link === 'reflink') {
        await fsp.copyFile(src, tmp, fsc.COPYFILE_FICLONE_FORCE);
        await this.checkUnchanged(src, srcStat, hash);
      } else if (link === 'hardlink') {
        if (!ownLinks) throw Object.assign(new Error('the file has other hard links'), { code: 'EMLINK' });
        await fsp.link(src, tmp);
      } else {
        await this.copyChecked(src, tmp, hash, size);
      }
      await this.install(tmp, hash);
    });
    return 'created';
  }

  private reflinkProbe: Promise<boolean> | undefined;

  /** Whether this filesystem makes reflinks (probed once with a one-byte file). */
  private reflinkWorks(): Promise<boolean> {
    this.reflinkProbe ??= (async () => {
      if (this.unsupported.has('reflink')) return false;
      const a = await this.tempPath('probe');
      const b = await this.tempPath('probe');
      try {
        await fsp.writeFile(a, 'x');
        await fsp.copyFile(a, b, fsc.COPYFILE_FICLONE_FORCE);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== undefined && LINK_UNSUPPORTED.has(code)) {
          this.unsupported.add('reflink');
          return false;
        }
        throw err;
      } finally {
        await fsp.rm(a, { force: true });
        await fsp.rm(b, { force: true });
      }
    })();
    return this.reflinkProbe;
  }

  /**
   * Whether new files are stored by copying under this link order (no reflinks here, no
   * hardlinks wanted): then hashing and storing are done in one read by `ingest`.
   */
  async storesByCopy(linkOrder: LinkType[] = this.linkOrder): Promise<boolean> {
    const first = this.preferredLink(linkOrder);
    if (first === 'copy' || first === undefined) return true;
    if (first === 'reflink') {
      if (await this.reflinkWorks()) return false;
      const next = this.preferredLink(linkOrder);
      return next === 'copy' || next === undefined;
    }
    return false;
  }

  /**
   * Hashes workspace files and stores each as an object with one read of it: small files in
   * the hash pool's workers (read, hash and write the object's temp file together), big ones
   * hashed while the kernel copies them (copy_file_range) beside, the file's stat compared
   * before and after so a file changed meanwhile is refused. Returns hashes in input order.
   */
  async ingest(files: { path: string; size: number }[], onBytes?: (n: number) => void): Promise<{ hash: string; size: number; created: boolean }[]> {
    await this.tempPath('obj');
    const out: { hash: string; size: number; created: boolean }[] = new Array(files.length);
    const small: number[] = [];
    const big: number[] = [];
    files.forEach((f, i) => (f.size >= BIG_FILE ? big : small).push(i));
    const record = (hash: string, key: string | undefined) => {
      this.pending.push(this.objectPath(hash));
      if (key) this.keys.set(hash, key);
    };
    if (small.length > 0) {
      const results = await ingestFiles(small.map((i) => files[i]!), this.algo, this.dir, onBytes);
      // Two workers storing equal files may both rename into place: count the object once,
      // and let its key be re-learnt (by a re-hash) rather than trust the one that lost.
      const created = new Map<string, number>();
      for (const r of results) if (r.stored === 'created') created.set(r.hash, (created.get(r.hash) ?? 0) + 1);
      const seen = new Set<string>();
      results.forEach((r, k) => {
        const isNew = r.stored === 'created' && !seen.has(r.hash);
        if (isNew) {
          seen.add(r.hash);
          record(r.hash, created.get(r.hash) === 1 ? r.key : undefined);
        }
        out[small[k]!] = { hash: r.hash, size: r.size, created: isNew };
      });
      if (this.shared) for (const r of results) if (r.stored === 'present') await this.claimPresent(r.hash);
    }
    for (const i of big) {
      const f = files[i]!;
      const before = await fsp.lstat(f.path, { bigint: true });
      const tmp = await this.tempPath('obj');
      try {
        const [[h]] = await Promise.all([hashFiles([f], this.algo, onBytes), fsp.copyFile(f.path, tmp)]);
        await this.checkUnchanged(f.path, before, h!.hash);
        if (await this.has(h!.hash)) {
          await fsp.rm(tmp, { force: true });
          await this.claimPresent(h!.hash);
          out[i] = { hash: h!.hash, size: h!.size, created: false };
        } else {
          await this.install(tmp, h!.hash);
          out[i] = { hash: h!.hash, size: h!.size, created: true };
        }
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw err;
      }
    }
    return out;
  }

  private async checkUnchanged(src: string, before: BigIntStats, hash: string): Promise<void> {
    const now = await fsp.lstat(src, { bigint: true });
    if (now.size !== before.size || now.mtimeNs !== before.mtimeNs || now.ctimeNs !== before.ctimeNs || now.ino !== before.ino) {
      throw new StoreIntegrityError('RX_FILE_CHANGED', `${src}: changed while it was being added (expected ${hash})`, { data: { path: src } });
    }
  }

  private preferredLink(linkOrder: LinkType[]): LinkType | undefined {
    return linkOrder.find((l) => !this.unsupported.has(l));
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
      this.pending.push(dest);
      this.remember(hash, lstatSync(dest, { bigint: true }));
      return 'relinked';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      chmodSync(src, previousMode);
      if (code === 'EEXIST') return undefined;
      if (code !== undefined && LINK_UNSUPPORTED.has(code)) {
        this.unsupported.add('hardlink');
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Tries each usable link type in order, each with its own temp file (removed on failure);
   * a type the filesystem refuses is remembered and not tried again.
   */
  private async tryLinkTypes<T>(
    mode: FileMode,
    target: string,
    linkOrder: LinkType[],
    tempFor: (link: LinkType) => Promise<string>,
    attempt: (link: LinkType, tmp: string) => Promise<T>,
  ): Promise<T> {
    for (const link of this.candidates(mode, linkOrder)) {
      let tmp: string | undefined;
      try {
        tmp = await tempFor(link);
        return await attempt(link, tmp);
      } catch (err) {
        if (tmp !== undefined) await fsp.rm(tmp, { force: true }).catch(() => {});
        const code = (err as NodeJS.ErrnoException).code;
        if (link !== 'copy' && code !== undefined && LINK_UNSUPPORTED.has(code)) {
          if (code !== 'EMLINK') this.unsupported.add(link);
          continue;
        }
        // Links are made in the store's own temp directory: a store mounted read-only or
        // owned by another user still gives copies, made next to the target.
        if (link !== 'copy' && (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')) {
          this.unsupported.add(link);
          continue;
        }
        throw err;
      }
    }
    throw new StoreIntegrityError('RX_NO_LINK_TYPE', `no usable link type among ${linkOrder.join(', ')} for ${target}`);
  }

  /** The link types to try for a file of this mode; copy always comes last as the fallback. */
  private candidates(mode: FileMode, linkOrder: LinkType[]): LinkType[] {
    const usable = linkOrder.filter((l) => !this.unsupported.has(l) && !(l === 'hardlink' && mode === '755'));
    return usable.includes('copy') ? usable : [...usable, 'copy'];
  }

  /**
   * A workspace file that is the object's own inode gets its own copy unless hardlinks are
   * wanted for it: an executable (chmod +x on a hardlink changes the object too), or a
   * store whose link order no longer shares inodes.
   */
  private async separateWorkspace(src: string, hash: string, mode: FileMode, linkOrder: LinkType[]): Promise<boolean> {
    if (mode === '644' && this.preferredLink(linkOrder) === 'hardlink') return false;
    await fsp.chmod(this.objectPath(hash), 0o444);
    this.remember(hash, await fsp.lstat(this.objectPath(hash), { bigint: true }));
    await this.materialise(hash, src, mode, linkOrder.filter((l) => l !== 'hardlink'));
    return true;
  }

  /** Copies a file while hashing it; a source that changed since it was hashed is refused. */
  private async copyChecked(src: string, dest: string, expected: string, size: number): Promise<void> {
    const actual = await this.copyHashing(src, dest, parseHash(expected).algo);
    if (actual.hash !== expected || actual.size !== size) {
      throw new StoreIntegrityError('RX_FILE_CHANGED', `${src}: changed while it was being added (expected ${expected}, got ${actual.hash})`, {
        data: { path: src },
      });
    }
  }

  private async copyHashing(src: string, dest: string, algo: HashAlgorithm): Promise<{ hash: string; size: number }> {
    const hasher = await createHasher(algo);
    const out = await fsp.open(dest, 'w', 0o644);
    let size = 0;
    try {
      // One write in flight while the next chunk is read and hashed.
      let writing: Promise<unknown> = Promise.resolve();
      for await (const chunk of createReadStream(src, { highWaterMark: 1024 * 1024 })) {
        const buf = chunk as Buffer;
        hasher.update(buf);
        size += buf.length;
        await writing;
        writing = out.write(buf);
      }
      await writing;
    } finally {
      await out.close();
    }
    return { hash: formatHash(algo, hasher.digest()), size };
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
      return await this.tryLinkTypes(mode, dest, linkOrder, tempFor, async (link, tmp) => {
        if (link === 'reflink') {
          await fsp.copyFile(obj, tmp, fsc.COPYFILE_FICLONE_FORCE);
          await fsp.chmod(tmp, mode === '755' ? 0o755 : 0o644);
        } else if (link === 'hardlink') {
          await fsp.link(obj, tmp);
        } else {
          await fsp.copyFile(obj, tmp);
          await fsp.chmod(tmp, mode === '755' ? 0o755 : 0o644);
        }
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
    const pending = this.pending;
    this.pending = [];
    if (pending.length > 0) await this.syncObjects(pending);
    await this.keys.save();
  }

  private async syncObjects(pending: string[]): Promise<void> {
    try {
      await execFileP('sync', ['-f', this.dir]);
      return;
    } catch {
      // no coreutils sync -f: per-file fsync below
    }
    const dirs = new Set<string>();
    for (const file of pending) {
      const fh = await fsp.open(file, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      dirs.add(path.dirname(file));
    }
    for (const d of dirs) await fsyncDir(d);
  }

  /** Every object in the store, as `algo:hex` with its size and change time (ms). */
  async list(): Promise<{ hash: string; size: number; ctimeMs: number }[]> {
    const out: { hash: string; size: number; ctimeMs: number }[] = [];
    let algos: string[];
    try {
      algos = await fsp.readdir(this.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return out;
      throw err;
    }
    for (const algo of algos.sort()) {
      // Only algorithm directories hold objects (tmp/, runs/, keys/ live beside them).
      if (!(hashAlgorithms as readonly string[]).includes(algo)) continue;
      const algoDir = path.join(this.dir, algo);
      for (const prefix of (await fsp.readdir(algoDir)).sort()) {
        if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
        const prefixDir = path.join(algoDir, prefix);
        for (const rest of (await fsp.readdir(prefixDir)).sort()) {
          if (rest.startsWith('.')) continue;
          const st = await fsp.lstat(path.join(prefixDir, rest)).catch(() => undefined);
          if (st) out.push({ hash: `${algo}:${prefix}${rest}`, size: st.size, ctimeMs: Math.max(st.ctimeMs, st.mtimeMs) });
        }
      }
    }
    return out;
  }

  async remove(hash: string): Promise<void> {
    await fsp.rm(this.objectPath(hash), { force: true });
    this.keys.delete(hash);
  }

  /** Moves an object aside (never deletes it): used for corrupt objects. Returns where it went. */
  async quarantine(hash: string, dir: string = this.quarantineDir): Promise<string> {
    await fsp.mkdir(dir, { recursive: true });
    const dest = path.join(dir, hash.replace(':', '-'));
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
    let removed = 0;
    let names: string[];
    try {
      names = await fsp.readdir(this.tmpDir);
    } catch {
      return 0;
    }
    const bound = this.oldestOtherWriter() ?? Infinity;
    const mine = `.${process.pid}.`;
    for (const name of names) {
      if (name === 'live' || name.includes(mine)) continue;
      const p = path.join(this.tmpDir, name);
      try {
        const st = await fsp.lstat(p);
        if (st.mtimeMs < bound) {
          await fsp.rm(p, { recursive: true, force: true });
          removed += 1;
        }
      } catch {
        // raced with another cleaner
      }
    }
    return removed;
  }
}
