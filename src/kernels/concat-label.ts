// The label join of a conditional VAE as data (shaders/concat_label.wgsl) and its wrapper: the
// forward writes [x, one-hot(label)] per row, the backward the activation's part of the gradient.
import source from '../../shaders/concat_label.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Dispatch, Runtime } from '../gpu/runtime';
import { requireFloats, requirePositiveInts } from './checks';
import { shader } from './shader-lib';

export const CONCAT_LABEL: KernelDecl = {
  name: 'concat_label',
  source: shader('concat_label', source),
  entryPoints: ['forward', 'backward'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['rows', 'u32'], ['width', 'u32'], ['classes', 'u32'], ['repeat', 'u32']] },
    { binding: 1, name: 'x', type: 'read-only-storage' },
    { binding: 2, name: 'labels', type: 'read-only-storage' },
    { binding: 3, name: 'y', type: 'storage' },
    { binding: 4, name: 'dy', type: 'read-only-storage' },
    { binding: 5, name: 'dx', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [256, 1],
};

export interface ConcatLabelShape {
  /** Rows of x and y (batch × repeat). */
  rows: number;
  /** D: values per row of x. */
  width: number;
  /** C: the one-hot's columns. */
  classes: number;
  /** R: rows per example (per label); default 1. */
  repeat?: number;
}

export interface ConcatLabelBuffers {
  x: BufferArg;
  /** One u32 label per example (rows / repeat of them). */
  labels: BufferArg;
  y: BufferArg;
  /** The backward: dy (rows×(D+C)) in, dx (rows×D) out; both or neither. */
  dy?: BufferArg;
  dx?: BufferArg;
}

export interface PreparedConcatLabel {
  forward: Dispatch;
  backward?: Dispatch;
  destroy(): void;
}

export function prepareConcatLabel(rt: Runtime, shape: ConcatLabelShape, buf: ConcatLabelBuffers, label = 'concat_label'): PreparedConcatLabel {
  const { rows, width: D, classes: C } = shape;
  const R = shape.repeat ?? 1;
  requirePositiveInts(label, { rows, width: D, classes: C, repeat: R });
  if (rows % R !== 0) throw new Error(`${label}: rows ${rows} is not a whole number of examples of ${R} rows`);
  requireFloats(label, 'x', buf.x, rows * D, `rows×D = ${rows}×${D}`);
  requireFloats(label, 'labels', buf.labels, rows / R, `B = ${rows / R} (u32)`);
  requireFloats(label, 'y', buf.y, rows * (D + C), `rows×(D+C) = ${rows}×${D + C}`);
  if (!!buf.dy !== !!buf.dx) throw new Error(`${label}: the backward needs both dy and dx`);
  if (buf.dy) requireFloats(label, 'dy', buf.dy, rows * (D + C), `rows×(D+C) = ${rows}×${D + C}`);
  if (buf.dx) requireFloats(label, 'dx', buf.dx, rows * D, `rows×D = ${rows}×${D}`);
  const params = rt.uniformBlock(CONCAT_LABEL, 'params', { rows, width: D, classes: C, repeat: R }, `${label} params`);
  const forward: Dispatch = {
    label: `${label} forward`,
    pipeline: rt.pipeline(CONCAT_LABEL, 'forward'),
    bindGroup: rt.bindGroup(CONCAT_LABEL, { params: params.buffer, x: buf.x, labels: buf.labels, y: buf.y, dy: rt.placeholder, dx: rt.writablePlaceholder }),
    workgroups: rt.grid(Math.ceil((rows * (D + C)) / 256)),
  };
  const backward: Dispatch | undefined = buf.dy && buf.dx ? {
    label: `${label} backward`,
    pipeline: rt.pipeline(CONCAT_LABEL, 'backward'),
    bindGroup: rt.bindGroup(CONCAT_LABEL, { params: params.buffer, x: rt.placeholder, labels: rt.placeholder, y: rt.writablePlaceholder, dy: buf.dy, dx: buf.dx }),
    workgroups: rt.grid(Math.ceil((rows * D) / 256)),
  } : undefined;
  return { forward, ...(backward ? { backward } : {}), destroy: () => params.destroy() };
}
