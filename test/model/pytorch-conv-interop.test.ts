// Conv models move between webgpu-vae and PyTorch (scripts/torch_vae.py's LayersVAE on Debian's torch)
// as the MLP does (pytorch-interop.test.ts), through `npm run convert` bundled as npm bundles it:
//   here → PyTorch: the conv and Keras presets (narrow), trained a few steps here, converted, loaded
//     strictly; the same z decodes to the same means and the test −ELBO agrees within sampling noise;
//   PyTorch → here: a conv model trained in PyTorch converts back and decodes the same;
//   and a round trip ours → state_dict → ours gives the same parameters bit for bit.
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuVae } from '../../src/vae/gpu-vae';
import { BUILTIN_OPS } from '../../src/ops/registry';
import { LINEAR } from '../../src/ops/linear';
import { FLATTEN_LAYER } from '../../src/ops/reshape';
import { customLayer } from '../../src/base/words';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { initParams } from '../../src/model/init';
import { resolveConfig, type VaeConfigInput } from '../../src/model/config';
import { presetConfig } from '../../src/model/presets';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { decodeModelFile, decodePytorchModel, encodePytorchModel, pytorchTensorSpecs } from '../../src/model/pytorch-layout';
import { decodeSafetensors } from '../../src/model/safetensors';
import { subset } from '../../src/data/dataset';
import { loadEmbeddedMnist, type MnistSplit } from '../../src/data/mnist';
import { evaluateModel } from '../../src/cli/evaluate';
import { useGpu } from '../gpu/harness';
import { normalArray } from '../util/random';
import { findTorchPython, maxAbsDiff, torchDecode as torchDecodeIn, torchVae } from '../util/python';

const py = findTorchPython();
if (!py.python) console.warn(`PyTorch conv interop tests SKIPPED: ${py.reason}`);

const exec = promisify(execFile);
const CONVERT = 'node_modules/.cache/webgpu-vae-test/conv-interop/convert.mjs';
const OUR_SAMPLES = 10, TORCH_SAMPLES = 30;

const gpu = useGpu();
let dir: string;
let data: MnistSplit;

const torchDecode = (model: string, z: Float32Array, latent: number, tag: string) => torchDecodeIn(py.python!, dir, model, z, latent, tag);

describe.skipIf(!py.python)('conv models ⇄ PyTorch', () => {
  beforeAll(async () => {
    await exec(process.execPath, ['scripts/build-node.mjs', 'src/cli/convert.ts', CONVERT]);
    data = await loadEmbeddedMnist();
    dir = await mkdtemp(join(tmpdir(), 'vae-torch-conv-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const presets: [string, VaeConfigInput][] = [
    ['conv', presetConfig('conv', { latent: 3, seed: 6 }, { channels: [4, 8] })],
    ['keras', presetConfig('keras', { latent: 2, seed: 7 }, { channels: [4, 6] })],
  ];
  for (const [tag, input] of presets) {
    it(`here → PyTorch (the ${tag} preset, narrow): same means, same −ELBO, the state_dict round-trips exactly`, async () => {
      const { rt } = gpu();
      const config = resolveConfig(input);
      const vae = new GpuVae(rt, config, { maxBatch: 32 });
      try {
        await vae.fit({ epochs: 1, batch: 32, train: subset(data.train, [...Array(256).keys()].map((i) => i * 31)), test: subset(data.test, [...Array(32).keys()]) });
        const ckpt = join(dir, `${tag}.safetensors`), pt = join(dir, `${tag}-pt.safetensors`);
        await writeFile(ckpt, await vae.save());
        const { stdout } = await exec(process.execPath, [CONVERT, '--to', 'pytorch', ckpt, pt]);
        expect(stdout).toMatch(/torch_vae\.LayersVAE names/);
        const bytes = new Uint8Array(await readFile(pt));
        const { tensors, metadata } = decodeSafetensors(bytes);
        expect(metadata.layout).toBe('torch_vae.LayersVAE');
        // Conv2d weight [C_out, C_in, KH, KW], ConvTranspose2d [C_in, C_out, KH, KW], Linear [out, in].
        expect(tensors['encoder.1.weight']!.shape).toEqual([4, 1, tag === 'conv' ? 4 : 3, tag === 'conv' ? 4 : 3]);
        expect(tensors['decoder.0.weight']!.shape[1]).toBe(config.latent);
        expect(Object.keys(tensors).sort()).toEqual(pytorchTensorSpecs(config).map((s) => s.name).sort());
        const back = decodePytorchModel(bytes);
        expect(back.state.params).toEqual(await vae.readParams());

        const z = normalArray(48 * config.latent, 11, 1.5);
        const diff = maxAbsDiff(await vae.decode(z), await torchDecode(pt, z, config.latent, tag));
        const ours = await evaluateModel(rt, decodeCheckpoint(new Uint8Array(await readFile(ckpt))), data.test, { samples: OUR_SAMPLES, k: 0, batch: 128 });
        const json = join(dir, `${tag}-torch.json`);
        await torchVae(py.python!, ['evaluate', pt, '--samples', String(TORCH_SAMPLES), '--json', json, '--seed', '5']);
        const theirs = JSON.parse(await readFile(json, 'utf8'));
        const [dElbo, dKl] = [ours.testNegElbo - theirs.testNegElbo, ours.testKl - theirs.testKl];
        console.info(`here → PyTorch (${tag}): decode max |Δ| ${diff.toExponential(2)}; test −ELBO Δ ${dElbo.toFixed(4)} ` +
          `(ours ${ours.testNegElbo.toFixed(4)}, ${OUR_SAMPLES} z/digit; PyTorch ${TORCH_SAMPLES} z/digit); KL Δ ${dKl.toExponential(2)}`);
        // The same means; −ELBO within Monte Carlo noise; the analytic KL to float rounding.
        expect([diff <= 1e-5, Math.abs(dElbo) <= 0.3, Math.abs(dKl) < 1e-3]).toEqual([true, true, true]);
        // A few steps leave every mean near ½: weights × 3 spread the means over (0, 1), so that a
        // wrong axis order or convolution convention could not hide under rounding.
        vae.writeParams((await vae.readParams()).map((v) => 3 * v));
        const sharp = join(dir, `${tag}-sharp-pt.safetensors`);
        await writeFile(sharp, encodePytorchModel({ config, params: await vae.readParams() }));
        const means = await vae.decode(z);
        const sharpDiff = maxAbsDiff(means, await torchDecode(sharp, z, config.latent, `${tag}-sharp`));
        const spread = means.reduce((a, v) => Math.max(a, Math.abs(v - 0.5)), 0);
        console.info(`here → PyTorch (${tag}, weights × 3): decode max |Δ| ${sharpDiff.toExponential(2)}, means up to ${spread.toFixed(3)} from ½`);
        expect(spread).toBeGreaterThan(0.3);
        expect(sharpDiff).toBeLessThanOrEqual(1e-5);
      } finally {
        vae.dispose();
      }
    });
  }

  it('PyTorch → here: a conv model trained in PyTorch converts back and decodes the same', async () => {
    const { rt } = gpu();
    const input = presetConfig('conv', { latent: 2, seed: 9 }, { channels: [3, 5] });
    const cfg = join(dir, 'conv-config.json'), pt = join(dir, 'conv-torch.safetensors'), ours = join(dir, 'conv-ours.safetensors');
    await writeFile(cfg, JSON.stringify(input));
    await torchVae(py.python!, ['train', '--config', cfg, '--world-size', '1', '--steps', '20', '--batch', '64', '--eval-samples', '0', '--out', pt]);
    await exec(process.execPath, [CONVERT, '--to', 'webgpu-vae', pt, ours]);
    const { state, from } = decodeModelFile(new Uint8Array(await readFile(ours)));
    expect(from).toBe('webgpu-vae');
    expect(state.config.encoder).toEqual(resolveConfig(input).encoder);
    const vae = new GpuVae(rt, state.config, { maxBatch: 64, params: state.params, inference: true });
    const z = normalArray(64 * 2, 12, 1.5);
    const diff = maxAbsDiff(await vae.decode(z), await torchDecode(pt, z, 2, 'conv-torch'));
    vae.dispose();
    console.info(`PyTorch → here (conv): decode max |Δ| ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it('a layer kind of your own converts when it declares its PyTorch axes, and is refused, naming it, when it does not', () => {
    const base = resolveConfig(presetConfig('conv', { latent: 2 }, { channels: [2, 2] }));
    const mine = { ...LINEAR, name: 'dense' }, opaque = { ...FLATTEN_LAYER, name: 'my-flatten', pytorch: undefined };
    const registry = BUILTIN_OPS.with(mine, opaque);
    const encoder = base.encoder!.map((l) => (l.kind === 'flatten' ? customLayer('my-flatten') : l.kind === 'linear' ? customLayer('dense', { ...l }) : l));
    expect(() => pytorchTensorSpecs({ ...base, encoder }, registry)).toThrow(/layer encoder\.3 \(my-flatten\) has no PyTorch equivalent/);
    const dense = resolveConfig({ ...base, encoder: base.encoder!.map((l) => (l.kind === 'linear' ? customLayer('dense', { name: l.name, width: (l as { width: number }).width }) : l)) });
    const params = initParams(buildVaeGraph(dense, registry), 3);
    const bytes = encodePytorchModel({ config: dense, params }, {}, registry);
    expect(decodeSafetensors(bytes).tensors['encoder.4.weight']!.shape).toEqual([4, 7 * 7 * 2]);
    expect(decodePytorchModel(bytes, { registry }).state.params).toEqual(params);
  });
});
