// The label join of a conditional VAE as an op: y = [x, one-hot(label)] per row, where x has R rows
// per example (z after S samples: R = S) and label one u32 per example (shaders/concat_label.wgsl,
// CPU twin src/cpu/concat-label.ts). The graph puts one before the first layer with weights on a
// flat input on each side (src/graph/graph.ts); its backward hands on x's columns of dy.
import { prepareConcatLabel } from '../kernels/concat-label';
import { concatLabelBackward, concatLabelForward } from '../cpu/concat-label';
import { defineOp, type LabelJoinAttrs } from '../graph/op';

const widthOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const CONCAT_LABEL_OP = defineOp<LabelJoinAttrs>({
  name: 'concat_label',
  shape(name, a, inputs) {
    if (inputs.x.shape.length !== 1) throw new Error(`${name}: joins a label to flat rows; its input has shape [${inputs.x.shape.join(', ')}]`);
    if (inputs.label.perSample || widthOf(inputs.label.shape) !== 1) throw new Error(`${name}: the label must be one value per example`);
    return { y: { shape: [inputs.x.shape[0]! + a.classes], perSample: inputs.x.perSample } };
  },
  buffers(op) {
    return {
      // The label stays live for the whole step (evaluation runs the decoder's stage again after the objective).
      saved: [op.inputs.label],
      grads: [{ tensor: op.inputs.x, phase: 'backward', mode: 'write' }],
      scratch: [],
      persistent: [],
    };
  },
  gpu(op, ctx) {
    const { x, label } = op.inputs, { y } = op.outputs;
    const rows = ctx.rows(x), batch = ctx.rows(label);
    const grads = ctx.backward && ctx.needsGrad(x) ? { dy: ctx.grad(y), dx: ctx.grad(x) } : {};
    const p = prepareConcatLabel(ctx.rt, { rows, width: op.attrs.width, classes: op.attrs.classes, repeat: rows / batch }, { x: ctx.tensor(x), labels: ctx.tensor(label), y: ctx.tensor(y), ...grads }, op.name);
    return { forward: [p.forward], backward: p.backward ? [p.backward] : [], destroy: p.destroy };
  },
  cpuForward(op, ctx) {
    const { x, label } = op.inputs;
    const rows = ctx.rows(x);
    ctx.acts.set(op.outputs.y, concatLabelForward(ctx.acts.get(x)!, ctx.acts.get(label)!, rows, op.attrs.width, op.attrs.classes, rows / ctx.rows(label)));
  },
  cpuBackward(op, ctx) {
    const { x } = op.inputs;
    if (ctx.needsGrad(x)) ctx.grads.set(x, concatLabelBackward(ctx.grads.get(op.outputs.y)!, ctx.rows(x), op.attrs.width, op.attrs.classes));
  },
});
