// An objective is local too: this file alone defines a new training objective, a squared error on
// the decoder's sigmoid plus the analytic KL, rec_b = (w/2) Σ_d (σ(l_bd) − x_bd)², with its own spec
// field w (`{ kind: 'sigmoid-sse', weight: 2 }`, parsed by its op), its WGSL (per-example terms and
// gradients fused in the forward, then the batch mean, the totals and the health word), its CPU twin
// in float64, a finite-difference check of the twin's gradients, and a model trained on it GPU
// against the CPU reference over 20 steps and evaluated through the shared protocols, with nothing
// under src/ knowing about it (as test/model/custom-op.test.ts does for a layer).
import { beforeAll, describe, expect, it } from 'vitest';
import type { KernelDecl } from '../../src/gpu/kernel';
import { packFields } from '../../src/gpu/runtime';
import { checkSpecFields, defineObjective, OBJECTIVE_BUFFERS as OUT, type ObjectiveKind } from '../../src/graph/op';
import { BUILTIN_OPS } from '../../src/ops/registry';
import { GpuVae } from '../../src/vae/gpu-vae';
import { CpuVae } from '../../src/model/cpu-vae';
import { CpuBackend } from '../../src/train/cpu-backend';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import type { Dataset } from '../../src/data/dataset';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { scoped, useGpu } from '../gpu/harness';

const SSE_WGSL = /* wgsl */ `
struct Params { B: u32, D: u32, Z: u32, track: u32, beta: f32, inv_batch: f32, weight: f32, _pad: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> dstats: array<f32>;
@group(0) @binding(6) var<storage, read_write> terms: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(8) var<storage, read_write> totals: array<f32>;
@group(0) @binding(9) var<storage, read_write> health: array<u32>;

// One invocation per example: its terms and, the upstream gradient being 1/B, its gradients.
@compute @workgroup_size(64)
fn per_example(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  var rec = 0.0;
  for (var d = 0u; d < params.D; d++) {
    let i = b * params.D + d;
    let s = 1.0 / (1.0 + exp(-logits[i]));
    let diff = s - x[i];
    rec += 0.5 * params.weight * diff * diff;
    dlogits[i] = params.weight * diff * s * (1.0 - s) * params.inv_batch;
  }
  var kl = 0.0;
  for (var j = 0u; j < params.Z; j++) {
    let mu_at = b * 2u * params.Z + j;
    let lv_at = mu_at + params.Z;
    let mu = stats[mu_at];
    let var_ = exp(stats[lv_at]);
    kl += -0.5 * (1.0 + stats[lv_at] - mu * mu - var_);
    dstats[mu_at] = params.beta * mu * params.inv_batch;
    dstats[lv_at] = params.beta * 0.5 * (var_ - 1.0) * params.inv_batch;
  }
  terms[2u * b] = rec;
  terms[2u * b + 1u] = kl;
}

// One invocation: the batch's mean, the running totals and (training) the step count and a non-finite loss.
@compute @workgroup_size(1)
fn batch_mean() {
  var rec = 0.0;
  var kl = 0.0;
  for (var b = 0u; b < params.B; b++) {
    rec += terms[2u * b];
    kl += terms[2u * b + 1u];
  }
  let l = (rec + params.beta * kl) * params.inv_batch;
  loss[0] = l;
  loss[1] = rec * params.inv_batch;
  loss[2] = kl * params.inv_batch;
  totals[0] += rec + params.beta * kl;
  totals[1] += rec;
  totals[2] += kl;
  totals[3] += f32(params.B);
  if (params.track != 0u) {
    let step = health[0] + 1u;
    health[0] = step;
    if (health[1] == 0u && (bitcast<u32>(l) & 0x7f800000u) == 0x7f800000u) { health[1] = step; }
  }
}
`;

const SSE_KERNEL: KernelDecl = {
  name: 'sigmoid sse (test)',
  source: SSE_WGSL,
  entryPoints: ['per_example', 'batch_mean'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['B', 'u32'], ['D', 'u32'], ['Z', 'u32'], ['track', 'u32'], ['beta', 'f32'], ['inv_batch', 'f32'], ['weight', 'f32'], ['_pad', 'f32']] },
    // The objective's buffers in binding order: what it reads, then what it writes.
    ...(['logits', 'x', 'stats', 'dlogits', 'dstats', 'terms', 'loss', 'totals', 'health'] as const).map((name, i) => ({ binding: i + 1, name, type: i < 3 ? 'read-only-storage' as const : 'storage' as const })),
  ],
  overrides: [],
  workgroupSize: [64, 1],
  entryWorkgroupSizes: { batch_mean: [1, 1] },
};

interface SseAttrs { dim: number; latent: number; beta: number; weight: number }
interface SseShape { batch: number; dim: number; latent: number; beta: number; weight: number }

/** The CPU twin, float64: loss (1/B) Σ_b (rec_b + β·kl_b), its parts, each example's terms and the gradients. */
function sigmoidSse(logits: ArrayLike<number>, x: ArrayLike<number>, stats: ArrayLike<number>, s: SseShape) {
  const { batch: B, dim: D, latent: Z, beta, weight: w } = s;
  const perExample = new Float64Array(2 * B), dlogits = new Float64Array(B * D), dstats = new Float64Array(2 * B * Z);
  let rec = 0, kl = 0;
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      const i = b * D + d, sig = 1 / (1 + Math.exp(-logits[i])), diff = sig - x[i];
      perExample[2 * b] += 0.5 * w * diff * diff;
      dlogits[i] = (w * diff * sig * (1 - sig)) / B;
    }
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j], lv = stats[b * 2 * Z + Z + j];
      perExample[2 * b + 1] += -0.5 * (1 + lv - mu * mu - Math.exp(lv));
      dstats[b * 2 * Z + j] = (beta * mu) / B;
      dstats[b * 2 * Z + Z + j] = (beta * 0.5 * (Math.exp(lv) - 1)) / B;
    }
    rec += perExample[2 * b];
    kl += perExample[2 * b + 1];
  }
  return { loss: (rec + beta * kl) / B, rec: rec / B, kl: kl / B, perExample, dlogits, dstats };
}

const PARTS = ['rec', 'kl'];

const SIGMOID_SSE: ObjectiveKind<SseAttrs> = defineObjective<SseAttrs>({
  name: 'sigmoid-sse',
  fields: ['weight'],
  parse(spec, m) {
    checkSpecFields(spec, ['weight'], 'objective sigmoid-sse');
    const weight = spec.weight ?? 1;
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) throw new Error(`objective sigmoid-sse: weight must be a finite number > 0, got ${JSON.stringify(weight)}`);
    return { dim: m.inputDim, latent: m.latent, beta: m.beta, weight };
  },
  parts: () => PARTS,
  bound: (_a, p) => p.rec + p.kl,
  labels: (a) => ({ loss: `${a.weight}/2·SSE + KL`, key: 'sse', parts: { rec: 'SSE', kl: 'KL' } }),
  shape(name, a, inputs) {
    const width = (t: { shape: number[] }) => t.shape.reduce((p, q) => p * q, 1);
    if (width(inputs.logits) !== a.dim || width(inputs.target) !== a.dim) throw new Error(`${name}: expected ${a.dim} values per example`);
    if (width(inputs.stats) !== 2 * a.latent) throw new Error(`${name}: stats have ${width(inputs.stats)} values per example; expected ${2 * a.latent}`);
    return {};
  },
  buffers: (op) => ({
    saved: [],
    grads: [{ tensor: op.inputs.logits, phase: 'forward', mode: 'write' }, { tensor: op.inputs.stats, phase: 'forward', mode: 'write' }],
    scratch: [],
    oneBindGroup: true,
    persistent: [
      { name: OUT.terms, floats: (rows) => 2 * rows },
      { name: OUT.loss, floats: () => 4 },
      { name: OUT.totals, floats: () => 4 },
      { name: OUT.health, floats: () => 2 },
    ],
  }),
  gpu(op, ctx) {
    if (ctx.samples !== 1) throw new Error(`${op.name}: one sample per example, got ${ctx.samples}`);
    const { logits, target, stats } = op.inputs, a = op.attrs;
    const params = ctx.rt.uniform(`${op.name} params`, packFields(SSE_KERNEL, 'params', {
      B: ctx.batch, D: a.dim, Z: a.latent, track: ctx.training ? 1 : 0, beta: a.beta, inv_batch: 1 / ctx.batch, weight: a.weight,
    }));
    const bindGroup = ctx.rt.bindGroup(SSE_KERNEL, {
      params, logits: ctx.tensor(logits), x: ctx.tensor(target), stats: ctx.tensor(stats), dlogits: ctx.grad(logits), dstats: ctx.grad(stats),
      terms: ctx.persistent(OUT.terms), loss: ctx.persistent(OUT.loss), totals: ctx.persistent(OUT.totals), health: ctx.persistent(OUT.health),
    });
    const d = (entry: string, workgroups: readonly [number, number, number]) => ({ label: `${op.name} ${entry}`, pipeline: ctx.rt.pipeline(SSE_KERNEL, entry), bindGroup, workgroups });
    return { forward: [d('per_example', ctx.rt.grid(Math.ceil(ctx.batch / 64))), d('batch_mean', [1, 1, 1])], backward: [], destroy: () => params.destroy() };
  },
  cpuForward(op, ctx) {
    const { logits, target, stats } = op.inputs, a = op.attrs;
    const r = sigmoidSse(ctx.acts.get(logits)!, ctx.acts.get(target)!, ctx.acts.get(stats)!, { batch: ctx.batch, dim: a.dim, latent: a.latent, beta: ctx.beta ?? a.beta, weight: a.weight });
    ctx.grads.set(logits, r.dlogits);
    ctx.grads.set(stats, r.dstats);
    ctx.report({ loss: r.loss, parts: [r.rec, r.kl], perExample: r.perExample });
  },
  cpuBackward() {},
});

const registry = BUILTIN_OPS.with(SIGMOID_SSE as ObjectiveKind<unknown>);
const config = { encoderHidden: [40], decoderHidden: [36], latent: 4, seed: 13, beta: 0.7, adam: { lr: 3e-3 }, objective: { kind: 'sigmoid-sse', weight: 2 } };

const gpu = useGpu();
let train: Dataset;
beforeAll(async () => {
  train = (await loadEmbeddedMnist()).train;
});

describe('an objective defined outside src/', () => {
  it('has CPU gradients that match central finite differences', () => {
    const s: SseShape = { batch: 3, dim: 7, latent: 2, beta: 0.7, weight: 2 };
    const logits = Array.from(uniformArray(21, 31, -3, 3)), x = Array.from(uniformArray(21, 32, 0, 1)), stats = Array.from(uniformArray(12, 33, -1.5, 1.5));
    const r = sigmoidSse(logits, x, stats, s);
    const h = 1e-6;
    const numeric = (v: number[], loss: (w: number[]) => number) => v.map((_, i) => {
      const up = [...v], down = [...v];
      up[i] += h; down[i] -= h;
      return (loss(up) - loss(down)) / (2 * h);
    });
    expectClose('dlogits against finite differences', r.dlogits, numeric(logits, (l) => sigmoidSse(l, x, stats, s).loss), 1e-8, 1e-6);
    expectClose('dstats against finite differences', r.dstats, numeric(stats, (st) => sigmoidSse(logits, x, st, s).loss), 1e-8, 1e-6);
  });

  it('parses its own spec, and a model naming it needs a registry that knows it', () => {
    expect(() => new CpuVae(config)).toThrow(/unknown objective "sigmoid-sse"; expected one of elbo, iwae, iwae-dreg/);
    expect(() => new CpuVae({ ...config, objective: { kind: 'sigmoid-sse', k: 3 } }, undefined, registry)).toThrow(/objective sigmoid-sse: unknown field "k"; it takes weight/);
    expect(() => new CpuVae({ ...config, objective: { kind: 'sigmoid-sse', weight: -1 } }, undefined, registry)).toThrow(/weight must be a finite number > 0, got -1/);
    expect(new CpuVae(config, undefined, registry).objective.labels.key).toBe('sse');
  });

  it('trains a model on it: GPU against the CPU reference over 20 steps, then the test loss by the one protocol', async () => {
    const { device, rt } = gpu();
    const B = 16;
    const cpu = new CpuBackend(config, undefined, B, registry);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch: B, registry });
      expect(vae.describe()).toMatch(/sigmoid-sse weight=2/);
      let worst = 0;
      for (let step = 0; step < 20; step++) {
        const b = step % 7 === 6 ? 11 : B;
        const x = train.images.subarray(step * B * 784, (step * B + b) * 784);
        const want = cpu.model.trainStep(x, b);
        vae.trainStep(x);
        const got = await vae.readLoss();
        const rel = Math.max(...[0, 1, 2].map((i) => Math.abs(got[i] - want[i]) / Math.abs(want[i])));
        worst = Math.max(worst, rel);
        expect(rel, `step ${step}: gpu [loss, rec, kl] ${got.slice(0, 3)}, cpu ${want}`).toBeLessThan(1e-4);
      }
      console.info(`sigmoid-sse objective, 20 steps: worst relative loss/rec/kl difference ${worst.toExponential(2)}`);
      expectClose('parameters after 20 steps on the custom objective', await vae.readParams(), cpu.model.params, 2e-5, 1e-3);
      // The test loss through src/eval's one protocol on both models: same batches, same noise.
      const test = train.images.subarray(400 * 784, 450 * 784);
      const [g, c] = [await vae.evaluate(test, 50), await cpu.evaluate(test, 50)];
      expect(g.examples).toBe(50);
      expect(Math.abs(g.loss - c.loss) / c.loss, `test loss gpu ${g.loss} cpu ${c.loss}`).toBeLessThan(1e-4);
      expect(Math.abs(g.parts.kl - c.parts.kl) / c.parts.kl).toBeLessThan(1e-3);
      // Saved, and loaded through the registry (for training, and inference-only): the same test loss.
      const bytes = await vae.save();
      const loaded = GpuVae.load(rt, bytes, { maxBatch: B, registry });
      const lean = GpuVae.load(rt, bytes, { maxBatch: B, registry, inference: true });
      expect([loaded.step, lean.step]).toEqual([20, 20]);
      expect([await loaded.evaluate(test, 50), await lean.evaluate(test, 50)]).toEqual([g, g]);
      expect(() => GpuVae.load(rt, bytes)).toThrow(/unknown objective "sigmoid-sse"/);
      for (const m of [vae, loaded, lean]) m.dispose();
    });
  });
});
