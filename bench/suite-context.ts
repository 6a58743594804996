// What every section of the suite shares: the options, the time budgets of quick and full runs, and
// one context (device, runtime, timer, the gate around each measurement, the errors met so far).
import type { GpuContext } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { PassTimer, type Sampled, type SampleOptions } from './timing';
import type { Peer } from './peer';

export interface SuiteOptions {
  quick: boolean;
  peers: Peer[];
  log(line: string): void;
  /** Extra errors met before the suite started (a peer that failed to initialise). */
  errors?: string[];
  /** Skip the tuned-against-untuned section. */
  noTune?: boolean;
  /** What runs the kernels (Dawn's version in Node, the user agent in a page): half the tuner's adapter key. */
  implementation?: string;
  /** Only these sections (for debugging): 'ceilings', 'kernels', 'steps', 'conv', 'tuning'. */
  only?: string[];
  /** Training-step batch sizes instead of the budget's. */
  batches?: number[];
  /**
   * Around each measurement: `before` resolves when the machine is quiet enough to measure (the
   * driver watches other processes' CPU use and pauses while they run); `after` says whether it
   * stayed quiet, else the measurement is taken again (three tries at most). Optional.
   */
  gate?: { before(what: string): Promise<void>; after(what: string): Promise<boolean> };
}

export interface Budgets {
  kernel: SampleOptions;
  step: SampleOptions;
  batches: number[];
  squares: number[];
  /** Also time our other matmul schedule (the one this adapter's profile does not pick). */
  alternates: boolean;
  largeCopyBytes: number;
}

// SwiftShader on two cores runs a 2048³ matmul in seconds: runs are bounded by time, with at least
// three samples; small kernels get many repetitions per sample and many samples.
export const QUICK: Budgets = {
  kernel: { warmup: 2, minRuns: 5, maxRuns: 15, budgetMs: 1200, sampleMs: 30 },
  step: { warmup: 2, minRuns: 3, maxRuns: 9, budgetMs: 2500, sampleMs: 120 },
  batches: [32, 128, 512],
  squares: [512, 1024],
  alternates: false,
  largeCopyBytes: 64 << 20,
};
export const FULL: Budgets = {
  kernel: { warmup: 3, minRuns: 9, maxRuns: 41, budgetMs: 4000, sampleMs: 80 },
  step: { warmup: 3, minRuns: 5, maxRuns: 25, budgetMs: 10000, sampleMs: 300 },
  batches: [32, 128, 512, 2048],
  squares: [512, 1024, 2048],
  alternates: true,
  largeCopyBytes: 256 << 20,
};

export interface SuiteContext {
  ctx: GpuContext;
  device: GPUDevice;
  rt: Runtime;
  timer: PassTimer | undefined;
  b: Budgets;
  o: SuiteOptions;
  errors: string[];
  /** Runs a measurement between the gate's checks; again (up to three times) if others disturbed it. */
  guarded<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

export function suiteContext(ctx: GpuContext, o: SuiteOptions): SuiteContext {
  const device = ctx.device;
  return {
    ctx,
    device,
    rt: Runtime.forContext(ctx),
    timer: PassTimer.available(device) ? new PassTimer(device) : undefined,
    b: { ...(o.quick ? QUICK : FULL), ...(o.batches ? { batches: o.batches } : {}) },
    o,
    errors: [...(o.errors ?? [])],
    async guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        await o.gate?.before(what);
        const result = await fn();
        if (!o.gate || (await o.gate.after(what)) || attempt >= 3) return result;
      }
    },
  };
}

/** Our kernels' figure: GPU time from timestamps where measured, else wall time. */
export const primaryOf = (s: Sampled): number => (s.gpu ? s.gpu.median : s.wall.median);
