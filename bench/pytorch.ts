// PyTorch as context (scripts/pytorch_vae.py, the same model, loss and optimizer): training steps at
// each batch and one epoch, on the CPU beside a software adapter, on CUDA where the adapter is a GPU
// and torch sees one; and our own epoch through the library's training loop, to set beside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpuContext } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { GpuVae } from '../src/vae/gpu-vae';
import { stepsPerEpoch, train } from '../src/train/trainer';
import type { Dataset } from '../src/data/dataset';
import { machineInfo } from './machine';
import { stepFlops, syntheticImages } from './shapes';
import { stats } from './timing';
import { ROOT, log } from './project';
import type { Options } from './options';
import type { EpochResult, StepResult } from './results';


/** A Python interpreter that has torch, or undefined. */
function findTorchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Whether this python's torch sees a CUDA device. */
export function torchHasCuda(py: string): boolean {
  const r = spawnSync(py, ['-c', 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * PyTorch training steps of the same model (scripts/pytorch_vae.py --bench-steps): on the CPU for
 * context on a software adapter, on CUDA when the adapter is a GPU and torch sees one.
 */
export async function pytorchSteps(o: Options, batches: number[], errors: string[], gpu: boolean): Promise<StepResult[]> {
  const script = join(ROOT, 'scripts/pytorch_vae.py');
  if (!existsSync(script)) {
    errors.push('PyTorch context skipped: scripts/pytorch_vae.py is missing');
    return [];
  }
  const py = findTorchPython();
  if (!py) {
    errors.push('PyTorch context skipped: no python3 with torch (Debian: apt-get install python3-torch)');
    return [];
  }
  const tmp = await mkdtemp(join(tmpdir(), 'webgpu-vae-pt-'));
  const out: StepResult[] = [];
  const threads = Math.max(1, machineInfo().cpus);
  const cuda = gpu && torchHasCuda(py);
  const impl = cuda ? 'pytorch-cuda' : 'pytorch-cpu';
  // Debian's torch calls whichever BLAS the alternatives system points at; it decides the figure.
  let blas = 'BLAS unknown';
  try {
    blas = `BLAS ${realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3')}`;
  } catch { /* not Debian x86-64 */ }
  if (process.env.OPENBLAS_NUM_THREADS) blas += `, OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS}`;
  log(`\nPyTorch ${cuda ? 'CUDA' : 'CPU'} (${py} scripts/pytorch_vae.py --bench-steps N --batch B --threads ${threads} --device ${cuda ? 'cuda' : 'cpu'} --synthetic 4096), three runs each, median`);
  try {
    for (const batch of batches) {
      // About 2-3 s of steps per run at ~1 µs/example-FLOP-ish rates; three runs, the median kept.
      const steps = Math.max(5, Math.round((o.quick ? 3000 : 8000) / batch));
      const runs: number[] = [];
      let version = '';
      for (let rep = 0; rep < 3; rep++) {
        const file = join(tmp, `b${batch}-${rep}.json`);
        execFileSync(py, [script, '--bench-steps', String(steps), '--warmup', String(Math.max(3, Math.min(10, steps))), '--batch', String(batch),
          '--threads', String(threads), '--device', cuda ? 'cuda' : 'cpu', '--synthetic', '4096', '--out', file], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
        const j = JSON.parse(await readFile(file, 'utf8')) as { bench: { ms_per_step: number }; torch_version: string; cuda_device: string | null };
        runs.push(j.bench.ms_per_step);
        version = j.torch_version + (j.cuda_device ? ` on ${j.cuda_device}` : '');
      }
      runs.sort((a, b) => a - b);
      const msPerStep = runs[1];
      const spread = Math.max(...runs.map((r) => Math.abs(r - msPerStep))) / msPerStep;
      out.push({
        impl, batch, msPerStep, examplesPerSecond: (1000 * batch) / msPerStep, spread, runs: 3, inner: steps,
        gflops: stepFlops(batch) / (msPerStep * 1e6), note: cuda ? `torch ${version}` : `torch ${version}, ${threads} threads, ${blas}`,
      });
      log(`  batch ${String(batch).padStart(4)} ${impl} ${msPerStep.toFixed(2).padStart(9)} ms/step (runs ${runs.map((r) => r.toFixed(1)).join(', ')}; torch ${version}; ${blas})`);
    }
  } catch (e) {
    errors.push(`PyTorch context failed: ${(e as Error).message}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return out;
}

/** Timing-only data: the suite's MNIST-like synthetic images (timings do not depend on pixel values). */
function syntheticDataset(n: number, seed: number): Dataset {
  return { images: syntheticImages(n, seed), labels: new Uint8Array(n), count: n, rows: 28, cols: 28, dim: 784 };
}

export const EPOCH = { examples: 60000, batch: 128, timed: 1 };

/**
 * One training epoch of the default model through the library's own loop (`train()`: gather the
 * shuffled batch on the CPU, upload, one submit per step, a loss readback every 10 steps, the
 * epoch's totals at its end), after one warm-up epoch: `vae/main.py`'s protocol (60,000 examples,
 * batch 128), on synthetic data since timings do not depend on pixel values.
 */
export async function ourEpoch(ctx: GpuContext): Promise<EpochResult> {
  const trainSet = syntheticDataset(EPOCH.examples, 1);
  const testSet = syntheticDataset(1000, 2);
  const rt = Runtime.forContext(ctx);
  const vae = new GpuVae(rt, {}, { maxBatch: EPOCH.batch });
  try {
    const metrics = await train(vae, { epochs: 1 + EPOCH.timed, batch: EPOCH.batch, train: trainSet, test: testSet });
    const seconds = metrics.slice(1).map((m) => m.seconds);
    log(`  webgpu-vae epoch: ${seconds.map((x) => x.toFixed(2)).join(', ')} s (${metrics.at(-1)!.step - metrics[0].step} steps; train −ELBO ${metrics.map((m) => m.train.elbo.toFixed(1)).join(' → ')})`);
    return { impl: 'webgpu-vae', examples: EPOCH.examples, batch: EPOCH.batch, steps: stepsPerEpoch(EPOCH.examples, EPOCH.batch), seconds, medianSeconds: stats(seconds).median };
  } finally {
    vae.dispose();
    rt.destroy();
  }
}

export async function pytorchEpoch(errors: string[], gpu: boolean): Promise<EpochResult | undefined> {
  const script = join(ROOT, 'scripts/pytorch_vae.py');
  const py = findTorchPython();
  if (!py || !existsSync(script)) return undefined;
  const cuda = gpu && torchHasCuda(py);
  const threads = Math.max(1, machineInfo().cpus);
  const tmp = await mkdtemp(join(tmpdir(), 'webgpu-vae-pt-'));
  try {
    const file = join(tmp, 'epoch.json');
    execFileSync(py, [script, '--bench-epochs', String(EPOCH.timed), '--synthetic', String(EPOCH.examples), '--batch', String(EPOCH.batch),
      '--threads', String(threads), '--device', cuda ? 'cuda' : 'cpu', '--out', file], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
    const j = JSON.parse(await readFile(file, 'utf8')) as { bench_epochs: { seconds: number[]; steps: number }; torch_version: string; cuda_device: string | null };
    const seconds = j.bench_epochs.seconds;
    log(`  pytorch-${cuda ? 'cuda' : 'cpu'} epoch: ${seconds.map((x) => x.toFixed(2)).join(', ')} s (torch ${j.torch_version}${j.cuda_device ? ` on ${j.cuda_device}` : `, ${threads} threads`})`);
    return {
      impl: cuda ? 'pytorch-cuda' : 'pytorch-cpu', examples: EPOCH.examples, batch: EPOCH.batch, steps: j.bench_epochs.steps, seconds,
      medianSeconds: stats(seconds).median,
      note: `torch ${j.torch_version}${j.cuda_device ? ` on ${j.cuda_device}` : `, ${threads} threads`}`,
    };
  } catch (e) {
    errors.push(`PyTorch epoch failed: ${(e as Error).message}`);
    return undefined;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
