// The environment facts rx's built-in ML commands report to the rx repro that runs them (through
// the file named by RX_ENV_REPORT), so the lock records which tfjs backend made the outputs.
import { promises as fsp } from 'node:fs';
import type { Context } from '../core/context.js';
import { ENV_REPORT_VAR } from '../pipeline/execute.js';

export async function reportEnvironment(ctx: Context, backend: { name: string; simd: boolean }): Promise<void> {
  const file = ctx.env[ENV_REPORT_VAR];
  if (!file) return;
  await fsp.appendFile(file, JSON.stringify({ tfjs_backend: backend.name, tfjs_simd: backend.simd }) + '\n');
}
