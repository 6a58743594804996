// Reshape and flatten: the same values of each row under another shape. In NHWC an example's
// H×W×C activation is H·W·C contiguous floats, so no copy is needed: the memory plan gives the output
// its input's buffer (and the output's gradient the input's), and the op dispatches nothing.
// Flattening is in (h, w, c) order (PyTorch's nn.Flatten on NCHW is (c, h, w); docs/CONV.md).
import { defineLayer, type LayerFields, type OpKind, type TensorShape } from '../graph/op';

export interface ReshapeAttrs {
  shape: number[];
}

const widthOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const shapeText = (t: TensorShape) => `[${t.shape.join(', ')}]`;

function checkFields(label: string, spec: LayerFields, known: string[]) {
  const unknown = Object.keys(spec).filter((k) => !['kind', 'name', ...known].includes(k));
  if (unknown.length) throw new Error(`${label}: unknown field ${unknown.join(', ')}; expected ${['kind', 'name', ...known].join(', ')}`);
}

const shapeChange: Omit<OpKind<ReshapeAttrs>, 'name'> = {
  shape(name, a, inputs) {
    if (widthOf(inputs.x.shape) !== widthOf(a.shape)) {
      throw new Error(`${name}: input shape ${shapeText(inputs.x)} has ${widthOf(inputs.x.shape)} values per row; expected ${widthOf(a.shape)} for [${a.shape.join(', ')}]`);
    }
    return { y: { shape: [...a.shape], perSample: inputs.x.perSample } };
  },
  buffers(op) {
    return { saved: [], grads: [], scratch: [], persistent: [], aliases: [[op.outputs.y, op.inputs.x]] };
  },
  gpu() {
    return { forward: [], backward: [], destroy() {} };
  },
  // The same array under the new name (the CPU rows are as flat as the GPU's).
  cpuForward(op, ctx) {
    ctx.acts.set(op.outputs.y, ctx.acts.get(op.inputs.x)!);
  },
  cpuBackward(op, ctx) {
    if (ctx.needsGrad(op.inputs.x)) ctx.grads.set(op.inputs.x, ctx.grads.get(op.outputs.y)!);
  },
};

export const RESHAPE_LAYER = defineLayer<ReshapeAttrs>({
  name: 'reshape',
  // torch_vae.py's Reshape and Flatten keep our NHWC order across PyTorch's NCHW convolutions.
  pytorch: { module: 'Reshape', axes: {} },
  ...shapeChange,
  layer(spec, input, name) {
    const label = `layer ${name} (reshape)`;
    checkFields(label, spec, ['shape']);
    const s = spec.shape;
    if (!Array.isArray(s) || s.length < 1 || s.length > 3 || !s.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1 << 20)) {
      throw new Error(`${label}: shape must be 1 to 3 positive integers such as [28, 28, 1] (height, width, channels), got ${JSON.stringify(s)}`);
    }
    if (widthOf(s) !== widthOf(input.shape)) {
      throw new Error(`${label}: input shape ${shapeText(input)} has ${widthOf(input.shape)} values per row; expected ${widthOf(s)} for [${s.join(', ')}]`);
    }
    return { attrs: { shape: [...s] }, params: [] };
  },
});

export const FLATTEN_LAYER = defineLayer<ReshapeAttrs>({
  name: 'flatten',
  pytorch: { module: 'Flatten', axes: {} },
  ...shapeChange,
  layer(spec, input, name) {
    checkFields(`layer ${name} (flatten)`, spec, []);
    return { attrs: { shape: [widthOf(input.shape)] }, params: [] };
  },
});
