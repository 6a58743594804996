// `npm run train -- --conditional` (issue 23): a tiny labelled .npz trains a conditional VAE whose
// checkpoint and metrics.json record its classes and whose samples.png has one row per class (10
// samples each); unlabelled data is refused naming the file; a resume keeps the model's kind.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { encodeNpy } from '../../src/data/npy';
import { buildCli, expectRunFolder, runCli, type CliResult } from './cli-harness';

let bundle: string;
let dir: string;
const cli = (args: string[]): Promise<CliResult> => runCli(bundle, args);
const tiny = ['--hidden', '8', '--latent', '3', '--batch', '8', '--epochs', '1', '--eval-k', '2', '--no-tune'];

beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-conditional-test');
  dir = await mkdtemp(join(tmpdir(), 'vae-cond-cli-'));
  // 24 digits of classes 0, 1, 2 (8 each) as x_train / y_train, and 6 as x_test / y_test.
  const { train } = await loadEmbeddedMnist();
  // Image i: the (from + i/3)-th digit of class i % 3.
  const byClass = [0, 1, 2].map((c) => train.labels.reduce<number[]>((a, l, j) => (l === c ? [...a, j] : a), []));
  const pick = (n: number, from: number) => {
    const idx = Array.from({ length: n }, (_, i) => byClass[i % 3]![from + Math.floor(i / 3)]!);
    const x = new Uint8Array(n * 784), y = new Uint8Array(n);
    idx.forEach((k, i) => {
      for (let p = 0; p < 784; p++) x[i * 784 + p] = Math.round(train.images[k * 784 + p]! * 255);
      y[i] = train.labels[k]!;
    });
    return { x, y };
  };
  const tr = pick(24, 0), te = pick(6, 100);
  await writeFile(join(dir, 'digits.npz'), zipSync({
    'x_train.npy': encodeNpy(tr.x, [24, 28, 28]), 'y_train.npy': encodeNpy(tr.y, [24]),
    'x_test.npy': encodeNpy(te.x, [6, 28, 28]), 'y_test.npy': encodeNpy(te.y, [6]),
  }));
  await writeFile(join(dir, 'plain.npy'), encodeNpy(tr.x, [24, 28, 28]));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('--conditional', () => {
  it('trains on labelled data: the classes in the checkpoint and metrics, a row of samples per class', async () => {
    const run = join(dir, 'run');
    const r = await cli([...tiny, '--conditional', '--data', join(dir, 'digits.npz'), '--out', run]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/model: 784-8-3 \/ 3-8-784 \(28×28×1, relu, bernoulli, conditional on 3 classes\)/);
    const sizes = await expectRunFolder(run, false);
    // 3 class rows × 10 samples of 28×28 with 2-pixel gaps.
    expect(sizes['samples.png']).toEqual({ width: 10 * 30 + 2, height: 3 * 30 + 2 });
    const metrics = JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'));
    expect(metrics.config.conditional).toEqual({ classes: 3 });
    expect(metrics.final.testNegLk).toBeGreaterThan(0);
    // A resume continues the conditional model (the checkpoint decides; the flag may be repeated).
    const again = await cli([...tiny, '--epochs', '2', '--conditional', '--resume', run]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/conditional on 3 classes/);
  });

  it('refuses data without labels naming the file, and --conditional on resuming an unconditional run', async () => {
    const plain = await cli([...tiny, '--conditional', '--data', join(dir, 'plain.npy')]);
    expect(plain.code).toBe(2);
    expect(plain.out).toMatch(/--conditional: the training set \(.*plain\.npy.*\) has no labels, but a conditional model needs a label per image/);
    const run = join(dir, 'plain-run');
    expect((await cli([...tiny, '--data', join(dir, 'digits.npz'), '--out', run])).code).toBe(0);
    const resumed = await cli([...tiny, '--epochs', '2', '--conditional', '--resume', run]);
    expect(resumed.code).toBe(2);
    expect(resumed.out).toMatch(/--conditional: the checkpoint .* is of an unconditional model/);
  });
});
