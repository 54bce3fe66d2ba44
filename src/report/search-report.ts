// `rx search report` as text or Markdown: the winner with its interval and how to reproduce
// it, the near-top table, importance and interactions with intervals, the winner's
// sensitivity, best-so-far against random search, racing, prunes and failures. Pure: a
// SearchReport in, a string out.
import type { SearchReport } from '../search/report.js';
import type { ParamValue, SimplexValue } from '../search/types.js';
import type { Interval } from '../search/stats.js';
import { markdownTable, textTable, type Table } from './table.js';

const g = (v: number, digits = 4): string => String(+v.toPrecision(digits));

function showValue(v: ParamValue | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') {
    return Object.entries(v as SimplexValue)
      .map(([k, w]) => `${k}:${w.toFixed(2)}`)
      .join(' ');
  }
  return typeof v === 'number' ? g(v) : String(v);
}

const showInterval = (i: Interval): string => `[${g(i.low)}, ${g(i.high)}]`;
const plusMinus = (estimate: number, i: Interval): string => `${g(estimate)} ± ${g((i.high - i.low) / 2, 2)}`;

export function renderSearchReport(r: SearchReport, md: boolean): string {
  const out: string[] = [];
  const table = (t: Table) => out.push(md ? markdownTable(t) : textTable(t), '');
  const heading = (text: string) => out.push(md ? `## ${text}` : `${text}:`, '');
  const metric = r.objective.metric;

  out.push(md ? `# Search ${r.search}` : `search ${r.search}`, '');
  out.push(
    `${r.counts.trials} trial(s): ${r.counts.complete} complete, ${r.counts.pruned} pruned, ${r.counts.failed} failed, ${r.counts.incomplete ? `${r.counts.incomplete} incomplete (budget), ` : ''}${r.counts.pending} pending` +
      `${r.finished ? '; finished' : '; not finished'}${r.stop ? ` (stopped: ${r.stop.reason})` : ''}. Objective: ${r.objective.direction} ${metric}; paired seeds ${r.seeds.join(', ')}; baseline ${r.baseline.slice(0, 12)}.`,
    '',
  );

  heading('Winner');
  if (!r.winner) out.push('no trial completed yet', '');
  else {
    const w = r.winner;
    const m = w.stats.mean;
    out.push(
      `trial ${w.trial}: ${metric} ${plusMinus(m.estimate, m.percentile)} (mean over ${w.stats.n} seed(s); 95% bootstrap interval ${showInterval(m.percentile)}, BCa ${showInterval(m.bca)}, ${m.resamples} resamples; IQM ${g(w.stats.iqm.estimate)})`,
      '',
    );
    table({ headers: ['parameter', 'value'], rows: Object.entries(w.config).map(([k, v]) => [k, showValue(v)]) });
    out.push(`per seed: ${w.seeds.map((s, i) => `s${s} ${g(w.values[i]!)}`).join(', ')}`, '');
    out.push('reproduce:', '');
    out.push(md ? '```sh' : '', ...w.reproduce.commands.map((c) => (md ? c : `  ${c}`)), md ? '```' : '');
    out.push(`experiment: ${w.reproduce.ref}`, '');
  }

  heading(`Near-top set (not told apart from the winner by a paired test, Holm, alpha ${r.nearTop.alpha})`);
  if (r.nearTop.rows.length === 0) {
    const verdict =
      r.nearTop.rejected.length === 0
        ? 'none: no other complete trial shares two or more of the winner\'s seeds to compare it with'
        : `none: every other complete trial is worse than the winner after Holm's correction (${r.nearTop.rejected.length} rejected)`;
    out.push(r.winner ? verdict : '-', '');
  }
  else {
    table({
      headers: ['trial', metric, '95% CI', 'winner - trial', 'diff CI', 'p (Holm)', 'P(X > best)', 'differs from the winner'],
      rows: r.nearTop.rows.map((x) => [
        String(x.trial),
        g(x.mean),
        showInterval(x.interval),
        g(x.difference.mean),
        showInterval(x.difference.interval),
        g(x.difference.adjusted, 3),
        g(x.probabilityOfImprovement, 3),
        Object.entries(x.differs)
          .map(([k, d]) => `${k} ${showValue(d.this)} (winner ${showValue(d.winner)})`)
          .join('; '),
      ]),
      right: [0, 1, 3, 5, 6],
    });
    out.push(`${r.nearTop.rejected.length} other complete trial(s) are worse than the winner after the correction.`, '');
  }

  if (r.racing) {
    heading('Racing');
    table({
      headers: ['round', 'seeds', 'incumbent', 'dropped', 'next', 'reason'],
      rows: r.racing.decisions.map((d) => [String(d.round), String(d.seeds.length), `${d.incumbent.trial} (${g(d.incumbent.mean)})`, d.tests.filter((x) => x.dropped).map((x) => `${x.trial} (p ${g(x.adjusted, 2)})`).join(', ') || '-', d.next === null ? '-' : `seed ${d.next}: ${d.contenders.join(', ')}`, d.reason === 'budget' ? `${d.spent ?? ''} budget spent (unsettled: ${(d.unsettled ?? []).join(', ')})` : d.reason]),
    });
  }

  heading('Importance (PED-ANOVA, 95% bootstrap interval over trials)');
  if (r.importance.length === 0 || r.importance.every((x) => x.importance === 0)) out.push('too few complete trials', '');
  else table({ headers: ['parameter', 'family', 'importance', '95% CI', 'share'], rows: r.importance.map((x) => [x.param, x.family, g(x.importance, 3), showInterval(x.interval), `${(100 * x.normalized).toFixed(0)}%`]), right: [2, 4] });

  heading('Interactions across families');
  const shown = r.interactions.filter((x) => x.strength > 0).slice(0, 10);
  if (shown.length === 0) out.push('none measurable', '');
  else table({ headers: ['pair', 'families', 'strength', '95% CI'], rows: shown.map((x) => [`${x.a} x ${x.b}`, x.families.join(' x '), g(x.strength, 3), showInterval(x.interval)]), right: [2] });

  if (r.sensitivity.length > 0) {
    heading(`Sensitivity of the winner (${metric} along each parameter, from the trials nearest to it)`);
    table({
      headers: ['parameter', 'range', 'points (value: objective)'],
      rows: r.sensitivity.map((a) => [a.param, g(a.range, 3), a.points.map((p) => `${typeof p.value === 'number' ? g(p.value, 3) : p.value}: ${g(p.objective)}`).join(', ')]),
      right: [1],
    });
  }

  heading('Best so far against random search (expected best of n of these trials)');
  const n = r.curve.trials.length;
  const marks = [...new Set([1, 2, 5, 10, 20, 50, n].filter((k) => k <= n))];
  if (n === 0) out.push('-', '');
  else {
    const random = (k: number) => {
      // The random curve counts complete trials; trial k of the search had this many before it.
      const done = r.curve.values.slice(0, k).filter((v) => v !== null).length;
      return done > 0 && r.curve.random[done - 1] !== undefined ? g(r.curve.random[done - 1]!) : '-';
    };
    table({ headers: ['trials', 'search best', 'random expected best'], rows: marks.map((k) => [String(k), r.curve.best[k - 1] === null ? '-' : g(r.curve.best[k - 1]!), random(k)]), right: [0, 1, 2] });
  }

  if (r.prunes.length > 0) {
    heading('Pruned trials (censored at their rung)');
    table({ headers: ['trial', 'epoch', 'value there', 'seeds pruned (epoch)'], rows: r.prunes.map((p) => [String(p.trial), String(p.step), g(p.value), Object.entries(p.seeds).map(([s, e]) => `s${s}@${e}`).join(' ')]), right: [0, 1, 2] });
  }
  if (r.failures.length > 0) {
    heading('Failures');
    table({ headers: ['trial', 'seed', 'exit', 'why', 'log'], rows: r.failures.map((f) => [String(f.trial), String(f.seed), f.exitCode === undefined ? '-' : String(f.exitCode), f.error ?? '-', f.log ?? '-']) });
  }
  while (out[out.length - 1] === '') out.pop();
  return out.filter((l, i) => !(l === '' && out[i - 1] === '')).join('\n') + '\n';
}
