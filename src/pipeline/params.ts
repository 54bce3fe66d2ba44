// Parameter values a stage depends on, read from params files (YAML or JSON) by dotted key.
import { parseYaml } from '../core/yaml.js';
import { InvalidFileError, type FileProblem } from '../core/errors.js';
import { getPath } from './template.js';
import { workspaceReader, type FileReader, type ParamSpec } from './definition.js';
import type { LockParams } from './lock.js';

export type ParamsReader = (file: string) => Promise<unknown>;

/** A params reader over any file reader (workspace or commit), parsing each file once. */
export function paramsReaderFrom(read: FileReader): ParamsReader {
  const cache = new Map<string, Promise<unknown>>();
  return (file) => {
    let p = cache.get(file);
    if (!p) {
      p = read(file).then((text) => {
        if (text === undefined) throw Object.assign(new Error(`${file}: not found`), { code: 'ENOENT' });
        return parseYaml(text, file);
      });
      cache.set(file, p);
    }
    return p;
  };
}

export function workspaceParamsReader(root: string): ParamsReader {
  return paramsReaderFrom(workspaceReader(root));
}

/** Values of the params a stage uses; missing files and keys become problems. */
export async function paramValues(specs: ParamSpec[], read: ParamsReader, usedBy: string): Promise<{ values: LockParams; problems: FileProblem[] }> {
  const values: LockParams = {};
  const problems: FileProblem[] = [];
  for (const spec of specs) {
    let doc: unknown;
    try {
      doc = await read(spec.file);
    } catch (err) {
      if (err instanceof InvalidFileError) {
        problems.push(...err.problems);
        continue;
      }
      const e = err as NodeJS.ErrnoException;
      problems.push({ file: spec.file, message: e.code === 'ENOENT' ? `params file not found (used by stage ${usedBy})` : (e.message ?? String(err)).split('\n')[0]! });
      continue;
    }
    if (spec.keys === null) {
      values[spec.file] = (doc ?? {}) as Record<string, unknown>;
      continue;
    }
    if (doc === null && spec.keys.length > 0) {
      problems.push({ file: spec.file, message: `the file is empty; expected a mapping with ${spec.keys.join(', ')} (used by stage ${usedBy})` });
      continue;
    }
    const got: Record<string, unknown> = {};
    for (const key of spec.keys) {
      const r = getPath(doc, key);
      if (r.found) got[key] = r.value;
      else problems.push({ file: spec.file, field: key, message: `not found (used by stage ${usedBy})` });
    }
    values[spec.file] = got;
  }
  return { values, problems };
}
