// The conv section of the benchmark report, without a browser or a GPU: the ≥ 10× target against
// the fastest peer (at batch 128, else the largest batch a quick run measured), the row of a peer
// that cannot train the model, and the kernel table.
import { describe, expect, test } from 'vitest';
import { convMarkdown, convTargets } from '../../bench/conv-report';
import type { ConvResults, Impl, StepResult, SuiteResults } from '../../bench/results';

const step = (impl: Impl, batch: number, msPerStep: number): StepResult => ({
  impl, batch, msPerStep, examplesPerSecond: (1000 * batch) / msPerStep, spread: 0, runs: 2, inner: 1,
});

function suite(conv: ConvResults): SuiteResults {
  return {
    adapter: 'test', adapterInfo: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isSoftware: true, via: 'browser' },
    features: [], timestamps: true, profile: 'cpu', quick: false, ceilings: { fmaGflops: 7.5, fma: [], copy: [], peakCopyGbps: 1 },
    kernels: [], steps: [], peers: [], errors: [], durationS: 1, conv,
  };
}

const base: ConvResults = {
  batches: [32, 128],
  steps: [step('webgpu-vae', 32, 1000), step('jax-js-webgpu', 32, 9000), step('webgpu-vae', 128, 4000), step('jax-js-webgpu', 128, 52000), step('tfjs-webgpu', 128, 39000)],
  failures: [{ impl: 'tfjs-wasm', batch: 128, error: "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" }],
  agreement: [],
  kernels: [{ layer: 'encoder.2 (Conv 64)', pass: 'dW', kernel: 'conv2d_weight_grad.wgsl', shape: 's', flops: 4.1e8, ms: 545, gflops: 0.75, ofCeiling: 0.1, dispatches: 1 }],
};

describe('conv benchmark report', () => {
  test('the target compares ours with the fastest peer at batch 128', () => {
    const [t] = convTargets(suite(base));
    expect(t.name).toMatch(/batch 128/);
    expect(t.measured).toBe('9.75× (4000 vs tfjs-webgpu 39000 ms/step)');
    expect(t.met).toBe(false);
    const faster = convTargets(suite({ ...base, steps: base.steps.map((s) => (s.impl === 'webgpu-vae' ? step('webgpu-vae', s.batch, s.msPerStep / 2) : s)) }))[0];
    expect(faster.met).toBe(true);
  });

  test('a quick run (batch 32 only) reports its batch; no peers, no verdict', () => {
    const quick = { ...base, batches: [32], steps: base.steps.filter((s) => s.batch === 32) };
    expect(convTargets(suite(quick))[0]).toMatchObject({ name: expect.stringMatching(/batch 32/), met: false });
    expect(convTargets(suite({ ...quick, steps: [step('webgpu-vae', 32, 1000)] }))[0]).toMatchObject({ measured: 'not measured', met: null });
  });

  test('the markdown has each step with its ratio, the peer that cannot train it, and the kernels', () => {
    const md = convMarkdown(suite(base)).join('\n');
    expect(md).toMatch(/\| jax-js-webgpu +\| 128 +\| 52000 +\| [\d.]+ +\| 13\.00× /);
    expect(md).toMatch(/tfjs-wasm +\| 128 +\| cannot train it: Kernel 'Conv2DBackpropFilter' not registered/);
    expect(md).toMatch(/encoder\.2 \(Conv 64\) +\| dW +\| conv2d_weight_grad\.wgsl/);
    expect(convMarkdown({ ...suite(base), conv: undefined })).toEqual([]);
  });
});
