// Timing helpers shared by the benchmarks (browser and Node): robust statistics, an adaptive sampler
// that batches enough work per sample to amortise the cost of waiting for the queue and stops at a
// time budget, and a GPU pass timer on `timestamp-query` when the device has it.

export interface Stats {
  median: number;
  min: number;
  max: number;
  /** Median absolute deviation / median: the sample's relative spread. */
  spread: number;
  runs: number;
}

export function stats(values: number[]): Stats {
  const xs = [...values].sort((a, b) => a - b);
  const mid = (v: number[]) => (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
  const median = mid(xs);
  const mad = mid(xs.map((x) => Math.abs(x - median)).sort((a, b) => a - b));
  return { median, min: xs[0], max: xs[xs.length - 1], spread: median > 0 ? mad / median : 0, runs: xs.length };
}

export interface SampleOptions {
  /** Untimed runs (of one repetition each) before calibration. */
  warmup: number;
  /** Samples to take at least, and at most. */
  minRuns: number;
  maxRuns: number;
  /** Stop taking samples (once minRuns are in) after this much time. */
  budgetMs: number;
  /** Repetitions per sample are raised until one sample takes about this long. */
  sampleMs: number;
  maxInner?: number;
}

/** One sample: `inner` repetitions of the work, their total wall time and (when measured) GPU time, in ms. */
export interface RawSample {
  wallMs: number;
  gpuMs?: number;
}

export interface Sampled {
  /** Per repetition, in ms. */
  wall: Stats;
  gpu?: Stats;
  /** Repetitions per sample. */
  inner: number;
}

/**
 * Runs `run(inner)` (which does `inner` repetitions and waits for them to finish) `warmup` times with
 * inner = 1, calibrates `inner` so one sample takes about `sampleMs`, then takes samples until maxRuns
 * or (minRuns and budgetMs). Values are per repetition.
 */
export async function sample(run: (inner: number) => Promise<RawSample>, o: SampleOptions): Promise<Sampled> {
  const maxInner = o.maxInner ?? 2000;
  const wall: number[] = [];
  const gpu: number[] = [];
  const keep = (t: RawSample, inner: number) => {
    wall.push(t.wallMs / inner);
    if (t.gpuMs !== undefined) gpu.push(t.gpuMs / inner);
  };
  // Warm-up; heavy work (one run longer than the budget over minRuns) needs only one.
  for (let i = 0; i < o.warmup; i++) {
    const t = await run(1);
    if (t.wallMs > o.budgetMs / o.minRuns) break;
  }
  let inner = 1;
  // Calibrate: raise the repetitions until a sample is long enough that the wait for the queue is a
  // small part of it. A first run already that long is the first sample.
  for (;;) {
    const t = await run(inner);
    const per = t.wallMs / inner;
    if (inner === 1 && t.wallMs >= o.sampleMs) {
      keep(t, 1);
      break;
    }
    if (t.wallMs >= o.sampleMs / 2 || inner >= maxInner) {
      inner = Math.max(1, Math.min(maxInner, Math.round(o.sampleMs / Math.max(per, 1e-4))));
      break;
    }
    inner = Math.min(maxInner, t.wallMs < o.sampleMs / 16 ? inner * 8 : inner * 2);
  }
  const start = performance.now();
  // Heavy work (one sample longer than budget / minRuns): at least three samples, else the budget.
  const perSample = () => wall[0] * inner;
  for (;;) {
    const minRuns = wall.length ? Math.max(Math.min(3, o.minRuns), Math.min(o.minRuns, Math.floor(o.budgetMs / Math.max(perSample(), 1e-3)))) : o.minRuns;
    if (wall.length >= o.maxRuns) break;
    if (wall.length >= minRuns && performance.now() - start >= o.budgetMs) break;
    keep(await run(inner), inner);
  }
  return { wall: stats(wall), gpu: gpu.length === wall.length ? stats(gpu) : undefined, inner };
}

/**
 * Times one compute pass with timestamp queries (begin and end of pass). Chromium quantises
 * timestamps to 100 µs unless launched with --enable-webgpu-developer-features; bench/run.ts does.
 */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly readback: GPUBuffer;

  constructor(device: GPUDevice) {
    this.querySet = device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({ label: 'bench timestamps resolve', size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readback = device.createBuffer({ label: 'bench timestamps read', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  static available(device: GPUDevice): boolean {
    return device.features.has('timestamp-query');
  }

  beginPass(encoder: GPUCommandEncoder): GPUComputePassEncoder {
    return encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  }

  /** Call after pass.end(), before finish(). */
  resolveInto(encoder: GPUCommandEncoder): void {
    encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
  }

  /** After the submit: the pass's duration in ms. */
  async read(): Promise<number> {
    await this.readback.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    return Number(t[1] - t[0]) / 1e6;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.readback.destroy();
  }
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}
