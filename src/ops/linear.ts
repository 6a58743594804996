// The linear layer with fused bias and activation, y = f(x·W + b): matmul.wgsl forward; backward
// bias_grad.wgsl (dPre = dY ⊙ f'(y), db = Σ dPre) then the two transposed matmuls dW = xᵀ·dPre and
// dX = dPre·Wᵀ. CPU twin: src/cpu/linear.ts. Weights are stored in × out.
import { ACTIVATIONS, type Activation } from '../kernels/activation';
import { prepareBiasGrad } from '../kernels/bias-grad';
import { prepareMatmul, type PreparedOp } from '../kernels/matmul';
import type { Dispatch } from '../gpu/runtime';
import { linearBackward, linearForward } from '../cpu/linear';
import { defineLayer, type OpNode } from '../graph/op';

export interface LinearAttrs {
  inDim: number;
  outDim: number;
  activation: Activation;
}

const MAX_WIDTH = 1 << 20;
const width = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const LINEAR = defineLayer<LinearAttrs>({
  name: 'linear',
  pytorch: { module: 'Linear', axes: { weight: [1, 0], bias: [0] } },
  layer(spec, input, name) {
    const out = spec.width;
    // As wide as the data may be (config: inputDim up to 2^20; hidden widths up to 65536).
    if (typeof out !== 'number' || !Number.isInteger(out) || out < 1 || out > MAX_WIDTH) {
      throw new Error(`layer ${name} (linear): width must be an integer from 1 to ${MAX_WIDTH}, got ${JSON.stringify(out)}`);
    }
    const activation = (spec.activation ?? 'identity') as Activation;
    if (!ACTIVATIONS.includes(activation)) {
      throw new Error(`layer ${name} (linear): activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(spec.activation)}`);
    }
    const inDim = width(input.shape);
    return {
      attrs: { inDim, outDim: out, activation },
      params: [
        { role: 'weight', shape: [inDim, out], fanIn: inDim },
        { role: 'bias', shape: [out], fanIn: inDim },
      ],
    };
  },
  shape(name, a, inputs) {
    if (width(inputs.x.shape) !== a.inDim) throw new Error(`${name} (linear): input has ${width(inputs.x.shape)} values per row; expected ${a.inDim}`);
    return { y: { shape: [a.outDim], perSample: inputs.x.perSample } };
  },
  buffers(op) {
    const identity = op.attrs.activation === 'identity';
    return {
      saved: identity ? [op.inputs.x] : [op.inputs.x, op.outputs.y],
      grads: [{ tensor: op.inputs.x, phase: 'backward', mode: 'write' }],
      // dY ⊙ f'(y): an identity layer uses dY itself.
      scratch: identity ? [] : [{ name: 'dPre', floats: (rows) => rows * op.attrs.outDim, perSample: true }],
      persistent: [],
    };
  },
  gpu(op: OpNode<LinearAttrs>, ctx) {
    const { inDim, outDim, activation } = op.attrs;
    const x = op.inputs.x, y = op.outputs.y;
    const B = ctx.rows(x);
    const owned: { destroy(): void }[] = [];
    const keep = (p: PreparedOp) => (owned.push(p), p.dispatches);
    const { weight, bias } = op.params;
    const forward = keep(prepareMatmul(
      ctx.rt,
      { M: B, N: outDim, K: inDim, activation },
      { a: ctx.tensor(x), b: ctx.param(weight), bias: ctx.param(bias), c: ctx.tensor(y) },
      `${op.name} forward`,
    ));
    const destroy = () => owned.forEach((o) => o.destroy());
    // An inference-only model: no backward to prepare.
    if (!ctx.backward) return { forward, backward: [], destroy };
    // dPre = dY ⊙ f'(y), db = Σ dPre;  dW = xᵀ·dPre;  dX = dPre·Wᵀ (not for the data).
    const backward: Dispatch[] = [];
    const dY = ctx.grad(y);
    const identity = activation === 'identity';
    const dPre = identity ? dY : ctx.scratch('dPre');
    backward.push(...keep(prepareBiasGrad(
      ctx.rt,
      { rows: B, cols: outDim, activation },
      { dY, y: identity ? undefined : ctx.tensor(y), dPre: identity ? undefined : dPre, dBias: ctx.paramGrad(bias) },
      `${op.name} bias grad`,
    )));
    backward.push(...keep(prepareMatmul(ctx.rt, { M: inDim, N: outDim, K: B, transA: true }, { a: ctx.tensor(x), b: dPre, c: ctx.paramGrad(weight) }, `${op.name} dW`)));
    if (ctx.needsGrad(x)) {
      backward.push(...keep(prepareMatmul(ctx.rt, { M: B, N: inDim, K: outDim, transB: true }, { a: dPre, b: ctx.param(weight), c: ctx.grad(x) }, `${op.name} dX`)));
    }
    return { forward, backward, destroy };
  },
  cpuForward(op, ctx) {
    const { inDim, outDim, activation } = op.attrs;
    const x = ctx.acts.get(op.inputs.x)!;
    ctx.acts.set(op.outputs.y, linearForward(x, ctx.param(op.params.weight), ctx.param(op.params.bias), ctx.rows(op.inputs.x), inDim, outDim, activation));
  },
  cpuBackward(op, ctx) {
    const { inDim, outDim, activation } = op.attrs;
    const x = op.inputs.x, y = op.outputs.y;
    const g = linearBackward(ctx.acts.get(x)!, ctx.param(op.params.weight), ctx.acts.get(y)!, ctx.grads.get(y)!, ctx.rows(x), inDim, outDim, activation, ctx.needsGrad(x));
    ctx.paramGrad(op.params.weight).set(g.dW);
    ctx.paramGrad(op.params.bias).set(g.db);
    if (g.dx) ctx.grads.set(x, g.dx);
  },
});
