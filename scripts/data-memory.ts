// `npm run data-memory -- [--count N] [--dir DIR]`: measures what the uint8 path costs in host
// memory. Writes N (default 50,000) tinted digits as CIFAR-10 batches of 10,000, loads them with
// loadImages, then runs one epoch of float batches through the Dataset view (fillRows, as the
// trainer's StepDriver does), validation and the digest, and last reads the view's `images` (the
// float32 copy the training path never makes). Prints RSS, V8 heap and ArrayBuffer bytes after
// each stage. Run with node --expose-gc for figures after collection.
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dataDigest } from '../src/cli/resume-check';
import { encodeCifar10 } from '../src/data/cifar';
import { datasetView, fillRows, isMaterialized, validateDataset } from '../src/data/dataset';
import { loadImages } from '../src/data/load-node';
import { loadEmbeddedMnist } from '../src/data/mnist';
import { tintDigits } from '../src/data/tinted-digits';

const { values } = parseArgs({ options: { count: { type: 'string' }, dir: { type: 'string' }, 'write-only': { type: 'boolean' } } });
const count = Number(values.count ?? 50_000);
const dir = values.dir ?? join(tmpdir(), `vae-data-memory-${process.pid}`);
const MB = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;
function report(stage: string): void {
  gc?.();
  const m = process.memoryUsage();
  console.log(`${stage.padEnd(44)} RSS ${MB(m.rss).padStart(8)} · heap ${MB(m.heapUsed).padStart(7)} · ArrayBuffers ${MB(m.arrayBuffers).padStart(8)}`);
}

/** The data's files (written by a child process, so nothing of the writing is in the measured heap). */
async function writeBatches(dir: string, count: number): Promise<void> {
  const digits = (await loadEmbeddedMnist()).train;
  for (let b = 0; b * 10_000 < count; b++) {
    const n = Math.min(10_000, count - b * 10_000);
    const set = tintDigits(digits, n, b);
    await writeFile(join(dir, `data_batch_${b + 1}.bin`), encodeCifar10(set.pixels as Uint8Array, set.labels!));
  }
  const test = tintDigits(digits, 1000, 99);
  await writeFile(join(dir, 'test_batch.bin'), encodeCifar10(test.pixels as Uint8Array, test.labels!));
}

await mkdir(dir, { recursive: true });
if (values['write-only']) {
  await writeBatches(dir, count);
  process.exit(0);
}
try {
  const child = spawnSync(process.execPath, [process.argv[1]!, '--write-only', '--dir', dir, '--count', String(count)], { stdio: 'inherit' });
  if (child.status !== 0) throw new Error(`writing the batches failed (exit ${child.status})`);
  console.log(`${count} images of 32×32×3 (${MB(count * 3072)} as uint8, ${MB(count * 3072 * 4)} as float32) in ${dir}; gc ${gc ? 'on' : 'off (run with --expose-gc)'}`);
  report('before loading');
  const { train } = await loadImages(dir, { maxBytes: 2 ** 31 });
  report('loaded (uint8 ImageSet)');
  const view = datasetView(train);
  const order = Uint32Array.from({ length: view.count }, (_, i) => (i * 7919) % view.count);
  const batch = new Float32Array(128 * view.dim);
  for (let s = 0; s < view.count; s += 128) fillRows(view, order, s, Math.min(128, view.count - s), batch);
  validateDataset(view, { likelihood: 'bernoulli' });
  console.log(`digest ${dataDigest(view)}; float copy made: ${isMaterialized(view)}`);
  report('one epoch of batches, validation, digest');
  console.log(`view.images: ${view.images.length} floats`);
  report('after reading view.images (float32 copy)');
} finally {
  await rm(dir, { recursive: true, force: true });
}
