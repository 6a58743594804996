// The PyTorch reference evaluates --binarize runs on the same binary test digits as ours:
// scripts/philox_np.py (numpy) against src/cpu/philox.ts word for word on random counters and keys
// (high words included), and the PyTorch script's own split binarized by numpy against
// binarizeFixed of our embedded split, bit for bit. Skipped, with the reason printed, where no
// python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { philox4x32 } from '../../src/cpu/philox';
import { binarizeFixed } from '../../src/data/fixed-binarize';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { findTorchPython } from '../util/python';
import { rng } from '../util/random';

const py = findTorchPython();
if (!py.python) console.info(`numpy binarization check skipped: ${py.reason}`);
const exec = promisify(execFile);

const SCRIPT = String.raw`
import json, sys
import numpy as np
sys.path.insert(0, 'scripts')
from philox_np import philox4x32, binarize_fixed
from pytorch_vae import load_split
inp = json.load(open(sys.argv[1]))
c = np.array(inp['counters'], dtype=np.uint64).T
words = [philox4x32(c[0][n:n + 1], c[1][n:n + 1], c[2][n:n + 1], c[3][n:n + 1], tuple(inp['keys'][n]))
         for n in range(c.shape[1])]
_, test = load_split('.')
out = {'philox': [[int(w[0]) for w in ws] for ws in words]}
for seed in inp['seeds']:
    binary = binarize_fixed(test.numpy(), seed)
    open(sys.argv[2] + f'.{seed}', 'wb').write(np.packbits(binary.reshape(-1).astype(np.uint8)).tobytes())
print(json.dumps(out))
`;

function packBits(x: Float32Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(x.length / 8));
  for (let i = 0; i < x.length; i++) if (x[i] === 1) out[i >> 3] |= 0x80 >> (i & 7);
  return out;
}

describe.skipIf(!py.python)('fixed test binarization: numpy twin', () => {
  it('Philox words and the binarized embedded test set agree bit for bit', async () => {
    const rand = rng(14);
    const u32 = () => Math.floor(rand() * 4294967296) >>> 0;
    const counters = Array.from({ length: 40 }, (_, n) => (n === 0 ? [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff] : [u32(), u32(), u32(), u32()]));
    const keys = counters.map((_, n) => (n === 1 ? [0xffffffff, 0xffffffff] : [u32(), u32()]));
    // Seed 0 is the one runs use; 2^32 + 7 puts a word in the key's high half.
    const seeds = [0, 2 ** 32 + 7];
    const dir = await mkdtemp(join(tmpdir(), 'vae-binarize-'));
    try {
      await writeFile(join(dir, 'in.json'), JSON.stringify({ counters, keys, seeds }));
      const { stdout } = await exec(py.python!, ['-c', SCRIPT, join(dir, 'in.json'), join(dir, 'bits')], { timeout: 120_000, maxBuffer: 1 << 24 });
      const got = JSON.parse(stdout) as { philox: number[][] };
      expect(got.philox).toEqual(counters.map((c, n) => philox4x32(c, keys[n])));

      const { test } = await loadEmbeddedMnist();
      for (const seed of seeds) {
        const ours = binarizeFixed(test, seed).images;
        const ones = ours.reduce((s, v) => s + v, 0);
        // Not a degenerate copy: about MNIST's mean intensity (0.13) lit, and seeds differ.
        expect(ones / ours.length).toBeGreaterThan(0.08);
        expect(ones / ours.length).toBeLessThan(0.2);
        const theirs = new Uint8Array(await readFile(join(dir, `bits.${seed}`)));
        const mine = packBits(ours);
        const diff = mine.findIndex((b, i) => b !== theirs[i]);
        expect(theirs.length).toBe(mine.length);
        expect(diff, `first differing byte ${diff} (pixels ${8 * diff}..${8 * diff + 7}) for seed ${seed}`).toBe(-1);
      }
      expect(binarizeFixed(test, 0).images).not.toEqual(binarizeFixed(test, seeds[1]).images);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
