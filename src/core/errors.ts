// Typed errors with stable codes and the exit-code table of the product spec.
// Every user-facing failure is an RxError; cli/main.ts is the one place that maps them to
// exit codes and prints them. Anything else that escapes is an internal error (exit 70).

export const ExitCode = {
  ok: 0,
  differences: 1,
  usage: 2,
  notProject: 3,
  invalidFile: 4,
  stageFailed: 5,
  storeIntegrity: 6,
  locked: 7,
  system: 8,
  internal: 70,
  /** 128 + the signal's number, as a shell reports a process ended by it. */
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface RxErrorOptions {
  data?: Record<string, unknown>;
  hint?: string;
  cause?: unknown;
}

export class RxError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly data: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: RxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RxError';
    this.code = code;
    this.exitCode = exitCode;
    this.data = options.data ?? {};
    this.hint = options.hint;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, exitCode: this.exitCode, message: this.message };
    if (Object.keys(this.data).length > 0) out.data = this.data;
    if (this.hint !== undefined) out.hint = this.hint;
    return out;
  }
}

export class UsageError extends RxError {
  constructor(message: string, options: RxErrorOptions = {}) {
    super('RX_USAGE', ExitCode.usage, message, options);
  }
}

export class NotProjectError extends RxError {
  /** With dvcDir, the directory holding a dvc.yaml: a DVC project, which rx migrate dvc converts. */
  constructor(dir: string, dvcDir?: string) {
    super(
      'RX_NOT_PROJECT',
      ExitCode.notProject,
      dvcDir === undefined ? `not an rx project (or any parent up to /): ${dir}` : `found dvc.yaml but no rx.yaml in ${dvcDir}: run \`rx migrate dvc\``,
      {
        data: dvcDir === undefined ? { dir } : { dir, dvcYaml: `${dvcDir.replace(/\/+$/, '')}/dvc.yaml` },
        hint: dvcDir === undefined ? 'run `rx init` to create one' : '`rx migrate dvc` creates the rx project (as rx init does) and writes rx.yaml from dvc.yaml and params.yaml',
      },
    );
  }
}

/** One problem in a file, located as precisely as the parser allows. */
export interface FileProblem {
  file: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

export function formatProblem(p: FileProblem): string {
  let loc = p.file;
  if (p.line !== undefined) loc += `:${p.line}`;
  if (p.line !== undefined && p.column !== undefined) loc += `:${p.column}`;
  return p.field ? `${loc}: ${p.field}: ${p.message}` : `${loc}: ${p.message}`;
}

export class InvalidFileError extends RxError {
  readonly problems: FileProblem[];
  /** `code` names a more specific refusal (e.g. RX_YAML_TOO_DEEP); the default is RX_INVALID_FILE. */
  constructor(problems: FileProblem[], options: RxErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'RX_INVALID_FILE', ExitCode.invalidFile, problems.map(formatProblem).join('\n'), {
      ...options,
      data: { problems, ...options.data },
    });
    this.problems = problems;
  }
}

export class StoreIntegrityError extends RxError {
  constructor(code: string, message: string, options: RxErrorOptions = {}) {
    super(code, ExitCode.storeIntegrity, message, options);
  }
}

/** rx received SIGINT/SIGTERM/SIGHUP and stopped what ran; the CLI exits 128 + the signal's number. */
export class InterruptedError extends RxError {
  readonly signal: NodeJS.Signals;
  /** `temporary`: the run was in a temporary tree (an experiment, rx repro --rev), with what that leaves and what to do next. */
  constructor(signal: NodeJS.Signals, stopped: string[], temporary?: { left: string; hint: string }) {
    const code = signal === 'SIGINT' ? ExitCode.sigint : signal === 'SIGHUP' ? ExitCode.sighup : ExitCode.sigterm;
    const what = stopped.length === 0 ? '' : temporary ? `: stopped stage(s) ${stopped.join(', ')} in a temporary tree` : `: stopped stage(s) ${stopped.join(', ')}, their previous outputs put back`;
    super('RX_INTERRUPTED', code, `interrupted by ${signal}${what}; ${temporary ? temporary.left : 'rx.lock keeps what had finished'}`, {
      data: { signal, stopped },
      hint: temporary ? temporary.hint : 'run `rx repro` again to finish',
    });
    this.signal = signal;
  }
}

export class LockedError extends RxError {
  constructor(message: string, options: RxErrorOptions = {}) {
    super('RX_LOCKED', ExitCode.locked, message, options);
  }
}

/**
 * What the operating system refused (no space, a read-only or unwritable place, too many
 * open files): exit 8, naming the path and what to do. Not rx's fault, so never exit 70.
 */
export class SystemError extends RxError {
  constructor(code: string, message: string, options: RxErrorOptions = {}) {
    super(code, ExitCode.system, message, options);
  }
}

const SYSTEM_ERRNOS: Record<string, { code: string; what: string; hint: string }> = {
  ENOSPC: { code: 'RX_NO_SPACE', what: 'no space left on the device', hint: 'free some space (rx gc removes store objects nothing references) and run the command again; what was stored before is intact' },
  EDQUOT: { code: 'RX_NO_SPACE', what: 'disk quota exceeded', hint: 'free some space or raise the quota, then run the command again; what was stored before is intact' },
  EROFS: { code: 'RX_READ_ONLY', what: 'read-only file system', hint: 'the project or its store (the `cache` setting in .rx/config.yaml) is on a read-only mount; remount it writable or point `cache` elsewhere' },
  EACCES: { code: 'RX_PERMISSION', what: 'permission denied', hint: 'check the owner and mode of the path (and of the store directory); run rx as the user who owns the project' },
  EPERM: { code: 'RX_PERMISSION', what: 'operation not permitted', hint: 'check the owner and mode of the path, and for immutable attributes (lsattr)' },
  EMFILE: { code: 'RX_TOO_MANY_FILES', what: 'too many open files', hint: 'raise the limit (ulimit -n 4096) and run the command again' },
  ENFILE: { code: 'RX_TOO_MANY_FILES', what: 'too many open files in the system', hint: 'close other programs or raise fs.file-max, then run the command again' },
};

/** The first errno error in err and its causes, if it is one the system refused. */
export function systemErrorFrom(err: unknown, cwd?: string): SystemError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = (e as NodeJS.ErrnoException).code;
    const known = typeof errno === 'string' ? SYSTEM_ERRNOS[errno] : undefined;
    if (!known) continue;
    // A copy or rename that cannot write names its destination: that is the place refused.
    const dest = (e as { dest?: string }).dest;
    const raw = dest !== undefined && errno !== 'EMFILE' && errno !== 'ENFILE' ? dest : ((e as NodeJS.ErrnoException).path ?? dest);
    const shown = raw === undefined ? undefined : cwd && raw.startsWith(cwd + '/') ? raw.slice(cwd.length + 1) : raw;
    const op = (e as NodeJS.ErrnoException).syscall;
    const message = `${known.what}${shown ? `: ${shown}` : ''}${op ? ` (${op})` : ''}`;
    return new SystemError(known.code, message, { data: { errno, ...(raw ? { path: raw } : {}), ...(op ? { syscall: op } : {}) }, hint: known.hint, cause: err });
  }
  return undefined;
}

/**
 * Runs a write that only saves later work (a stat cache, a verification record): on a
 * read-only, unwritable or full file system it is skipped, and the command goes on.
 */
export async function advisoryWrite(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** Reads a text file a command was given; an unreadable one is an invalid file (exit 4) named as `shown`. */
export async function readInputFile(abs: string, shown: string = abs): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read: ${code ?? (err as Error).message}`;
    throw new InvalidFileError([{ file: shown, message }], { cause: err });
  }
}
