// An op is local: this file alone defines a new op kind, a layer y = a·x with one learned scalar a
// (its WGSL, its CPU twin, its backward: dx = a·dy, da = Σ x·dy), registers it, and trains a model
// whose encoder and decoder contain it, GPU against the CPU reference over 20 steps, with nothing
// under src/ knowing about it. The CPU backward is checked by central finite differences first.
// Then the samples dimension: one pass with k rows per example after the noise.
import { beforeAll, describe, expect, it } from 'vitest';
// The extension API as the package exports it.
import {
  BUILTIN_OPS, CheckpointError, CpuVae, GpuVae, customLayer, defineLayer, type CpuOpContext, type KernelDecl, type OpNode, type VaeConfigInput,
} from '../../src/index';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import type { Dataset } from '../../src/data/dataset';
import { expectClose } from '../util/compare';
import { uniformArray } from '../util/random';
import { expectMatchesShader } from '../kernels/reflect';
import { scoped, submit, useGpu } from '../gpu/harness';
import { planPass } from '../../src/graph/scheduler';
import { readFloats } from '../../src/gpu/buffers';

const SCALE_WGSL = /* wgsl */ `
struct Params { count: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> da: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.count) { y[gid.x] = a[0] * x[gid.x]; }
}

@compute @workgroup_size(64)
fn backward_x(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < params.count) { dx[gid.x] = a[0] * dy[gid.x]; }
}

var<workgroup> partial: array<f32, 64>;

// One workgroup: strided partial sums of x·dy, then a tree.
@compute @workgroup_size(64)
fn backward_a(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
  for (var i = t; i < params.count; i += 64u) { s += x[i] * dy[i]; }
  partial[t] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w /= 2u) {
    if (t < w) { partial[t] += partial[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) { da[0] = partial[0]; }
}
`;

const SCALE_KERNEL: KernelDecl = {
  name: 'scale (test)',
  source: SCALE_WGSL,
  entryPoints: ['forward', 'backward_x', 'backward_a'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['count', 'u32'], ['_pad0', 'u32'], ['_pad1', 'u32'], ['_pad2', 'u32']] },
    { binding: 1, name: 'x', type: 'read-only-storage' },
    { binding: 2, name: 'a', type: 'read-only-storage' },
    { binding: 3, name: 'y', type: 'storage' },
    { binding: 4, name: 'dy', type: 'read-only-storage' },
    { binding: 5, name: 'dx', type: 'storage' },
    { binding: 6, name: 'da', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [64, 1],
};

interface ScaleAttrs { width: number }

// The CPU twin, float64.
const scaleForward = (x: ArrayLike<number>, a: number) => Float64Array.from(x, (v) => a * v);
function scaleBackward(x: ArrayLike<number>, dy: ArrayLike<number>, a: number): { dx: Float64Array; da: number } {
  let da = 0;
  for (let i = 0; i < x.length; i++) da += x[i] * dy[i];
  return { dx: Float64Array.from(dy, (v) => a * v), da };
}

const SCALE = defineLayer<ScaleAttrs>({
  name: 'scale',
  layer(spec, input, name) {
    if (Object.keys(spec).some((k) => k !== 'kind' && k !== 'name')) throw new Error(`layer ${name} (scale): takes no fields`);
    return { attrs: { width: input.shape.reduce((p, q) => p * q, 1) }, params: [{ role: 'a', shape: [1], fanIn: 1, init: 1 }] };
  },
  shape: (_name, a, inputs) => ({ y: { shape: [a.width], perSample: inputs.x.perSample } }),
  buffers: (op) => ({ saved: [op.inputs.x], grads: [{ tensor: op.inputs.x, phase: 'backward', mode: 'write' }], scratch: [], persistent: [], oneBindGroup: true }),
  gpu(op: OpNode<ScaleAttrs>, ctx) {
    const count = ctx.rows(op.inputs.x) * op.attrs.width;
    // The uniform by field name, at the offsets its declaration gives (checked by reflection above).
    const params = ctx.rt.uniformBlock(SCALE_KERNEL, 'params', { count }, `${op.name} params`);
    const bindGroup = ctx.rt.bindGroup(SCALE_KERNEL, {
      params: params.buffer, x: ctx.tensor(op.inputs.x), a: ctx.param(op.params.a), y: ctx.tensor(op.outputs.y),
      dy: ctx.grad(op.outputs.y), dx: ctx.needsGrad(op.inputs.x) ? ctx.grad(op.inputs.x) : ctx.rt.writablePlaceholder, da: ctx.paramGrad(op.params.a),
    });
    const groups = ctx.rt.grid(Math.ceil(count / 64));
    const d = (entry: string, workgroups: readonly [number, number, number]) => ({ label: `${op.name} ${entry}`, pipeline: ctx.rt.pipeline(SCALE_KERNEL, entry), bindGroup, workgroups });
    return {
      forward: [d('forward', groups)],
      backward: [d('backward_a', [1, 1, 1]), ...(ctx.needsGrad(op.inputs.x) ? [d('backward_x', groups)] : [])],
      destroy: () => params.destroy(),
    };
  },
  cpuForward(op, ctx: CpuOpContext) {
    ctx.acts.set(op.outputs.y, scaleForward(ctx.acts.get(op.inputs.x)!, ctx.param(op.params.a)[0]));
  },
  cpuBackward(op, ctx) {
    const { dx, da } = scaleBackward(ctx.acts.get(op.inputs.x)!, ctx.grads.get(op.outputs.y)!, ctx.param(op.params.a)[0]);
    ctx.paramGrad(op.params.a)[0] = da;
    if (ctx.needsGrad(op.inputs.x)) ctx.grads.set(op.inputs.x, dx);
  },
});

const registry = BUILTIN_OPS.with(SCALE);
const latent = 4;
const config: VaeConfigInput = {
  latent,
  seed: 21,
  adam: { lr: 3e-3 },
  encoder: [{ kind: 'linear', width: 48, activation: 'relu' }, customLayer('scale'), { kind: 'linear', name: 'encoder.head', width: 2 * latent }],
  decoder: [{ kind: 'linear', width: 40, activation: 'tanh' }, customLayer('scale', { name: 'decoder.gain' }), { kind: 'linear', name: 'decoder.out', width: 784 }],
};

const gpu = useGpu();
let train: Dataset;
beforeAll(async () => {
  train = (await loadEmbeddedMnist()).train;
});

describe('an op kind defined outside src/', () => {
  it('declares what its shader declares: bindings and the uniform\'s fields, by reflection', () => expectMatchesShader(SCALE_KERNEL));

  it('has a CPU backward that matches central finite differences', () => {
    const x = Array.from(uniformArray(30, 7, -1, 1)), w = Array.from(uniformArray(30, 8, -1, 1));
    const a = 0.7, h = 1e-6;
    // L = Σ w ⊙ y: dL/dy = w.
    const L = (xs: number[], s: number) => scaleForward(xs, s).reduce((acc, v, i) => acc + v * w[i], 0);
    const { dx, da } = scaleBackward(x, w, a);
    expect(da).toBeCloseTo((L(x, a + h) - L(x, a - h)) / (2 * h), 6);
    const numeric = x.map((_, i) => {
      const up = [...x], down = [...x];
      up[i] += h; down[i] -= h;
      return (L(up, a) - L(down, a)) / (2 * h);
    });
    expectClose('scale dx against finite differences', dx, numeric, 1e-7, 1e-6);
  });

  it('refuses a model naming a kind its registry lacks', () => {
    expect(() => new CpuVae(config)).toThrow(/layer encoder\.1: unknown layer kind "scale"; expected one of linear/);
  });

  it('trains a model containing it: GPU against the CPU reference over 20 steps', async () => {
    const { device, rt } = gpu();
    const B = 16;
    const cpu = new CpuVae(config, undefined, registry);
    expect(cpu.graph.params.map((p) => p.name)).toContain('decoder.gain.a');
    await scoped(device, async () => {
      const vae = new GpuVae(rt, config, { maxBatch: B, registry });
      for (let step = 0; step < 20; step++) {
        const b = step % 7 === 6 ? 9 : B;
        const x = train.images.subarray(step * B * 784, (step * B + b) * 784);
        const want = cpu.trainStep(x, b);
        vae.trainStep(x);
        const got = await vae.readLoss();
        expect(Math.abs(got[0] - want[0]) / want[0], `step ${step}: gpu ${got[0]} cpu ${want[0]}`).toBeLessThan(1e-4);
      }
      const params = await vae.readParams();
      expectClose('parameters after 20 steps (scale layers included)', params, cpu.params, 2e-5, 1e-3);
      // The learned constants moved from their initial 1, the same way on both.
      for (const name of ['encoder.1.a', 'decoder.gain.a']) {
        const p = cpu.graph.params.find((q) => q.name === name)!;
        expect(Math.abs(cpu.params[p.offset] - 1), name).toBeGreaterThan(1e-3);
        expect(params[p.offset]).toBeCloseTo(cpu.params[p.offset], 4);
      }
      // Saved and loaded through the registry: the same weights, Adam state, step and test loss,
      // also inference-only; without the registry the load names the kind it does not know.
      const bytes = await vae.save();
      const loaded = GpuVae.load(rt, bytes, { maxBatch: B, registry });
      const lean = GpuVae.load(rt, bytes, { maxBatch: B, registry, inference: true });
      expect(await loaded.readParams()).toEqual(params);
      expect(await loaded.readOptimizer()).toEqual(await vae.readOptimizer());
      const x = train.images.subarray(0, 40 * 784);
      const want = await vae.evaluate(x, 40);
      expect([await loaded.evaluate(x, 40), await lean.evaluate(x, 40)]).toEqual([want, want]);
      expect(() => GpuVae.load(rt, bytes)).toThrow(CheckpointError);
      expect(() => GpuVae.load(rt, bytes)).toThrow(/unknown layer kind "scale".*loads with \{ registry: BUILTIN_OPS\.with\(\.\.\.\) \}/);
      // It trains on after the load exactly as the original does.
      const next = train.images.subarray(400 * 784, 416 * 784);
      vae.trainStep(next);
      loaded.trainStep(next);
      expect(await loaded.readParams()).toEqual(await vae.readParams());
      for (const m of [vae, loaded, lean]) m.dispose();
    });
  });
});

describe('rows = batch × samples', () => {
  it('pushes 3 samples per example through the decoder in one pass, as the CPU reference does', async () => {
    const { device, rt } = gpu();
    const c = { encoderHidden: [24], decoderHidden: [20], latent: 3, seed: 8 };
    const B = 5, S = 3;
    const x = train.images.subarray(0, B * 784);
    const cpu = new CpuVae(c).forwardActivations(x, B, 2, 1030, S);
    await scoped(device, async () => {
      const vae = new GpuVae(rt, c, { maxBatch: B, maxSamples: S });
      const pass = planPass(rt, vae.graph, vae.plan, { batch: B, samples: S, seed: c.seed, stream: 1030, training: false, stages: ['encoder', 'sample', 'decoder'] });
      device.queue.writeBuffer(vae.plan.activations.get('x')!, 0, x.buffer, x.byteOffset, x.byteLength);
      pass.setNoise(2);
      await submit(device, pass.forward);
      const z = await readFloats(device, vae.plan.activations.get('z')!, B * S * 3);
      const logits = await readFloats(device, vae.plan.activations.get('logits')!, B * S * 784);
      expectClose('z, 3 samples per example', z, cpu.get('z')!, 2e-5, 2e-5);
      expectClose('logits of 15 rows', logits, cpu.get('logits')!, 1e-4, 1e-4);
      // The samples of one example differ (each row its own noise).
      expect(z[0]).not.toBe(z[3]);
      pass.destroy();
      vae.dispose();
    });
  });
});
