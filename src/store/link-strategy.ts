// The link strategy: how a workspace file and a store object relate (reflink or verified copy
// by default, so a workspace file is never an object's inode unless hardlinks are chosen),
// which types this filesystem refuses (learnt once, then skipped), and each type's attempt.
import { promises as fsp, constants as fsc } from 'node:fs';
import { StoreIntegrityError } from '../core/errors.js';

export type LinkType = 'reflink' | 'hardlink' | 'copy';
/** DVC's default cache.type: a workspace file is never the object itself. */
export const defaultLinkOrder: LinkType[] = ['reflink', 'copy'];
/** For outputs kept in git (metrics, plots, cache: false): always ordinary writable files. */
export const independentLinkOrder: LinkType[] = ['reflink', 'copy'];
export type FileMode = '644' | '755';

export const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL', 'ENOSYS', 'EMLINK']);

export class LinkStrategy {
  /** Link types this filesystem refused; not tried again. */
  readonly unsupported = new Set<LinkType>();
  private reflinkProbe: Promise<boolean> | undefined;

  preferredLink(linkOrder: LinkType[]): LinkType | undefined {
    return linkOrder.find((l) => !this.unsupported.has(l));
  }

  /** Whether this filesystem makes reflinks (probed once with a one-byte file). */
  reflinkWorks(tempPath: (base: string) => Promise<string>): Promise<boolean> {
    this.reflinkProbe ??= (async () => {
      if (this.unsupported.has('reflink')) return false;
      const a = await tempPath('probe');
      const b = await tempPath('probe');
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
  async storesByCopy(linkOrder: LinkType[], tempPath: (base: string) => Promise<string>): Promise<boolean> {
    const first = this.preferredLink(linkOrder);
    if (first === 'copy' || first === undefined) return true;
    if (first === 'reflink') {
      if (await this.reflinkWorks(tempPath)) return false;
      const next = this.preferredLink(linkOrder);
      return next === 'copy' || next === undefined;
    }
    return false;
  }

  /**
   * Tries each usable link type in order, each with its own temp file (removed on failure);
   * a type the filesystem refuses is remembered and not tried again.
   */
  async tryLinkTypes<T>(
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
}

/** Places an object's content at tmp by one link type, with the workspace file's mode. */
export async function linkObject(obj: string, tmp: string, mode: FileMode, link: LinkType): Promise<void> {
  if (link === 'reflink') {
    await fsp.copyFile(obj, tmp, fsc.COPYFILE_FICLONE_FORCE);
    await fsp.chmod(tmp, mode === '755' ? 0o755 : 0o644);
  } else if (link === 'hardlink') {
    await fsp.link(obj, tmp);
  } else {
    await fsp.copyFile(obj, tmp);
    await fsp.chmod(tmp, mode === '755' ? 0o755 : 0o644);
  }
}
