// Tuned against untuned, in one run: for each model (the default MLP and the conv preset) and
// batch, the tuner times every candidate of the model's kernel shapes (the rule's among them,
// interleaved), then the training step of a model on the rule's schedules and of one on the tuned
// choices alternate round by round (wall time around onSubmittedWorkDone of `inner` queued steps),
// so both see the same machine. The markdown states, per shape class and for the step, whether the
// tuned choice was slower than the rule's in this run.
import type { GpuContext } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import type { TuneReport } from '../src/gpu/schedule';
import { describeConfig, resolveConfig, type VaeConfigInput } from '../src/model/config';
import { GpuVae } from '../src/vae/gpu-vae';
import { presetConfig } from '../src/model/presets';
import { adapterKey } from '../src/tune/cache';
import { median } from '../src/tune/timing';
import { tuneTable } from '../src/tune/report';
import { TUNE_TWINS } from '../src/cpu/tune-twins';
import { Tuner } from '../src/tune/tuner';

export interface TunedStep {
  /** 'mlp' (the default model) or 'conv' (the conv preset). */
  model?: string;
  batch: number;
  untunedMs: number;
  tunedMs: number;
  /** Per-round rule/tuned ratios, sorted (the pairing cancels the machine's drift between rounds). */
  ratios?: number[];
  rounds: number;
  inner: number;
}

export interface TuningResult {
  /** The tuner's report per model and batch (kernel times per shape class, rule and choice). */
  reports: { model?: string; batch: number; report: TuneReport }[];
  steps: TunedStep[];
}

export const TUNED_MODELS: Record<string, VaeConfigInput> = { mlp: {}, conv: presetConfig('conv') };

export async function tunedVsUntuned(
  ctx: GpuContext,
  o: { runs: { model: string; batch: number }[]; rounds: number; stepMs: number; images: (batch: number) => Float32Array; log(line: string): void; implementation: string },
): Promise<TuningResult> {
  const out: TuningResult = { reports: [], steps: [] };
  for (const { model, batch } of o.runs) {
    const config = resolveConfig(TUNED_MODELS[model] ?? {});
    // A fresh tuner (no store): this run's own measurements decide.
    const tuner = await Tuner.open({ adapterKey: adapterKey(ctx.adapterInfo, o.implementation), store: null, twins: TUNE_TWINS, rounds: o.rounds, budgetMs: 600_000 });
    const rule = Runtime.forContext(ctx);
    const tuned = Runtime.forContext(ctx, { schedules: tuner });
    const a = new GpuVae(rule, config, { maxBatch: batch });
    const b = new GpuVae(tuned, config, { maxBatch: batch });
    try {
      await b.precompile();
      await a.precompile();
      const report = tuned.lastTune!;
      out.reports.push({ model, batch, report });
      o.log(`\ntuned schedules, ${model} ${describeConfig(config)}, batch ${batch} (per-dispatch ms, median of ${o.rounds} interleaved rounds):\n${tuneTable(report)}`);
      const x = o.images(batch);
      await a.trainStep(x, true);
      await b.trainStep(x, true);
      // Steps per sample so a sample lasts ~stepMs on the rule's model.
      const t0 = performance.now();
      await a.trainStep(x, true);
      const inner = Math.max(1, Math.round(o.stepMs / Math.max(1, performance.now() - t0)));
      const times = { a: [] as number[], b: [] as number[] };
      for (let r = 0; r < o.rounds; r++) {
        for (const [name, vae] of (r % 2 ? [['b', b], ['a', a]] : [['a', a], ['b', b]]) as [keyof typeof times, GpuVae][]) {
          const start = performance.now();
          for (let i = 0; i < inner; i++) vae.trainStep(x);
          await ctx.device.queue.onSubmittedWorkDone();
          times[name].push((performance.now() - start) / inner);
        }
      }
      const ratios = times.a.map((t, r) => t / times.b[r]).sort((p, q) => p - q);
      const step = { model, batch, untunedMs: median(times.a), tunedMs: median(times.b), ratios, rounds: o.rounds, inner };
      out.steps.push(step);
      o.log(`training step, ${model} batch ${batch}: rule ${step.untunedMs.toFixed(2)} ms, tuned ${step.tunedMs.toFixed(2)} ms (rule/tuned ${(step.untunedMs / step.tunedMs).toFixed(2)}×, paired rounds ${ratioRange(ratios)}; ${o.rounds} alternating rounds of ${inner} steps)`);
    } finally {
      a.dispose();
      b.dispose();
      rule.destroy();
      tuned.destroy();
    }
  }
  return out;
}

const q = (xs: readonly number[], p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.round(p * (xs.length - 1))))];
/** The paired rounds' rule/tuned ratios as 'lower quartile–upper quartile'. */
const ratioRange = (r: readonly number[] | undefined) => (r?.length ? `${q(r, 0.25).toFixed(2)}–${q(r, 0.75).toFixed(2)}×` : '–');

/** Per shape class: was the choice's time (median of the tuner's rounds) above the rule's? */
export function classVerdict(reports: TuningResult['reports']): { classes: number; changed: number; slower: string[] } {
  let classes = 0, changed = 0;
  const slower: string[] = [];
  for (const { report } of reports) {
    for (const x of report.results) {
      classes++;
      if (x.choice !== x.rule) changed++;
      const ms = (c: string) => x.times.find((t) => t.candidate === c)?.ms ?? NaN;
      if (ms(x.choice) > ms(x.rule)) slower.push(`${x.kernel} ${x.shapeClass}`);
    }
  }
  return { classes, changed, slower };
}

/** The markdown of a tuning result: the verdict, the step table, then each run's kernel table. */
export function tuningMarkdown(t: TuningResult): string {
  const v = classVerdict(t.reports);
  const lines = [
    `Per shape class: the tuned choice is slower than the rule's in ${v.slower.length} of ${v.classes} classes${v.slower.length ? ` (${v.slower.join(', ')})` : ''}; ` +
    `${v.changed} classes run another candidate than the rule's. (By construction the rule's candidate stays unless another beats it by the margin in the paired rounds.)`,
    '',
    'Training step (rule/tuned > 1: tuned faster; the paired rounds\' quartiles show the noise):',
    '',
    '| model | batch | step, rule (ms) | step, tuned (ms) | rule / tuned | paired rounds (quartiles) | tuned no slower? |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of t.steps) {
    const ratio = s.untunedMs / s.tunedMs;
    const hi = s.ratios?.length ? q(s.ratios, 0.75) : ratio;
    // No slower: the median ratio ≥ 1, or the rounds' upper quartile reaches 1 (a difference within the noise).
    // A tuned model that kept the rule everywhere runs the same schedules: its difference is the protocol's noise.
    const same = t.reports.find((r) => (r.model ?? 'mlp') === (s.model ?? 'mlp') && r.batch === s.batch)?.report.results.every((x) => x.choice === x.rule);
    const verdict = (ratio >= 1 ? 'yes' : hi >= 1 ? 'yes, within noise' : 'no') + (same ? ' (same schedules as the rule: the difference is noise)' : '');
    lines.push(`| ${s.model ?? 'mlp'} | ${s.batch} | ${s.untunedMs.toFixed(2)} | ${s.tunedMs.toFixed(2)} | ${ratio.toFixed(2)}× | ${ratioRange(s.ratios)} | ${verdict} |`);
  }
  for (const r of t.reports) lines.push('', `Kernels, ${r.model ?? 'mlp'} at batch ${r.batch}:`, '', tuneTable(r.report));
  return lines.join('\n');
}
