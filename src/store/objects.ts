// The content-addressed object store: objects live at <cache>/<algo>/<2 hex>/<rest>,
// are written to a temp file on the same filesystem, renamed into place and made
// read-only. Durability is batched: new objects are synced once (syncfs) before any
// pointer or lock that names them is written, as git's core.fsyncMethod=batch does.
import { promises as fsp, constants as fsc, createReadStream, lstatSync, chmodSync, linkSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tempNameIn, fsyncDir } from '../core/atomic.js';
import { isErrno, StoreIntegrityError } from '../core/errors.js';
import { createHasher, formatHash, parseHash, hashFileSync, CHUNK_SIZE, hashAlgorithms, type HashAlgorithm } from './hash.js';

const execFileP = promisify(execFile);

export type LinkType = 'reflink' | 'hardlink' | 'copy';
export const defaultLinkOrder: LinkType[] = ['reflink', 'hardlink', 'copy'];
export type FileMode = '644' | '755';
/** What putFile did: stored a new object, found it stored, or also replaced the workspace file by a link to it. */
export type PutOutcome = 'created' | 'present' | 'relinked';

const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS', 'EMLINK']);

export class ObjectStore {
  readonly dir: string;
  readonly algo: HashAlgorithm;
  readonly linkOrder: LinkType[];
  private readonly tmpDir: string;
  private readonly unsupported = new Set<LinkType>();
  private pending: string[] = [];
  private rehashBuffer: Buffer | undefined;
  private tmpReady = false;

  /** The same store, placing files with another link order (e.g. copies for outputs kept in git). */
  withLinkOrder(linkOrder: LinkType[]): ObjectStore {
    return new ObjectStore(this.dir, this.algo, linkOrder);
  }

  constructor(dir: string, algo: HashAlgorithm, linkOrder: LinkType[] = defaultLinkOrder) {
    this.dir = dir;
    this.algo = algo;
    this.linkOrder = linkOrder;
    this.tmpDir = path.join(dir, 'tmp');
  }

  objectPath(hash: string): string {
    const { algo, hex } = parseHash(hash);
    return path.join(this.dir, algo, hex.slice(0, 2), hex.slice(2));
  }

  /** Size of the object, or undefined when absent. Reads no content. */
  async stat(hash: string): Promise<{ size: number; ino: bigint } | undefined> {
    try {
      const st = await fsp.stat(this.objectPath(hash), { bigint: true });
      return { size: Number(st.size), ino: st.ino };
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async has(hash: string): Promise<boolean> {
    return (await this.stat(hash)) !== undefined;
  }

  private async tempPath(base: string): Promise<string> {
    if (!this.tmpReady) {
      await fsp.mkdir(this.tmpDir, { recursive: true });
      this.tmpReady = true;
    }
    return tempNameIn(this.tmpDir, base);
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
  }

  /** Stores bytes under their hash (manifests and other small objects). */
  async putBytes(hash: string, data: Uint8Array | string): Promise<boolean> {
    const existing = await this.stat(hash);
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (existing && existing.size === size) return false;
    const tmp = await this.tempPath('obj');
    await fsp.writeFile(tmp, data);
    await this.install(tmp, hash);
    return true;
  }

  /**
   * Stores a workspace file whose hash is already known, following the link order:
   * reflink (workspace keeps an independent copy-on-write copy), hardlink (the workspace
   * file becomes the read-only object itself), copy. Returns true if an object was created.
   * Executable files are never hardlinked, since the object's mode is shared.
   */
  async putFile(src: string, hash: string, size: number, mode: FileMode): Promise<PutOutcome> {
    if (mode === '644' && this.preferredLink() === 'hardlink') {
      const fast = this.linkIntoStore(src, hash);
      if (fast) return fast;
    }
    const existing = await this.stat(hash);
    if (existing && existing.size === size) {
      return (await this.relinkWorkspace(src, hash, mode, existing.ino)) ? 'relinked' : 'present';
    }
    const tmp = await this.tempPath('obj');
    await this.tryLinkTypes(mode, src, async () => tmp, async (link) => {
      if (link === 'reflink') await fsp.copyFile(src, tmp, fsc.COPYFILE_FICLONE_FORCE);
      else if (link === 'hardlink') await fsp.link(src, tmp);
      else await this.copyChecked(src, tmp, hash, size);
      await this.install(tmp, hash);
    });
    return 'created';
  }

  private preferredLink(): LinkType | undefined {
    return this.linkOrder.find((l) => !this.unsupported.has(l));
  }

  /**
   * The common case, made cheap (two system calls, no thread-pool round trips): the
   * workspace file becomes read-only and is hardlinked straight to the object's name.
   * link(2) is atomic and the content is complete, so no temp name is needed. Returns
   * undefined when the object exists already or hardlinks are refused (the caller then
   * takes the general path).
   */
  private linkIntoStore(src: string, hash: string): PutOutcome | undefined {
    const dest = this.objectPath(hash);
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
      return 'created';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return undefined;
      chmodSync(src, previousMode);
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
  private async tryLinkTypes<T>(mode: FileMode, target: string, tempFor: (link: LinkType) => Promise<string>, attempt: (link: LinkType, tmp: string) => Promise<T>): Promise<T> {
    for (const link of this.candidates(mode)) {
      const tmp = await tempFor(link);
      try {
        return await attempt(link, tmp);
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        const code = (err as NodeJS.ErrnoException).code;
        if (link !== 'copy' && code !== undefined && LINK_UNSUPPORTED.has(code)) {
          this.unsupported.add(link);
          continue;
        }
        throw err;
      }
    }
    throw new StoreIntegrityError('RX_NO_LINK_TYPE', `no usable link type among ${this.linkOrder.join(', ')} for ${target}`);
  }

  /** The link types to try for a file of this mode; copy when none of the configured ones can serve. */
  private candidates(mode: FileMode): LinkType[] {
    const usable = this.linkOrder.filter((l) => !this.unsupported.has(l) && !(l === 'hardlink' && mode === '755'));
    return usable.length > 0 ? usable : ['copy'];
  }

  /**
   * Keeps the workspace and the store apart where they must be, and together where they
   * may be: an executable that is the object itself (chmod +x on a hardlink changes the
   * object too) gets its own copy and the object is made read-only again; with hardlinks
   * preferred, a separate copy of a non-executable is replaced by the object (dedupe).
   */
  private async relinkWorkspace(src: string, hash: string, mode: FileMode, objectIno: bigint): Promise<boolean> {
    const st = await fsp.lstat(src, { bigint: true });
    if (st.ino === objectIno) {
      if (mode !== '755') return false;
      await fsp.chmod(this.objectPath(hash), 0o444);
      await this.materialise(hash, src, mode);
      return true;
    }
    if (this.preferredLink() !== 'hardlink' || mode !== '644') return false;
    await this.materialise(hash, src, mode);
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
      for await (const chunk of createReadStream(src, { highWaterMark: 1024 * 1024 })) {
        const buf = chunk as Buffer;
        hasher.update(buf);
        size += buf.length;
        await out.write(buf);
      }
    } finally {
      await out.close();
    }
    return { hash: formatHash(algo, hasher.digest()), size };
  }

  /**
   * Writes the object to dest (replacing whatever is there atomically) per the link order.
   * Copies are verified against the object's name: a corrupt object is never used.
   */
  async materialise(hash: string, dest: string, mode: FileMode): Promise<LinkType> {
    const obj = this.objectPath(hash);
    // Links are made in the store's temp directory (it shares the object's filesystem), so a
    // process killed before the rename leaves no stray file in the workspace; copies must be
    // made next to dest, which may be on another filesystem.
    const tempFor = async (link: LinkType) => (link === 'copy' ? tempNameIn(path.dirname(dest), path.basename(dest)) : await this.tempPath('link'));
    try {
      return await this.tryLinkTypes(mode, dest, tempFor, async (link, tmp) => {
        if (link === 'reflink') {
          await fsp.copyFile(obj, tmp, fsc.COPYFILE_FICLONE_FORCE);
          await fsp.chmod(tmp, mode === '755' ? 0o755 : 0o644);
        } else if (link === 'hardlink') {
          await fsp.link(obj, tmp);
        } else {
          const actual = await this.copyHashing(obj, tmp, parseHash(hash).algo);
          if (actual.hash !== hash) {
            throw new StoreIntegrityError('RX_OBJECT_CORRUPT', `store object ${hash} is corrupt (its content hashes to ${actual.hash})`, {
              data: { hash, actual: actual.hash },
              hint: 'run `rx fsck --repair`, then re-add the data from a good copy',
            });
          }
          await fsp.chmod(tmp, mode === '755' ? 0o755 : 0o644);
        }
        await fsp.rename(tmp, dest);
        return link;
      });
    } catch (err) {
      if (isErrno(err, 'ENOENT') && !(await this.has(hash))) {
        throw new StoreIntegrityError('RX_OBJECT_MISSING', `store object ${hash} is missing`, { data: { hash } });
      }
      throw err;
    }
  }

  async readBytes(hash: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.objectPath(hash));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new StoreIntegrityError('RX_OBJECT_MISSING', `store object ${hash} is missing`, { data: { hash } });
      throw err;
    }
  }

  /** Re-hashes an object's content; returns the hash its bytes actually have. */
  async rehash(hash: string): Promise<string> {
    const { algo } = parseHash(hash);
    // One chunk buffer reused for every object: a stream per object allocated a fresh 4 MiB
    // buffer each time, which made fsck of many small objects GC-bound.
    this.rehashBuffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
    return hashFileSync(this.objectPath(hash), algo, await createHasher(algo), this.rehashBuffer).hash;
  }

  /**
   * Makes every object written since the last flush durable with one filesystem sync,
   * falling back to an fsync per object where syncfs is unavailable.
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
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

  /** Every object in the store, as `algo:hex` with its size. */
  async list(): Promise<{ hash: string; size: number }[]> {
    const out: { hash: string; size: number }[] = [];
    let algos: string[];
    try {
      algos = await fsp.readdir(this.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return out;
      throw err;
    }
    for (const algo of algos.sort()) {
      // Only algorithm directories hold objects (tmp/ and runs/ live beside them).
      if (!(hashAlgorithms as readonly string[]).includes(algo)) continue;
      const algoDir = path.join(this.dir, algo);
      for (const prefix of (await fsp.readdir(algoDir)).sort()) {
        if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
        const prefixDir = path.join(algoDir, prefix);
        for (const rest of (await fsp.readdir(prefixDir)).sort()) {
          if (rest.startsWith('.')) continue;
          const st = await fsp.lstat(path.join(prefixDir, rest));
          out.push({ hash: `${algo}:${prefix}${rest}`, size: st.size });
        }
      }
    }
    return out;
  }

  async remove(hash: string): Promise<void> {
    await fsp.rm(this.objectPath(hash), { force: true });
  }

  /** Moves an object aside (never deletes it): used by fsck --repair for corrupt objects. */
  async quarantine(hash: string, dir: string): Promise<string> {
    await fsp.mkdir(dir, { recursive: true });
    const dest = path.join(dir, hash.replace(':', '-'));
    await fsp.rename(this.objectPath(hash), dest);
    return dest;
  }

  /** Removes temp files left by killed processes (older than the given age). */
  async cleanTemp(olderThanMs: number, now: number): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await fsp.readdir(this.tmpDir);
    } catch {
      return 0;
    }
    for (const name of names) {
      const p = path.join(this.tmpDir, name);
      try {
        const st = await fsp.lstat(p);
        if (now - st.mtimeMs >= olderThanMs) {
          await fsp.rm(p, { force: true });
          removed += 1;
        }
      } catch {
        // raced with another cleaner
      }
    }
    return removed;
  }
}
