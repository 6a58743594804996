// The ELBO objective as an op: the fused elbo.wgsl writes the per-example terms (rec, kl), the batch
// loss (1/B) Σ (rec + β·kl), the running totals and the health word, and, its gradients being known
// in advance, dlogits and dstats in the same forward. CPU twin: src/cpu/elbo.ts. One sample per example.
import { prepareElbo } from '../kernels/elbo';
import { elbo } from '../cpu/elbo';
import { cpuScales, gpuScales, scaleParams, type LikelihoodAttrs } from './likelihood-scale';
import { checkSpecFields, defineObjective, OBJECTIVE_BUFFERS as OUT, type TensorShape } from '../graph/op';

export interface ElboAttrs extends LikelihoodAttrs {
  latent: number;
  beta: number;
}

const PARTS = ['rec', 'kl'];
const width = (t: TensorShape) => t.shape.reduce((a, b) => a * b, 1);

function oneSample(name: string, samples: number) {
  if (samples !== 1) throw new Error(`${name}: the ELBO objective takes one sample per example; got ${samples}`);
}

export const ELBO_OBJECTIVE = defineObjective<ElboAttrs>({
  name: 'elbo',
  fields: [],
  title: 'ELBO',
  parse(spec, m) {
    checkSpecFields(spec, [], 'objective elbo');
    return { dim: m.inputDim, latent: m.latent, beta: m.beta, likelihood: m.likelihood, sigma: m.sigma, channels: m.channels };
  },
  params: scaleParams,
  parts: () => PARTS,
  bound: (_a, p) => p.rec + p.kl,
  labels: () => ({ loss: '−ELBO', key: 'elbo', parts: { rec: 'rec', kl: 'KL' } }),
  shape(name, a, inputs) {
    if (width(inputs.logits) !== a.dim) throw new Error(`${name}: the decoder gives ${width(inputs.logits)} values per row; expected the data's ${a.dim}`);
    if (width(inputs.target) !== a.dim) throw new Error(`${name}: the data have ${width(inputs.target)} values per example; expected ${a.dim}`);
    if (width(inputs.stats) !== 2 * a.latent) throw new Error(`${name}: stats have ${width(inputs.stats)} values per example; expected ${2 * a.latent}`);
    return {};
  },
  buffers(op) {
    return {
      saved: [],
      grads: [
        { tensor: op.inputs.logits, phase: 'forward', mode: 'write' },
        { tensor: op.inputs.stats, phase: 'forward', mode: 'write' },
      ],
      scratch: [],
      // One bind group serves the forward and the backward.
      oneBindGroup: true,
      persistent: [
        { name: OUT.terms, floats: (rows) => PARTS.length * rows },
        { name: OUT.loss, floats: () => 1 + PARTS.length },
        { name: OUT.totals, floats: () => PARTS.length + 2 },
        { name: OUT.health, floats: () => 2 },
      ],
    };
  },
  gpu(op, ctx) {
    oneSample(op.name, ctx.samples);
    const { logits, target, stats } = op.inputs;
    const a = op.attrs;
    const scales = gpuScales(op, ctx, { logits, target });
    const p = prepareElbo(
      ctx.rt,
      { batch: ctx.batch, dim: a.dim, latent: a.latent, beta: a.beta, likelihood: a.likelihood, sigma: a.sigma, channels: a.channels, track: ctx.training },
      {
        logits: ctx.tensor(logits), x: ctx.tensor(target), stats: ctx.tensor(stats),
        dlogits: ctx.grad(logits), dstats: ctx.grad(stats),
        perExample: ctx.persistent(OUT.terms), loss: ctx.persistent(OUT.loss), totals: ctx.persistent(OUT.totals), health: ctx.persistent(OUT.health),
        ...(scales.logScale ? { logScale: scales.logScale } : {}),
      },
      op.name,
    );
    // The scale gradient after the objective (the per-example terms stay the objective's first dispatch).
    return { forward: [...p.dispatches, ...scales.dispatches], backward: [], setBeta: p.setBeta, destroy: () => { p.destroy(); scales.destroy(); } };
  },
  cpuForward(op, ctx) {
    oneSample(op.name, ctx.samples);
    const { logits, target, stats } = op.inputs;
    const a = op.attrs;
    const scales = cpuScales(op, ctx);
    const r = elbo(ctx.acts.get(logits)!, ctx.acts.get(target)!, ctx.acts.get(stats)!, {
      batch: ctx.batch, dim: a.dim, latent: a.latent, beta: ctx.beta ?? a.beta, likelihood: a.likelihood, sigma: a.sigma, channels: a.channels,
    }, scales.logScale);
    scales.writeGrad(ctx.acts.get(logits)!, ctx.acts.get(target)!);
    ctx.grads.set(logits, r.dlogits);
    ctx.grads.set(stats, r.dstats);
    ctx.report({ loss: r.loss, parts: [r.rec, r.kl], perExample: r.perExample });
  },
  cpuBackward() {},
});
