// matmul.wgsl, matmul_vec4.wgsl and matmul_vec4_wide.wgsl against their CPU twin on awkward shapes,
// all four transpose combinations and every activation, with and without bias; output poisoned with NaN before each run.
import { describe, expect, it } from 'vitest';
import { storageFrom } from '../../src/gpu/buffers';
import { ACTIVATIONS, type Activation } from '../../src/kernels/activation';
import { MATMUL_CANDIDATES, matmulCandidates, matmulRule, prepareMatmul, TILED_SCHEDULES, vec4Compatible, wideCompatible } from '../../src/kernels/matmul';
import { readFloats, storageBuffer } from '../../src/gpu/buffers';
import { uniformArray } from '../util/random';
import { submit } from './gpu-scope';
import { expectComparisons } from '../util/compare';
import { matmulCase, type MatmulCase } from '../kernels/cases';
import { useGpu } from './harness';

const gpu = useGpu();

type Case = MatmulCase;

const check = async (c: Case, seed: number) => {
  const { device, rt } = gpu();
  expectComparisons(await matmulCase(device, rt, c, seed));
};

describe('matmul', () => {
  it('matches the CPU twin for every transpose combination and activation (37×129×65)', async () => {
    let seed = 100;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const activation of ACTIVATIONS) {
          await check({ M: 37, N: 129, K: 65, transA, transB, activation, bias: activation !== 'identity', variant: 'tiled' }, seed++);
        }
      }
    }
  }, 400_000); // 20 cases: ~40 s on a quiet machine, several times that on a loaded one

  const shapes: [number, number, number][] = [
    [1, 400, 784],   // batch 1 through the first encoder layer
    [300, 40, 97],   // batch 300, skinny output
    [65, 63, 1],     // K = 1
    [1, 1, 1],
    [128, 20, 400],  // the latent head of the default model
    [128, 784, 400], // the last decoder layer
    [400, 784, 128], // dW of that layer: Xᵀ·dY (K = batch)
  ];
  for (const [M, N, K] of shapes) {
    it(`matches on ${M}×${N}×${K}`, async () => {
      await check({ M, N, K, transA: false, transB: false, activation: 'relu', bias: true, variant: 'tiled' }, M * 7 + N);
      await check({ M, N, K, transA: true, transB: false, activation: 'identity', bias: false, variant: 'tiled' }, M * 11 + K);
      await check({ M, N, K, transA: false, transB: true, activation: 'sigmoid', bias: true, variant: 'tiled' }, N * 13 + K);
    });
  }

  // The CPU-adapter schedule (no workgroup memory): vec4 axes aligned, the batch axis M still awkward.
  it('matches the CPU twin with the vec4 schedule for NN, TN and NT and every activation', async () => {
    let seed = 900;
    for (const activation of ACTIVATIONS) {
      await check({ M: 37, N: 132, K: 68, transA: false, transB: false, activation, bias: true, variant: 'vec4' }, seed++);
      await check({ M: 37, N: 132, K: 68, transA: false, transB: true, activation, bias: true, variant: 'vec4' }, seed++);
      await check({ M: 36, N: 132, K: 67, transA: true, transB: false, activation, bias: activation !== 'identity', variant: 'vec4' }, seed++);
    }
    for (const [M, N, K] of [[1, 400, 784], [300, 40, 400], [5, 4, 4], [128, 784, 400]] as const) {
      await check({ M, N, K, transA: false, transB: false, activation: 'relu', bias: true, variant: 'vec4' }, seed++);
      await check({ M, N, K, transA: false, transB: true, activation: 'identity', bias: false, variant: 'vec4' }, seed++);
    }
    await check({ M: 400, N: 784, K: 1, transA: true, transB: false, activation: 'identity', bias: false, variant: 'vec4' }, seed++);
    await check({ M: 784, N: 400, K: 129, transA: true, transB: false, activation: 'identity', bias: false, variant: 'vec4' }, seed++);
    // An 8-row block half past M (TN: its second vec4 of rows clamped), an odd count of column vec4s.
    await check({ M: 20, N: 12, K: 9, transA: true, transB: false, activation: 'relu', bias: true, variant: 'vec4' }, seed++);
    await check({ M: 12, N: 20, K: 8, transA: false, transB: true, activation: 'tanh', bias: true, variant: 'vec4' }, seed++);
  });

  // The 16×16 block (NN and NT): M past a block and below one, column vec4s not a multiple of 4, more
  // than one workgroup along N, K of one vec4 and of many, every activation.
  it('matches the CPU twin with the wide vec4 schedule (NN, NT) and every activation', async () => {
    let seed = 1700;
    for (const activation of ACTIVATIONS) {
      await check({ M: 37, N: 132, K: 68, transA: false, transB: false, activation, bias: true, schedule: 'vec4w-l8' }, seed++);
      await check({ M: 37, N: 132, K: 68, transA: false, transB: true, activation, bias: activation !== 'identity', schedule: 'vec4w-l8' }, seed++);
    }
    for (const [M, N, K] of [[1, 400, 784], [5, 4, 4], [17, 300, 8], [128, 784, 400], [33, 16, 20]] as const) {
      await check({ M, N, K, transA: false, transB: false, activation: 'relu', bias: true, schedule: 'vec4w-l8' }, seed++);
      await check({ M, N, K, transA: false, transB: true, activation: 'identity', bias: false, schedule: 'vec4w-l8' }, seed++);
    }
  }, 400_000); // 20 cases, each a pipeline compiled on lavapipe: slow on a loaded machine

  // It sums each output in matmul_vec4's order, so the rule's switch to it moves no result.
  it('agrees bit for bit with the 8×8 vec4 block (NN, NT), and refuses a transposed A', async () => {
    const { device, rt } = gpu();
    const [M, N, K] = [45, 400, 52];
    const a = storageFrom(device, uniformArray(M * K, 31), 'a'), b = storageFrom(device, uniformArray(K * N, 32), 'b'), bias = storageFrom(device, uniformArray(N, 33), 'bias');
    for (const transB of [false, true]) {
      const outs: Float32Array[] = [];
      for (const schedule of ['vec4-l8', 'vec4w-l8'] as const) {
        const c = storageBuffer(device, M * N, 'c');
        const op = prepareMatmul(rt, { M, N, K, transB, activation: 'tanh', schedule }, { a, b, bias, c });
        await submit(device, op.dispatches);
        outs.push(await readFloats(device, c, M * N));
        op.destroy();
        c.destroy();
      }
      expect(outs[1]).toEqual(outs[0]);
    }
    // TN: A is K×M = 52×45 here (the same floats).
    const c = storageBuffer(device, M * N, 'c');
    expect(() => prepareMatmul(rt, { M: 44, N, K, transA: true, schedule: 'vec4w-l8' }, { a, b, c })).toThrow(/wide vec4 schedule 'vec4w-l8' runs NN and NT shapes only.*TN/);
    expect(matmulRule(rt, { M: 128, N: 400, K: 784 })).toBe(rt.profile === 'cpu' ? 'vec4w-l8' : 'tiled');
    expect(matmulRule(rt, { M: 128, N: 40, K: 400 })).toBe(rt.profile === 'cpu' ? 'vec4-l8' : 'tiled');
    expect(matmulRule(rt, { M: 128, N: 400, K: 784, transB: true })).toBe(rt.profile === 'cpu' ? 'vec4w-l8' : 'tiled');
    expect(matmulRule(rt, { M: 400, N: 784, K: 128, transA: true })).toBe(rt.profile === 'cpu' ? 'vec4-l8' : 'tiled');
    for (const x of [a, b, bias, c]) x.destroy();
  });

  // Every schedule a tuner may pick, on awkward sizes (M, and K or M where the layout allows, not
  // multiples of a block, a tile, a K step or any lane count), each layout; TT has only the tiled candidates.
  it('matches the CPU twin with every tuning candidate', async () => {
    let seed = 1300;
    const cases = [
      { M: 37, N: 132, K: 68, transA: false, transB: false, activation: 'relu', bias: true },
      { M: 37, N: 132, K: 68, transA: false, transB: true, activation: 'identity', bias: false },
      { M: 36, N: 132, K: 67, transA: true, transB: false, activation: 'tanh', bias: true },
      { M: 3, N: 260, K: 4, transA: false, transB: false, activation: 'sigmoid', bias: true },
      { M: 9, N: 7, K: 5, transA: true, transB: true, activation: 'identity', bias: true },
    ] as const;
    for (const c of cases) {
      const candidates = matmulCandidates(c);
      expect(candidates.length).toBe(vec4Compatible(c) ? MATMUL_CANDIDATES.length - (wideCompatible(c) ? 0 : 1) : Object.keys(TILED_SCHEDULES).length);
      for (const schedule of candidates) await check({ ...c, schedule }, seed++);
    }
  }, 400_000); // 41 cases, each a pipeline compiled on lavapipe: slow on a loaded machine

  // The tiled schedules (workgroup shapes, register blocks, K steps) on several tiles of each along
  // M and N, K past a step of 16 and of 8, every layout.
  it('matches the CPU twin with every tiled schedule across tiles', async () => {
    let seed = 1400;
    const cases = [
      { M: 70, N: 136, K: 33, transA: false, transB: false, activation: 'tanh', bias: true },
      { M: 37, N: 67, K: 19, transA: true, transB: true, activation: 'relu', bias: false },
      { M: 69, N: 130, K: 25, transA: true, transB: false, activation: 'identity', bias: true },
      { M: 66, N: 131, K: 17, transA: false, transB: true, activation: 'sigmoid', bias: true },
    ] as const;
    for (const c of cases) {
      for (const schedule of Object.keys(TILED_SCHEDULES) as (keyof typeof TILED_SCHEDULES)[]) await check({ ...c, schedule }, seed++);
    }
  }, 400_000);

  it('rejects mismatched operands and buffers with a clear error', () => {
    const { device, rt } = gpu();
    const small = storageFrom(device, new Float32Array(10), 'small');
    const big = storageFrom(device, new Float32Array(1000), 'big');
    expect(() => prepareMatmul(rt, { M: 5, N: 5, K: 5 }, { a: small, b: big, c: big })).toThrow(/A is M×K = 5×5 = 25 floats .* holds 48 bytes/);
    expect(() => prepareMatmul(rt, { M: 0, N: 5, K: 5 }, { a: big, b: big, c: big })).toThrow(/M must be a positive integer, got 0/);
    expect(() => prepareMatmul(rt, { M: 5, N: 5, K: 5, activation: 'gelu' as Activation }, { a: big, b: big, c: big })).toThrow(/unknown activation 'gelu'/);
    expect(() => prepareMatmul(rt, { M: 5, N: 5, K: 5 }, { a: big, b: big, bias: small, c: small })).toThrow(/C is M×N/);
    expect(() => prepareMatmul(rt, { M: 5, N: 6, K: 4, variant: 'vec4' }, { a: big, b: big, c: big })).toThrow(/vec4 schedule needs 4 \| N/);
    expect(() => prepareMatmul(rt, { M: 5, N: 8, K: 4, schedule: 'vec4-l5' as never }, { a: big, b: big, c: big })).toThrow(/unknown matmul schedule 'vec4-l5'; expected one of tiled, tiled-w8x8, tiled-w16x4, tiled-b4x8, tiled-k8, vec4-l4/);
    small.destroy();
    big.destroy();
  });
});
