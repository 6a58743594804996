// scripts/pytorch_vae.py's Likelihood (what its --likelihood gaussian | logistic train with) against
// our float64 twins on the same inputs: −log p per example (elbo's rec) and, by autograd in float64,
// its gradients w.r.t. the decoder's outputs and the per-channel log-scales (elbo's dlogits and
// likelihoodScaleGrad), on 6×5×3 images of 8-bit values with 0 and 1 (the logistic's edge bins),
// batch 7. And conversion: a model with learned scales converted to PyTorch (the scales as the module's
// `log_scale`) loads strictly into scripts/torch_vae.py, whose −log p(x|z) with them is ours, and converts back.
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { elbo } from '../../src/cpu/elbo';
import { likelihoodScaleGrad } from '../../src/cpu/likelihood-scale-grad';
import { resolveConfig } from '../../src/model/config';
import { initParams } from '../../src/model/init';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { decodePytorchModel, encodePytorchModel, pytorchTensorSpecs } from '../../src/model/pytorch-layout';
import { findTorchPython, maxAbsDiff } from '../util/python';
import { rng } from '../util/random';

const py = findTorchPython();
if (!py.python) console.info(`PyTorch likelihood check skipped: ${py.reason}`);
const exec = promisify(execFile);

const SCRIPT = String.raw`
import json, sys, torch
sys.path.insert(0, 'scripts')
from pytorch_vae import Likelihood
inp = json.load(sys.stdin)
out = {}
for kind in ('gaussian', 'logistic'):
    lik = Likelihood(kind, 3).double()
    with torch.no_grad():
        lik.log_scale.copy_(torch.tensor(inp['logScale'], dtype=torch.float64))
    mean = torch.tensor(inp['mean'], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(inp['x'], dtype=torch.float64)
    rec = lik(mean, x)
    dmean, dscale = torch.autograd.grad(rec.mean(), [mean, lik.log_scale])
    out[kind] = {'rec': rec.tolist(), 'dmean': dmean.flatten().tolist(), 'dscale': dscale.tolist()}
print(json.dumps(out))
`;

describe.skipIf(!py.python)('scripts/pytorch_vae.py Likelihood against the CPU twins', () => {
  it('gives the same −log p and gradients for the learned Gaussian and the discretized logistic', async () => {
    const B = 7, D = 90, Z = 2;
    const r = rng(31);
    const x = Array.from({ length: B * D }, (_, i) => (i % 9 === 0 ? 0 : i % 10 === 0 ? 1 : Math.round(255 * r()) / 255));
    const mean = x.map((t, i) => (i % 13 === 0 ? 2 * r() - 0.5 : t + 0.2 * (r() - 0.5)));
    const logScale = [-3, -1.2, 0.4];
    const rows = (a: number[]) => Array.from({ length: B }, (_, b) => a.slice(b * D, (b + 1) * D));
    const child = exec(py.python!, ['-c', SCRIPT], { timeout: 120_000, maxBuffer: 1 << 24 });
    child.child.stdin!.end(JSON.stringify({ x: rows(x), mean: rows(mean), logScale }));
    const got = JSON.parse((await child).stdout) as Record<string, { rec: number[]; dmean: number[]; dscale: number[] }>;
    for (const likelihood of ['gaussian', 'logistic'] as const) {
      const shape = { batch: B, dim: D, latent: Z, likelihood, sigma: 'learned' as const, channels: 3 };
      const want = elbo(mean, x, new Float64Array(B * 2 * Z), shape, logScale);
      const rec = Array.from({ length: B }, (_, b) => want.perExample[2 * b]!);
      const dscale = likelihoodScaleGrad(mean, x, logScale, shape);
      const t = got[likelihood]!;
      console.info(`${likelihood}: PyTorch vs ours max |Δ| rec ${maxAbsDiff(t.rec, rec).toExponential(2)}, dmean ${maxAbsDiff(t.dmean, want.dlogits).toExponential(2)}, dscale ${maxAbsDiff(t.dscale, dscale).toExponential(2)}`);
      expect(maxAbsDiff(t.rec, rec)).toBeLessThan(1e-9);
      expect(maxAbsDiff(t.dmean, want.dlogits)).toBeLessThan(1e-9);
      expect(maxAbsDiff(t.dscale, dscale)).toBeLessThan(1e-9);
    }
  });

  for (const arch of ['mlp', 'layers'] as const) {
    it(`converts a ${arch} model's learned scales to torch_vae.py's log_scale and back; its −log p(x|z) is ours`, async () => {
      const B = 7, D = 90;
      const layers = {
        encoder: [{ kind: 'linear' as const, width: 8, activation: 'relu' as const }, { kind: 'linear' as const, width: 4 }],
        decoder: [{ kind: 'linear' as const, width: 8, activation: 'relu' as const }, { kind: 'linear' as const, width: D }],
      };
      const config = resolveConfig({ inputDim: D, image: { height: 6, width: 5, channels: 3 }, latent: 2, likelihood: 'logistic', ...(arch === 'mlp' ? { encoderHidden: [8], decoderHidden: [8] } : layers) });
      const g = buildVaeGraph(config);
      const scale = g.params.find((p) => p.name === 'likelihood.log_scale')!;
      const params = initParams(g, 3);
      params.set([-1.5, -2.5, 0.3], scale.offset);
      expect(pytorchTensorSpecs(config).at(-1)).toMatchObject({ name: 'log_scale', shape: [3] });
      const bytes = encodePytorchModel({ config, params });
      expect(decodePytorchModel(bytes).state.params).toEqual(params);
      const dir = await mkdtemp(join(tmpdir(), 'lik-pt-'));
      try {
        const file = join(dir, 'model.safetensors');
        await writeFile(file, bytes);
        const r = rng(41);
        const x = Array.from({ length: B * D }, (_, i) => (i % 9 === 0 ? 0 : i % 10 === 0 ? 1 : Math.round(255 * r()) / 255));
        const mean = x.map((t) => t + 0.1 * (r() - 0.5));
        const script = String.raw`
import json, sys, torch
sys.path.insert(0, 'scripts')
from torch_vae import load_model, neg_log_px_z
inp = json.load(sys.stdin)
model, c, _ = load_model(sys.argv[1])
model = model.double()
rec = neg_log_px_z(c, torch.tensor(inp['mean'], dtype=torch.float64), torch.tensor(inp['x'], dtype=torch.float64), model)
print(json.dumps({'rec': rec.tolist(), 'logScale': model.log_scale.tolist()}))
`;
        const child = exec(py.python!, ['-c', script, file], { timeout: 120_000, maxBuffer: 1 << 24 });
        const rows = (a: number[]) => Array.from({ length: B }, (_, b) => a.slice(b * D, (b + 1) * D));
        child.child.stdin!.end(JSON.stringify({ x: rows(x), mean: rows(mean) }));
        const got = JSON.parse((await child).stdout) as { rec: number[]; logScale: number[] };
        expect(got.logScale).toEqual(Array.from(params.subarray(scale.offset, scale.offset + 3)));
        const want = elbo(mean, x, new Float64Array(B * 4), { batch: B, dim: D, latent: 2, likelihood: 'logistic', channels: 3 }, got.logScale).perExample;
        expect(maxAbsDiff(got.rec, Array.from({ length: B }, (_, b) => want[2 * b]!))).toBeLessThan(1e-9);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
