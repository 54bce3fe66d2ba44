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
  internal: 70,
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
  constructor(dir: string) {
    super('RX_NOT_PROJECT', ExitCode.notProject, `not an rx project (or any parent up to /): ${dir}`, {
      data: { dir },
      hint: 'run `rx init` to create one',
    });
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

export class LockedError extends RxError {
  constructor(message: string, options: RxErrorOptions = {}) {
    super('RX_LOCKED', ExitCode.locked, message, options);
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
