// The conv shapes the tests run, Node and browser alike: the conv preset's layers at a small batch,
// and awkward ones (each pipeline costs lavapipe seconds to compile, so the tests vary the shapes
// more than the override constants) — odd widths, one channel, batch 1, kernels larger and smaller than the stride,
// rectangular kernels, strides and padding, output padding, outputs that are not multiples of a tile.
import type { Activation } from '../../src/kernels/activation';
import type { ConvTranspose2dShape } from '../../src/kernels/conv-shape';
import type { ConvKind } from './conv-cases';

export interface NamedShape {
  kind: ConvKind;
  shape: ConvTranspose2dShape;
}

const conv = (shape: ConvTranspose2dShape): NamedShape => ({ kind: 'conv', shape });
const convT = (shape: ConvTranspose2dShape): NamedShape => ({ kind: 'convT', shape });

/** The preset's four layers (encoder Conv 28→14→7, decoder ConvT 7→14→28) at batch 2. */
export const PRESET_SHAPES: NamedShape[] = [
  conv({ batch: 2, inH: 28, inW: 28, inC: 1, outC: 32, kernel: 4, stride: 2, padding: 1, activation: 'relu' }),
  conv({ batch: 2, inH: 14, inW: 14, inC: 32, outC: 64, kernel: 4, stride: 2, padding: 1, activation: 'relu' }),
  convT({ batch: 2, inH: 7, inW: 7, inC: 64, outC: 32, kernel: 4, stride: 2, padding: 1, activation: 'relu' }),
  convT({ batch: 2, inH: 14, inW: 14, inC: 32, outC: 1, kernel: 4, stride: 2, padding: 1 }),
];

/** Awkward shapes (no activation: each test sets the one it runs). */
export const AWKWARD_SHAPES: NamedShape[] = [
  // batch 1, one input channel, odd widths, no padding, stride 1
  conv({ batch: 1, inH: 9, inW: 7, inC: 1, outC: 3, kernel: 3 }),
  // kernel (5) larger than the stride (3), padding 2, odd sizes
  conv({ batch: 3, inH: 11, inW: 5, inC: 2, outC: 5, kernel: 5, stride: 3, padding: 2 }),
  // one output channel, kernel = stride, a width the stride does not divide
  conv({ batch: 1, inH: 6, inW: 13, inC: 3, outC: 1, kernel: 2, stride: 2 }),
  // 67 output channels (two tiles, the second nearly empty), 1×1 output rows... of 5×5
  conv({ batch: 1, inH: 5, inW: 5, inC: 3, outC: 67, kernel: 3, padding: 1 }),
  // rectangular kernel, stride and padding per axis; 9 channels (past one register block of 8)
  conv({ batch: 2, inH: 8, inW: 9, inC: 9, outC: 6, kernel: [3, 2], stride: [2, 1], padding: [1, 0] }),
  // transposed: output padding, kernel 3 over stride 2, odd sizes
  convT({ batch: 1, inH: 5, inW: 4, inC: 3, outC: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1 }),
  // kernel (2) smaller than the stride (3): some sub-pixel phases meet no tap (bias only)
  convT({ batch: 3, inH: 3, inW: 5, inC: 1, outC: 5, kernel: 2, stride: 3 }),
  // kernel 5, stride 2, padding 2, output padding per axis, 9 output channels
  convT({ batch: 2, inH: 4, inW: 3, inC: 4, outC: 9, kernel: 5, stride: 2, padding: 2, outputPadding: [1, 0] }),
  // stride 1 (one phase), rectangular stride elsewhere
  convT({ batch: 1, inH: 6, inW: 5, inC: 7, outC: 3, kernel: 3, stride: 1, padding: 1 }),
  convT({ batch: 2, inH: 3, inW: 4, inC: 2, outC: 4, kernel: [4, 3], stride: [3, 2], padding: [1, 0], outputPadding: [2, 1] }),
];

/**
 * For the tiles other than the rule's (lib/gemm_tile.wgsl: 32×32, 16×64, 64×64 with 4×8 blocks, K
 * steps of 8): the preset's middle layers (deep K), and awkward shapes that leave a partial tile in
 * rows, channels and depth (67 channels, 9 channels, phases that meet no tap, output padding).
 */
export const TILE_SHAPES: NamedShape[] = [PRESET_SHAPES[1], PRESET_SHAPES[2], AWKWARD_SHAPES[1], AWKWARD_SHAPES[3], AWKWARD_SHAPES[4], AWKWARD_SHAPES[6], AWKWARD_SHAPES[9]];

/** `shape` with the given activation. */
export function withActivation(s: NamedShape, activation: Activation): NamedShape {
  return { ...s, shape: { ...s.shape, activation } };
}
