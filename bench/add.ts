// `rx add` benchmarks: one 1 GiB file, and a tree of 20,000 distinct 4 KiB files (plus a
// no-op re-add of it), each against reference tools on identical, synced, page-cache-warm
// data. Every tool that changes the files gets its own fresh copy in its own fresh
// repository (rx copies them into its store by default, or hardlinks them read-only with the
// opt-in `link: [hardlink]`, whose figures are printed beside; git-annex moves them into
// .git/annex); the checksum tools only read, so they run on the master copy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CORES,
  WORK_DIR,
  discard,
  measure,
  measureRow,
  removeTree,
  run,
  rxArgv,
  settleAndWarm,
  shq,
  step,
  withRatios,
  writeRandomFile,
  writeRandomTree,
  type Measurement,
  type Row,
  type RowSpec,
} from './lib.js';

const GiB = 1024 * 1024 * 1024;

export interface ToolSet {
  has(bin: string): boolean;
}

type Setup = 'git' | 'rx' | 'rx-hardlink' | 'annex' | 'lfs';

/** Prepares an empty repository of the kind the tool needs (setup, not measured). */
async function prepareRepo(dir: string, kind: Setup, scenario: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const opts = { cwd: dir, log: `${scenario}-setup-${kind}` };
  // rx too gets its own git repository, so that it never sees the enclosing checkout.
  await run(['git', 'init', '-q'], opts);
  if (kind === 'rx' || kind === 'rx-hardlink') await run(rxArgv('init'), opts);
  if (kind === 'rx-hardlink') {
    // The opt-in: workspace files become the read-only store objects themselves.
    const config = path.join(dir, '.rx', 'config.yaml');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/^link:.*$/m, 'link: [hardlink]'));
  }
  if (kind === 'annex') await run(['git', 'annex', 'init', '-q', 'bench'], opts);
  if (kind === 'lfs') await run(['git', 'lfs', 'install', '--local'], opts);
}

// ---------------------------------------------------------------------------------------
// 1. A single 1 GiB file

export async function benchAddFile(tools: ToolSet): Promise<Row[]> {
  const S = 'add 1 GiB file';
  const base = path.join(WORK_DIR, 'add-file');
  fs.mkdirSync(base, { recursive: true });
  const master = path.join(base, 'master.bin');
  try {
    return await addFileRows(tools, S, base, master);
  } finally {
    removeTree(base);
  }
}

async function addFileRows(tools: ToolSet, S: string, base: string, master: string): Promise<Row[]> {
  const t0 = Date.now();
  writeRandomFile(master, GiB, 1);
  step(S, `wrote a 1 GiB file (xorshift128 stream, seed 1) in ${((Date.now() - t0) / 1000).toFixed(1)} s; before each tool its file is synced, then read once with cat`);

  /** Copies the master into a fresh repo of the given kind, settles it, runs body there. */
  const onFreshCopy = async (name: string, kind: Setup, body: (dir: string) => Promise<Measurement>): Promise<Measurement> => {
    const dir = path.join(base, name);
    removeTree(dir);
    try {
      await prepareRepo(dir, kind, S);
      fs.copyFileSync(master, path.join(dir, 'big.bin'));
      await settleAndWarm(path.join(dir, 'big.bin'), 'add-file');
      return await body(dir);
    } finally {
      removeTree(dir);
    }
  };

  const rows: Row[] = [];
  rows.push(
    await measureRow({ scenario: S, tool: 'rx add', role: 'rx', target: { kind: 'memory', maxMB: 150, label: 'peak < 150 MB' } }, () =>
      onFreshCopy('rx', 'rx', (cwd) => measure(rxArgv('add', 'big.bin'), { cwd, log: 'add-file-rx' })),
    ),
  );
  rows.push(
    await measureRow({ scenario: S, tool: 'rx add (link: hardlink, opt-in)', role: 'info' }, () =>
      onFreshCopy('rx-hl', 'rx-hardlink', (cwd) => measure(rxArgv('add', 'big.bin'), { cwd, log: 'add-file-rx-hardlink' })),
    ),
  );
  // The checksum tools only read: they run on the master file itself, settled and warm too.
  const onMaster = async (argv: string[], log: string): Promise<Measurement> => {
    await settleAndWarm(master, 'add-file');
    return measure([...argv, 'master.bin'], { cwd: base, log });
  };
  rows.push(
    await measureRow({ scenario: S, tool: 'sha256sum', role: 'ref', target: { kind: 'ratio', minRatio: 3, label: 'ratio >= 3' } }, () =>
      onMaster(['sha256sum'], 'add-file-sha256sum'),
    ),
  );
  rows.push(await measureRow({ scenario: S, tool: 'b3sum', role: 'ref', available: tools.has('b3sum') }, () => onMaster(['b3sum'], 'add-file-b3sum')));
  rows.push(
    await measureRow(
      { scenario: S, tool: 'git annex add', role: 'ref', available: tools.has('git-annex'), target: { kind: 'ratio', minRatio: 5, label: 'ratio >= 5' } },
      () => onFreshCopy('annex', 'annex', (cwd) => measure(['git', 'annex', 'add', 'big.bin'], { cwd, log: 'add-file-annex' })),
    ),
  );
  rows.push(
    await measureRow(
      { scenario: S, tool: 'git lfs track + git add', role: 'ref', available: tools.has('git-lfs'), target: { kind: 'ratio', minRatio: 5, label: 'ratio >= 5' } },
      () =>
        onFreshCopy('lfs', 'lfs', (cwd) =>
          measure(['bash', '-c', 'git lfs track big.bin > /dev/null && git add .gitattributes big.bin'], { cwd, log: 'add-file-lfs' }),
        ),
    ),
  );
  return withRatios(rows);
}

// ---------------------------------------------------------------------------------------
// 2. 20,000 files of 4 KiB

export const DIR_SPEC = { dirs: 20, filesPerDir: 1000, fileSize: 4096, seed: 2 };

export async function benchAddDir(tools: ToolSet): Promise<Row[]> {
  const S = 'add 20k x 4 KiB';
  const base = path.join(WORK_DIR, 'add-dir');
  const master = path.join(base, 'master', 'data');
  try {
    return await addDirRows(tools, S, base, master);
  } finally {
    discard(base);
  }
}

async function addDirRows(tools: ToolSet, S: string, base: string, master: string): Promise<Row[]> {
  fs.mkdirSync(master, { recursive: true });
  const t0 = Date.now();
  const n = writeRandomTree(master, DIR_SPEC);
  step(S, `wrote ${n} files of ${DIR_SPEC.fileSize} B in ${DIR_SPEC.dirs} directories (distinct xorshift128 contents) in ${((Date.now() - t0) / 1000).toFixed(1)} s; before each tool its tree is synced, then read once with cat`);

  /** A fresh repository of the given kind holding a settled, warm copy of data/. */
  const freshCopy = async (name: string, kind: Setup): Promise<string> => {
    const dir = path.join(base, name);
    removeTree(dir);
    await prepareRepo(dir, kind, S);
    await run(['cp', '-a', master, path.join(dir, 'data')], { cwd: base, log: 'add-dir-copy' });
    await settleAndWarm(path.join(dir, 'data'), 'add-dir');
    return dir;
  };
  /** One measured command on its own fresh copy, removed afterwards. */
  const single = (name: string, kind: Setup, spec: RowSpec, argv: string[]): Promise<Row> =>
    measureRow(spec, async () => {
      const cwd = await freshCopy(name, kind);
      try {
        return await measure(argv, { cwd, log: `add-dir-${name}` });
      } finally {
        discard(cwd);
      }
    });

  const xargs = (tool: string) => `find data -type f -print0 | xargs -0 -r -P ${CORES} -n 500 ${tool} > /dev/null`;
  const rows: Row[] = [];

  // rx, then its no-op re-run on the unchanged tree in the same project.
  let rxDir: string | undefined;
  const rxRow = await measureRow({ scenario: S, tool: 'rx add', role: 'rx' }, async () => {
    rxDir = await freshCopy('rx', 'rx');
    return measure(rxArgv('add', 'data'), { cwd: rxDir, log: 'add-dir-rx' });
  });
  rows.push(rxRow);
  if (rxRow.m && rxDir) {
    const cwd = rxDir;
    rows.push(await measureRow({ scenario: S, tool: 'rx add (no-op re-run)', role: 'info' }, () => measure(rxArgv('add', 'data'), { cwd, log: 'add-dir-rx-noop' })));
  }
  if (rxDir) discard(rxDir);
  rows.push(
    await single('rx-hl', 'rx-hardlink', { scenario: S, tool: 'rx add (link: hardlink, opt-in)', role: 'info' }, rxArgv('add', 'data')),
  );

  // The checksum tools only read: they run on the master tree itself, settled and warm too.
  const onMaster = (spec: RowSpec, tool: string): Promise<Row> =>
    measureRow(spec, async () => {
      await settleAndWarm(master, 'add-dir');
      return measure(['bash', '-c', xargs(tool)], { cwd: path.dirname(master), log: `add-dir-${tool}` });
    });
  rows.push(await onMaster({ scenario: S, tool: `sha256sum (xargs -P ${CORES})`, role: 'ref' }, 'sha256sum'));
  rows.push(await onMaster({ scenario: S, tool: `b3sum (xargs -P ${CORES})`, role: 'ref', available: tools.has('b3sum') }, 'b3sum'));
  rows.push(await single('git', 'git', { scenario: S, tool: 'git add', role: 'ref', target: { kind: 'ratio', minRatio: 3, label: 'ratio >= 3' } }, ['git', 'add', 'data']));
  rows.push(
    await single(
      'lfs',
      'lfs',
      { scenario: S, tool: 'git lfs track "*" + git add', role: 'ref', available: tools.has('git-lfs'), target: { kind: 'ratio', minRatio: 10, label: 'ratio >= 10' } },
      // .gitattributes is not added: under "*" it would itself become an LFS object.
      ['bash', '-c', `git lfs track ${shq('*')} > /dev/null && git add data`],
    ),
  );
  rows.push(
    await single(
      'annex',
      'annex',
      { scenario: S, tool: 'git annex add', role: 'ref', available: tools.has('git-annex'), target: { kind: 'ratio', minRatio: 50, label: 'ratio >= 50' } },
      ['git', 'annex', 'add', '--quiet', 'data'],
    ),
  );
  return withRatios(rows);
}

/** Used by index.ts to tell the reader what the tools ran as. */
export const ADD_FILE_METHOD = [
  'add 1 GiB file: rx add big.bin in a fresh git init + rx init project (default link: [reflink, copy]; the hardlink row sets link: [hardlink]);',
  '  sha256sum FILE; b3sum FILE (its default: mmap + threads);',
  '  git annex add big.bin after git init + git annex init; git lfs track big.bin && git add .gitattributes big.bin after git lfs install --local.',
  '  rx, git-annex and git-lfs each get a fresh copy of the file in a fresh repository; sha256sum and b3sum read the master copy.',
];

export const ADD_DIR_METHOD = [
  `add 20k x 4 KiB: rx add data; find data -type f -print0 | xargs -0 -P ${CORES} -n 500 sha256sum|b3sum; git add data; git lfs track "*" && git add data`,
  '  (.gitattributes itself left out of git add); git annex add data. The no-op row re-runs rx add data on the unchanged tree in the same project.',
  '  rx, git, git-lfs and git-annex each get a fresh copy (they link, move or read-protect the files); sha256sum and b3sum only read, so they',
  '  run on the master copy, equally synced and warm.',
];
