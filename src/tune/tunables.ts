// The kernels a tuner can time, by the name their schedule requests carry: for each, scratch
// operands of the request's shape (seeded values, never zeros) and a dispatch of any candidate on them.
import type { Runtime } from '../gpu/runtime';
import type { ConvGeometry } from '../kernels/conv-shape';
import { convSizes } from '../kernels/conv-shape';
import { convCandidateOptions, prepareConvRelationForward, prepareConvRelationTranspose } from '../kernels/conv2d';
import { prepareConvRelationWeightGrad, weightGradCandidateOptions } from '../kernels/conv2d-grad';
import { prepareMatmul, type MatmulCandidate, type PreparedOp } from '../kernels/matmul';

export interface TunableSetup {
  /** The candidate's dispatches on the scratch operands. */
  prepare(candidate: string): PreparedOp;
  destroy(): void;
}

export type Tunable = (rt: Runtime, shape: Readonly<Record<string, number | boolean>>) => TunableSetup;

/** A storage buffer of `n` floats in [-1, 1) from a small LCG (the values do not matter for speed, but zeros might). */
export function scratch(rt: Runtime, n: number, seed: number, label: string): GPUBuffer {
  const data = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  const buffer = rt.device.createBuffer({ label, size: Math.max(16, n * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  rt.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

const num = (shape: Readonly<Record<string, number | boolean>>, k: string) => Number(shape[k]);

export const matmulTunable: Tunable = (rt, shape) => {
  const M = num(shape, 'M'), N = num(shape, 'N'), K = num(shape, 'K');
  const a = scratch(rt, M * K, 1, 'tune A'), b = scratch(rt, K * N, 2, 'tune B'), c = scratch(rt, M * N, 3, 'tune C');
  return {
    prepare: (candidate) => prepareMatmul(rt, { M, N, K, transA: !!shape.transA, transB: !!shape.transB, schedule: candidate as MatmulCandidate }, { a, b, c }, `tune matmul ${candidate}`),
    destroy: () => { a.destroy(); b.destroy(); c.destroy(); },
  };
};

/** A conv kernel on a relation's geometry: operands of its in, out and weight sizes. */
function convTunable(prepare: (rt: Runtime, g: ConvGeometry, b: { inSide: GPUBuffer; outSide: GPUBuffer; w: GPUBuffer }, candidate: string) => PreparedOp): Tunable {
  return (rt, shape) => {
    const g = { ...shape } as unknown as ConvGeometry;
    const sz = convSizes(g);
    const b = { inSide: scratch(rt, sz.in, 1, 'tune in'), outSide: scratch(rt, sz.out, 2, 'tune out'), w: scratch(rt, sz.weights, 3, 'tune W') };
    return { prepare: (c) => prepare(rt, g, b, c), destroy: () => { b.inSide.destroy(); b.outSide.destroy(); b.w.destroy(); } };
  };
}

/** The built-in tunable kernels, by the names their requests carry. */
export const TUNABLES: Readonly<Record<string, Tunable>> = {
  matmul: matmulTunable,
  conv2d: convTunable((rt, g, b, c) => prepareConvRelationForward(rt, g, { x: b.inSide, w: b.w, y: b.outSide }, convCandidateOptions(c), `tune conv2d ${c}`)),
  conv2d_transpose: convTunable((rt, g, b, c) => prepareConvRelationTranspose(rt, g, { g: b.outSide, w: b.w, r: b.inSide }, convCandidateOptions(c), `tune conv2d_transpose ${c}`)),
  conv2d_weight_grad: convTunable((rt, g, b, c) => prepareConvRelationWeightGrad(rt, g, { x: b.inSide, g: b.outSide, dW: b.w }, weightGradCandidateOptions(c, g), `tune conv2d_weight_grad ${c}`)),
};
