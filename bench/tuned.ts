// Tuned against untuned, in one run: the tuner times every candidate of the default model's matmul
// shapes (the rule's among them, interleaved), then the training step of a model on the rule's
// schedules and of one on the tuned choices alternate round by round (wall time around
// onSubmittedWorkDone of `inner` queued steps), so both see the same machine.
import type { GpuContext } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import type { TuneReport } from '../src/gpu/schedule';
import { GpuVae } from '../src/model/gpu-vae';
import { adapterKey } from '../src/tune/cache';
import { median } from '../src/tune/timing';
import { tuneTable } from '../src/tune/report';
import { Tuner } from '../src/tune/tuner';

export interface TunedStep {
  batch: number;
  untunedMs: number;
  tunedMs: number;
  rounds: number;
  inner: number;
}

export interface TuningResult {
  /** The tuner's report per batch (kernel times per shape class, rule and choice). */
  reports: { batch: number; report: TuneReport }[];
  steps: TunedStep[];
}

export async function tunedVsUntuned(
  ctx: GpuContext,
  o: { batches: number[]; rounds: number; stepMs: number; images: (batch: number) => Float32Array; log(line: string): void; implementation: string },
): Promise<TuningResult> {
  const out: TuningResult = { reports: [], steps: [] };
  for (const batch of o.batches) {
    // A fresh tuner (no store): this run's own measurements decide.
    const tuner = await Tuner.open({ adapterKey: adapterKey(ctx.adapterInfo, o.implementation), store: null, rounds: o.rounds, budgetMs: 600_000 });
    const rule = Runtime.forContext(ctx);
    const tuned = Runtime.forContext(ctx, { schedules: tuner });
    const a = new GpuVae(rule, {}, { maxBatch: batch });
    const b = new GpuVae(tuned, {}, { maxBatch: batch });
    try {
      await b.precompile();
      await a.precompile();
      const report = tuned.lastTune!;
      out.reports.push({ batch, report });
      o.log(`\ntuned schedules, batch ${batch} (per-dispatch ms, median of ${o.rounds} interleaved rounds):\n${tuneTable(report)}`);
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
      const step = { batch, untunedMs: median(times.a), tunedMs: median(times.b), rounds: o.rounds, inner };
      out.steps.push(step);
      o.log(`training step, batch ${batch}: rule ${step.untunedMs.toFixed(2)} ms, tuned ${step.tunedMs.toFixed(2)} ms (${(step.untunedMs / step.tunedMs).toFixed(2)}×; ${o.rounds} alternating rounds of ${inner} steps)`);
    } finally {
      a.dispose();
      b.dispose();
      rule.destroy();
      tuned.destroy();
    }
  }
  return out;
}

/** The markdown of a tuning result: the step table, then each batch's kernel table. */
export function tuningMarkdown(t: TuningResult): string {
  const lines = ['| batch | step, rule (ms) | step, tuned (ms) | rule / tuned |', '|---|---|---|---|'];
  for (const s of t.steps) lines.push(`| ${s.batch} | ${s.untunedMs.toFixed(2)} | ${s.tunedMs.toFixed(2)} | ${(s.untunedMs / s.tunedMs).toFixed(2)}× |`);
  for (const r of t.reports) lines.push('', `Kernels at batch ${r.batch}:`, '', tuneTable(r.report));
  return lines.join('\n');
}
