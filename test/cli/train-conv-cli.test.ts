// `npm run train -- --arch conv` as a user runs it: a tiny conv VAE (2 and 3 channels, latent 2) on 40
// digits writes the whole run folder (metrics, L_k, PNGs with the manifold, a checkpoint recording the
// layer list); 1 epoch and --resume to 2 ends bit for bit where 2 epochs in one go do; flags that
// contradict the architecture are refused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { buildCli, expectRunFolder, idxFolder, runCli } from './cli-harness';

let dir: string, bundle: string, data: string;
beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-test-conv');
  dir = await mkdtemp(join(tmpdir(), 'vae-conv-cli-'));
  data = await idxFolder(join(dir, 'idx'), 40, 16);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = () => ['--arch', 'conv', '--channels', '2,3', '--latent', '2', '--batch', '8', '--eval-k', '3', '--seed', '1', '--data', data];
const checkpoint = async (run: string) => decodeCheckpoint(new Uint8Array(await readFile(join(run, 'model.safetensors'))));
const metrics = async (run: string) => JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'));

describe('train CLI --arch conv', () => {
  it('trains a conv VAE, writes the run folder, and resumes exactly', async () => {
    const full = join(dir, 'full');
    const r = await runCli(bundle, [...tiny(), '--epochs', '2', '--out', full]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/model: 784 → reshape \[28,28,1\] → conv2d 2 4 2 1 relu → conv2d 3 4 2 1 relu → flatten → linear 4 → 2 \/ linear 147 relu → reshape \[7,7,3\] → conv_transpose2d 2 4 2 1 relu → conv_transpose2d 1 4 2 1/);
    expect(r.out).toMatch(/epoch 2\/2: train −ELBO [\d.]+ .* test −ELBO [\d.]+/);
    const sizes = await expectRunFolder(full, true);
    expect(sizes['manifold.png'].width).toBeGreaterThan(28);
    const m = await metrics(full);
    expect(m.epochs).toHaveLength(2);
    expect(m.final.testNegLk).toBeLessThan(m.final.testNegElbo + 1);
    const state = await checkpoint(full);
    expect(state.step).toBe(10);
    expect(state.config.encoder!.map((l) => l.kind)).toEqual(['reshape', 'conv2d', 'conv2d', 'flatten', 'linear']);
    expect(state.config.decoder!.map((l) => l.kind)).toEqual(['linear', 'reshape', 'conv_transpose2d', 'conv_transpose2d']);

    const half = join(dir, 'half');
    expect((await runCli(bundle, [...tiny(), '--epochs', '1', '--out', half])).code).toBe(0);
    const resumed = await runCli(bundle, ['--resume', half, '--epochs', '2', '--eval-k', '3']);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/resuming at step 5/);
    const again = await checkpoint(half);
    expect(again.step).toBe(10);
    // Deterministic kernels: the same parameters and Adam moments bit for bit, the same metrics.
    expect(again.params).toEqual(state.params);
    expect(again.adam!.m).toEqual(state.adam!.m);
    const strip = (ms: { epoch: number; step: number; train: unknown; test: unknown }[]) => ms.map((e) => ({ epoch: e.epoch, step: e.step, train: e.train, test: e.test }));
    expect(strip((await metrics(half)).epochs)).toEqual(strip(m.epochs));

    // The architecture is the checkpoint's: another one is refused, naming both.
    const mlp = await runCli(bundle, ['--resume', half, '--epochs', '3', '--arch', 'mlp']);
    expect(mlp.code).toBe(2);
    expect(mlp.out).toMatch(/--resume: --arch mlp conflicts with the checkpoint, which has other layers/);
    const wider = await runCli(bundle, ['--resume', half, '--epochs', '3', '--arch', 'conv', '--channels', '4,3']);
    expect(wider.code).toBe(2);
    expect(wider.out).toMatch(/--arch conv --channels 4,3 conflicts with the checkpoint/);
  });

  it('refuses flags that do not fit the architecture', async () => {
    const hidden = await runCli(bundle, ['--arch', 'conv', '--hidden', '64']);
    expect(hidden.code).toBe(2);
    expect(hidden.out).toMatch(/--hidden is for --arch mlp/);
    const arch = await runCli(bundle, ['--arch', 'resnet']);
    expect(arch.code).toBe(2);
    expect(arch.out).toMatch(/--arch must be mlp, conv, keras, got 'resnet'/);
    const channels = await runCli(bundle, ['--channels', '2,3']);
    expect(channels.code).toBe(2);
    expect(channels.out).toMatch(/--channels is for --arch conv or keras/);
  });
});
