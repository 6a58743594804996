// `npm run train -- --arch conv` on colour data of the user's (issue 23), bundled in a child process:
// 40 tinted 32×32×3 digits as a folder of PNGs (the Gaussian likelihood, σ learned per channel), a .npy
// (the discretized logistic) and a CIFAR-10 batch (Bernoulli) each train a tiny conv VAE (channels 4,8, latent 2) for an epoch and write the full run folder with colour pictures at 32×32
// (PNG colour type 2, the grid sizes of 32-pixel cells); the image shape is in the checkpoint and the
// messages; `npm run evaluate` reads the same formats with the same held-out part (the checkpoint's by
// default, or --data with --test-fraction / --test), repeating the run's test −ELBO; --resume keeps
// the recorded --test / --test-fraction and refuses flags that contradict them.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCifar10 } from '../../src/data/cifar';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { encodeNpy } from '../../src/data/npy';
import { tintDigits } from '../../src/data/tinted-digits';
import type { ImageSet } from '../../src/data/image-set';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { encodePngNode } from '../../src/util/png-node';
import { runCli, type CliResult } from './cli-harness';

const exec = promisify(execFile);
const cache = resolve('node_modules/.cache/webgpu-vae-shape-test');
const bundles = { train: `${cache}/train.mjs`, evaluate: `${cache}/evaluate.mjs` };
let dir: string;
let set: ImageSet;
const cli = (which: keyof typeof bundles, args: string[]): Promise<CliResult> => runCli(bundles[which], args);
const conv = ['--arch', 'conv', '--channels', '4,8', '--latent', '2', '--batch', '8', '--epochs', '1', '--eval-k', '0', '--no-tune'];

beforeAll(async () => {
  await Promise.all(Object.entries(bundles).map(([name, out]) => exec(process.execPath, ['scripts/build-node.mjs', `src/cli/${name}.ts`, out])));
  dir = await mkdtemp(join(tmpdir(), 'vae-shape-cli-'));
  set = tintDigits((await loadEmbeddedMnist()).train, 40, 2);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The PNG's IHDR: width, height, bit depth and colour type (2 = RGB). */
async function pngHeader(path: string) {
  const b = await readFile(path);
  expect(b.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), depth: b[24], colourType: b[25] };
}

/** The run folder holds the checkpoint (config.image 32×32×3), metrics and colour pictures of 32×32 cells. */
async function expectColourRun(out: string, testCount: number) {
  const rows = 2 * Math.ceil(Math.min(16, testCount) / 8);
  expect(await pngHeader(join(out, 'reconstructions.png'))).toEqual({ width: 8 * 34 + 2, height: rows * 34 + 2, depth: 8, colourType: 2 });
  expect(await pngHeader(join(out, 'samples.png'))).toEqual({ width: 8 * 34 + 2, height: 8 * 34 + 2, depth: 8, colourType: 2 });
  expect(await pngHeader(join(out, 'manifold.png'))).toEqual({ width: 320, height: 320, depth: 8, colourType: 2 });
  const state = decodeCheckpoint(new Uint8Array(await readFile(join(out, 'model.safetensors'))));
  expect(state.config.image).toEqual({ height: 32, width: 32, channels: 3 });
  expect(state.config.decoder!.at(-1)).toMatchObject({ kind: 'conv_transpose2d', filters: 3 });
  const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
  expect(m.dataShape).toEqual({ height: 32, width: 32, channels: 3 });
  expect(Number.isFinite(m.final.testNegElbo)).toBe(true);
  return m;
}

describe('train --arch conv on 32×32 colour data, and evaluate it', () => {
  it('a folder of PNGs: the run folder in colour; evaluate repeats its test −ELBO; resume keeps the test fraction', async () => {
    const pngs = join(dir, 'pngs');
    await mkdir(pngs);
    for (let i = 0; i < set.count; i++) {
      await writeFile(join(pngs, `${String(i).padStart(2, '0')}.png`), encodePngNode({ width: 32, height: 32, channels: 3, pixels: set.pixels.subarray(i * 3072, (i + 1) * 3072) as Uint8Array }));
    }
    const out = join(dir, 'run-png');
    const r = await cli('train', [...conv, '--likelihood', 'gaussian', '--data', pngs, '--test-fraction', '0.2', '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/model: 3072 → reshape \[32,32,3\] → conv2d 4 4 2 1 relu → conv2d 8 4 2 1 relu → flatten → linear 4 → 2 \/ linear 512 relu → reshape \[8,8,8\] → conv_transpose2d 4 4 2 1 relu → conv_transpose2d 3 4 2 1 \(32×32×3, gaussian, σ learned per channel\)/);
    const m = await expectColourRun(out, 8);
    // evaluate: the checkpoint's data and fraction by default; the same with them given.
    for (const args of [[], ['--data', pngs, '--test-fraction', '0.2']]) {
      const json = join(dir, 'eval.json');
      const ev = await cli('evaluate', [out, '--k', '0', '--json', json, ...args]);
      expect(ev.code, ev.out).toBe(0);
      const got = JSON.parse(await readFile(json, 'utf8'));
      expect(got.count).toBe(8);
      expect(Math.abs(got.testNegElbo - m.final.testNegElbo), ev.out).toBeLessThan(1e-3);
    }
    const other = await cli('evaluate', [out, '--k', '0', '--data', pngs]);
    expect(other.code, other.out).toBe(0);
    expect(other.out).toMatch(/test part: 4 of 40 images held out \(fraction 0\.1/);
    // Resume: the fraction comes from the checkpoint; another is refused naming both.
    const again = await cli('train', ['--resume', out, '--epochs', '2', '--eval-k', '0', '--no-tune']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/test part: --test-fraction 0\.2 \(from the checkpoint\)/);
    expect(again.out).toMatch(/test part: 8 of 40 images held out \(fraction 0\.2/);
    const refused = await cli('train', ['--resume', out, '--epochs', '3', '--no-tune', '--test-fraction', '0.3']);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/--resume: --test-fraction 0\.3 conflicts with the checkpoint, which has --test-fraction 0\.2; the test part would not be the run's/);
  });

  it('a .npy with a --test .npy: the run folder in colour; resume and evaluate keep the recorded test set', async () => {
    const px = set.pixels as Uint8Array;
    await writeFile(join(dir, 'x.npy'), encodeNpy(px.subarray(0, 32 * 3072), [32, 32, 32, 3]));
    await writeFile(join(dir, 't.npy'), encodeNpy(px.subarray(32 * 3072), [8, 32, 32, 3]));
    await writeFile(join(dir, 't2.npy'), encodeNpy(px.subarray(0, 8 * 3072), [8, 32, 32, 3]));
    const out = join(dir, 'run-npy');
    const r = await cli('train', [...conv, '--likelihood', 'logistic', '--data', join(dir, 'x.npy'), '--test', join(dir, 't.npy'), '--out', out]);
    expect(r.code, r.out).toBe(0);
    const m = await expectColourRun(out, 8);
    const json = join(dir, 'eval-npy.json');
    const ev = await cli('evaluate', [out, '--k', '0', '--json', json]);
    expect(ev.code, ev.out).toBe(0);
    expect(Math.abs(JSON.parse(await readFile(json, 'utf8')).testNegElbo - m.final.testNegElbo)).toBeLessThan(1e-3);
    const again = await cli('train', ['--resume', out, '--epochs', '2', '--eval-k', '0', '--no-tune']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/test part: --test .*t\.npy \(from the checkpoint\)/);
    const refused = await cli('train', ['--resume', out, '--epochs', '3', '--no-tune', '--test', join(dir, 't2.npy')]);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/--resume: --test .*t2\.npy conflicts with the checkpoint, which has --test .*t\.npy/);
    // The model's image shape names what it takes: a grey 28×28 set is refused naming both shapes.
    await writeFile(join(dir, 'grey.npy'), encodeNpy(new Uint8Array(4 * 784), [4, 28, 28]));
    const grey = await cli('evaluate', [out, '--k', '0', '--data', join(dir, 'grey.npy')]);
    expect(grey.code).toBe(2);
    expect(grey.out).toMatch(/the data's images are 28×28×1 = 784 values; the model takes 3072 values \(32×32×3 images\)/);
  });

  it('a CIFAR-10 batch file: the run folder in colour, and evaluate reads it', async () => {
    const bin = join(dir, 'data_batch_1.bin');
    await writeFile(bin, encodeCifar10(set.pixels as Uint8Array, set.labels!));
    const out = join(dir, 'run-cifar');
    const r = await cli('train', [...conv, '--likelihood', 'bernoulli', '--data', bin, '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/CIFAR-10 batch .*data_batch_1\.bin \(36 train \/ 4 test, fraction 0\.1\)/);
    const m = await expectColourRun(out, 4);
    const json = join(dir, 'eval-cifar.json');
    const ev = await cli('evaluate', [out, '--k', '2', '--json', json, '--data', bin]);
    expect(ev.code, ev.out).toBe(0);
    const got = JSON.parse(await readFile(json, 'utf8'));
    expect(Math.abs(got.testNegElbo - m.final.testNegElbo)).toBeLessThan(1e-3);
    expect(Number.isFinite(got.testNegLk)).toBe(true);
  });
});
