// Tests for the tinted-digit colour set (src/data/tinted-digits.ts, scripts/make-tinted-digits.ts):
// the same seed gives the same bytes (pinned by a digest, so on every machine), another seed other
// colours of the same digits; the script's files are byte-identical run to run and read back by the
// loaders with their labels.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImages } from '../../src/data/load-node';
import { loadEmbeddedMnist, type MnistSplit } from '../../src/data/mnist';
import { tintDigits } from '../../src/data/tinted-digits';

const exec = promisify(execFile);
let digits: MnistSplit;
let dir: string;
beforeAll(async () => {
  digits = await loadEmbeddedMnist();
  dir = await mkdtemp(join(tmpdir(), 'vae-tinted-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

async function digestTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[relative(root, join(e.parentPath, e.name))] = sha(await readFile(join(e.parentPath, e.name)));
  }
  return out;
}

describe('tinted digits', () => {
  it('is deterministic per seed, colours differ between seeds, the digits and labels do not', () => {
    const a = tintDigits(digits.train, 40, 0), b = tintDigits(digits.train, 40, 0), c = tintDigits(digits.train, 40, 1);
    expect(sha(a.pixels as Uint8Array)).toBe(sha(b.pixels as Uint8Array));
    expect(sha(a.pixels as Uint8Array)).not.toBe(sha(c.pixels as Uint8Array));
    expect(a.shape).toEqual({ height: 32, width: 32, channels: 3 });
    expect(new Set(a.labels).size).toBeGreaterThan(5);
    // Pinned: the bytes every machine makes for seed 0 (Philox, plain float arithmetic, Math.round).
    expect(sha(a.pixels as Uint8Array)).toBe(PINNED);
    // Colour: in most images the channels differ somewhere.
    let coloured = 0;
    for (let i = 0; i < 40; i++) if (a.pixels[i * 3072]! !== a.pixels[i * 3072 + 1]! || a.pixels[i * 3072 + 1]! !== a.pixels[i * 3072 + 2]!) coloured++;
    expect(coloured).toBeGreaterThan(30);
  });

  it('the script writes the same files twice, which the loaders read back with labels', async () => {
    const bundle = join('node_modules/.cache/tinted-test/make.mjs');
    await exec('node', ['scripts/build-node.mjs', 'scripts/make-tinted-digits.ts', bundle]);
    for (const out of ['a', 'b']) await exec('node', [bundle, '--out', join(dir, out), '--train', '30', '--test', '10', '--seed', '4']);
    const [a, b] = [await digestTree(join(dir, 'a')), await digestTree(join(dir, 'b'))];
    expect(Object.keys(a).length).toBe(40 + 5); // 40 PNGs, the .npy, the .npz, two batches and batches.meta.txt
    expect(b).toEqual(a);
    const png = await loadImages(join(dir, 'a', 'png'));
    const npz = await loadImages(join(dir, 'a', 'tinted.npz'));
    const cifar = await loadImages(join(dir, 'a', 'cifar'));
    expect([png.train.count, png.test!.count, npz.train.count, npz.test!.count, cifar.train.count]).toEqual([30, 10, 30, 10, 30]);
    expect(Buffer.compare(Buffer.from(npz.train.pixels as Uint8Array), Buffer.from(cifar.train.pixels as Uint8Array))).toBe(0);
    expect(Array.from(npz.train.labels!)).toEqual(Array.from(cifar.train.labels!));
    // The PNG folder is grouped by class; the same multiset of labels.
    expect(Array.from(png.train.labels!).sort()).toEqual(Array.from(npz.train.labels!).sort());
    expect(cifar.train.classNames![3]).toBe('three');
  }, 120_000);
});

const PINNED = '949019905a66588c';
