// The reparameterization z = μ + σ ⊙ ε as an op: reads stats (μ | logvar, one row per example) and
// writes z with `samples` rows per example, each with its own Philox noise (shaders/reparameterize.wgsl,
// CPU twin src/cpu/reparameterize.ts). Its backward adds into dstats, which the objective wrote.
import { prepareReparameterize } from '../kernels/reparameterize';
import { reparameterizeBackward, reparameterizeForward } from '../cpu/reparameterize';
import { defineOp } from '../graph/op';

export interface ReparamAttrs {
  latent: number;
}

export const REPARAMETERIZE_OP = defineOp<ReparamAttrs>({
  name: 'reparameterize',
  shape(name, a, inputs) {
    const w = inputs.stats.shape.reduce((x, y) => x * y, 1);
    if (w !== 2 * a.latent) throw new Error(`${name}: the encoder gives ${w} values per example; expected 2 × latent = ${2 * a.latent} (μ | log σ²)`);
    if (inputs.stats.perSample) throw new Error(`${name}: stats must have one row per example`);
    return { z: { shape: [a.latent], perSample: true } };
  },
  buffers(op) {
    return {
      saved: [op.inputs.stats],
      grads: [{ tensor: op.inputs.stats, phase: 'backward', mode: 'add' }],
      scratch: [],
      // One bind group serves the forward and the backward.
      oneBindGroup: true,
      persistent: [],
    };
  },
  gpu(op, ctx) {
    const { stats } = op.inputs, { z } = op.outputs;
    // The backward takes one sample per example (the ELBO's); passes of more samples only sample.
    const grads = ctx.samples === 1 ? { dz: ctx.grad(z), dstats: ctx.grad(stats) } : {};
    const r = prepareReparameterize(
      ctx.rt,
      { batch: ctx.batch, latent: op.attrs.latent, samples: ctx.samples },
      { stats: ctx.tensor(stats), z: ctx.tensor(z), ...grads },
      ctx.noise,
      op.name,
    );
    return { forward: [r.forward], backward: r.backward ? [r.backward] : [], setNoise: r.setStep, destroy: r.destroy };
  },
  cpuForward(op, ctx) {
    const stats = ctx.acts.get(op.inputs.stats)!;
    ctx.acts.set(op.outputs.z, reparameterizeForward(stats, ctx.batch, op.attrs.latent, ctx.noise, ctx.samples));
  },
  cpuBackward(op, ctx) {
    const { stats } = op.inputs, { z } = op.outputs;
    ctx.grads.set(stats, reparameterizeBackward(ctx.acts.get(stats)!, ctx.grads.get(z)!, ctx.grads.get(stats)!, ctx.batch, op.attrs.latent, ctx.noise, ctx.samples));
  },
});
