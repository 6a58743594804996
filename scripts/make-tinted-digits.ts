// `npm run tinted-digits -- --out DIR [--seed N] [--train N] [--test N]`: writes the tinted-digit
// colour set (src/data/tinted-digits.ts: 32×32×3, labels 0-9) from the embedded digits as
//   DIR/png/{train,test}/<digit>/<index>.png   a folder split in train and test, one folder per class
//   DIR/tinted-train.npy                       the training images alone (N×32×32×3 uint8)
//   DIR/tinted.npz                             x_train, y_train, x_test, y_test (stored, as np.savez)
//   DIR/cifar/{data_batch_1,test_batch}.bin    CIFAR-10 binary batches, with batches.meta.txt
// The same seed gives the same bytes (the zip's timestamps are fixed). Never commit the output.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { zipSync } from 'fflate';
import { encodeCifar10 } from '../src/data/cifar';
import { loadEmbeddedMnist } from '../src/data/mnist';
import { encodeNpy } from '../src/data/npy';
import { tintDigits } from '../src/data/tinted-digits';
import type { ImageSet } from '../src/data/image-set';
import { encodePngNode } from '../src/util/png-node';

const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' }, train: { type: 'string' }, test: { type: 'string' } } });
const count = (v: string | undefined, def: number, max: number, name: string, min = 1) => {
  const n = v === undefined ? def : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
};
if (!values.out) {
  console.error('usage: npm run tinted-digits -- --out DIR [--seed N] [--train N (default 2000)] [--test N (default 500)]');
  process.exit(2);
}
const out = values.out, seed = count(values.seed, 0, 2 ** 32 - 1, 'seed', 0);
const digits = await loadEmbeddedMnist();
const train = tintDigits(digits.train, count(values.train, 2000, 100_000, 'train'), seed, 0);
const test = tintDigits(digits.test, count(values.test, 500, 100_000, 'test'), seed, 1);

const image = (set: ImageSet, i: number) => encodePngNode({ width: 32, height: 32, channels: 3, pixels: set.pixels.subarray(i * set.dim, (i + 1) * set.dim) as Uint8Array });
for (const [part, set] of [['train', train], ['test', test]] as const) {
  for (let d = 0; d < 10; d++) await mkdir(join(out, 'png', part, String(d)), { recursive: true });
  for (let i = 0; i < set.count; i++) await writeFile(join(out, 'png', part, String(set.labels![i]), `${String(i).padStart(5, '0')}.png`), image(set, i));
}
const npy = (set: ImageSet) => encodeNpy(set.pixels, [set.count, 32, 32, 3]);
await writeFile(join(out, 'tinted-train.npy'), npy(train));
const mtime = new Date(Date.UTC(2000, 0, 1));
const entry = (b: Uint8Array) => [b, { level: 0 as const, mtime }] as [Uint8Array, { level: 0; mtime: Date }];
await writeFile(join(out, 'tinted.npz'), zipSync({
  'x_train.npy': entry(npy(train)), 'y_train.npy': entry(encodeNpy(train.labels!, [train.count])),
  'x_test.npy': entry(npy(test)), 'y_test.npy': entry(encodeNpy(test.labels!, [test.count])),
}));
await mkdir(join(out, 'cifar'), { recursive: true });
await writeFile(join(out, 'cifar', 'data_batch_1.bin'), encodeCifar10(train.pixels as Uint8Array, train.labels!));
await writeFile(join(out, 'cifar', 'test_batch.bin'), encodeCifar10(test.pixels as Uint8Array, test.labels!));
await writeFile(join(out, 'cifar', 'batches.meta.txt'), ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].join('\n') + '\n');
console.log(`wrote ${train.count} train + ${test.count} test tinted digits (32×32×3, seed ${seed}) to ${out}: png/, tinted-train.npy, tinted.npz, cifar/`);
