// How much of a training run tuning may take, and the sequence that keeps to it: a first model on
// the remembered choices (and the rule elsewhere) measures a step, the budget is a share of the run
// that step predicts (RUN_SHARE: 5%, at least 2 s so that short runs still advance, at most 60 s),
// then the model to train is built after the tuning, so that it runs the choices.
import type { TuneReport } from '../gpu/schedule';
import type { Tuner } from './tuner';

export interface RunShare {
  /** The fraction of the run's expected time tuning may take. */
  share: number;
  /** Never less (tuning still advances on a short run; what it measures is kept for the next). */
  floorMs: number;
  /** Never more, however long the run. */
  capMs: number;
}

export const RUN_SHARE: RunShare = { share: 0.05, floorMs: 2000, capMs: 60_000 };

/** share × steps × step time, within [floor, cap]. */
export function runTuneBudgetMs(plannedSteps: number, stepMs: number, s: RunShare = RUN_SHARE): number {
  const want = s.share * Math.max(0, plannedSteps) * Math.max(0, stepMs);
  return Math.min(s.capMs, Math.max(s.floorMs, Number.isFinite(want) ? want : s.capMs));
}

/** What tuneForRun needs of a model (GpuVae has it). */
export interface ProbeModel {
  precompile(): Promise<unknown>;
  trainStep(x: Float32Array, read?: boolean, labels?: Uint32Array): Promise<unknown> | null;
  dispose(): void;
}

export interface RunTuning<M> {
  /** The model to train: built after the tuning. */
  model: M;
  report: TuneReport;
  budgetMs: number;
  /** The measured step (ms) the budget came from, when one was measured. */
  stepMs?: number;
  /** One line for the log: how the budget was set. */
  why: string;
}

export interface RunTuningOptions<M> {
  tuner: Tuner;
  /** A new model on the tuner's runtime (each call: a fresh one, from the same initial state). */
  build: () => M;
  /** The runtime's last tune report (Runtime.lastTune). */
  lastTune: () => TuneReport;
  /** One training batch (the probe's steps train a throwaway model on it). */
  batch: Float32Array;
  /** Its labels, for a conditional model. */
  labels?: Uint32Array;
  /** Steps the run will take. */
  plannedSteps: number;
  /** A fixed budget instead of the run's share (no step is measured). */
  budgetMs?: number;
  share?: RunShare;
  clock?: () => number;
}

async function precompiled<M extends ProbeModel>(m: M): Promise<M> {
  try {
    await m.precompile();
    return m;
  } catch (e) {
    m.dispose();
    throw e;
  }
}

/**
 * Tunes the shapes of a run's model and returns the model to train. With every class remembered:
 * the first model, nothing timed. Else a first model measures a step (after its first, compiling one:
 * those pipelines serve the real model too): three steps queued, the last read back, as training
 * queues them. The budget is the run's share less those probe steps (the floor still holds).
 */
export async function tuneForRun<M extends ProbeModel>(o: RunTuningOptions<M>): Promise<RunTuning<M>> {
  const clock = o.clock ?? (() => globalThis.performance.now());
  const share = o.share ?? RUN_SHARE;
  if (o.budgetMs !== undefined) {
    o.tuner.budgetMs = o.budgetMs;
    const model = await precompiled(o.build());
    return { model, report: o.lastTune(), budgetMs: o.budgetMs, why: `tuning budget ${(o.budgetMs / 1000).toFixed(1)} s (given)` };
  }
  o.tuner.budgetMs = 0;
  const probe = await precompiled(o.build());
  const known = o.lastTune();
  if (!known.results.some((r) => r.source === 'budget')) return { model: probe, report: known, budgetMs: 0, why: 'tuning: every shape class remembered' };
  let stepMs: number;
  let probeMs: number;
  try {
    await probe.trainStep(o.batch, true, o.labels);
    const t0 = clock();
    probe.trainStep(o.batch, false, o.labels);
    probe.trainStep(o.batch, false, o.labels);
    await probe.trainStep(o.batch, true, o.labels);
    probeMs = clock() - t0;
    stepMs = probeMs / 3;
  } finally {
    probe.dispose();
  }
  const share5 = share.share * o.plannedSteps * stepMs;
  const budgetMs = Math.max(share.floorMs, runTuneBudgetMs(o.plannedSteps, stepMs, share) - probeMs);
  o.tuner.budgetMs = budgetMs;
  const model = await precompiled(o.build());
  const why = `tuning budget ${(budgetMs / 1000).toFixed(1)} s: ${Math.round(share.share * 100)}% of ${o.plannedSteps} steps × ${stepMs.toFixed(1)} ms ` +
    `(${(share5 / 1000).toFixed(1)} s; at least ${share.floorMs / 1000} s, at most ${share.capMs / 1000} s, less the ${(probeMs / 1000).toFixed(1)} s measuring it)`;
  return { model, report: o.lastTune(), budgetMs, stepMs, why };
}
