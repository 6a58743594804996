// The training half of the GPU run (bench/gpu.ts): each model (the default MLP, the conv preset, the
// IWAE model) tuned within a budget, precompiled, then trained through the library's loop (GpuVae.fit)
// for a first epoch and a timed one on the embedded data: steps/s, epoch seconds, test −ELBO.
import type { GpuContext } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import type { Dataset } from '../src/data/dataset';
import { describeConfig, resolveConfig, type VaeConfigInput } from '../src/model/config';
import { GpuVae } from '../src/vae/gpu-vae';
import { presetConfig } from '../src/model/presets';
import type { TuneStore } from '../src/tune/cache';
import { TUNE_TWINS } from '../src/cpu/tune-twins';
import { Tuner } from '../src/tune/tuner';

/** The models of the run, by name: the library's defaults, as `npm run train --arch` builds them. */
export const GPU_MODELS: Record<string, () => VaeConfigInput> = {
  mlp: () => ({}),
  conv: () => presetConfig('conv'),
  iwae: () => ({ objective: { kind: 'iwae', k: 5 } }),
};

export interface EpochFigures { seconds: number; stepsPerSecond: number; steps: number }

export interface ModelEpoch {
  model: string;
  describe: string;
  batch: number;
  trainCount: number;
  testCount: number;
  /** Tuning of its shape classes (within the budget) plus compiling every pipeline, seconds. */
  precompileSeconds?: number;
  tuned?: { classes: number; tuned: number; cached: number; budget: number; changed: number; seconds: number };
  /** The first epoch after precompile (the driver may still compile at first dispatch), and the next one. */
  firstEpoch?: EpochFigures;
  epoch?: EpochFigures;
  /** After the timed epoch: the test set's −ELBO (one z per example; for IWAE the unbiased −ELBO of its samples) and every loss entry. */
  testNegElbo?: number;
  test?: Record<string, number>;
  error?: string;
}

export interface TrainPlan {
  models: string[];
  batch: number;
  train: Dataset;
  test: Dataset;
  adapterKey: string;
  store: TuneStore | null;
  /** Milliseconds each model's tuning may take at most. */
  tuneBudgetMs: number;
  left: () => number;
  log: (line: string) => void;
}

const figures = (m: { seconds: number; stepsPerSecond: number }): EpochFigures => ({ seconds: m.seconds, stepsPerSecond: m.stepsPerSecond, steps: Math.round(m.seconds * m.stepsPerSecond) });

async function oneModel(ctx: GpuContext, name: string, p: TrainPlan): Promise<ModelEpoch> {
  const config = resolveConfig(GPU_MODELS[name]());
  const row: ModelEpoch = { model: name, describe: describeConfig(config), batch: p.batch, trainCount: p.train.count, testCount: p.test.count };
  const tuner = await Tuner.open({ adapterKey: p.adapterKey, store: p.store, twins: TUNE_TWINS, rounds: 3, budgetMs: Math.max(0, Math.min(p.tuneBudgetMs, p.left() / 4)), warn: p.log });
  const rt = Runtime.forContext(ctx, { schedules: tuner });
  const vae = new GpuVae(rt, config, { maxBatch: p.batch });
  // Stops the loop at the run's deadline (fit() throws TrainingStopped; what was measured stays).
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), Math.max(0, p.left()));
  try {
    const t0 = performance.now();
    await vae.precompile();
    row.precompileSeconds = (performance.now() - t0) / 1000;
    const r = rt.lastTune!;
    const n = (s: string) => r.results.filter((x) => x.source === s).length;
    row.tuned = { classes: r.results.length, tuned: n('tuned'), cached: n('cache'), budget: n('budget'), changed: r.results.filter((x) => x.choice !== x.rule).length, seconds: r.elapsedMs / 1000 };
    const fit = (epochs: number) => vae.fit({ epochs, batch: p.batch, train: p.train, test: p.test, signal: stop.signal });
    row.firstEpoch = figures((await fit(1))[0]);
    const e = (await fit(1))[0];
    row.epoch = figures(e);
    row.test = e.test;
    const o = vae.objective;
    row.testNegElbo = o.bound(Object.fromEntries(o.parts.map((k) => [k, e.test[k]])));
    p.log(`  ${name} (${row.describe}), batch ${p.batch}: precompile ${row.precompileSeconds.toFixed(1)} s (tuning ${row.tuned.tuned} of ${row.tuned.classes} classes), ` +
      `first epoch ${row.firstEpoch.seconds.toFixed(2)} s, epoch ${row.epoch.seconds.toFixed(2)} s (${row.epoch.stepsPerSecond.toFixed(1)} steps/s), test −ELBO ${row.testNegElbo.toFixed(2)}`);
  } catch (e) {
    row.error = (e as Error).message;
    p.log(`  ${name}: ${row.error}`);
  } finally {
    clearTimeout(timer);
    vae.dispose();
    rt.destroy();
  }
  return row;
}

/** Each model in turn; one that fails or meets the deadline is recorded with its error and the rest go on. */
export async function trainEpochs(ctx: GpuContext, p: TrainPlan): Promise<ModelEpoch[]> {
  const rows: ModelEpoch[] = [];
  for (const name of p.models) {
    if (!GPU_MODELS[name]) throw new Error(`--models: unknown model '${name}'; expected ${Object.keys(GPU_MODELS).join(', ')}`);
    if (p.left() <= 0) { rows.push({ model: name, describe: '', batch: p.batch, trainCount: p.train.count, testCount: p.test.count, error: 'deadline' }); continue; }
    rows.push(await oneModel(ctx, name, p));
  }
  return rows;
}
