// The pure parts of the help layout: the width rule, paragraph reflow, and example commands
// that break only between words, never between an option and its value or inside quotes.
import t from 'tap';
import { helpWidthFor, reflow, wrapCommand, formatTermItem } from '../../src/cli/help.js';

t.test('width: COLUMNS, else the terminal, else 80', async (t) => {
  t.equal(helpWidthFor({ isTTY: true, columns: 120 }, { COLUMNS: '60' }), 60);
  t.equal(helpWidthFor({ isTTY: true, columns: 120 }, {}), 120);
  t.equal(helpWidthFor({ isTTY: false, columns: 120 }, {}), 80);
  t.equal(helpWidthFor({}, { COLUMNS: 'wide' }), 80);
});

t.test('reflow: single newlines are spaces, blank lines separate paragraphs', async (t) => {
  t.equal(reflow('one\ntwo three\n\nfour\n  five'), 'one two three\n\nfour five');
});

t.test('example commands keep options with their values and quoted strings whole', async (t) => {
  const out = wrapCommand('$ rx add model.bin --desc "baseline weights of the first run" --json', 30, 2, 8);
  // The option with its quoted value is wider than 30 and gets a line of its own, unbroken.
  t.same(out.split('\n'), ['  $ rx add model.bin \\', '        --desc "baseline weights of the first run" \\', '        --json']);
});

t.test('a description too narrow for its column goes under the term', async (t) => {
  const item = formatTermItem('a-very-long-term <with> <args...>', 34, 'what it does, in a few words', 50);
  t.same(item.split('\n'), ['  a-very-long-term <with> <args...>', '      what it does, in a few words']);
  const beside = formatTermItem('-q', 10, 'print only results and errors', 40);
  t.same(beside.split('\n'), ['  -q          print only results and', '              errors']);
});
