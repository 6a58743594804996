// `npm run train -- --objective iwae --k-train K` end to end: the run folder with the objective's
// figures in metrics.json, the checkpoint carrying objective and k, a resume bit-identical to the
// uninterrupted run, and a resume that asks for another objective refused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { buildCli, runCli } from './cli-harness';

let bundle: string;
let dir: string;
const cli = (args: string[]) => runCli(bundle, args);
const tiny = ['--hidden', '24', '--latent', '3', '--batch', '512', '--eval-k', '7', '--seed', '1', '--objective', 'iwae', '--k-train', '3'];
const state = async (folder: string) => decodeCheckpoint(new Uint8Array(await readFile(join(folder, 'model.safetensors'))));

beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-iwae-test');
  dir = await mkdtemp(join(tmpdir(), 'vae-iwae-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train CLI with the importance-weighted objective', () => {
  it('trains with --objective iwae --k-train 3, resumes bit-exactly, refuses another objective on resume', async () => {
    const whole = join(dir, 'whole'), split = join(dir, 'split');
    const a = await cli([...tiny, '--epochs', '2', '--out', whole]);
    expect(a.code, a.out).toBe(0);
    expect(a.out).toMatch(/epoch 2\/2: train −L_3 [\d.]+ \(rec [\d.]+, KL \(sampled\) [\d.]+\) · test −L_3 [\d.]+/);
    const m = JSON.parse(await readFile(join(whole, 'metrics.json'), 'utf8'));
    expect(m.config.objective).toEqual({ kind: 'iwae', k: 3 });
    expect(m.final.objective).toBe('iwae');
    expect(m.final.k).toBe(7);
    // −L_7 ≤ −L_3 ≤ −ELBO (in expectation; slack for the noise of 1,000 test digits).
    expect(m.final.testNegLk).toBeLessThan(m.final.testNegLkTrain + 0.5);
    expect(m.final.testNegLkTrain).toBeLessThan(m.final.testNegElbo + 0.5);
    expect(Number.isInteger(m.final.activeUnits) && m.final.activeUnits >= 0 && m.final.activeUnits <= 3, `activeUnits ${m.final.activeUnits}`).toBe(true);
    expect(m.final.testBinarization).toBe('none');
    expect(m.binarization).toEqual({ train: 'none', test: 'none' });
    const s = await state(whole);
    expect(s.config.objective).toEqual({ kind: 'iwae', k: 3 });

    const b1 = await cli([...tiny, '--epochs', '1', '--eval-k', '0', '--out', split]);
    expect(b1.code, b1.out).toBe(0);
    const b2 = await cli(['--resume', split, '--epochs', '2', '--eval-k', '0']);
    expect(b2.code, b2.out).toBe(0);
    const r = await state(split);
    expect(r.step).toBe(s.step);
    expect(Buffer.from(r.params.buffer).equals(Buffer.from(s.params.buffer)), 'resumed parameters bit-identical').toBe(true);
    expect(Buffer.from(r.adam!.m.buffer).equals(Buffer.from(s.adam!.m.buffer)), 'resumed Adam m bit-identical').toBe(true);

    const other = await cli(['--resume', split, '--epochs', '3', '--objective', 'elbo']);
    expect(other.code).toBe(2);
    expect(other.out).toMatch(/--objective elbo conflicts with the checkpoint, which has objective iwae k=3/);
    // The same objective with another k is another model; the same k (or none) continues it.
    const otherK = await cli(['--resume', split, '--epochs', '3', '--objective', 'iwae', '--k-train', '4']);
    expect(otherK.code).toBe(2);
    expect(otherK.out).toMatch(/--k-train 4 conflicts with the checkpoint, which has objective iwae k=3/);
    // --binarize: dynamic for training, the test set binarized once with a fixed seed.
    const bin = join(dir, 'bin');
    const c = await cli([...tiny, '--epochs', '1', '--eval-k', '0', '--binarize', '--out', bin]);
    expect(c.code, c.out).toBe(0);
    const mb = JSON.parse(await readFile(join(bin, 'metrics.json'), 'utf8'));
    expect(mb.binarization).toEqual({ train: 'dynamic', test: 'fixed (seed 0)' });
    const k = await cli(['--epochs', '1', '--k-train', '4']);
    expect(k.code).toBe(2);
    expect(k.out).toMatch(/--k-train needs --objective iwae or iwae-dreg/);
    // Five runs of the CLI: over the 120 s default on a loaded 2-core machine (126 s seen, load 17).
  }, 480_000);
});
