// The conv preset is the PyTorch script's ConvVAE (scripts/pytorch_vae.py --arch conv): our weights,
// permuted into PyTorch's layouts, give the same μ | log σ² and logits in float64 (so the layouts, the
// (h, w, c) flatten order and the padding agree), and PyTorch's own default-init bound of every
// parameter (fan_in from its weight, C_out·KH·KW for ConvTranspose2d) is the one we draw from.
// Skipped, with the reason printed, where no python3 has torch and numpy.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CpuVae } from '../../src/model/cpu-vae';
import { convLayers } from '../../src/model/presets';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { findTorchPython } from '../util/python';
import { expectClose } from '../util/compare';

const py = findTorchPython();
if (!py.python) console.info(`PyTorch conv check skipped: ${py.reason}`);
const exec = promisify(execFile);

// Ours → the script's module names; conv weights KH×KW×I×O (convT KH×KW×O×I) → PyTorch's by permute(3, 2, 0, 1).
const NAMES: Record<string, string> = {
  'encoder.1': 'conv1', 'encoder.2': 'conv2', 'encoder.head': 'head', 'decoder.0': 'dec1', 'decoder.2': 'deconv1', 'decoder.out': 'deconv2',
};

const SCRIPT = String.raw`
import json, sys, torch
sys.path.insert(0, 'scripts')
from pytorch_vae import ConvVAE
from torch import nn
inp = json.load(open(sys.argv[1]))
m = ConvVAE(tuple(inp['shape']), inp['latent'], *inp['channels']).double()
bounds = {}
for name, p in m.named_parameters():
    w = dict(m.named_parameters())[name.rsplit('.', 1)[0] + '.weight']
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(w)
    bounds[name] = 1 / fan_in ** 0.5
    assert p.abs().max().item() <= bounds[name]
sd = {}
for name, t in inp['params'].items():
    x = torch.tensor(t['data'], dtype=torch.float64).reshape(t['shape'])
    sd[name] = x.permute(3, 2, 0, 1) if x.dim() == 4 else (x.t() if x.dim() == 2 else x)
m.load_state_dict(sd)
with torch.no_grad():
    x = torch.tensor(inp['x'], dtype=torch.float64).reshape(-1, len(inp['x']) // 2)
    mu, logvar = m.encode(x)
    logits = m.decode(torch.tensor(inp['z'], dtype=torch.float64).reshape(-1, inp['latent']))
print(json.dumps({'stats': torch.cat([mu, logvar], -1).flatten().tolist(), 'logits': logits.flatten().tolist(), 'bounds': bounds}))
`;

describe.skipIf(!py.python)('conv preset against PyTorch', () => {
  // MNIST's 28×28×1, and non-square colour (12×8×3: C input channels, C filters out, HWC rows both sides).
  for (const shape of [{ height: 28, width: 28, channels: 1 }, { height: 12, width: 8, channels: 3 }]) {
    it(`the same forward in float64 from the same weights, and PyTorch’s own init bounds (${shape.height}×${shape.width}×${shape.channels})`, async () => {
      const latent = 3, channels: [number, number] = [2, 3], D = shape.height * shape.width * shape.channels;
      const cpu = new CpuVae({ inputDim: D, image: shape, ...convLayers({ latent, channels, shape }), latent, seed: 9 });
      const x = shape.channels === 1 ? (await loadEmbeddedMnist()).test.images.subarray(0, 2 * D) : Float64Array.from({ length: 2 * D }, (_, i) => (Math.sin(3 * i) + 1) / 2);
      const z = Float64Array.from({ length: 2 * latent }, (_, i) => Math.sin(i + 1));
      const params: Record<string, { shape: number[]; data: number[] }> = {};
      for (const p of cpu.graph.params) {
        const [layer, role] = [p.name.slice(0, p.name.lastIndexOf('.')), p.name.slice(p.name.lastIndexOf('.') + 1)];
        params[`${NAMES[layer]}.${role}`] = { shape: p.shape, data: [...cpu.params.subarray(p.offset, p.offset + p.size)] };
      }
      const dir = await mkdtemp(join(tmpdir(), 'vae-torch-conv-'));
      try {
        await writeFile(join(dir, 'in.json'), JSON.stringify({ latent, channels, shape: [shape.height, shape.width, shape.channels], params, x: [...x], z: [...z] }));
        await writeFile(join(dir, 'check.py'), SCRIPT);
        const { stdout } = await exec(py.python!, [join(dir, 'check.py'), join(dir, 'in.json')], { timeout: 120_000, maxBuffer: 1 << 24 });
        const theirs = JSON.parse(stdout) as { stats: number[]; logits: number[]; bounds: Record<string, number> };
        expectClose('μ | log σ² against PyTorch', cpu.encodeStats(x, 2), theirs.stats, 1e-10, 1e-9);
        expectClose('logits against PyTorch', cpu.decodeLogits(z, 2), theirs.logits, 1e-10, 1e-9);
        for (const p of cpu.graph.params) {
          const name = `${NAMES[p.name.slice(0, p.name.lastIndexOf('.'))]}.${p.name.slice(p.name.lastIndexOf('.') + 1)}`;
          expect(p.initBound, name).toBeCloseTo(theirs.bounds[name], 12);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
