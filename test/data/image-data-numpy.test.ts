// The PyTorch reference reads --data as ours does (scripts/image_data_np.py against src/data/): the
// same pixels in the same order, the same labels and the same test part, for a folder of PNGs in
// class sub-folders (every scanline filter, a grey image among colour ones, an RGBA one), a uint8
// .npy with the fixed seeded split at fractions 0.25 and 0.1, an .npz with its own test arrays, a
// CIFAR-10 batch and an IDX folder; and uint8 k read as the same float32 k / 255, bit for bit.
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCifar10 } from '../../src/data/cifar';
import { splitImages, toFloat32, type ImageSet } from '../../src/data/image-set';
import { planImages } from '../../src/data/load-node';
import { MemoryBudget } from '../../src/data/memory-cap';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { encodeNpy } from '../../src/data/npy';
import { tintDigits } from '../../src/data/tinted-digits';
import { findTorchPython } from '../util/python';

const py = findTorchPython();
if (!py.python) console.info(`numpy data-reader check skipped: ${py.reason}`);
const exec = promisify(execFile);

const SCRIPT = String.raw`
import json, sys
import numpy as np
sys.path.insert(0, 'scripts')
import image_data_np as d
for case in json.load(open(sys.argv[1])):
    tr, te, _ = d.load(case['path'], None, case.get('fraction'))
    for part, im in (('train', tr), ('test', te)):
        base = f"{sys.argv[2]}/{case['tag']}-{part}"
        np.ascontiguousarray(im.pixels).tofile(base + '.px')
        (im.labels if im.labels is not None else np.zeros(0, np.uint8)).astype(np.uint8).tofile(base + '.lb')
        im.floats().tofile(base + '.f32')
        open(base + '.shape', 'w').write(json.dumps(list(im.shape)))
`;

let dir: string;
let set: ImageSet;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-data-np-'));
  set = tintDigits((await loadEmbeddedMnist()).train, 24, 4);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A 32×32 PNG of image i written with one scanline filter (0–4), as grey, RGB or RGBA. */
function png(i: number, filterType: number, kind: 'rgb' | 'grey' | 'rgba'): Buffer {
  const rgb = set.pixels.subarray(i * 3072, (i + 1) * 3072) as Uint8Array;
  const p = new PNG({ width: 32, height: 32 });
  for (let k = 0; k < 1024; k++) {
    const [r, g, b] = [rgb[3 * k]!, rgb[3 * k + 1]!, rgb[3 * k + 2]!];
    p.data.set(kind === 'grey' ? [r, r, r, 255] : [r, g, b, kind === 'rgba' ? (k * 7) % 256 : 255], 4 * k);
  }
  const colorType = kind === 'grey' ? 0 : kind === 'rgb' ? 2 : 6;
  return PNG.sync.write(p, { colorType, inputColorType: 6, filterType });
}

function idx(dims: number[], body: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((v, i) => h.writeUInt32BE(v, 4 + 4 * i));
  return Buffer.concat([h, body]);
}

describe.skipIf(!py.python)('scripts/image_data_np.py reads data as ours', () => {
  it('PNG folders, .npy with the seeded split, .npz, CIFAR and IDX: the same pixels, labels, test part and floats', async () => {
    const px = set.pixels as Uint8Array;
    const pngs = join(dir, 'pngs');
    for (const c of ['cat', 'dog']) await mkdir(join(pngs, c), { recursive: true });
    for (let i = 0; i < 12; i++) await writeFile(join(pngs, i % 3 ? 'cat' : 'dog', `${String(i).padStart(2, '0')}.png`), png(i, i % 5, i === 4 ? 'grey' : i === 7 ? 'rgba' : 'rgb'));
    await writeFile(join(dir, 'x.npy'), encodeNpy(px.subarray(0, 17 * 3072), [17, 32, 32, 3]));
    const npy = (a: Uint8Array, shape: number[]) => encodeNpy(a, shape);
    await writeFile(join(dir, 'd.npz'), zipSync({
      'x_train.npy': npy(px.subarray(0, 10 * 3072), [10, 32, 32, 3]), 'y_train.npy': npy(set.labels!.subarray(0, 10), [10]),
      'x_test.npy': npy(px.subarray(10 * 3072, 14 * 3072), [4, 32, 32, 3]), 'y_test.npy': npy(set.labels!.subarray(10, 14), [4]),
    }, { level: 0 }));
    await writeFile(join(dir, 'data_batch_1.bin'), encodeCifar10(px.subarray(0, 20 * 3072), set.labels!.subarray(0, 20)));
    const digits = Uint8Array.from({ length: 9 * 784 }, (_, k) => (k * 37) % 256);
    await mkdir(join(dir, 'idx'));
    await writeFile(join(dir, 'idx', 'train-images-idx3-ubyte'), idx([6, 28, 28], digits.subarray(0, 6 * 784)));
    await writeFile(join(dir, 'idx', 'train-labels-idx1-ubyte'), idx([6], Uint8Array.of(1, 2, 3, 4, 5, 6)));
    await writeFile(join(dir, 'idx', 't10k-images-idx3-ubyte'), idx([3, 28, 28], digits.subarray(6 * 784)));
    const cases = [
      { tag: 'png', path: pngs }, { tag: 'npy', path: join(dir, 'x.npy'), fraction: 0.25 }, { tag: 'npy10', path: join(dir, 'x.npy') },
      { tag: 'npz', path: join(dir, 'd.npz') }, { tag: 'cifar', path: join(dir, 'data_batch_1.bin'), fraction: 0.3 }, { tag: 'idx', path: join(dir, 'idx') },
    ];
    await writeFile(join(dir, 'cases.json'), JSON.stringify(cases));
    await writeFile(join(dir, 'read.py'), SCRIPT);
    await exec(py.python!, [join(dir, 'read.py'), join(dir, 'cases.json'), dir], { timeout: 120_000, maxBuffer: 1 << 24 });
    for (const c of cases) {
      const plan = await planImages(c.path, new MemoryBudget(1 << 30));
      const parts = await plan.load();
      const { train, test } = parts.test ? { train: parts.train, test: parts.test } : splitImages(parts.train, c.fraction ?? 0.1);
      for (const [part, ours] of [['train', train], ['test', test]] as const) {
        const base = join(dir, `${c.tag}-${part}`);
        const shape = JSON.parse(await readFile(`${base}.shape`, 'utf8'));
        expect(shape, `${c.tag} ${part} shape`).toEqual([ours.shape.height, ours.shape.width, ours.shape.channels]);
        expect(Buffer.from(await readFile(`${base}.px`)).equals(Buffer.from((ours.pixels as Uint8Array).buffer, ours.pixels.byteOffset, ours.pixels.byteLength)), `${c.tag} ${part} pixels`).toBe(true);
        const labels = await readFile(`${base}.lb`);
        expect(Array.from(labels), `${c.tag} ${part} labels`).toEqual(ours.labels ? Array.from(ours.labels) : []);
        const f = toFloat32(ours);
        expect(Buffer.from(await readFile(`${base}.f32`)).equals(Buffer.from(f.buffer, f.byteOffset, f.byteLength)), `${c.tag} ${part} floats`).toBe(true);
      }
      console.info(`${c.tag}: ${train.count} train / ${test.count} test images of ${train.shape.height}×${train.shape.width}×${train.shape.channels} read alike`);
    }
  });
});
