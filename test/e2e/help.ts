// --help of every command (enumerated from the program, hidden ones aside) at 60 and 80
// columns: no line is wider, wrapping only moves whole words (the words are those of the
// unwrapped help), continuation lines sit under their description, descriptions are
// reflowed paragraphs, and every help ends with examples.
import t from 'tap';
import type { Command } from 'commander';
import { rx } from '../../fixtures/project.js';
import { useTempDir } from '../../fixtures/e2e.js';
import { buildProgram } from '../../src/cli/main.js';
import { createIO } from '../../src/cli/io.js';

interface Listed {
  path: string[];
  /** The help as it is with nothing wrapped (1000 columns), rendered in-process. */
  unwrapped: string;
}

/** Every visible command of the program, groups and their subcommands alike. */
function listCommands(): Listed[] {
  const program = buildProgram(createIO(['node', 'rx'], {}), { COLUMNS: '1000' });
  const out: Listed[] = [];
  const walk = (cmd: Command, path: string[]) => {
    let unwrapped = '';
    cmd.configureOutput({ writeOut: (s) => (unwrapped += s) });
    cmd.outputHelp();
    out.push({ path, unwrapped });
    for (const sub of cmd.createHelp().visibleCommands(cmd)) {
      if (sub.name() === 'help') continue; // commander's own help command prints the parent's help
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return out;
}

/** Whitespace-separated words, without the line-continuation backslashes of wrapped example commands. */
const words = (text: string) => text.split(/\s+/).filter((w) => w !== '' && w !== '\\');

const SECTIONS = ['Arguments:', 'Options:', 'Commands:', 'Exit codes:'];

/** Lines of a two-column section whose column is not the one the section's descriptions start at. */
function misaligned(help: string): string[] {
  const bad: string[] = [];
  let column: number | undefined;
  let inSection = false;
  for (const line of help.split('\n')) {
    if (/^\S/.test(line)) {
      inSection = SECTIONS.includes(line);
      column = undefined;
      continue;
    }
    if (!inSection || line.trim() === '') continue;
    const item = /^ {2}\S(?:\S| (?! ))*( {2,})\S/.exec(line);
    if (item) {
      const at = item[0].length - 1;
      if (column !== undefined && at !== column) bad.push(line);
      column ??= at;
    } else if (/^ {3,}\S/.test(line)) {
      const at = line.length - line.trimStart().length;
      if (column !== undefined && at !== column) bad.push(line);
    }
  }
  return bad;
}

const commands = listCommands();
t.ok(commands.length > 30, `enumerated ${commands.length} commands`);

t.test('help of every command fits 60 and 80 columns, wrapping whole words under their column', async (t) => {
  const cwd = useTempDir(t);
  for (const { path: p, unwrapped } of commands) {
    const name = ['rx', ...p].join(' ');
    t.match(unwrapped, /\nExamples:\n {2}\$ rx /, `${name} --help has examples`);
    // Unwrapped, a description is whole paragraphs: a line break never falls inside a sentence.
    const lines = unwrapped.split('\n');
    const description = lines.slice(1, lines.findIndex((l) => SECTIONS.includes(l))).filter((l) => l.trim() !== '');
    for (const line of description) t.match(line, /[.:)!?]$/, `${name}: description line ends a sentence: ${line}`);
    for (const width of [60, 80]) {
      const r = rx(cwd, [...p, '--help'], { COLUMNS: String(width) });
      t.equal(r.code, 0, `${name} --help at ${width}`);
      const long = r.stdout.split('\n').filter((l) => l.length > width);
      t.same(long, [], `${name}: no line wider than ${width}`);
      t.same(words(r.stdout), words(unwrapped), `${name}: at ${width} the words are those of the unwrapped help`);
      t.same(misaligned(r.stdout), [], `${name}: continuation lines under the description column at ${width}`);
    }
  }
});

t.test('without COLUMNS and not on a terminal, help is 80 columns wide', async (t) => {
  const cwd = useTempDir(t);
  const r = rx(cwd, ['repro', '--help'], { COLUMNS: '' });
  t.equal(r.code, 0);
  const widest = Math.max(...r.stdout.split('\n').map((l) => l.length));
  t.ok(widest <= 80 && widest > 60, `widest line ${widest}`);
});
