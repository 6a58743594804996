// The GPU run (bench/gpu.ts, bundled as scripts/pack-gpu.sh bundles it) in its quick mode on
// lavapipe with tiny sizes: the adapter is named and marked software, the FMA peak, the square
// matmuls (with the product's rows checked) and an epoch of each model land in gpu.json and gpu.md;
// a full run on a software adapter is refused (exit 3) with its reason written; past the deadline the
// sections stop and the results are still written; scripts/torch_cuda_bench.py writes its JSON (here on
// the CPU, or "no CUDA"); --summarize sets both side by side with the two GPU targets.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuRun, TorchRun } from '../../bench/gpu-report';
import { findTorchPython } from '../util/python';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'webgpu-vae-gpu-run-'));
const bundle = resolve('node_modules/.cache/webgpu-vae-gpu-run/gpu.mjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec('node', [bundle, ...args], { timeout: 120_000, maxBuffer: 1 << 24 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const readRun = (d: string) => JSON.parse(readFileSync(join(d, 'gpu.json'), 'utf8')) as GpuRun;

beforeAll(async () => {
  await exec('node', ['scripts/build-node.mjs', 'bench/gpu.ts', bundle]);
}, 60_000);

describe('bench/gpu.ts', () => {
  const out = join(dir, 'quick');
  let r: GpuRun;

  it('--quick on a software adapter: the adapter, the FMA peak, checked square matmuls and an epoch of each model', async () => {
    const { code, out: text } = await run(['--out', out, '--quick', '--sizes', '32,64', '--examples', '32', '--test-examples', '16', '--batch', '16', '--tune-budget', '0.5']);
    expect(code, text).toBe(0);
    expect(text).toMatch(/^adapter: .*\[software\]/m);
    expect(text).toMatch(/WARNING: this is a software adapter/);
    r = readRun(out);
    expect(r.errors).toEqual([]);
    expect(r.quick).toBe(true);
    expect(r.gpu).toBe(false);
    expect(r.adapter).toMatchObject({ isSoftware: true });
    for (const k of ['vendor', 'architecture', 'description', 'via'] as const) expect(typeof r.adapter![k]).toBe('string');
    expect(r.adapter!.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(r.implementation).toMatch(/^dawn \(webgpu [\d.]+\) node /);
    expect(Object.keys(r.sections)).toEqual(['fma', 'matmul', 'train']);

    expect(r.fma!.points.map((p) => `${p.form} ${p.workgroupSize}`)).toEqual(['vec4×8 64', 'vec4×8 256', 'f32×16 64', 'f32×16 256']);
    expect(r.fma!.points.every((p) => p.ms > 0 && p.wallMs > 0 && p.gflops > 0)).toBe(true);
    expect(r.fma!.best!.gflops).toBe(Math.max(...r.fma!.points.map((p) => p.gflops)));

    expect(r.matmul!.map((m) => m.n)).toEqual([32, 64]);
    for (const m of r.matmul!) {
      expect(m.skipped).toBeUndefined();
      expect(m.ms! > 0 && m.gflops! > 0 && m.pctOfFma! > 0).toBe(true);
      expect(m.check).toMatchObject({ rows: 4, ok: true });
      expect(m.candidates!.length).toBeGreaterThan(1);
      expect(m.candidates!.map((c) => c.candidate)).toContain(m.choice);
      expect(m.candidates!.map((c) => c.candidate)).toContain(m.rule);
    }

    expect(r.epochs!.map((e) => e.model)).toEqual(['mlp', 'conv', 'iwae']);
    for (const e of r.epochs!) {
      expect(e.error).toBeUndefined();
      expect([e.batch, e.trainCount, e.testCount]).toEqual([16, 32, 16]);
      expect(e.firstEpoch!.seconds).toBeGreaterThan(0);
      expect(e.epoch!.seconds).toBeGreaterThan(0);
      expect(e.epoch!.stepsPerSecond).toBeGreaterThan(0);
      expect(e.epoch!.steps).toBe(2);
      // Two epochs of 32 digits from the usual start (≈ 545 nats): trained, and a bound on −log p(x).
      expect(e.testNegElbo!).toBeGreaterThan(100);
      expect(e.testNegElbo!).toBeLessThan(560);
      expect(e.tuned!.classes).toBeGreaterThan(0);
    }
    const md = readFileSync(join(out, 'gpu.md'), 'utf8');
    expect(md).toMatch(/a software adapter, not a GPU/);
    expect(md).toMatch(/## FMA peak/);
    expect(md).toMatch(/\| 64 \| \S+ \(\S+; (tuned|budget|cache)\) \| [\d.]+ \| \d+ \| [\d.]+% \| ok /);
    expect(md).toMatch(/\| iwae 784-400-20/);
  }, 180_000);

  it('refuses the full run on a software adapter (exit 3) and writes why', async () => {
    const d = join(dir, 'full');
    const { code } = await run(['--out', d]);
    expect(code).toBe(3);
    expect(readRun(d).errors).toEqual([expect.stringMatching(/a software adapter: the full run needs a GPU/)]);
  }, 60_000);

  it('stops its sections at the deadline and still writes the results', async () => {
    const d = join(dir, 'deadline');
    const { code } = await run(['--out', d, '--quick', '--deadline', '4', '--only', 'matmul,train', '--sizes', '32']);
    expect(code).toBe(0);
    const x = readRun(d);
    expect(x.matmul).toEqual([{ n: 32, skipped: 'deadline' }]);
    expect(x.epochs!.map((e) => e.error)).toEqual(['deadline', 'deadline', 'deadline']);
  }, 60_000);

  it('scripts/torch_cuda_bench.py writes its JSON, and --summarize sets both beside the two GPU targets', async () => {
    const py = findTorchPython();
    const torchJson = join(out, 'torch.json');
    if (py.python) {
      await exec(py.python, ['scripts/torch_cuda_bench.py', '--out', torchJson, '--quick', '--allow-cpu', '--models', 'mlp', '--sizes', '32', '--examples', '32', '--test-examples', '16', '--batch', '16'], { timeout: 120_000 });
      const t = JSON.parse(readFileSync(torchJson, 'utf8')) as TorchRun;
      expect(t.cuda).toBe(false);
      expect(t.reason).toMatch(/no CUDA device/);
      expect(t.matmul!.map((m) => [m.n, m.tf32])).toEqual([[32, false], [32, true]]);
      expect(t.epochs!.map((e) => [e.model, e.batch, e.examples, e.steps])).toEqual([['mlp', 16, 32, 2]]);
      expect(t.epochs![0].test_neg_elbo).toBeGreaterThan(100);
    } else {
      console.info(`torch_cuda_bench.py not run: ${py.reason}`);
      const t: TorchRun = { cuda: true, device: 'stand-in', matmul: [{ n: 32, dtype: 'float32', tf32: false, ms: 0.01, tflops: 0.0066 }], epochs: [{ model: 'mlp', batch: 16, examples: 32, steps: 2, first_epoch_s: 1, epoch_s: r.epochs![0].epoch!.seconds * 3, steps_per_s: 1, test_neg_elbo: 300 }] };
      writeFileSync(torchJson, JSON.stringify(t));
    }
    const { code, out: text } = await run(['--summarize', out]);
    expect(code).toBe(0);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(text).toContain(summary.trim());
    expect(summary).toMatch(/\*\*The adapter was not a GPU\*\*/);
    expect(summary).toMatch(/\| square f32 matmul ≥ 45% of the run's FMA peak \| [\d.]+% at n = 64 .* \| – \|/);
    expect(summary).toMatch(/\| an epoch ≥ 1\.5× faster than PyTorch eager on the same GPU \(default MLP, batch 16\) \| [\d.]+× \(ours [\d.]+ s, PyTorch [\d.]+ s on .*\) \| – \|/);
    expect(summary).toMatch(/\| mlp \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+× \|/);
  }, 180_000);
});
