// The yaml library, loaded on first use: importing it costs ~70 ms, and a command whose
// files all come from the parsed-file cache never needs it.
import { createRequire } from 'node:module';

type YamlLib = typeof import('yaml');
const require = createRequire(import.meta.url);
let lib: YamlLib | undefined;

export function yamlLib(): YamlLib {
  lib ??= require('yaml') as YamlLib;
  return lib;
}

export function parseYaml(text: string): unknown {
  return yamlLib().parse(text);
}

export function stringifyYaml(value: unknown, options?: import('yaml').ToStringOptions & import('yaml').DocumentOptions & import('yaml').SchemaOptions): string {
  return yamlLib().stringify(value, options);
}
