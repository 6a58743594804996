// scripts/pytorch_vae.py --objective iwae-dreg, in float64: its hook-based gradient (a hook on z
// weighting the encoder's path gradient by the normalised weights) equals DReG's definition written
// out (Tucker et al. 2019): encoder −(1/B) Σ sg(ŵ²) ∂log w/∂φ with log q at stop-gradient μ, log σ²,
// decoder IWAE's −(1/B) Σ sg(ŵ) ∂log w/∂θ; its value is IWAE's; its encoder gradient is not IWAE's.
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findTorchPython } from '../util/python';

const py = findTorchPython();
if (!py.python) console.info(`PyTorch DReG check skipped: ${py.reason}`);
const exec = promisify(execFile);

const SCRIPT = String.raw`
import json
import sys, math, torch
sys.path.insert(0, 'scripts')
from pytorch_vae import VAE, neg_iwae_per_example
torch.manual_seed(3)
m = VAE(30, 17, 5).double()
x = torch.rand(7, 30, dtype=torch.float64)
k = 6
torch.manual_seed(9)
loss = neg_iwae_per_example(m, x, k, dreg=True).mean()
hook = torch.autograd.grad(loss, list(m.parameters()))
torch.manual_seed(9)
iw = neg_iwae_per_example(m, x, k, dreg=False)
torch.manual_seed(9)
mu, logvar = m.encode(x)
eps = torch.randn((k,) + mu.shape)
z = mu + torch.exp(0.5 * logvar) * eps
import torch.nn.functional as F
lpx = -F.binary_cross_entropy_with_logits(m.decode(z), x.expand(k, -1, -1), reduction="none").sum(-1)
lpz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
sd = torch.exp(0.5 * logvar.detach())
lqz = torch.distributions.Normal(mu.detach(), sd).log_prob(z).sum(-1)
lw = lpx + lpz - lqz
w = torch.softmax(lw.detach(), 0)
enc = [m.enc.weight, m.enc.bias, m.head.weight, m.head.bias]
dec = [m.dec1.weight, m.dec1.bias, m.dec2.weight, m.dec2.bias]
ge = torch.autograd.grad(-(w.pow(2) * lw).sum() / x.shape[0], enc, retain_graph=True)
gd = torch.autograd.grad(-(w * lw).sum() / x.shape[0], dec)
want = list(ge) + list(gd)
names = [n for n, _ in m.named_parameters()]
order = ['enc.weight', 'enc.bias', 'head.weight', 'head.bias', 'dec1.weight', 'dec1.bias', 'dec2.weight', 'dec2.bias']
worst = max(((hook[names.index(n)] - want[i]).abs().max().item() / want[i].abs().max().item()) for i, n in enumerate(order))
ig = torch.autograd.grad(iw.mean(), enc)
print(json.dumps({'value': (loss - iw.mean()).abs().item() / iw.mean().abs().item(), 'grad': worst,
                  'vsIwae': max((a - b).abs().max().item() / b.abs().max().item() for a, b in zip(hook[:4], ig))}))
`;

describe.skipIf(!py.python)('pytorch_vae.py iwae-dreg', () => {
  it('the hook gradient is DReG by its definition, the value IWAE’s', async () => {
    const { stdout } = await exec(py.python!, ['-c', SCRIPT], { timeout: 120_000 });
    const r = JSON.parse(stdout) as { value: number; grad: number; vsIwae: number };
    console.info(`DReG: value vs IWAE ${r.value.toExponential(1)}, gradient vs definition ${r.grad.toExponential(1)} (relative to the largest), encoder vs IWAE's ${r.vsIwae.toFixed(2)}`);
    // The value differs from IWAE's by the rounding of (z − μ)²/σ² against ε² only.
    expect(r.value).toBeLessThan(1e-8);
    expect(r.grad).toBeLessThan(1e-10);
    expect(r.vsIwae).toBeGreaterThan(1e-2);
  }, 150_000);
});
