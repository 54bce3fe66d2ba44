// What a search's runs report while they run and after: where their logs and per-epoch progress
// live, the per-epoch curve pruning judges (from the progress lines or a stage's curves.json),
// and the last epoch a run under way reported (for rx search status). Pure but for the paths.
import { RX_DIR } from '../store/project.js';
import { epochReportingStages } from '../search/targets.js';
import type { Pipeline } from '../pipeline/definition.js';

/**
 * Where a run's per-epoch curve can be read after it: curves.json (what `rx train` writes) in
 * each output directory of the stages that report epochs.
 */
export function curveFiles(pipeline: Pipeline): string[] {
  const reporting = new Set(epochReportingStages(pipeline));
  return pipeline.stages.filter((s) => reporting.has(s.name)).flatMap((s) => s.outs.filter((o) => o.kind !== 'metric').map((o) => `${o.path.replace(/\/$/, '')}/curves.json`));
}

/** Where a search's runs keep their logs and per-epoch progress (project-relative). */
export function searchRunDir(name: string): string {
  return `${RX_DIR}/tmp/runs/search/${name}`;
}

/** The last whole line of a progress file ({epoch, ...numbers}): the epoch and its numbers. */
export function lastEpoch(text: string): { epoch?: number; metrics?: Record<string, number> } {
  const lines = text.split('\n');
  lines.pop(); // the part after the last newline is being written, or empty
  for (let i = lines.length - 1; i >= 0; i--) {
    let rec: unknown;
    try {
      rec = JSON.parse(lines[i]!);
    } catch {
      continue;
    }
    if (rec === null || typeof rec !== 'object' || typeof (rec as { epoch?: unknown }).epoch !== 'number') continue;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec)) if (k !== 'epoch' && typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    return { epoch: (rec as { epoch: number }).epoch, metrics };
  }
  return {};
}

/** The per-epoch metric from JSON lines ({epoch, KEY}) or a curves.json array; epochs 1.. in order, cut at the first gap. */
export function curveOf(text: string | undefined, key: string): number[] | undefined {
  if (text === undefined) return undefined;
  let points: unknown[];
  try {
    const trimmed = text.trim();
    points = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  } catch {
    // A line being written while read: the whole lines before it count.
    const lines = text.split('\n');
    lines.pop();
    if (lines.length === 0) return undefined;
    return curveOf(lines.join('\n') + '\n', key);
  }
  const byEpoch = new Map<number, number>();
  for (const p of points) {
    if (p === null || typeof p !== 'object') continue;
    const { epoch, [key]: value } = p as Record<string, unknown>;
    if (typeof epoch === 'number' && typeof value === 'number' && Number.isFinite(value)) byEpoch.set(epoch, value);
  }
  const out: number[] = [];
  for (let e = 1; byEpoch.has(e); e++) out.push(byEpoch.get(e)!);
  return out.length > 0 ? out : undefined;
}
