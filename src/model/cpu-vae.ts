// The CPU reference trainer: the same graph, initial weights, noise stream and update as GpuVae,
// computed with the float64 CPU twins, one rule per op kind for forward and backward. It is the
// definition of a training step that the GPU path is checked against (and `--backend cpu`).
import { resolveConfig, type VaeConfig, type VaeConfigInput } from './config';
import { initParams, STREAMS } from './init';
import { buildVaeGraph, type Graph, type Op } from '../graph/graph';
import { adamStep } from '../cpu/adam';
import { elbo, type CpuElbo } from '../cpu/elbo';
import { linearBackward, linearForward } from '../cpu/linear';
import { reparameterizeBackward, reparameterizeForward } from '../cpu/reparameterize';

interface CpuPass {
  batch: number;
  acts: Map<string, ArrayLike<number>>;
  grads: Map<string, Float64Array>;
  result?: CpuElbo;
  step: number;
  stream: number;
}

export class CpuVae {
  readonly config: VaeConfig;
  readonly graph: Graph;
  params: Float64Array;
  grads: Float64Array;
  m: Float64Array;
  v: Float64Array;
  step = 0;

  constructor(config: VaeConfigInput = {}, params?: Float32Array) {
    this.config = resolveConfig(config);
    this.graph = buildVaeGraph(this.config);
    this.params = Float64Array.from(params ?? initParams(this.graph, this.config.seed));
    this.grads = new Float64Array(this.graph.arenaSize);
    this.m = new Float64Array(this.graph.arenaSize);
    this.v = new Float64Array(this.graph.arenaSize);
  }

  private tensor(p: { offset: number; size: number }, arena = this.params): Float64Array {
    return arena.subarray(p.offset, p.offset + p.size);
  }

  private forwardOp(op: Op, s: CpuPass) {
    const { acts } = s;
    const c = this.config;
    switch (op.kind) {
      case 'linear':
        acts.set(op.output, linearForward(acts.get(op.input)!, this.tensor(op.weight), this.tensor(op.bias), s.batch, op.inDim, op.outDim, op.activation));
        break;
      case 'reparameterize':
        acts.set(op.output, reparameterizeForward(acts.get(op.input)!, s.batch, op.latent, { seed: c.seed, step: s.step, stream: s.stream }));
        break;
      case 'elbo':
        s.result = elbo(acts.get(op.logits)!, acts.get(op.target)!, acts.get(op.stats)!, {
          batch: s.batch, dim: c.inputDim, latent: c.latent, beta: c.beta, likelihood: c.likelihood, sigma: c.sigma,
        });
        s.grads.set(op.logits, s.result.dlogits);
        s.grads.set(op.stats, s.result.dstats);
        break;
    }
  }

  private backwardOp(op: Op, s: CpuPass) {
    const { acts, grads } = s;
    switch (op.kind) {
      case 'linear': {
        const needInput = op.input !== this.graph.input;
        const g = linearBackward(acts.get(op.input)!, this.tensor(op.weight), acts.get(op.output)!, grads.get(op.output)!, s.batch, op.inDim, op.outDim, op.activation, needInput);
        this.tensor(op.weight, this.grads).set(g.dW);
        this.tensor(op.bias, this.grads).set(g.db);
        if (g.dx) grads.set(op.input, g.dx);
        break;
      }
      case 'reparameterize':
        grads.set(op.input, reparameterizeBackward(acts.get(op.input)!, grads.get(op.output)!, grads.get(op.input)!, s.batch, op.latent, {
          seed: this.config.seed, step: s.step, stream: s.stream,
        }));
        break;
      case 'elbo':
        break;
    }
  }

  private forward(x: ArrayLike<number>, batch: number, step: number, stream: number): CpuPass {
    const s: CpuPass = { batch, acts: new Map([[this.graph.input, x]]), grads: new Map(), step, stream };
    for (const op of this.graph.ops) this.forwardOp(op, s);
    return s;
  }

  /** One training step on batch × inputDim pixels; returns the batch's [loss, rec, kl]. */
  trainStep(x: ArrayLike<number>, batch: number): [number, number, number] {
    if (x.length !== batch * this.config.inputDim) throw new Error(`trainStep: expected ${batch} × ${this.config.inputDim} pixels, got ${x.length}`);
    const s = this.forward(x, batch, this.step >>> 0, STREAMS.train);
    for (const op of [...this.graph.ops].reverse()) this.backwardOp(op, s);
    adamStep(this.params, this.grads, this.m, this.v, this.config.adam, this.step + 1);
    this.step++;
    return [s.result!.loss, s.result!.rec, s.result!.kl];
  }

  /** The batch's −ELBO terms with the evaluation noise of batch `index` (as GpuVae.evaluate draws it). */
  evaluateBatch(x: ArrayLike<number>, batch: number, index: number): CpuElbo {
    return this.forward(x, batch, index, STREAMS.evalElbo).result!;
  }

  /** Activations of a forward pass with given noise step and stream (for tests and L_k). */
  forwardActivations(x: ArrayLike<number>, batch: number, step: number, stream: number): Map<string, ArrayLike<number>> {
    return this.forward(x, batch, step, stream).acts;
  }

  forwardResult(x: ArrayLike<number>, batch: number, step: number, stream: number): CpuElbo {
    return this.forward(x, batch, step, stream).result!;
  }

  /** Runs the decoder's layers on latents (batch × latent); returns the logits. */
  decodeLogits(z: ArrayLike<number>, batch: number): ArrayLike<number> {
    const s: CpuPass = { batch, acts: new Map([[this.graph.z, z]]), grads: new Map(), step: 0, stream: 0 };
    const start = this.graph.ops.findIndex((o) => o.kind === 'reparameterize') + 1;
    for (const op of this.graph.ops.slice(start)) if (op.kind === 'linear') this.forwardOp(op, s);
    return s.acts.get(this.graph.logits)!;
  }

  /** Runs the encoder's layers; returns μ | logvar rows (batch × 2Z). */
  encodeStats(x: ArrayLike<number>, batch: number): ArrayLike<number> {
    const s: CpuPass = { batch, acts: new Map([[this.graph.input, x]]), grads: new Map(), step: 0, stream: 0 };
    for (const op of this.graph.ops) {
      if (op.kind === 'reparameterize') break;
      this.forwardOp(op, s);
    }
    return s.acts.get(this.graph.stats)!;
  }
}
