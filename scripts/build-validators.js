#!/usr/bin/env node
// Build step: compiles every JSON Schema in dist/schema/ to standalone validation code
// (dist/schema/validators.cjs), so rx never compiles schemas at start-up (ajv compilation
// costs ~200 ms per process; the compiled functions cost nothing to load).
import { readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'schema');
const Ajv2020 = require('ajv/dist/2020.js').default;
const addFormats = require('ajv-formats').default;
const standaloneCode = require('ajv/dist/standalone/index.js').default;

// Every module in dist/schema but the validator loader itself holds schemas.
const modules = readdirSync(dist).filter((f) => f.endsWith('.js') && f !== 'validate.js').sort();
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, code: { source: true } });
addFormats(ajv);
const exports = {};
let n = 0;
for (const m of modules) {
  const mod = await import(path.join(dist, m));
  for (const value of Object.values(mod)) {
    if (value && typeof value === 'object' && typeof value.$id === 'string' && !ajv.getSchema(value.$id)) {
      ajv.addSchema(value);
      exports[`v${n++}`] = value.$id;
    }
  }
}
let code = standaloneCode(ajv, exports);
code += `\nmodule.exports.byId = {${Object.entries(exports).map(([name, id]) => `${JSON.stringify(id)}: module.exports.${name}`).join(', ')}};\n`;
writeFileSync(path.join(dist, 'validators.cjs'), code);
console.error(`compiled ${n} schemas to dist/schema/validators.cjs`);
