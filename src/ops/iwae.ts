// The importance-weighted objective (Burda et al. 2016) as ops: k samples per example go through the
// decoder in the same pass (rows = batch × k, row b·k + i). Two ops, because the decoder sits between:
//   the sampler (`reparameterize_k`) makes z_r = μ_b + σ_b ε_r with reparameterize.wgsl's Philox
//     stream (the noise the default sampler would use) and keeps ε, and in its backward joins the k
//     samples' dz and the latent-side terms of the bound into dstats from the normalised weights ŵ
//     (IWAE or DReG);
//   the objective (iwae_objective.wgsl) writes −L_k, its parts, ŵ and dlogits in one fused forward.
// ŵ is a tensor the sampler declares and the objective fills (the sampler's backward reads it).
// Parts: rec and kl are means over the k samples of −log p(x|z) and the sampled log q − log p; the
// loss is −L_k (for β = 1 the bound; with β ≠ 1 log w weights the latent terms by β).
// K = 1: ŵ = 1 and −L_1 = rec + β·(log q − log p): the ELBO with the KL sampled instead of analytic.
// CPU twins: src/cpu/iwae-objective.ts, src/cpu/reparameterize.ts.
import { prepareIwaeObjective } from '../kernels/iwae-objective';
import { prepareReparameterize, type IwaeEstimator } from '../kernels/reparameterize';
import { cpuScales, gpuScales, scaleParams, type LikelihoodAttrs } from './likelihood-scale';
import { iwaeObjective } from '../cpu/iwae-objective';
import { noiseFor, samplesBackward, samplesForward } from '../cpu/reparameterize';
import { checkSpecFields, defineObjective, defineOp, OBJECTIVE_BUFFERS as OUT, type OpKind, type TensorShape } from '../graph/op';

export interface SamplerAttrs {
  latent: number;
  beta: number;
  estimator: IwaeEstimator;
}

export interface IwaeAttrs extends LikelihoodAttrs {
  latent: number;
  beta: number;
  /** Samples per example in training (k). */
  k: number;
  estimator: IwaeEstimator;
}

/** Columns of the objective's per-example terms: −L_b, mean rec, mean sampled KL, effective sample size. */
const COLUMNS = ['negLk', 'rec', 'kl', 'ess'];
const TERM_COLUMNS = COLUMNS.length;
const PARTS = ['rec', 'kl'];
const width = (t: TensorShape) => t.shape.reduce((a, b) => a * b, 1);

export const IWAE_SAMPLER = defineOp<SamplerAttrs>({
  name: 'reparameterize_k',
  shape(name, a, inputs) {
    if (width(inputs.stats) !== 2 * a.latent) throw new Error(`${name}: the encoder gives ${width(inputs.stats)} values per example; expected 2 × latent = ${2 * a.latent} (μ | log σ²)`);
    if (inputs.stats.perSample) throw new Error(`${name}: stats must have one row per example`);
    return { z: { shape: [a.latent], perSample: true }, eps: { shape: [a.latent], perSample: true }, weights: { shape: [1], perSample: true } };
  },
  buffers(op) {
    return {
      saved: [op.inputs.stats, op.outputs.eps, op.outputs.weights],
      grads: [{ tensor: op.inputs.stats, phase: 'backward', mode: 'write' }],
      scratch: [],
      oneBindGroup: true,
      persistent: [],
    };
  },
  gpu(op, ctx) {
    const { stats } = op.inputs, { z, eps, weights } = op.outputs;
    const a = op.attrs;
    const r = prepareReparameterize(
      ctx.rt,
      { batch: ctx.batch, latent: a.latent, samples: ctx.samples, beta: a.beta, estimator: a.estimator },
      { stats: ctx.tensor(stats), z: ctx.tensor(z), eps: ctx.tensor(eps), dz: ctx.grad(z), dstats: ctx.grad(stats), weights: ctx.tensor(weights) },
      ctx.noise,
      op.name,
    );
    return { forward: [r.forward], backward: [r.backward!], setNoise: r.setStep, setBeta: r.setBeta, destroy: r.destroy };
  },
  cpuForward(op, ctx) {
    const a = op.attrs;
    const eps = noiseFor(ctx.noise, ctx.batch * ctx.samples * a.latent);
    ctx.acts.set(op.outputs.eps, eps);
    ctx.acts.set(op.outputs.z, samplesForward(ctx.acts.get(op.inputs.stats)!, eps, { batch: ctx.batch, samples: ctx.samples, latent: a.latent }));
  },
  cpuBackward(op, ctx) {
    const a = op.attrs;
    const { stats } = op.inputs, { z, eps, weights } = op.outputs;
    ctx.grads.set(stats, samplesBackward(ctx.acts.get(stats)!, ctx.acts.get(eps)!, ctx.grads.get(z)!, ctx.acts.get(weights)!, {
      batch: ctx.batch, samples: ctx.samples, latent: a.latent, beta: ctx.beta ?? a.beta, estimator: a.estimator,
    }));
  },
});

/** The largest k a training pass may use (rows = batch × k through the decoder). */
export const MAX_K_TRAIN = 4096;
/** k when the spec leaves it out. */
export const DEFAULT_K_TRAIN = 5;

function iwaeObjectiveKind(name: 'iwae' | 'iwae-dreg', estimator: IwaeEstimator, title: string) {
  return defineObjective<IwaeAttrs>({
    name,
    fields: ['k'],
    title,
    parse(spec, m) {
      checkSpecFields(spec, ['k'], `objective ${name}`);
      const k = spec.k ?? DEFAULT_K_TRAIN;
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K_TRAIN) {
        throw new Error(`objective ${name}: k (samples per example) must be an integer from 1 to ${MAX_K_TRAIN}, got ${JSON.stringify(k)}`);
      }
      return { dim: m.inputDim, latent: m.latent, beta: m.beta, likelihood: m.likelihood, sigma: m.sigma, channels: m.channels, k, estimator };
    },
    params: scaleParams,
    parts: () => PARTS,
    columns: () => COLUMNS,
    importanceBound: 'negLk',
    // The samples' mean rec + sampled KL estimates −ELBO whatever β is (the loss −L_k is tighter for β = 1).
    bound: (_a, p) => p.rec + p.kl,
    labels: (a) => ({ loss: `−L_${a.k}`, key: 'iwae', parts: { rec: 'rec', kl: 'KL (sampled)' } }),
    samples: (a) => a.k,
    sampler: { kind: IWAE_SAMPLER as OpKind<unknown>, attrs: (a): SamplerAttrs => ({ latent: a.latent, beta: a.beta, estimator }) },
    shape(opName, a, inputs) {
      if (width(inputs.logits) !== a.dim) throw new Error(`${opName}: the decoder gives ${width(inputs.logits)} values per row; expected the data's ${a.dim}`);
      if (width(inputs.target) !== a.dim) throw new Error(`${opName}: the data have ${width(inputs.target)} values per example; expected ${a.dim}`);
      if (width(inputs.stats) !== 2 * a.latent) throw new Error(`${opName}: stats have ${width(inputs.stats)} values per example; expected ${2 * a.latent}`);
      if (!inputs.eps || !inputs.weights) throw new Error(`${opName}: needs the noise and weights of its sampler (${IWAE_SAMPLER.name})`);
      return {};
    },
    buffers(op) {
      return {
        saved: [],
        grads: [{ tensor: op.inputs.logits, phase: 'forward', mode: 'write' }],
        scratch: [],
        oneBindGroup: true,
        persistent: [
          { name: OUT.terms, floats: (rows) => TERM_COLUMNS * rows },
          { name: OUT.loss, floats: () => TERM_COLUMNS },
          { name: OUT.totals, floats: () => PARTS.length + 2 },
          { name: OUT.health, floats: () => 2 },
        ],
      };
    },
    gpu(op, ctx) {
      const { logits, target, stats, eps, weights } = op.inputs;
      const a = op.attrs;
      const scales = gpuScales(op, ctx, { logits, target, weights });
      const p = prepareIwaeObjective(
        ctx.rt,
        { batch: ctx.batch, samples: ctx.samples, dim: a.dim, latent: a.latent, beta: a.beta, likelihood: a.likelihood, sigma: a.sigma, channels: a.channels, track: ctx.training },
        {
          logits: ctx.tensor(logits), x: ctx.tensor(target), stats: ctx.tensor(stats), eps: ctx.tensor(eps),
          dlogits: ctx.grad(logits), weights: ctx.tensor(weights),
          perExample: ctx.persistent(OUT.terms), loss: ctx.persistent(OUT.loss), totals: ctx.persistent(OUT.totals), health: ctx.persistent(OUT.health),
          ...(scales.logScale ? { logScale: scales.logScale } : {}),
        },
        op.name,
      );
      // The scale gradient reads ŵ, which the objective's per-example pass leaves in `weights`.
      return { forward: [...p.dispatches, ...scales.dispatches], backward: [], setBeta: p.setBeta, destroy: () => { p.destroy(); scales.destroy(); } };
    },
    cpuForward(op, ctx) {
      const { logits, target, stats, eps, weights } = op.inputs;
      const a = op.attrs;
      const scales = cpuScales(op, ctx);
      const r = iwaeObjective(ctx.acts.get(logits)!, ctx.acts.get(target)!, ctx.acts.get(stats)!, ctx.acts.get(eps)!, {
        batch: ctx.batch, samples: ctx.samples, dim: a.dim, latent: a.latent, beta: ctx.beta ?? a.beta, likelihood: a.likelihood, sigma: a.sigma, channels: a.channels,
      }, scales.logScale);
      scales.writeGrad(ctx.acts.get(logits)!, ctx.acts.get(target)!, r.weights);
      ctx.grads.set(logits, r.dlogits);
      ctx.acts.set(weights, r.weights);
      ctx.report({ loss: r.loss, parts: [r.rec, r.kl], perExample: r.perExample });
    },
    cpuBackward() {},
  });
}

export const IWAE_OBJECTIVE_OP = iwaeObjectiveKind('iwae', 'iwae', 'IWAE (L_k)');
export const IWAE_DREG_OBJECTIVE_OP = iwaeObjectiveKind('iwae-dreg', 'dreg', 'IWAE, DReG gradient');
