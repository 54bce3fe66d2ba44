// Entry point of `npm run bench`: installs missing reference tools from Debian, cleans
// bench/.work, runs every benchmark (or those named: `npm run bench -- file dir status repro history search`),
// then prints one summary table with seconds, peak MB, ratios (reference time / rx time,
// so > 1 means rx is faster) and each target's PASS/MISS. Results also go to
// bench/.work/results.json and every command's output to bench/.work/logs/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADD_DIR_METHOD, ADD_FILE_METHOD, benchAddDir, benchAddFile, type ToolSet } from './add.js';
import { HISTORY_METHOD, benchHistory } from './repro-rev.js';
import { REPRO_METHOD, benchRepro } from './repro.js';
import { SEARCH_METHOD, SEARCH_NOISY_METHOD, benchSearch } from './search.js';
import { STATUS_METHOD, benchStatus } from './status.js';
import { TRAIN_METHOD, benchTrain, FASHION_METHOD, benchFashion } from './train.js';
import {
  CORES,
  REPO_ROOT,
  RX_BIN,
  TIME_BIN,
  WORK_DIR,
  cleanWorkDir,
  emptyTrashInBackground,
  ensureTools,
  fmtSeconds,
  formatTable,
  freeGiB,
  say,
  takeOverheadSeconds,
  toolVersion,
  verdictOf,
  type Row,
} from './lib.js';

interface Scenario {
  name: string;
  run: (tools: ToolSet) => Promise<Row[]>;
  /** How each tool was run, for the report. */
  method: string[];
}

const SCENARIOS: Scenario[] = [
  { name: 'file', run: benchAddFile, method: ADD_FILE_METHOD },
  { name: 'dir', run: benchAddDir, method: ADD_DIR_METHOD },
  { name: 'status', run: () => benchStatus(), method: STATUS_METHOD },
  { name: 'repro', run: () => benchRepro(), method: REPRO_METHOD },
  { name: 'history', run: () => benchHistory(), method: HISTORY_METHOD },
  { name: 'train', run: () => benchTrain(), method: TRAIN_METHOD },
  { name: 'fashion', run: () => benchFashion(), method: FASHION_METHOD },
  { name: 'search', run: () => benchSearch(), method: [...SEARCH_METHOD, ...SEARCH_NOISY_METHOD] },
];

const TOOLS = [
  { bin: TIME_BIN, pkg: 'time' },
  { bin: 'git', pkg: 'git' },
  { bin: 'sha256sum', pkg: 'coreutils' },
  { bin: 'b3sum', pkg: 'b3sum' },
  { bin: 'git-annex', pkg: 'git-annex' },
  { bin: 'git-lfs', pkg: 'git-lfs' },
];

/** Disk the run uses at its peak (1 GiB files, copies of the trees, the repositories). */
const MIN_FREE_GIB = 8;
/** The bench itself keeps at most the cores busy; a load average beyond this means others did too. */
const BUSY_LOAD = CORES + 1;
const loads: number[] = [];

function loadAverage(): string {
  const [one] = os.loadavg();
  loads.push(one!);
  return one!.toFixed(2);
}

function selectScenarios(args: string[]): Scenario[] {
  if (args.length === 0) return SCENARIOS;
  const unknown = args.filter((a) => !SCENARIOS.some((s) => s.name === a));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return SCENARIOS.filter((s) => args.includes(s.name));
}

function describeMachine(tools: Set<string>): void {
  say(`machine: ${CORES} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`);
  const versions: [string, string[]][] = [
    ['git', ['git', '--version']],
    ['sha256sum', ['sha256sum', '--version']],
    ['b3sum', ['b3sum', '--version']],
    ['git-annex', ['git', 'annex', 'version', '--raw']],
    ['git-lfs', ['git', 'lfs', 'version']],
  ];
  for (const [bin, argv] of versions) say(`  ${bin.padEnd(10)} ${tools.has(bin) ? toolVersion(argv) : 'n/a (not installed)'}`);
  say(`  peak RSS   ${tools.has(TIME_BIN) ? `${TIME_BIN} -v (largest single process of each command)` : 'n/a (GNU time not installed)'}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  let scenarios: Scenario[];
  try {
    scenarios = selectScenarios(process.argv.slice(2));
  } catch (err) {
    say((err as Error).message);
    return 2;
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    say('rx is not built: run `npm run build` (npm run bench does it first)');
    return 2;
  }
  const tools = ensureTools(TOOLS);
  describeMachine(tools);
  say(`  rx         ${path.relative(process.cwd(), RX_BIN) || RX_BIN} (node ${process.version})`);

  await cleanWorkDir();
  const free = freeGiB();
  say(`work data: ${path.relative(process.cwd(), WORK_DIR)} (cleaned now; command output in ${path.relative(process.cwd(), path.join(WORK_DIR, 'logs'))}); ${free === undefined ? '' : `${free.toFixed(0)} GiB free`}`);
  if (free !== undefined && free < MIN_FREE_GIB) say(`warning: the run needs about ${MIN_FREE_GIB} GiB free; rows that run out of space will print n/a`);
  say(`load average now: ${loadAverage()} (the bench alone keeps up to ${CORES} cores busy)`);
  say('method: each tool runs once (status, verify, repro --rev: best of 3; no-op repro: best of 5) on identical data that was');
  say('        written back with sync and then read once with cat (warm page cache); tools that change the data get their own fresh');
  say('        copy. Times are wall seconds of the whole process, start-up included; cpu s is user + system CPU of the command tree');
  say('        (from GNU time; steadier than wall time when other processes compete for the cores). Ratio = reference wall time /');
  say('        rx wall time (> 1: rx is faster).');
  say('');

  const rows: Row[] = [];
  for (const s of scenarios) {
    const t0 = Date.now();
    say(`== ${s.name} (load average ${loadAverage()})`);
    try {
      rows.push(...(await s.run(tools)));
    } catch (err) {
      say(`  benchmark ${s.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      rows.push({ scenario: s.name, tool: 'rx', role: 'rx', note: `benchmark failed: ${err instanceof Error ? err.message : String(err)}` });
    }
    loadAverage();
    say(`  (${s.name}: ${fmtSeconds((Date.now() - t0) / 1000)} s in all, of which ${fmtSeconds(takeOverheadSeconds())} s unmeasured set-up, warm-up and clean-up commands)`);
  }

  say('');
  say('How each tool was run:');
  for (const line of scenarios.flatMap((s) => s.method)) say(`  ${line}`);
  say('');
  say(formatTable(rows));
  const notes = rows.filter((r) => r.note);
  if (notes.length > 0) {
    say('');
    for (const r of notes) say(`n/a ${r.scenario} / ${r.tool}: ${r.note}`);
  }
  const verdicts = rows.map(verdictOf).filter((v) => v !== '');
  const count = (v: string) => verdicts.filter((x) => x === v).length;
  say('');
  say(`targets: ${count('PASS')} PASS, ${count('MISS')} MISS, ${count('n/a')} n/a; bench took ${fmtSeconds((Date.now() - started) / 1000)} s`);
  if (Math.max(...loads) > BUSY_LOAD) {
    say(`note: the load average reached ${Math.max(...loads).toFixed(1)} on ${CORES} cores during the run: other processes competed for the machine, so times are noisy`);
  }
  const cleaner = emptyTrashInBackground();
  if (cleaner !== undefined) say(`work trees are being deleted in the background (low priority, pid ${cleaner}); the next run waits for it`);
  fs.writeFileSync(path.join(WORK_DIR, 'results.json'), JSON.stringify({ date: new Date().toISOString(), cores: CORES, rows: rows.map((r) => ({ ...r, verdict: verdictOf(r) })) }, null, 2) + '\n');

  // A failing rx command is a bug worth a non-zero exit; missed targets are only reported.
  return rows.some((r) => r.role === 'rx' && !r.m) ? 1 : 0;
}

process.exitCode = await main();
