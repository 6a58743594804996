// What the tuned choices gain in a training step: per shape class, the rule's and the choice's time
// per dispatch (the tuner's medians, on the class's timed shape) times the class's dispatches in one
// step, counted by a chooser that wraps the tuner while the step is built; and the table of it.
import type { ScheduleChooser, ScheduleRequest, TuneReport, TuneTarget } from '../gpu/schedule';

/** A chooser that answers as `inner` does and counts the requests per class while counting is on. */
export class CountingChooser implements ScheduleChooser {
  readonly counts = new Map<string, number>();
  private on = false;
  constructor(readonly inner: ScheduleChooser) {}

  /** Counts the requests of what `build` prepares (e.g. a model's first training step). */
  async count(build: () => unknown): Promise<Map<string, number>> {
    this.counts.clear();
    this.on = true;
    try {
      await build();
    } finally {
      this.on = false;
    }
    return new Map(this.counts);
  }

  choose(request: ScheduleRequest): string | undefined {
    if (this.on) {
      const key = `${request.kernel}|${request.shapeClass}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
    return this.inner.choose(request);
  }

  tune(run: TuneTarget, requests: readonly ScheduleRequest[]): Promise<TuneReport> {
    return this.inner.tune(run, requests);
  }
}

export interface ClassGain {
  kernel: string;
  shapeClass: string;
  rule: string;
  choice: string;
  /** Dispatches of this class in one step. */
  dispatches: number;
  ruleMs: number;
  choiceMs: number;
  /** (rule − choice) × dispatches: milliseconds per step. */
  gainMs: number;
}

export interface StepGain {
  classes: ClassGain[];
  /** Per step, summed over the classes with both times: the rule's, the choices', and the difference. */
  ruleMs: number;
  choiceMs: number;
  gainMs: number;
  /** Classes of the step with no time for the rule or the choice (left to the budget before any round). */
  untimed: number;
}

/** The step's gain from a tune report and the per-class dispatch counts of one step. */
export function stepGain(report: TuneReport, counts: ReadonlyMap<string, number>): StepGain {
  const classes: ClassGain[] = [];
  let untimed = 0;
  for (const x of report.results) {
    const dispatches = counts.get(`${x.kernel}|${x.shapeClass}`) ?? 0;
    if (!dispatches) continue;
    const ms = (c: string) => x.times.find((t) => t.candidate === c)?.ms ?? NaN;
    const ruleMs = ms(x.rule);
    const choiceMs = x.choice === x.rule ? ruleMs : ms(x.choice);
    if (!Number.isFinite(ruleMs) || !Number.isFinite(choiceMs)) { untimed++; continue; }
    classes.push({ kernel: x.kernel, shapeClass: x.shapeClass, rule: x.rule, choice: x.choice, dispatches, ruleMs, choiceMs, gainMs: (ruleMs - choiceMs) * dispatches });
  }
  const sum = (f: (c: ClassGain) => number) => classes.reduce((a, c) => a + f(c), 0);
  return { classes, ruleMs: sum((c) => c.ruleMs * c.dispatches), choiceMs: sum((c) => c.choiceMs * c.dispatches), gainMs: sum((c) => c.gainMs), untimed };
}

const f3 = (ms: number) => ms.toFixed(3);

/** A markdown table per class and a total line; `stepMs`, a measured step on the choices, sets the total in proportion. */
export function gainTable(g: StepGain, stepMs?: number): string {
  const rows = ['| kernel | shape class | rule → choice | dispatches per step | rule ms | choice ms | gain per step ms |', '|---|---|---|---|---|---|---|'];
  for (const c of g.classes) {
    rows.push(`| ${c.kernel} | ${c.shapeClass} | ${c.choice === c.rule ? `${c.rule} (kept)` : `${c.rule} → ${c.choice}`} | ${c.dispatches} | ${f3(c.ruleMs)} | ${f3(c.choiceMs)} | ${f3(c.gainMs)} |`);
  }
  const share = stepMs && stepMs > 0 ? `, ${((100 * g.gainMs) / (stepMs + g.gainMs)).toFixed(1)}% of the step on the rule (${f3(stepMs + g.gainMs)} ms estimated; ${f3(stepMs)} ms measured on the choices)` : '';
  rows.push('', `per training step: these kernels take ${f3(g.ruleMs)} ms on the rule and ${f3(g.choiceMs)} ms on the choices: ${f3(g.gainMs)} ms gained${share}` +
    `${g.untimed ? `; ${g.untimed} classes not timed yet (budget)` : ''}. Estimated from each class's timed shape (classes bucket sizes by powers of two).`);
  return rows.join('\n');
}
