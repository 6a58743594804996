// The tuner on the adapter at hand: it times every candidate of each shape class a plan asks for,
// picks one that is never slower than the rule's in the same rounds, remembers it in a cache file
// per adapter key, finds it there on a second run (nothing timed again), tunes afresh for another
// adapter key or version, ignores a corrupt cache with a warning, keeps the rule without a tuner or
// when its budget runs out; whatever it picks passes the kernel test against the CPU twin.
// (tuner-budget.test.ts: the budget's bounds and resuming, on a fake clock without a GPU.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/gpu/runtime';
import type { TuneReport } from '../../src/gpu/schedule';
import { F16_TILED_SCHEDULES, matmulCandidates, matmulRule, prepareMatmul, TILED_SCHEDULES, type MatmulShape } from '../../src/kernels/matmul';
import { TUNE_TWINS } from '../../src/cpu/tune-twins';
import { adapterKey } from '../../src/tune/cache';
import { fileTuneStore, nodeImplementation } from '../../src/tune/node-cache';
import { pick, Tuner, type TunerOptions } from '../../src/tune/tuner';
import { scratch } from '../../src/tune/tunables';
import { expectComparisons } from '../util/compare';
import { matmulCase } from '../kernels/cases';
import { convForwardCase, convGradKernelsCase, geometry } from '../kernels/conv-cases';
import { convSizes } from '../../src/kernels/conv-shape';
import { convCandidates, prepareConv2d, prepareConv2dInputGrad } from '../../src/kernels/conv2d';
import { prepareConv2dWeightGrad, weightGradCandidates } from '../../src/kernels/conv2d-grad';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();
const dir = mkdtempSync(join(tmpdir(), 'webgpu-vae-tune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two small classes (tuning them takes well under a second each on lavapipe) and a TT one (tiled candidates only).
const SHAPES: MatmulShape[] = [
  { M: 37, N: 132, K: 68 },
  { M: 36, N: 132, K: 67, transA: true },
  { M: 9, N: 7, K: 5, transA: true, transB: true },
];

function key(implementation = nodeImplementation()): string {
  return adapterKey(gpu().ctx.adapterInfo, implementation);
}

async function tunedRuntime(file: string, options: Partial<TunerOptions> = {}) {
  const warnings: string[] = [];
  // A budget far past what these classes take even on a loaded machine: only the budget test runs out.
  const tuner = await Tuner.open({ adapterKey: key(), store: fileTuneStore(file), rounds: 3, sampleMs: 2, budgetMs: 600_000, twins: TUNE_TWINS, warn: (m) => warnings.push(m), ...options });
  const rt = new Runtime(gpu().device, { profile: gpu().rt.profile, schedules: tuner });
  return { rt, tuner, warnings };
}

/** Prepares the plan's matmuls on scratch buffers (thrown away): what a model's build would ask for. */
function plan(rt: Runtime): () => void {
  return () => {
    for (const s of SHAPES) {
      const a = scratch(rt, s.M * s.K, 1, 'a'), b = scratch(rt, s.K * s.N, 2, 'b'), c = scratch(rt, s.M * s.N, 3, 'c');
      prepareMatmul(rt, s, { a, b, c }).destroy();
      for (const x of [a, b, c]) x.destroy();
    }
  };
}

/** The candidate a prepared matmul runs, read off its pipeline's key (kernel and LANES override). */
function ranSchedule(rt: Runtime, s: MatmulShape): string {
  const a = scratch(rt, s.M * s.K, 1, 'a'), b = scratch(rt, s.K * s.N, 2, 'b'), c = scratch(rt, s.M * s.N, 3, 'c');
  const op = prepareMatmul(rt, s, { a, b, c });
  const label = op.dispatches[0].pipeline.label;
  op.destroy();
  for (const x of [a, b, c]) x.destroy();
  const o = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(label)?.[1]);
  if (label.startsWith('matmul_vec4_wide')) return `vec4w-l${o('LANES')}`;
  if (label.startsWith('matmul_vec4')) return `vec4-l${o('LANES')}`;
  const tiled = Object.entries(label.startsWith('matmul_f16') ? F16_TILED_SCHEDULES : TILED_SCHEDULES).find(([, t]) => t.wgX === o('WG_X') && t.wgY === o('WG_Y') && t.rn === o('RN') && t.tk === o('TK'));
  return tiled ? tiled[0] : `unknown (${label})`;
}

const sources = (r: TuneReport) => r.results.map((x) => x.source);

describe('tuner', () => {
  const file = join(dir, 'tune.json');
  let first: TuneReport;

  it('times every candidate of each class, never picks one slower than the rule, and writes the cache', async () => {
    const { rt, warnings } = await tunedRuntime(file);
    first = await rt.tune(plan(rt));
    expect(warnings).toEqual([]);
    expect(first.results.length).toBe(SHAPES.length);
    for (const [i, r] of first.results.entries()) {
      expect(r.source).toBe('tuned');
      expect(r.times.map((t) => t.candidate)).toEqual(matmulCandidates(SHAPES[i], rt));
      expect(r.rejected).toBeUndefined();
      expect(r.rule).toBe(matmulRule(rt, SHAPES[i]));
      expect(r.times.every((t) => t.samples === 3 && t.ms > 0)).toBe(true);
      const ms = (c: string) => r.times.find((t) => t.candidate === c)!.ms;
      expect(ms(r.choice)).toBeLessThanOrEqual(ms(r.rule));
      // What runs now is the choice.
      expect(ranSchedule(rt, SHAPES[i])).toBe(r.choice);
      console.info(`${r.shapeClass}: rule ${r.rule} ${ms(r.rule).toFixed(4)} ms, choice ${r.choice} ${ms(r.choice).toFixed(4)} ms (${r.method})`);
    }
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(doc.adapters)).toEqual([key()]);
    expect(Object.keys(doc.adapters[key()]).length).toBe(SHAPES.length);
    rt.destroy();
  }, 400_000);

  it('finds the cache on a second run and times nothing', async () => {
    const { rt, warnings } = await tunedRuntime(file);
    const device = gpu().device;
    let submits = 0;
    const submit = device.queue.submit.bind(device.queue);
    device.queue.submit = (b: Iterable<GPUCommandBuffer>) => (submits++, submit(b));
    try {
      const again = await rt.tune(plan(rt));
      expect(sources(again)).toEqual(SHAPES.map(() => 'cache'));
      expect(again.results.map((r) => r.choice)).toEqual(first.results.map((r) => r.choice));
      expect(submits).toBe(0);
    } finally {
      device.queue.submit = submit;
    }
    expect(warnings).toEqual([]);
    for (const [i, s] of SHAPES.entries()) expect(ranSchedule(rt, s)).toBe(first.results[i].choice);
    rt.destroy();
  });

  it('tunes afresh for another adapter key or implementation version, keeping the other entries', async () => {
    const tuner = await Tuner.open({ adapterKey: key('dawn (webgpu 9.9.9) node 0'), store: fileTuneStore(file), rounds: 2, sampleMs: 1, budgetMs: 600_000 });
    const rt = new Runtime(gpu().device, { profile: gpu().rt.profile, schedules: tuner });
    expect(sources(await rt.tune(plan(rt)))).toEqual(SHAPES.map(() => 'tuned'));
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(doc.adapters).sort()).toEqual([key(), key('dawn (webgpu 9.9.9) node 0')].sort());
    rt.destroy();
  }, 120_000);

  it('ignores a corrupt cache with a warning, tunes afresh and writes a good one', async () => {
    const bad = join(dir, 'corrupt.json');
    for (const text of ['{"format": "webgpu-vae-tune", "version": 1, "adap', '[1, 2]', JSON.stringify({ format: 'webgpu-vae-tune', version: 99, adapters: {} })]) {
      writeFileSync(bad, text);
      const { rt, warnings } = await tunedRuntime(bad, { rounds: 2, sampleMs: 1 });
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toMatch(/tune cache .*corrupt\.json (is not valid JSON|is not a webgpu-vae-tune document|has format version 99).*ignoring it and tuning afresh/);
      expect(sources(await rt.tune(plan(rt)))).toEqual(SHAPES.map(() => 'tuned'));
      expect(Object.keys(JSON.parse(readFileSync(bad, 'utf8')).adapters[key()]).length).toBe(SHAPES.length);
      rt.destroy();
    }
    // A malformed entry alone is dropped (and tuned again); the rest is kept.
    const doc = JSON.parse(readFileSync(bad, 'utf8'));
    const classes = Object.keys(doc.adapters[key()]);
    doc.adapters[key()][classes[0]] = { choice: 7 };
    writeFileSync(bad, JSON.stringify(doc));
    const { rt, warnings } = await tunedRuntime(bad, { rounds: 2, sampleMs: 1 });
    expect(warnings).toEqual([expect.stringMatching(/choice for .* is malformed; ignored/)]);
    expect(sources(await rt.tune(plan(rt))).sort()).toEqual(['cache', 'cache', 'tuned']);
    rt.destroy();
  }, 240_000);

  it('without a tuner (tune: false) runs the rule and times nothing', async () => {
    const rt = new Runtime(gpu().device, { profile: gpu().rt.profile });
    const report = await rt.tune(plan(rt));
    expect(report.results).toEqual([]);
    for (const s of SHAPES) expect(ranSchedule(rt, s)).toBe(matmulRule(rt, s));
    rt.destroy();
  });

  it('keeps the rule and remembers nothing when the budget runs out', async () => {
    const empty = join(dir, 'budget.json');
    const { rt } = await tunedRuntime(empty, { budgetMs: 0 });
    const report = await rt.tune(plan(rt));
    expect(sources(report)).toEqual(SHAPES.map(() => 'budget'));
    expect(report.results.map((r) => r.choice)).toEqual(SHAPES.map((s) => matmulRule(rt, s)));
    expect(() => readFileSync(empty)).toThrow(/ENOENT/);
    rt.destroy();
  });

  it('whatever it picked passes the kernel test against the CPU twin', async () => {
    const { device, rt } = gpu();
    let seed = 4100;
    for (const [i, r] of first.results.entries()) {
      for (const activation of ['identity', 'relu'] as const) {
        expectComparisons(await matmulCase(device, rt, { ...SHAPES[i], activation, bias: true, schedule: r.choice as never }, seed++));
      }
    }
  });
});

describe('tuner on the conv kernels', () => {
  it('tunes a conv layer\'s forward, input-gradient and weight-gradient kernels, and what it picked passes against the twins', async () => {
    const { device } = gpu();
    const tuner = await Tuner.open({ adapterKey: key(), store: null, rounds: 2, sampleMs: 1, budgetMs: 600_000, twins: TUNE_TWINS });
    const rt = new Runtime(device, { profile: gpu().rt.profile, schedules: tuner });
    const c = { kind: 'conv' as const, shape: { batch: 2, inH: 9, inW: 7, inC: 3, outC: 9, kernel: 3, stride: 2, padding: 1, activation: 'relu' as const }, bias: true, schedule: 'auto' as const };
    const report = await rt.tune(() => {
      const g = geometry(c);
      const sz = convSizes(g);
      const x = scratch(rt, sz.in, 1, 'x'), w = scratch(rt, sz.weights, 2, 'w'), y = scratch(rt, sz.out, 3, 'y'), dx = scratch(rt, sz.in, 4, 'dx');
      prepareConv2d(rt, c.shape, { x, w, y }).destroy();
      prepareConv2dInputGrad(rt, c.shape, { dPre: y, w, dx }).destroy();
      prepareConv2dWeightGrad(rt, c.shape, { x, dPre: y, dW: w }).destroy();
      for (const b of [x, w, y, dx]) b.destroy();
    });
    expect(report.results.map((r) => `${r.kernel}:${r.source}`)).toEqual(['conv2d:tuned', 'conv2d_transpose:tuned', 'conv2d_weight_grad:tuned']);
    expect(report.results.map((r) => r.times.length)).toEqual([convCandidates(rt).length, convCandidates(rt).length, weightGradCandidates(rt).length]);
    expect(report.results.map((r) => r.rejected)).toEqual([undefined, undefined, undefined]);
    for (const r of report.results) {
      const ms = (id: string) => r.times.find((t) => t.candidate === id)!.ms;
      expect(ms(r.choice)).toBeLessThanOrEqual(ms(r.rule));
    }
    // The runtime now runs the choices ('auto' in the case): the kernels against their twins.
    expectComparisons(await convForwardCase(device, rt, c, 5100));
    expectComparisons(await convGradKernelsCase(device, rt, { ...c, bias: false }, 5101));
    rt.destroy();
  }, 240_000);
});

describe('the choice', () => {
  /** Rounds from per-candidate series: round r holds each candidate's r-th time. */
  const s = (entries: Record<string, number[]>) => {
    const n = Math.max(...Object.values(entries).map((t) => t.length));
    return Array.from({ length: n }, (_, r) => Object.fromEntries(Object.entries(entries).filter(([, t]) => r < t.length).map(([c, t]) => [c, t[r]])));
  };
  it('is the rule unless another is faster by the margin in its median and in three rounds of four', () => {
    expect(pick('r', s({ r: [10, 10, 10, 10], a: [8, 8, 8, 8], b: [9, 9, 9, 9] }), 0.05)).toBe('a');
    expect(pick('r', s({ r: [10, 10, 10, 10], a: [9.7, 9.7, 9.7, 9.7] }), 0.05)).toBe('r'); // within the margin
    expect(pick('r', s({ r: [10, 10, 10, 10], a: [5, 5, 11, 11] }), 0.05)).toBe('r'); // wins only half the rounds
    // The machine slowed down in rounds 3-4 for both: the paired ratios still show a's lead.
    expect(pick('r', s({ r: [10, 10, 30, 30], a: [8, 8, 24, 24] }), 0.05)).toBe('a');
    // A time from a round without the rule is not counted.
    expect(pick('r', [{ r: 10, a: 11 }, { r: 10, a: 11 }, { a: 1 }], 0.05)).toBe('r');
    // Candidates timed in different rounds (several runs): each against the rule of its own rounds.
    expect(pick('r', [{ r: 10, a: 9 }, { r: 10, a: 9 }, { r: 30, b: 20 }, { r: 30, b: 20 }], 0.05)).toBe('b');
  });
});

describe('the library', () => {
  it('createRuntime({ tune }) tunes a model\'s shapes in GpuVae.precompile and remembers them in its store; without it the rule', async () => {
    const { createRuntime } = await import('../../src/runtime-api');
    const { GpuVae } = await import('../../src/vae/gpu-vae');
    let text: string | null = null;
    const store = { describe: 'memory', read: async () => text, write: async (t: string) => { text = t; } };
    const config = { encoderHidden: [16], decoderHidden: [16], latent: 4 };
    for (const expected of ['tuned', 'cache'] as const) {
      const r = await createRuntime({ device: gpu().device, profile: gpu().rt.profile, tune: { store, rounds: 2, sampleMs: 1, budgetMs: 600_000 } });
      // Keyed on Dawn's version in Node, as the CLIs key it.
      expect((r.runtime.schedules as Tuner).adapterKey).toMatch(/ \| dawn \(webgpu \d+\.\d+\.\d+\) node \d+/);
      const vae = new GpuVae(r.runtime, config, { maxBatch: 8 });
      await vae.precompile();
      const sources = new Set(r.runtime.lastTune!.results.map((x) => x.source));
      expect([...sources]).toEqual([expected]);
      vae.dispose();
      r.destroy();
    }
    const off = await createRuntime({ device: gpu().device, profile: gpu().rt.profile });
    expect(off.runtime.schedules).toBeNull();
    off.destroy();
  }, 240_000);
});
