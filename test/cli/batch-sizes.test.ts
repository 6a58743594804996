// `npm run train` with batch sizes from 1 to 9000 (and a data set of one image) writes its whole run
// folder: the pictures ask for 16, 64 and 100 images while the model's buffers hold one batch, so
// the CLI makes them in chunks of at most maxBatch (issue 11: batch 32 used to exit 1 at the end).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, expectRunFolder, idxFolder, runCli } from './cli-harness';

let bundle: string;
let dir: string;
beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-batch-test');
  dir = await mkdtemp(join(tmpdir(), 'vae-batch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = ['--hidden', '8', '--latent', '2', '--epochs', '1', '--eval-k', '2'];
const grid = { samples: { width: 242, height: 242 }, manifold: { width: 280, height: 280 } };

describe('every batch size writes the full run folder', () => {
  // Batch 1 on 40 images (40 steps) and on a one-image data set; the rest on the embedded 9,000.
  const cases: { name: string; batch: number; images?: [number, number]; recon: { width: number; height: number } }[] = [
    { name: 'one image, batch 1', batch: 1, images: [1, 1], recon: { width: 242, height: 62 } },
    { name: 'one image, batch 128 (larger than the data)', batch: 128, images: [1, 1], recon: { width: 242, height: 62 } },
    { name: '40 images, batch 1', batch: 1, images: [40, 5], recon: { width: 242, height: 62 } },
    { name: 'batch 7', batch: 7, recon: { width: 242, height: 122 } },
    { name: 'batch 32 (the issue\'s example)', batch: 32, recon: { width: 242, height: 122 } },
    { name: 'batch 63', batch: 63, recon: { width: 242, height: 122 } },
    { name: 'batch 9000 (the whole training set)', batch: 9000, recon: { width: 242, height: 122 } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const out = join(dir, `run-${c.name.replace(/\W+/g, '-')}`);
      const data = c.images ? ['--data', await idxFolder(join(out + '-data'), c.images[0], c.images[1])] : [];
      const r = await runCli(bundle, [...tiny, '--batch', String(c.batch), ...data, '--out', out]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/wrote model\.safetensors, metrics\.json, reconstructions\.png, samples\.png, manifold\.png/);
      const sizes = await expectRunFolder(out, true);
      expect(sizes['samples.png']).toEqual(grid.samples);
      expect(sizes['manifold.png']).toEqual(grid.manifold);
      expect(sizes['reconstructions.png']).toEqual(c.recon);
    });
  }
});
