// Whole training steps of the learned-scale likelihoods, ours against scripts/pytorch_vae.py: the
// same initial weights (our seeded init, converted to PyTorch's layout), the same batches (the last
// one partial) and the same noise ε (our Philox stream, handed to PyTorch), 8 steps of the CPU
// reference trainer (float64) and of pytorch_vae.py's VAE, Likelihood and Adam param groups in
// float64. Per step: the batch loss, the log-scales' gradient and the log-scales after the update;
// at the end every weight. This pins what a seed-to-seed comparison cannot: the init of the scales,
// their ×10 Adam rate, Adam's bias correction and ε, the loss's batch mean and the partial batch.
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { STREAMS } from '../../src/base/words';
import { noiseFor } from '../../src/cpu/reparameterize';
import { CpuVae } from '../../src/model/cpu-vae';
import { encodePytorchModel } from '../../src/model/pytorch-layout';
import { findTorchPython, maxAbsDiff } from '../util/python';
import { rng } from '../util/random';

const py = findTorchPython();
if (!py.python) console.info(`PyTorch training-step check skipped: ${py.reason}`);
const exec = promisify(execFile);

// torch_vae.py loads our converted file (its MlpVAE); its weights go into pytorch_vae.py's VAE
// (enc, head = [mu | logvar], dec1, dec2) and Likelihood, which then train as pytorch_vae.py's main() does.
const SCRIPT = String.raw`
import json, sys, torch
sys.path.insert(0, 'scripts')
from torch_vae import load_model
from pytorch_vae import VAE, Likelihood, param_groups, neg_elbo_per_example
inp = json.load(sys.stdin)
src, c, _ = load_model(sys.argv[1])
src = src.double()
model = VAE(c['inputDim'], c['encoderHidden'][0], c['latent']).double()
model.lik = Likelihood(c['likelihood'], inp['channels']).double()
init_scale = model.lik.log_scale.tolist()
with torch.no_grad():
    model.enc.weight.copy_(src.encoder[0].weight); model.enc.bias.copy_(src.encoder[0].bias)
    model.head.weight.copy_(torch.cat([src.mu.weight, src.logvar.weight])); model.head.bias.copy_(torch.cat([src.mu.bias, src.logvar.bias]))
    model.dec1.weight.copy_(src.decoder[0].weight); model.dec1.bias.copy_(src.decoder[0].bias)
    model.dec2.weight.copy_(src.out.weight); model.dec2.bias.copy_(src.out.bias)
    model.lik.log_scale.copy_(src.log_scale)
lr = 1e-3
opt = torch.optim.Adam(param_groups(model, lr), lr=lr, betas=(0.9, 0.999), eps=1e-8)  # as main()
steps = []
for x, eps in zip(inp['x'], inp['eps']):
    x, eps = torch.tensor(x, dtype=torch.float64), torch.tensor(eps, dtype=torch.float64)
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * eps  # VAE.forward, with the given noise
    loss = neg_elbo_per_example(model.decode(z), x, mu, logvar, model.lik).mean()
    opt.zero_grad()
    loss.backward()
    grad = model.lik.log_scale.grad.tolist()
    opt.step()
    steps.append({'loss': loss.item(), 'grad': grad, 'scale': model.lik.log_scale.tolist()})
w = lambda m: m.weight.detach().t().flatten().tolist() + m.bias.detach().tolist()
print(json.dumps({'initScale': init_scale, 'steps': steps, 'enc': w(model.enc), 'dec2': w(model.dec2)}))
`;

describe.skipIf(!py.python)('training steps with learned scales: ours (CPU reference) against scripts/pytorch_vae.py', () => {
  for (const likelihood of ['gaussian', 'logistic'] as const) {
    it(`${likelihood}: the same losses, scale gradients, scales and weights over 8 steps`, async () => {
      const H = 6, W = 5, C = 3, D = H * W * C, Z = 3, seed = 5;
      const model = new CpuVae({ inputDim: D, image: { height: H, width: W, channels: C }, latent: Z, encoderHidden: [16], decoderHidden: [16], likelihood, sigma: 'learned', seed });
      const g = model.graph;
      const at = (name: string) => g.params.find((p) => p.name === name)!;
      const scale = at('likelihood.log_scale');
      const bytes = encodePytorchModel({ config: model.config, params: Float32Array.from(model.params) });
      const r = rng(17);
      // 8-bit values with 0 and 1 (the logistic's edge bins); batches of 7, the last one of 4.
      const sizes = [7, 7, 7, 7, 7, 7, 7, 4];
      const xs = sizes.map((b) => Array.from({ length: b * D }, (_, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? 1 : Math.round(255 * r() * r()) / 255)));
      const ours: { loss: number; grad: number[]; scale: number[] }[] = [];
      const eps: number[][] = [];
      for (const [t, x] of xs.entries()) {
        eps.push(Array.from(noiseFor({ seed, step: t, stream: STREAMS.train }, sizes[t]! * Z)));
        const [loss] = model.trainStep(x, sizes[t]!);
        ours.push({ loss: loss!, grad: Array.from(model.grads.subarray(scale.offset, scale.offset + C)), scale: Array.from(model.params.subarray(scale.offset, scale.offset + C)) });
      }
      const dir = await mkdtemp(join(tmpdir(), 'steps-pt-'));
      try {
        const file = join(dir, 'model.safetensors');
        await writeFile(file, bytes);
        const rows = (a: number[], n: number) => Array.from({ length: a.length / n }, (_, b) => a.slice(b * n, (b + 1) * n));
        const child = exec(py.python!, ['-c', SCRIPT, file], { timeout: 120_000, maxBuffer: 1 << 24 });
        child.child.stdin!.end(JSON.stringify({ channels: C, x: xs.map((x) => rows(x, D)), eps: eps.map((e) => rows(e, Z)) }));
        const got = JSON.parse((await child).stdout) as { initScale: number[]; steps: typeof ours; enc: number[]; dec2: number[] };
        // Both start the scales at a standard deviation of 0.1 (PyTorch's own init, before the copy of ours).
        const init = new CpuVae(model.config).params.subarray(scale.offset, scale.offset + C);
        expect(maxAbsDiff(got.initScale, init)).toBeLessThan(1e-7);
        expect(init[0]).toBeCloseTo(likelihood === 'gaussian' ? Math.log(0.1) : Math.log((0.1 * Math.sqrt(3)) / Math.PI), 6);
        for (const [t, s] of got.steps.entries()) {
          const o = ours[t]!;
          expect(Math.abs(s.loss - o.loss) / Math.abs(o.loss), `step ${t} loss ${s.loss} vs ${o.loss}`).toBeLessThan(1e-10);
          // Relative to the gradient's size (a sum over the channel's B·D/C values).
          expect(maxAbsDiff(s.grad, o.grad) / Math.max(...o.grad.map(Math.abs)), `step ${t} scale grad ${s.grad} vs ${o.grad}`).toBeLessThan(1e-9);
          expect(maxAbsDiff(s.scale, o.scale), `step ${t} scales`).toBeLessThan(1e-10);
        }
        // A first Adam step moves each scale by lr × 10 (sign of its gradient): the fast rate is used on both sides.
        for (let c = 0; c < C; c++) expect(Math.abs(ours[0]!.scale[c]! - got.initScale[c]!)).toBeCloseTo(1e-2, 6);
        const flat = (name: string) => [...model.params.subarray(at(`${name}.weight`).offset, at(`${name}.weight`).offset + at(`${name}.weight`).size), ...model.params.subarray(at(`${name}.bias`).offset, at(`${name}.bias`).offset + at(`${name}.bias`).size)];
        console.info(`${likelihood}: 8 steps, PyTorch vs ours max |Δ| loss ${Math.max(...got.steps.map((s, t) => Math.abs(s.loss - ours[t]!.loss))).toExponential(2)}, scales ${Math.max(...got.steps.map((s, t) => maxAbsDiff(s.scale, ours[t]!.scale))).toExponential(2)}`);
        expect(maxAbsDiff(got.enc, flat('encoder.0'))).toBeLessThan(1e-10);
        expect(maxAbsDiff(got.dec2, flat('decoder.out'))).toBeLessThan(1e-10);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
