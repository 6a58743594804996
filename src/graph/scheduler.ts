// The scheduler: from the op graph and the memory plan it derives, per batch size, the dispatches of
// a training step: the forward rule of each op in order, then each op's backward rule in reverse
// order, then one Adam update over the parameter arena. The rules live in one table keyed by op kind.
// Everything is prepared once per batch size; a step only writes two small uniforms and encodes.
import type { Dispatch, Runtime } from '../gpu/runtime';
import { prepareAdam, type AdamHyper, type PreparedAdam } from '../kernels/adam';
import { prepareBiasGrad } from '../kernels/bias-grad';
import { prepareElbo } from '../kernels/elbo';
import { prepareMatmul, type PreparedOp } from '../kernels/matmul';
import { prepareReparameterize, type PreparedReparam } from '../kernels/reparameterize';
import type { VaeConfig } from '../model/config';
import type { Graph, Op } from './graph';
import { paramSlice, type MemoryPlan } from './memory-plan';

/** What a rule may use: the runtime, the plan, the batch size, and a place to register what it made. */
interface RuleContext {
  rt: Runtime;
  plan: MemoryPlan;
  config: VaeConfig;
  graph: Graph;
  batch: number;
  /** The noise stream of this pass's reparameterization (training or evaluation). */
  stream: number;
  /** A training pass (its ELBO counts steps and watches for a non-finite loss). */
  training: boolean;
  owned: { destroy(): void }[];
  reparam?: PreparedReparam;
}

type Rule<K extends Op['kind']> = (op: Extract<Op, { kind: K }>, ctx: RuleContext) => Dispatch[];
type RuleTable = { [K in Op['kind']]: Rule<K> };

function keep<T extends { destroy(): void }>(ctx: RuleContext, op: T): T {
  ctx.owned.push(op);
  return op;
}

/** Whether the backward pass needs the gradient w.r.t. this tensor (not for the data). */
function needsGrad(ctx: RuleContext, tensor: string): boolean {
  return tensor !== ctx.graph.input;
}

export const FORWARD: RuleTable = {
  linear: (op, ctx) =>
    keep(ctx, prepareMatmul(
      ctx.rt,
      { M: ctx.batch, N: op.outDim, K: op.inDim, activation: op.activation },
      {
        a: ctx.plan.activations.get(op.input)!,
        b: paramSlice(ctx.plan.params, op.weight),
        bias: paramSlice(ctx.plan.params, op.bias),
        c: ctx.plan.activations.get(op.output)!,
      },
      `${op.name} forward`,
    )).dispatches,
  reparameterize: (op, ctx) => {
    const r = keep(ctx, prepareReparameterize(
      ctx.rt,
      { batch: ctx.batch, latent: op.latent },
      {
        stats: ctx.plan.activations.get(op.input)!,
        z: ctx.plan.activations.get(op.output)!,
        dz: ctx.plan.gradients.get(op.output)!,
        dstats: ctx.plan.gradients.get(op.input)!,
      },
      { seed: ctx.config.seed, stream: ctx.stream },
    ));
    ctx.reparam = r;
    return [r.forward];
  },
  // The ELBO's gradients are known in advance, so its forward writes them too.
  elbo: (op, ctx) =>
    keep(ctx, prepareElbo(
      ctx.rt,
      {
        batch: ctx.batch, dim: ctx.config.inputDim, latent: ctx.config.latent, beta: ctx.config.beta,
        likelihood: ctx.config.likelihood, sigma: ctx.config.sigma, track: ctx.training,
      },
      {
        logits: ctx.plan.activations.get(op.logits)!,
        x: ctx.plan.activations.get(op.target)!,
        stats: ctx.plan.activations.get(op.stats)!,
        dlogits: ctx.plan.gradients.get(op.logits)!,
        dstats: ctx.plan.gradients.get(op.stats)!,
        perExample: ctx.plan.terms,
        loss: ctx.plan.loss,
        totals: ctx.plan.totals,
        health: ctx.plan.health,
      },
    )).dispatches,
};

export const BACKWARD: RuleTable = {
  // dPre = dY ⊙ f'(Y), db = Σ dPre;  dW = Xᵀ·dPre;  dX = dPre·Wᵀ.
  linear: (op, ctx) => {
    const { rt, plan, batch: B } = ctx;
    const dY = plan.gradients.get(op.output)!;
    const identity = op.activation === 'identity';
    const dPre = identity ? dY : plan.dPre;
    const out: Dispatch[] = [];
    out.push(...keep(ctx, prepareBiasGrad(
      rt,
      { rows: B, cols: op.outDim, activation: op.activation },
      { dY, y: plan.activations.get(op.output)!, dPre: identity ? undefined : dPre, dBias: paramSlice(plan.grads, op.bias) },
      `${op.name} bias grad`,
    )).dispatches);
    out.push(...keep(ctx, prepareMatmul(
      rt,
      { M: op.inDim, N: op.outDim, K: B, transA: true },
      { a: plan.activations.get(op.input)!, b: dPre, c: paramSlice(plan.grads, op.weight) },
      `${op.name} dW`,
    )).dispatches);
    if (needsGrad(ctx, op.input)) {
      out.push(...keep(ctx, prepareMatmul(
        rt,
        { M: B, N: op.inDim, K: op.outDim, transB: true },
        { a: dPre, b: paramSlice(plan.params, op.weight), c: plan.gradients.get(op.input)! },
        `${op.name} dX`,
      )).dispatches);
    }
    return out;
  },
  reparameterize: (_op, ctx) => [ctx.reparam!.backward!],
  elbo: () => [],
};

/** The dispatches of one pass over the graph for one batch size, and the resources they own. */
export interface PassPlan {
  batch: number;
  /** encode + sample + decode + elbo, in order. */
  forward: Dispatch[];
  /** The encoder's layers, up to μ | logvar. */
  encode: Dispatch[];
  /** z = μ + σ ⊙ ε. */
  sample: Dispatch[];
  /** The decoder's layers, z to logits. */
  decode: Dispatch[];
  /** [per-example terms and gradients, batch mean and totals]. */
  elbo: Dispatch[];
  backward: Dispatch[];
  reparam: PreparedReparam;
  destroy(): void;
}

export function planPass(rt: Runtime, graph: Graph, plan: MemoryPlan, config: VaeConfig, batch: number, stream: number, training: boolean): PassPlan {
  if (!Number.isInteger(batch) || batch < 1 || batch > plan.maxBatch) {
    throw new Error(`scheduler: batch size must be an integer from 1 to ${plan.maxBatch}, got ${batch}`);
  }
  const ctx: RuleContext = { rt, plan, config, graph, batch, stream, training, owned: [] };
  const run = <K extends Op['kind']>(table: RuleTable, op: Extract<Op, { kind: K }>) => (table[op.kind] as Rule<K>)(op, ctx);
  const segments = { encode: [] as Dispatch[], sample: [] as Dispatch[], decode: [] as Dispatch[], elbo: [] as Dispatch[] };
  let sampled = false;
  for (const op of graph.ops) {
    const d = run(FORWARD, op);
    if (op.kind === 'reparameterize') { segments.sample.push(...d); sampled = true; }
    else if (op.kind === 'elbo') segments.elbo.push(...d);
    else (sampled ? segments.decode : segments.encode).push(...d);
  }
  const backward = [...graph.ops].reverse().flatMap((op) => run(BACKWARD, op));
  return {
    batch,
    forward: [...segments.encode, ...segments.sample, ...segments.decode, ...segments.elbo],
    ...segments,
    backward,
    reparam: ctx.reparam!,
    destroy: () => ctx.owned.forEach((o) => o.destroy()),
  };
}

export function planAdam(rt: Runtime, graph: Graph, plan: MemoryPlan, adam: AdamHyper): PreparedAdam {
  return prepareAdam(rt, graph.arenaSize, adam, { params: plan.params, grads: plan.grads, m: plan.adamM, v: plan.adamV });
}

export type { PreparedOp };
