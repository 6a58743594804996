// Models move between webgpu-vae and PyTorch (scripts/torch_vae.py on Debian's torch), through the
// commands users run (npm run convert / evaluate, bundled as npm bundles them):
//   here → PyTorch: trained here, converted, loaded strictly; the same z decodes to the same means
//     (≤ 1e-5) and the test −ELBO, averaged over many z per digit, agrees (≤ 0.3 nats), both layouts;
//   PyTorch → here: trained in PyTorch, evaluated by `npm run evaluate`, the same checks;
//   past one machine: two gloo processes continue a converted model with DDP, their parameters agree
//     after every step, and the result converts back and loads here with the same −ELBO; the same
//     with the two ranks started as two commands (as on two machines).
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuVae } from '../../src/vae/gpu-vae';
import { resolveConfig, type VaeConfigInput } from '../../src/model/config';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { decodeModelFile } from '../../src/model/pytorch-layout';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';
import { loadEmbeddedMnist, type MnistSplit } from '../../src/data/mnist';
import { evaluateModel } from '../../src/cli/evaluate';
import { useGpu } from '../gpu/harness';
import { normalArray } from '../util/random';
import { findTorchPython, torchVae } from '../util/python';

const py = findTorchPython();
if (py.python) console.info(`PyTorch interop: ${py.reason}`);
else console.warn(`PyTorch interop tests SKIPPED: ${py.reason}`);

const exec = promisify(execFile);
const cache = 'node_modules/.cache/webgpu-vae-test';
const CONVERT = `${cache}/interop/convert.mjs`, EVALUATE = `${cache}/interop/evaluate.mjs`;
/** z per test digit: ours (GPU, lavapipe) and PyTorch's (cheap on the CPU). */
const OUR_SAMPLES = 40, TORCH_SAMPLES = 60;

async function node(bundle: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bundle, ...args], { timeout: 240_000, maxBuffer: 1 << 24 });
    return stdout + stderr;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`${bundle} ${args.join(' ')} exited ${err.code}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const gpu = useGpu();
let dir: string;
let data: MnistSplit;

/** PyTorch's decoder means of `z` (n × latent), through safetensors files. */
async function torchDecode(model: string, z: Float32Array, latent: number, tag: string): Promise<Float32Array> {
  const zFile = join(dir, `${tag}-z.safetensors`), out = join(dir, `${tag}-means.safetensors`);
  await writeFile(zFile, encodeSafetensors({ z: { dtype: 'F32', shape: [z.length / latent, latent], data: z } }));
  await torchVae(py.python!, ['decode', model, zFile, out]);
  return decodeSafetensors(new Uint8Array(await readFile(out))).tensors.means.data as Float32Array;
}

async function torchEvaluate(model: string, tag: string, k = 0): Promise<{ testNegElbo: number; testKl: number; testNegLk: number | null }> {
  const json = join(dir, `${tag}-torch.json`);
  await torchVae(py.python!, ['evaluate', model, '--samples', String(TORCH_SAMPLES), '--k', String(k), '--json', json, '--seed', '5']);
  return JSON.parse(await readFile(json, 'utf8'));
}

describe.skipIf(!py.python)('webgpu-vae ⇄ PyTorch', () => {
  beforeAll(async () => {
    await Promise.all([
      exec(process.execPath, ['scripts/build-node.mjs', 'src/cli/convert.ts', CONVERT]),
      exec(process.execPath, ['scripts/build-node.mjs', 'src/cli/evaluate.ts', EVALUATE]),
    ]);
    data = await loadEmbeddedMnist();
    dir = await mkdtemp(join(tmpdir(), 'vae-torch-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const here: [string, VaeConfigInput][] = [
    ['main', { encoderHidden: [32], decoderHidden: [32], latent: 4, seed: 2 }],
    ['mlp', { encoderHidden: [24, 16], decoderHidden: [16, 24], latent: 3, activation: 'tanh', likelihood: 'gaussian', sigma: 0.5, seed: 3 }],
  ];
  for (const [tag, input] of here) {
    it(`here → PyTorch (${tag === 'main' ? "vae/main.py's names" : 'MlpVAE: 2 hidden layers, tanh, Gaussian'}): same means, same −ELBO`, async () => {
      const { rt } = gpu();
      const config = resolveConfig(input);
      const vae = new GpuVae(rt, config, { maxBatch: 128 });
      try {
        await vae.fit({ epochs: 1, batch: 128, train: data.train, test: data.test });
        const ckpt = join(dir, `${tag}.safetensors`), pt = join(dir, `${tag}-pt.safetensors`);
        await writeFile(ckpt, await vae.save({ batch: '128' }));
        await node(CONVERT, ['--to', 'pytorch', ckpt, pt]);

        const z = normalArray(64 * config.latent, 11, 1.5);
        const diff = maxAbsDiff(await vae.decode(z), await torchDecode(pt, z, config.latent, tag));
        const state = decodeCheckpoint(new Uint8Array(await readFile(ckpt)));
        const ours = await evaluateModel(rt, state, data.test, { samples: OUR_SAMPLES, k: 0, batch: 128 });
        const theirs = await torchEvaluate(pt, tag);
        console.info(`here → PyTorch (${tag}): decode max |Δ| ${diff.toExponential(2)}; test −ELBO ours ${ours.testNegElbo.toFixed(4)} (${OUR_SAMPLES} z/digit), ` +
          `PyTorch ${theirs.testNegElbo.toFixed(4)} (${TORCH_SAMPLES} z/digit), Δ ${(ours.testNegElbo - theirs.testNegElbo).toFixed(4)}; KL Δ ${(ours.testKl - theirs.testKl).toExponential(2)}`);
        expect(diff).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(ours.testNegElbo - theirs.testNegElbo)).toBeLessThanOrEqual(0.3);
        // KL is analytic: no sampling noise, only float rounding.
        expect(Math.abs(ours.testKl - theirs.testKl)).toBeLessThan(1e-3);
      } finally {
        vae.dispose();
      }
    });
  }

  it('PyTorch → here: a model trained in PyTorch evaluates the same with npm run evaluate', async () => {
    const { rt } = gpu();
    const input: VaeConfigInput = { encoderHidden: [32, 16], decoderHidden: [16, 32], latent: 5, activation: 'softplus', seed: 4 };
    const cfg = join(dir, 'torch-config.json'), pt = join(dir, 'torch-trained.safetensors');
    await writeFile(cfg, JSON.stringify(input));
    await torchVae(py.python!, ['train', '--config', cfg, '--world-size', '1', '--steps', '150', '--batch', '128', '--eval-samples', '0', '--out', pt]);
    const json = join(dir, 'torch-trained-ours.json');
    const out = await node(EVALUATE, [pt, '--samples', String(OUR_SAMPLES), '--k', '20', '--json', json]);
    expect(out).toMatch(/PyTorch state_dict, torch_vae\.MlpVAE names/);
    const ours = JSON.parse(await readFile(json, 'utf8'));
    const theirs = await torchEvaluate(pt, 'torch-trained', 20);
    expect(ours).toMatchObject({ k: 20, samples: OUR_SAMPLES, count: 1000, from: 'torch_vae.MlpVAE' });

    const { state } = decodeModelFile(new Uint8Array(await readFile(pt)));
    expect(state.config).toEqual(resolveConfig(input));
    const vae = new GpuVae(rt, state.config, { maxBatch: 64, params: state.params });
    const z = normalArray(64 * 5, 12, 1.5);
    const diff = maxAbsDiff(await vae.decode(z), await torchDecode(pt, z, 5, 'torch-trained'));
    vae.dispose();
    console.info(`PyTorch → here: decode max |Δ| ${diff.toExponential(2)}; test −ELBO npm run evaluate ${ours.testNegElbo.toFixed(4)}, PyTorch ${theirs.testNegElbo.toFixed(4)}, ` +
      `Δ ${(ours.testNegElbo - theirs.testNegElbo).toFixed(4)}; −L_20 ${ours.testNegLk.toFixed(4)} vs ${theirs.testNegLk!.toFixed(4)}`);
    expect(diff).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(ours.testNegElbo - theirs.testNegElbo)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(ours.testKl - theirs.testKl)).toBeLessThan(1e-3);
    expect(ours.testNegLk).toBeLessThan(ours.testNegElbo);
    expect(Math.abs(ours.testNegLk - theirs.testNegLk!)).toBeLessThan(1);
  });

  it('torch_vae.py refuses malformed and mismatched files clearly and writes nothing', async () => {
    const junk = join(dir, 'py-junk.safetensors'), wrong = join(dir, 'py-wrong.safetensors'), out = join(dir, 'py-out.safetensors');
    await writeFile(junk, 'not safetensors');
    const good = decodeSafetensors(new Uint8Array(await readFile(join(dir, 'main-pt.safetensors')))); // from the first test
    const w = good.tensors['fc21.weight'];
    await writeFile(wrong, encodeSafetensors({ ...good.tensors, 'fc21.weight': { dtype: 'F32', shape: [3, 32], data: w.data.slice(0, 96) } }, good.metadata));
    const z = join(dir, 'main-z.safetensors');
    await expect(torchVae(py.python!, ['evaluate', junk])).rejects.toThrow(/exited 2:\nerror: .*py-junk\.safetensors: header length \d+ does not fit the 15-byte file; not safetensors/);
    await expect(torchVae(py.python!, ['decode', wrong, z, out])).rejects.toThrow(/py-wrong\.safetensors: does not fit MainPyVAE of the config: tensor fc21\.weight is torch\.float32 \[3, 32\]; expected float32 \[4, 32\]/);
    await expect(torchVae(py.python!, ['train', '--init', wrong, '--steps', '1', '--out', out])).rejects.toThrow(/tensor fc21\.weight is torch\.float32 \[3, 32\]/);
    await expect(torchVae(py.python!, ['decode', join(dir, 'main-pt.safetensors'), junk, out])).rejects.toThrow(/py-junk\.safetensors: header length/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('past one machine: two gloo ranks continue a converted model with DDP in step, and it comes back', async () => {
    const { rt } = gpu();
    const pt = join(dir, 'main-pt.safetensors'); // converted from a model trained here (first test)
    const ddp = join(dir, 'ddp.safetensors'), log = join(dir, 'ddp.json'), back = join(dir, 'ddp-back.safetensors');
    await torchVae(py.python!, ['train', '--init', pt, '--world-size', '2', '--backend', 'gloo', '--steps', '5', '--batch', '64',
      '--check-sync', '--eval-samples', String(TORCH_SAMPLES), '--log', log, '--out', ddp]);
    const run = JSON.parse(await readFile(log, 'utf8'));
    console.info(`DDP (gloo, 2 ranks): losses ${run.losses.map((l: number) => l.toFixed(3)).join(', ')}; max |Δ| between ranks' parameters after each step ${run.sync.join(', ')}`);
    expect(run).toMatchObject({ worldSize: 2, backend: 'gloo', steps: 5, step: 71 + 5 });
    expect(run.sync).toHaveLength(5);
    for (const d of run.sync) expect(d).toBe(0);
    for (const l of run.losses) expect(Number.isFinite(l)).toBe(true);

    const said = await node(CONVERT, ['--to', 'webgpu-vae', ddp, back]);
    expect(said).toMatch(/weights only: training it .* starts Adam fresh/);
    const vae = GpuVae.load(rt, new Uint8Array(await readFile(back)), { maxBatch: 64 });
    const before = decodeModelFile(new Uint8Array(await readFile(pt))).state.params;
    const after = await vae.readParams();
    vae.dispose();
    const state = decodeCheckpoint(new Uint8Array(await readFile(back)));
    expect(state.extra).toMatchObject({ source: 'pytorch', pytorchStep: '76', batch: '64' });
    expect(maxAbsDiff(after, before)).toBeGreaterThan(0); // it trained
    const ours = await evaluateModel(rt, state, data.test, { samples: OUR_SAMPLES, k: 0, batch: 64 });
    console.info(`after DDP: test −ELBO here ${ours.testNegElbo.toFixed(4)}, in PyTorch ${run.testNegElbo.toFixed(4)} (Δ ${(ours.testNegElbo - run.testNegElbo).toFixed(4)})`);
    expect(Math.abs(ours.testNegElbo - run.testNegElbo)).toBeLessThanOrEqual(0.3);
  });

  it('across machines: two separately started commands, one rank each, meet at a file:// rendezvous and stay in step', async () => {
    const pt = join(dir, 'main-pt.safetensors'), out = join(dir, 'two-machines.safetensors'), log = join(dir, 'two-machines.json');
    const share = (offset: number) => ['train', '--init', pt, '--world-size', '2', '--nproc', '1', '--rank-offset', String(offset),
      '--rendezvous', `file://${join(dir, 'rendezvous')}`, '--backend', 'gloo', '--steps', '3', '--batch', '64', '--check-sync', '--eval-samples', '0', '--out', out,
      ...(offset === 0 ? ['--log', log] : [])];
    await Promise.all([torchVae(py.python!, share(0)), torchVae(py.python!, share(1))]);
    const run = JSON.parse(await readFile(log, 'utf8'));
    console.info(`two machines (gloo): max |Δ| between ranks' parameters after each step ${run.sync.join(', ')}`);
    expect(run).toMatchObject({ worldSize: 2, steps: 3 });
    expect(run.sync).toEqual([0, 0, 0]);
    expect(decodeModelFile(new Uint8Array(await readFile(out))).state.extra).toMatchObject({ pytorchStep: '74' });
  });
});
