// The conv backward kernels against their CPU twins: the input gradient (conv2d_transpose.wgsl for a
// conv, conv2d.wgsl for a transposed conv) and the weight gradient (conv2d_weight_grad.wgsl, with one
// split and several); then whole layers' GPU backward (bias_grad.wgsl over B·H·W rows with the
// activation backward fused, then dx and dW) against the CPU layer backward.
import { describe, it } from 'vitest';
import { expectComparisons } from '../util/compare';
import { CONV_CANDIDATES, convCandidateOptions } from '../../src/kernels/conv2d';
import { WEIGHT_GRAD_CANDIDATES, weightGradCandidateOptions } from '../../src/kernels/conv2d-grad';
import { convGradKernelsCase, convLayerBackwardCase, geometry } from '../kernels/conv-cases';
import { AWKWARD_SHAPES, PRESET_SHAPES, TILE_SHAPES, withActivation } from '../kernels/conv-shapes';
import { useGpu } from './harness';

const gpu = useGpu();

describe('conv backward kernels', () => {
  // The tuner's candidates (CONV_CANDIDATES): every tile of lib/gemm_tile.wgsl the matmul has, blocked
  // with each lane order. The rule's tile on every shape; the others on the awkward ones that cross
  // their tile edges (each tile is a pipeline lavapipe takes seconds to compile).
  for (const { schedule, tile, lanesAlongRows } of CONV_CANDIDATES.map(convCandidateOptions)) {
    const what = `${schedule}${tile && tile !== 'tiled' ? ` ${tile}` : ''}${lanesAlongRows === undefined ? '' : lanesAlongRows ? ', lanes along rows' : ', lanes along channels'}`;
    const shapes = tile && tile !== 'tiled' ? TILE_SHAPES : [...PRESET_SHAPES, ...AWKWARD_SHAPES];
    it(`dx and dW match the CPU twins on the preset's layers and awkward shapes (${what})`, async () => {
      const { device, rt } = gpu();
      let seed = 200;
      for (const s of shapes) expectComparisons(await convGradKernelsCase(device, rt, { ...s, bias: false, schedule, tile, lanesAlongRows }, seed++));
    });
  }
  for (const schedule of ['tiled', 'blocked'] as const) {
    it(`dW is the same with 1, 3 and 7 depth splits (${schedule})`, async () => {
      const { device, rt } = gpu();
      let seed = 300;
      for (const s of [PRESET_SHAPES[0], PRESET_SHAPES[3], AWKWARD_SHAPES[1], AWKWARD_SHAPES[7]]) {
        for (const splits of [1, 3, 7]) expectComparisons(await convGradKernelsCase(device, rt, { ...s, bias: false, schedule, splits }, seed++));
      }
    });
  }
  it('dW matches the CPU twins with every tuning candidate (schedules × splits)', async () => {
    const { device, rt } = gpu();
    let seed = 350;
    for (const s of [PRESET_SHAPES[0], PRESET_SHAPES[3], AWKWARD_SHAPES[1]]) {
      const c = { ...s, bias: false, schedule: 'auto' as const };
      for (const id of WEIGHT_GRAD_CANDIDATES) expectComparisons(await convGradKernelsCase(device, rt, { ...c, ...weightGradCandidateOptions(id, geometry(c)) }, seed++));
    }
  });
});

describe('conv layers backward on the GPU', () => {
  const layers = [
    { ...PRESET_SHAPES[1], reduction: 'tree' as const },
    { ...PRESET_SHAPES[2], reduction: 'serial' as const },
    { ...withActivation(AWKWARD_SHAPES[1], 'tanh'), reduction: 'serial' as const },
    { ...withActivation(AWKWARD_SHAPES[5], 'sigmoid'), reduction: 'tree' as const },
    // The decoder's last layer: identity, so dPre is dy itself and bias_grad writes none.
    { ...PRESET_SHAPES[3], reduction: 'serial' as const },
  ];
  for (const { kind, shape, reduction } of layers) {
    it(`matches the CPU backward: ${kind} ${shape.inH}×${shape.inW}×${shape.inC}→${shape.outC} ${shape.activation ?? 'identity'} (bias_grad ${reduction})`, async () => {
      const { device, rt } = gpu();
      expectComparisons(await convLayerBackwardCase(device, rt, { kind, shape, bias: true, schedule: 'auto' }, 400, reduction));
    });
  }
});
