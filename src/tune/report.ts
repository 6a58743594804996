// Tune reports as text: a one-line summary for logs and the table of every candidate's time.
import type { TuneReport } from '../gpu/schedule';

export function describeTune(r: TuneReport): string {
  const n = (s: string) => r.results.filter((x) => x.source === s).length;
  const changed = r.results.filter((x) => x.choice !== x.rule).length;
  const begun = r.results.filter((x) => x.source === 'budget' && x.kept).length;
  return `kernel schedules: ${r.results.length} shape classes (${n('cache')} from the cache, ${n('tuned')} tuned now` +
    `${n('budget') ? `, ${n('budget')} left to the rule: time budget spent` : ''}), ${changed} differ from the rule; ${(r.elapsedMs / 1000).toFixed(1)} s` +
    `${begun ? `; ${begun} of those partly timed, resumed next run` : ''}`;
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(3) : '–');

/** A markdown table: per shape class the rule's and the choice's time, the speed-up, and every candidate. */
export function tuneTable(r: TuneReport): string {
  const rows = ['| kernel | shape (class) | rule | rule ms | choice | choice ms | rule/choice | all candidates (ms) | from |', '|---|---|---|---|---|---|---|---|---|'];
  for (const x of r.results) {
    const ms = (c: string) => x.times.find((t) => t.candidate === c)?.ms ?? NaN;
    const shape = Object.entries(x.shape).filter(([k]) => x.kernel !== 'matmul' || ['M', 'N', 'K'].includes(k)).map(([k, v]) => `${k}=${Number(v)}`).join(' ');
    const all = x.times.map((t) => `${t.candidate} ${fmt(t.ms)}`).join(', ');
    rows.push(`| ${x.kernel} | ${shape} (${x.shapeClass}) | ${x.rule} | ${fmt(ms(x.rule))} | ${x.choice} | ${fmt(ms(x.choice))} | ${(ms(x.rule) / ms(x.choice)).toFixed(2)}× | ${all} | ${x.source}${x.method ? `, ${x.method}` : ''} |`);
  }
  return rows.join('\n');
}
