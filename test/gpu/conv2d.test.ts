// The conv forward kernels (shaders/conv2d.wgsl; conv2d_transpose.wgsl for the transposed conv)
// with fused bias and activation against their CPU twins, on the preset's layers and awkward shapes,
// both schedules; outputs NaN-poisoned, inside validation scopes; and the wrappers' shape errors.
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { CONV_CANDIDATES, convCandidateOptions, prepareConv2d, prepareConvTranspose2d } from '../../src/kernels/conv2d';
import { prepareConv2dWeightGrad } from '../../src/kernels/conv2d-grad';
import { expectComparisons } from '../util/compare';
import { convForwardCase } from '../kernels/conv-cases';
import { AWKWARD_SHAPES, PRESET_SHAPES, TILE_SHAPES, withActivation } from '../kernels/conv-shapes';
import { ACTIVATIONS } from '../../src/kernels/activation';
import { useGpu } from './harness';

const gpu = useGpu();

describe('conv forward kernels', () => {
  // tiled; blocked with each lane order. ReLU + bias: the epilogue is one function for both entries.
  // The tuner's candidates (CONV_CANDIDATES): every tile of lib/gemm_tile.wgsl the matmul has, blocked
  // with each lane order. The rule's tile on every shape; the others on the awkward ones that cross
  // their tile edges (each tile is a pipeline lavapipe takes seconds to compile).
  for (const { schedule, tile, lanesAlongRows } of CONV_CANDIDATES.map(convCandidateOptions)) {
    const what = `${schedule}${tile && tile !== 'tiled' ? ` ${tile}` : ''}${lanesAlongRows === undefined ? '' : lanesAlongRows ? ', lanes along rows' : ', lanes along channels'}`;
    const shapes = tile && tile !== 'tiled' ? TILE_SHAPES : [...PRESET_SHAPES, ...AWKWARD_SHAPES];
    it(`match the CPU twins on the preset's layers and awkward shapes (${what}, relu + bias)`, async () => {
      const { device, rt } = gpu();
      let seed = 10;
      for (const s of shapes) {
        expectComparisons(await convForwardCase(device, rt, { ...withActivation(s, 'relu'), bias: true, schedule, tile, lanesAlongRows }, seed++));
      }
    });
  }
  for (const [i, kind] of [[1, 'conv'], [5, 'convT']] as const) {
    it(`fuse every activation, with bias and without (${kind}, the adapter's schedule)`, async () => {
      const { device, rt } = gpu();
      let seed = 80;
      for (const act of ACTIVATIONS) {
        expectComparisons(await convForwardCase(device, rt, { ...withActivation(AWKWARD_SHAPES[i], act), bias: act !== 'identity', schedule: 'auto' }, seed++));
      }
    });
  }

  it('rejects mismatched shapes and buffers with a clear error', () => {
    const { device, rt } = gpu();
    const big = storageFrom(device, new Float32Array(4096), 'big'), small = storageFrom(device, new Float32Array(8), 'small');
    const s = { batch: 2, inH: 9, inW: 9, inC: 3, outC: 4, kernel: 3, stride: 2, padding: 1 };
    expect(() => prepareConv2d(rt, s, { x: small, w: big, y: big })).toThrow(/conv2d: x is B×H×W×C = 2×9×9×3 = 486 floats .* holds 32 bytes/);
    expect(() => prepareConv2d(rt, s, { x: big, w: big, y: small })).toThrow(/y is B×H×W×C = 2×5×5×4/);
    expect(() => prepareConv2d(rt, s, { x: big, w: small, y: big })).toThrow(/W is KH×KW×C×O = 3×3×3×4/);
    expect(() => prepareConv2d(rt, { ...s, kernel: 12 }, { x: big, w: big, y: big })).toThrow(/12×12 kernel does not fit the 9×9 input/);
    expect(() => prepareConv2d(rt, { ...s, stride: 0 }, { x: big, w: big, y: big })).toThrow(/stride along h must be an integer ≥ 1, got 0/);
    expect(() => prepareConv2d(rt, { ...s, inC: 0 }, { x: big, w: big, y: big })).toThrow(/inC must be a positive integer, got 0/);
    expect(() => prepareConvTranspose2d(rt, { ...s, outputPadding: 2 }, { x: big, w: big, y: big })).toThrow(/outputPadding 2×2 must be smaller than the stride 2×2/);
    expect(() => prepareConvTranspose2d(rt, { ...s, inH: 1, inW: 1, kernel: 1, padding: 1 }, { x: big, w: big, y: big })).toThrow(/output would be -1×-1/);
    expect(() => prepareConv2dWeightGrad(rt, { ...s, splits: 0 }, { x: big, dPre: big, dW: big })).toThrow(/splits must be a positive integer/);
    big.destroy();
    small.destroy();
  });
});
