// The page's kernel tuning: on first use of a model's shapes (GpuVae.precompile), the tuner times
// each kernel's candidate schedules on this adapter and keeps the fastest (the rule's unless another
// beats it clearly), remembered per adapter and browser version in IndexedDB (else localStorage), so
// a second visit finds them and times nothing. The pipelines compile asynchronously and every timing
// sample is awaited, so the main thread stays free; a time budget bounds each tuning (?tuneBudget=S,
// default 10 s) and ?notune=1 turns it off (every kernel runs its rule's schedule).
import type { AdapterSummary } from '../src/gpu/device';
import type { Runtime } from '../src/gpu/runtime';
import type { GpuVae } from '../src/vae/gpu-vae';
import type { TuneReport } from '../src/gpu/schedule';
import { adapterKey, browserImplementation } from '../src/tune/cache';
import { pageTuneStore } from '../src/tune/idb-store';
import { TUNE_TWINS } from '../src/cpu/tune-twins';
import { Tuner } from '../src/tune/tuner';
import type { TuneSettings } from './settings';


/** What the status line and window.__demo show. */
export interface TuneStatus {
  enabled: boolean;
  state: 'off' | 'idle' | 'tuning' | 'done';
  /** Where choices are kept ('' when off or nowhere). */
  store: string;
  adapterKey: string;
  /** Of the last tuning: shape classes, found in the cache, timed now, left to the rule by the budget, choices not the rule's. */
  classes: number;
  cached: number;
  tuned: number;
  budget: number;
  changed: number;
  elapsedMs: number;
  /** performance.now() at the start and end of the last precompile (with its tuning, if on), for the long-task check. */
  startedAt: number;
  endedAt: number;
}

export function initialTuneStatus(t: TuneSettings): TuneStatus {
  return { enabled: t.enabled, state: t.enabled ? 'idle' : 'off', store: '', adapterKey: '', classes: 0, cached: 0, tuned: 0, budget: 0, changed: 0, elapsedMs: 0, startedAt: 0, endedAt: 0 };
}

/**
 * A tuner for the page's adapter, or null when tuning is off. `implementation` names the browser
 * version the choices are kept for: the page's user agent (a worker passes the page's).
 */
export async function openPageTuner(info: AdapterSummary, t: TuneSettings, status: TuneStatus, warn: (m: string) => void, implementation = browserImplementation()): Promise<Tuner | null> {
  if (!t.enabled) return null;
  const store = await pageTuneStore(warn);
  const tuner = await Tuner.open({
    adapterKey: adapterKey(info, implementation), store, budgetMs: 1000 * t.budgetS,
    // Short samples: a software adapter tunes a small model in seconds, a GPU in well under one.
    rounds: 5, sampleMs: 4, warn, twins: TUNE_TWINS,
  });
  status.store = store?.describe ?? 'this page only (no IndexedDB or localStorage)';
  status.adapterKey = tuner.adapterKey;
  return tuner;
}

export function recordTune(status: TuneStatus, r: TuneReport): void {
  const n = (s: string) => r.results.filter((x) => x.source === s).length;
  Object.assign(status, {
    state: 'done', classes: r.results.length, cached: n('cache'), tuned: n('tuned'), budget: n('budget'),
    changed: r.results.filter((x) => x.choice !== x.rule).length, elapsedMs: r.elapsedMs,
  });
}

/** The status line's text. */
export function tuneText(s: TuneStatus): string {
  if (s.state === 'off') return 'kernels: rule schedules (tuning off)';
  if (s.state === 'idle') return 'kernels: not tuned yet';
  if (s.state === 'tuning') return 'kernels: tuning…';
  const parts = [`${s.classes} shape classes`];
  if (s.tuned) parts.push(`${s.tuned} tuned now`);
  if (s.cached) parts.push(`${s.cached} from the cache`);
  if (s.budget) parts.push(`${s.budget} on the rule (budget spent)`);
  return `kernels: ${parts.join(', ')}; ${s.changed} differ from the rule${s.tuned ? ` (${(s.elapsedMs / 1000).toFixed(1)} s)` : ''}`;
}

/**
 * Compiles a model's pipelines off the main thread (createComputePipelineAsync) and, with a tuner on
 * the runtime, first tunes the schedules of its shape classes not yet in the cache (awaited samples,
 * within the budget): compiling or tuning on first use would otherwise freeze the tab for a while.
 */
export async function precompileTuned(rt: Runtime, vae: GpuVae, status: TuneStatus, changed: () => void): Promise<void> {
  const tuning = !!rt.schedules;
  status.startedAt = performance.now();
  if (tuning) status.state = 'tuning';
  changed();
  try {
    await vae.precompile();
  } finally {
    if (tuning && rt.lastTune) recordTune(status, rt.lastTune);
    status.endedAt = performance.now();
    changed();
  }
}

export const compilingText = (tuning: boolean, budgetS: number) =>
  tuning ? `Compiling its GPU kernels (and tuning them for this adapter on first use, at most ${budgetS} s)…` : 'Compiling its GPU kernels…';
