// The learned per-channel scales of a likelihood, as the objective ops (ELBO, IWAE) own them: the
// parameter likelihood.log_scale (C values, initialised to 0: σ = 1 for the Gaussian, scale 1 for the
// logistic), its binding for the objective kernels, and in training passes the dispatch of
// likelihood_scale_grad.wgsl that writes its gradient (CPU twin: src/cpu/likelihood-scale-grad.ts).
import { learnsScale, type Likelihood, type Sigma } from '../base/words';
import type { Dispatch } from '../gpu/runtime';
import type { BufferSlice } from '../gpu/kernel';
import { SCALE_BYTES } from '../kernels/likelihood';
import { prepareScaleGrad } from '../kernels/likelihood-scale-grad';
import { likelihoodScaleGrad } from '../cpu/likelihood-scale-grad';
import type { CpuOpContext, GpuOpContext, OpNode, ParamRequest } from '../graph/op';

/** The likelihood words an objective's attributes carry. */
export interface LikelihoodAttrs {
  dim: number;
  likelihood: Likelihood;
  sigma: Sigma;
  /** Channels of the data: value d of a row is in channel d mod channels. */
  channels: number;
}

export const SCALE_ROLE = 'log_scale';

/** The parameter an objective with these attributes asks for: C log-scales when they are learned. */
export function scaleParams(a: LikelihoodAttrs): ParamRequest[] {
  return learnsScale(a.likelihood, a.sigma) ? [{ role: SCALE_ROLE, shape: [a.channels], fanIn: 1, init: 0 }] : [];
}

/**
 * The objective's log-scale binding (the parameter's 64-float slot of the arena, read as a 256-byte
 * uniform) and, in a training pass, the dispatch writing its gradient; nothing without learned scales.
 */
export function gpuScales(op: OpNode<LikelihoodAttrs>, ctx: GpuOpContext, rows: { logits: string; target: string; weights?: string }): {
  logScale?: BufferSlice; dispatches: Dispatch[]; destroy(): void;
} {
  const p = op.params[SCALE_ROLE];
  if (!p) return { dispatches: [], destroy() {} };
  const slot = ctx.param(p);
  const logScale = { buffer: slot.buffer, offset: slot.offset ?? 0, size: SCALE_BYTES };
  if (!ctx.training || !ctx.backward) return { logScale, dispatches: [], destroy() {} };
  const a = op.attrs;
  const g = prepareScaleGrad(
    ctx.rt,
    { batch: ctx.batch, samples: ctx.samples, dim: a.dim, likelihood: a.likelihood, sigma: a.sigma, channels: a.channels },
    {
      logits: ctx.tensor(rows.logits), x: ctx.tensor(rows.target), ...(rows.weights ? { weights: ctx.tensor(rows.weights) } : {}),
      dscale: ctx.paramGrad(p), logScale,
    },
    `${op.name} scale grad`,
  );
  return { logScale, dispatches: [g.dispatch], destroy: g.destroy };
}

/** The CPU side: the log-scales (undefined without learned scales), and a writer of their gradient. */
export function cpuScales(op: OpNode<LikelihoodAttrs>, ctx: CpuOpContext): { logScale?: Float64Array; writeGrad(logits: ArrayLike<number>, x: ArrayLike<number>, weights?: ArrayLike<number>): void } {
  const p = op.params[SCALE_ROLE];
  if (!p) return { writeGrad() {} };
  const logScale = ctx.param(p);
  const a = op.attrs;
  return {
    logScale,
    writeGrad: (logits, x, weights) => {
      const g = likelihoodScaleGrad(logits, x, logScale, { batch: ctx.batch, samples: ctx.samples, dim: a.dim, likelihood: a.likelihood, sigma: a.sigma, channels: a.channels }, weights);
      ctx.paramGrad(p).set(g);
    },
  };
}
