// How --help is laid out for every command: the width (COLUMNS, else the terminal's, else 80),
// descriptions reflowed at word boundaries under their column, and the Examples and Exit codes
// blocks wrapped to the same width. Set once on the program; subcommands inherit it.
import { Help, type Command } from 'commander';

const DEFAULT_WIDTH = 80;
/** Below this many columns for a description, it moves under its term instead of beside it. */
const MIN_DESCRIPTION_WIDTH = 24;
const ITEM_INDENT = 2;
const SPACER = 2;

/** The help width for a stream: an explicit COLUMNS wins (as for ls), then a terminal's width, then 80. */
export function helpWidthFor(stream: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined>): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  return DEFAULT_WIDTH;
}

/**
 * Descriptions are written in the source as paragraphs: a single newline is only where the
 * source line ended and reads as a space, a blank line separates paragraphs.
 */
export function reflow(text: string): string {
  return text
    .split(/\n[^\S\n]*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .join('\n\n');
}

/** Words of text in lines of at most width columns (a word longer than width gets a line of its own). */
export function wrapWords(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Text wrapped to width with every line after the first indented by hang (the first by first). */
export function wrapParagraphs(text: string, width: number, first: number, hang: number = first): string {
  const out: string[] = [];
  reflow(text)
    .split('\n\n')
    .forEach((paragraph, i) => {
      if (i > 0) out.push('');
      const indent = i === 0 ? first : hang;
      const lines = wrapWords(paragraph.split(/\s+/).filter(Boolean), Math.max(1, width - Math.max(indent, hang)));
      lines.forEach((l, j) => out.push(' '.repeat(j === 0 ? indent : hang) + l));
    });
  return out.join('\n');
}

/** A term and its description as help lists show them, the description wrapped in its own column. */
export function formatTermItem(term: string, termWidth: number, description: string, width: number): string {
  const column = ITEM_INDENT + termWidth + SPACER;
  if (!description) return ' '.repeat(ITEM_INDENT) + term;
  if (width - column < MIN_DESCRIPTION_WIDTH) {
    // Too narrow for two columns: the description goes under the term, indented.
    const hang = ITEM_INDENT + 4;
    return ' '.repeat(ITEM_INDENT) + term + '\n' + wrapParagraphs(description, width, hang);
  }
  const body = wrapParagraphs(description, width, column).slice(column);
  return ' '.repeat(ITEM_INDENT) + term.padEnd(termWidth) + ' '.repeat(SPACER) + body;
}

/**
 * Shell words of an example command: quoted strings stay one word. Lines break only between
 * words and never between an option and its value, with a trailing backslash so that the
 * wrapped command still pastes as one.
 */
export function wrapCommand(command: string, width: number, first: number, hang: number): string {
  const words = command.match(/(?:"[^"]*"|'[^']*'|`[^`]*`|\S)+/g) ?? [];
  // Groups are the units a line may break between: an option with the value that follows it.
  const groups: string[] = [];
  for (const word of words) {
    const prev = groups[groups.length - 1];
    const prevWord = prev?.split(' ').pop() ?? '';
    if (prev !== undefined && /^-/.test(prevWord) && !/^-/.test(word) && !/^[|&;<>]/.test(word) && !prev.includes(' ')) groups[groups.length - 1] = prev + ' ' + word;
    else groups.push(word);
  }
  const lines: string[] = [];
  let line = '';
  let indent = first;
  for (const group of groups) {
    // Two columns are kept free on every line but the last for ' \'.
    if (line === '' || indent + line.length + 1 + group.length + 2 <= width) line = line === '' ? group : line + ' ' + group;
    else {
      lines.push(' '.repeat(indent) + line + ' \\');
      line = group;
      indent = hang;
    }
  }
  lines.push(' '.repeat(indent) + line);
  return lines.join('\n');
}

/** The width help output of cmd is laid out for (the program sets it through configureOutput). */
function widthOf(cmd: Command, error: boolean): number {
  const out = cmd.configureOutput();
  return (error ? out.getErrHelpWidth?.() : out.getOutHelpWidth?.()) ?? DEFAULT_WIDTH;
}

/** The "Examples:" block every command's --help ends with, wrapped to the help width. */
export function examples(...lines: [string, string][]): (context: { error: boolean; command: Command }) => string {
  return ({ error, command }) => {
    const width = widthOf(command, error);
    const body = lines.map(([cmd, what]) => `${wrapCommand(`$ ${cmd}`, width, 2, 8)}\n${wrapParagraphs(what, width, 6)}`);
    return '\nExamples:\n' + body.join('\n');
  };
}

/** A titled two-column block after the generated help (the exit codes of the program). */
export function termList(title: string, items: [string, string][]): (context: { error: boolean; command: Command }) => string {
  const termWidth = Math.max(...items.map(([t]) => t.length));
  return ({ error, command }) => {
    const width = widthOf(command, error);
    return `\n${title}\n` + items.map(([t, d]) => formatTermItem(t, termWidth, d, width)).join('\n') + '\n';
  };
}

/** Applies the layout to program; call before adding commands so that they inherit it. */
export function configureHelpLayout(program: Command, env: Record<string, string | undefined>): void {
  program.configureOutput({
    getOutHelpWidth: () => helpWidthFor(process.stdout, env),
    getErrHelpWidth: () => helpWidthFor(process.stderr, env),
  });
  program.configureHelp({
    commandDescription: (cmd: Command) => reflow(cmd.description()),
    subcommandDescription: (cmd: Command) => reflow(cmd.summary() || cmd.description()),
    formatItem(this: Help, term: string, termWidth: number, description: string) {
      return formatTermItem(term, termWidth, description, this.helpWidth ?? DEFAULT_WIDTH);
    },
    boxWrap(this: Help, str: string, width: number) {
      return wrapParagraphs(str, width, 0);
    },
  });
}
