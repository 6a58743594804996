// The benchmark's report logic, without a browser or a GPU: the targets (the tfjs and jax-js step
// rows and their ratio text), the step table's peer columns, where a peer was faster, the agreement
// table, and the options' defaults and checks.
import { describe, expect, test } from 'vitest';
import { agreementTable, computeTargets, markdown, peerProfileSections, slowerSteps, stepRatioText, stepTable } from '../../bench/report';
import { parseOptions } from '../../bench/options';
import type { BenchFile, Impl, StepResult, SuiteResults } from '../../bench/results';
import { classVerdict, tuningMarkdown, type TuningResult } from '../../bench/tuned';

const step = (impl: Impl, batch: number, msPerStep: number): StepResult => ({
  impl, batch, msPerStep, examplesPerSecond: (1000 * batch) / msPerStep, spread: 0.01, runs: 5, inner: 3,
});

function suite(steps: StepResult[]): SuiteResults {
  return {
    adapter: 'google swiftshader (test)',
    adapterInfo: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isSoftware: true, via: 'browser' },
    features: ['timestamp-query'], timestamps: true, profile: 'cpu', quick: true,
    ceilings: { fmaGflops: 17.4, fma: [], copy: [], peakCopyGbps: 3.5 },
    kernels: [], steps,
    agreement: [{ impl: 'jax-js-webgpu', batch: 128, ours: 548.1234, theirs: 548.1301, relDiff: 1.2e-5, tolerance: 1e-4, ok: true }],
    peers: [], errors: [], durationS: 60,
  };
}

function file(s: SuiteResults): BenchFile {
  const sample = { t: 0, loadavg: [1.5, 1.2, 1.0] as [number, number, number], others: [{ pid: 1, cpu: 60, command: 'node other' }] };
  return {
    date: '2026-12-01T00:00:00.000Z', mode: 'browser', quick: true, command: 'npm run bench -- --quick',
    machine: { cpus: 2, model: 'test cpu', memGiB: 24, os: 'linux', node: 'v20', gpu: 'none' },
    load: {
      before: sample, during: [sample], waitedS: 0, quiet: false,
      pauses: [{ kind: 'unguarded', t: 10, before: 'step 128 jax-js-webgpu', waitedS: 0, quiet: false, others: 'node other 60%' }],
    },
    suite: s, targets: [],
  };
}

const steps = [
  step('webgpu-vae', 32, 26.6), step('webgpu-vae', 128, 78.9), step('webgpu-vae', 512, 309),
  step('tfjs-webgpu', 128, 937),
  step('jax-js-webgpu', 32, 60), step('jax-js-webgpu', 128, 190), step('jax-js-webgpu', 512, 1000),
  step('jax-js-wasm', 32, 20), step('jax-js-wasm', 128, 70), step('jax-js-wasm', 512, 400),
];

describe('bench report', () => {
  test("the ratio text reads 'N× (ours vs theirs ms/step)'", () => {
    expect(stepRatioText(step('webgpu-vae', 128, 78.9), step('tfjs-webgpu', 128, 937))).toBe('11.88× (78.9 vs 937 ms/step)');
    expect(stepRatioText(step('webgpu-vae', 128, 72), step('jax-js-webgpu', 128, 164))).toBe('2.28× (72.0 vs 164 ms/step)');
  });

  test('targets: the tfjs row, and one jax-js WebGPU row per batch of 128 and above, each met only at ≥ 3×', () => {
    const t = computeTargets(file(suite(steps)));
    const tf = t.find((x) => x.name === 'training step, batch 128, vs tfjs WebGPU on the same adapter')!;
    expect(tf).toMatchObject({ measured: '11.88× (78.9 vs 937 ms/step)', met: true });
    const jax128 = t.find((x) => x.name === 'training step, batch 128, vs jax-js WebGPU on the same adapter')!;
    expect(jax128).toMatchObject({ goal: '≥ 3× faster', measured: '2.41× (78.9 vs 190 ms/step)', met: false });
    const jax512 = t.find((x) => x.name === 'training step, batch 512, vs jax-js WebGPU on the same adapter')!;
    expect(jax512).toMatchObject({ measured: '3.24× (309 vs 1000 ms/step)', met: true });
    // Batch 32 is below the target's range: no row.
    expect(t.some((x) => x.name.includes('batch 32'))).toBe(false);
  });

  test('no jax-js row when jax-js did not run; not measured when ours is missing', () => {
    expect(computeTargets(file(suite(steps.filter((x) => !x.impl.startsWith('jax'))))).some((x) => x.name.includes('jax-js'))).toBe(false);
    const t = computeTargets(file(suite(steps.filter((x) => x.impl !== 'webgpu-vae'))));
    expect(t.find((x) => x.name.includes('jax-js WebGPU'))).toMatchObject({ measured: 'not measured', met: null });
  });

  test('the step table has a column pair per peer, and the slower-than-peer list names the wasm device', () => {
    const table = stepTable(suite(steps));
    const header = table.split('\n')[0];
    for (const i of ['tfjs-webgpu', 'jax-js-webgpu', 'jax-js-wasm']) expect(header).toContain(`speed-up vs ${i}`);
    const row128 = table.split('\n').find((l) => l.startsWith('| 128'))!;
    expect(row128).toContain('2.41×');
    expect(row128).toContain('0.89×');
    expect(slowerSteps(suite(steps))).toEqual([
      { impl: 'jax-js-wasm', batch: 32, oursMs: 26.6, theirsMs: 20, factor: 26.6 / 20 },
      { impl: 'jax-js-wasm', batch: 128, oursMs: 78.9, theirsMs: 70, factor: 78.9 / 70 },
    ]);
  });

  test('the markdown carries the agreement table, the losses and the disturbance honestly', () => {
    const f = file(suite(steps));
    f.targets = computeTargets(f);
    const md = markdown(f);
    expect(agreementTable(f.suite)).toContain('| jax-js-webgpu | 128   | 548.1234    | 548.1301      | 1.2e-5   | 1e-4      | yes    |');
    expect(md).toContain('jax-js-wasm at batch 128, 1.13× (70.0 vs our 78.9 ms)');
    expect(md).toContain("1 disturbed by others and kept once the gate's budget was spent (step 128 jax-js-webgpu)");
    expect(md).toContain('NOT quiet');
  });

  test("a peer's own profile is summarised beside our dispatch count, its kernels the most expensive first", () => {
    const s = suite(steps);
    s.breakdown = { batch: 128, samples: 5, totalMs: 80, rows: Array.from({ length: 20 }, (_, i) => ({ label: `d${i}`, kind: 'matmul', ms: 4, share: 0.05 })) };
    s.peerProfiles = [{
      impl: 'jax-js-webgpu', batch: 128, steps: 3, kernels: 61, passes: 64, submits: 61, gpuMs: 150, wallMs: 190,
      rows: [{ what: 'Kernel[314K] reduce add:784', count: 2, ms: 100 }, { what: 'Kernel[100K] elementwise', count: 40, ms: 30 }, { what: 'Kernel[1] reduce add:128', count: 19, ms: 20 }],
    }];
    const [head, , tableText] = peerProfileSections(s, 2);
    expect(head).toContain('61 kernels in 64 compute passes and 61 queue submits per step; the kernels\' GPU time 150 ms of 190 ms wall per step');
    expect(head).toContain('Ours: 20 dispatches in one pass and one submit per step, 80.0 ms of GPU time.');
    const lines = tableText.split('\n');
    expect(lines[2]).toContain('Kernel[314K] reduce add:784');
    expect(lines[2]).toContain('67%');
    expect(lines[4]).toContain('1 other kinds');
    expect(markdown({ ...file(s), targets: [] })).toContain("## Where the peers' step time goes");
  });
});

describe('bench options', () => {
  test('--batches picks the step batch sizes, and refuses what is not one', () => {
    expect(parseOptions(['--batches', '32,128,512']).batches).toEqual([32, 128, 512]);
    expect(parseOptions([]).batches).toBeUndefined();
    expect(() => parseOptions(['--batches', '32,big'])).toThrow(/--batches must be a comma-separated list of batch sizes from 1 to 65536, got '32,big'/);
  });

  test('the browser run has the jax-js peers by default, Node only the tfjs ones', () => {
    expect(parseOptions([]).peers).toEqual(['tfjs-webgpu', 'tfjs-wasm', 'jax-js-webgpu', 'jax-js-wasm']);
    expect(parseOptions(['--node']).peers).toEqual(['tfjs-webgpu', 'tfjs-wasm']);
    expect(parseOptions(['--peers', 'none']).peers).toEqual([]);
  });

  test('the gate budget defaults to 900 s and must be a number of seconds', () => {
    expect(parseOptions([]).gateBudgetS).toBe(900);
    expect(parseOptions(['--gate-budget', '0']).gateBudgetS).toBe(0);
    expect(() => parseOptions(['--gate-budget', 'soon'])).toThrow(/--gate-budget must be a number of seconds ≥ 0, got 'soon'/);
  });
});

describe('tuned against untuned', () => {
  const result = (choiceMs: number, ratios: number[], untunedMs: number, tunedMs: number): TuningResult => ({
    reports: [{ model: 'mlp', batch: 128, report: { adapterKey: 'k', elapsedMs: 10, results: [
      { kernel: 'matmul', shapeClass: 'NNv4 M128 N512 K1024', shape: { M: 128, N: 400, K: 784 }, rule: 'vec4-l8', choice: 'vec4-l4', source: 'tuned', method: 'timestamp',
        times: [{ candidate: 'vec4-l8', ms: 1, samples: 5 }, { candidate: 'vec4-l4', ms: choiceMs, samples: 5 }] },
      { kernel: 'matmul', shapeClass: 'TTv4 M8 N8 K8', shape: { M: 5, N: 5, K: 5 }, rule: 'tiled', choice: 'tiled', source: 'tuned', times: [{ candidate: 'tiled', ms: 0.1, samples: 5 }] },
    ] } }],
    steps: [{ model: 'mlp', batch: 128, untunedMs, tunedMs, ratios, rounds: ratios.length, inner: 3 }],
  });
  test('says per shape class whether the choice was slower than the rule, and for the step whether tuned was no slower', () => {
    const good = tuningMarkdown(result(0.8, [0.97, 0.99, 1.01, 1.02, 1.04], 10, 9.9));
    expect(good).toMatch(/slower than the rule's in 0 of 2 classes; 1 classes run another candidate/);
    expect(good).toMatch(/\| mlp \| 128 \| 10\.00 \| 9\.90 \| 1\.01× \| 0\.99–1\.02× \| yes \|/);
    // A run whose every class kept the rule: the same schedules, said so.
    const same = result(0.8, [0.97, 0.99, 1.01, 1.02, 1.04], 10, 9.9);
    same.reports[0].report.results[0].choice = 'vec4-l8';
    expect(tuningMarkdown(same)).toMatch(/\| yes \(same schedules as the rule: the difference is noise\) \|/);
    expect(tuningMarkdown(result(0.8, [0.96, 0.97, 0.98, 1.0, 1.01], 10, 10.2))).toMatch(/0\.98× \| 0\.97–1\.00× \| yes, within noise \|/);
    const bad = tuningMarkdown(result(1.2, [0.8, 0.85, 0.9, 0.9, 0.92], 9, 10));
    expect(bad).toMatch(/slower than the rule's in 1 of 2 classes \(matmul NNv4 M128 N512 K1024\)/);
    expect(bad).toMatch(/\| 0\.90× \| 0\.85–0\.90× \| no \|/);
    expect(classVerdict(result(0.8, [1], 1, 1).reports)).toEqual({ classes: 2, changed: 1, slower: [] });
  });
});
