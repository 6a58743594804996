// --early-stop PATIENCE end to end: the validation split comes out of the training set, training
// stops after PATIENCE epochs without a better validation loss, best.safetensors holds the best
// epoch's state, and a resume in the middle decides exactly as the uninterrupted run (same files).
// A large learning rate makes the validation loss stop improving within a few epochs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { validationSplit } from '../../src/train/early-stop';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { buildCli, idxFolder, runCli } from './cli-harness';

let bundle: string;
let dir: string;
const cli = (args: string[]) => runCli(bundle, args);

beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-early-stop-test');
  dir = await mkdtemp(join(tmpdir(), 'vae-early-stop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('early stopping', () => {
  it('the validation split is every 10th training example, out of the training set', async () => {
    const { train } = await loadEmbeddedMnist();
    const s = validationSplit(train);
    expect(s.validation.count).toBe(900);
    expect(s.train.count).toBe(8100);
    expect(s.validation.images.subarray(0, 784)).toEqual(train.images.subarray(9 * 784, 10 * 784));
    expect(s.train.images.subarray(9 * 784, 10 * 784)).toEqual(train.images.subarray(10 * 784, 11 * 784));
  });

  it('stops after PATIENCE epochs without improvement, keeps best.safetensors, and resumes exactly', async () => {
    const data = await idxFolder(join(dir, 'data'), 400, 50);
    const args = ['--data', data, '--hidden', '16', '--latent', '2', '--batch', '40', '--eval-k', '0', '--seed', '3', '--lr', '0.05', '--early-stop', '2'];
    const whole = join(dir, 'whole'), split = join(dir, 'split');
    const a = await cli([...args, '--epochs', '30', '--out', whole]);
    expect(a.code, a.out).toBe(0);
    const m = JSON.parse(await readFile(join(whole, 'metrics.json'), 'utf8'));
    expect(m.final.stoppedEarly, a.out).toBe(true);
    expect(a.out).toMatch(/early stop after epoch \d+: no better validation loss for 2 epochs/);
    const n = m.epochs.length;
    expect(n).toBeLessThan(30);
    const vals = m.epochs.map((e: { validation: { elbo: number } }) => e.validation.elbo);
    const best = Math.min(...vals);
    expect(m.final.bestEpoch).toBe(vals.indexOf(best) + 1);
    expect(m.final.bestEpoch).toBe(n - 2);
    const bestState = decodeCheckpoint(new Uint8Array(await readFile(join(whole, 'best.safetensors'))));
    expect(bestState.step).toBe(m.epochs[m.final.bestEpoch - 1].step);
    const last = decodeCheckpoint(new Uint8Array(await readFile(join(whole, 'model.safetensors'))));
    expect(last.step).toBe(m.epochs[n - 1].step);
    expect(last.config.schedule?.earlyStop).toBe(2);

    // Interrupted after the best epoch's predecessor, then resumed: the same stop and the same files.
    const b1 = await cli([...args, '--epochs', String(n - 2), '--out', split]);
    expect(b1.code, b1.out).toBe(0);
    const b2 = await cli(['--resume', split, '--epochs', '30']);
    expect(b2.code, b2.out).toBe(0);
    const m2 = JSON.parse(await readFile(join(split, 'metrics.json'), 'utf8'));
    expect(m2.epochs.length).toBe(n);
    expect(m2.final.bestEpoch).toBe(m.final.bestEpoch);
    for (const f of ['best.safetensors', 'model.safetensors']) {
      const x = decodeCheckpoint(new Uint8Array(await readFile(join(whole, f)))), y = decodeCheckpoint(new Uint8Array(await readFile(join(split, f))));
      expect(y.step, f).toBe(x.step);
      expect(Buffer.from(y.params.buffer).equals(Buffer.from(x.params.buffer)), `${f} bit-identical`).toBe(true);
    }
  });
});
