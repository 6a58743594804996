// The f16 tiles of lib/gemm_tile.wgsl (tiles staged as f16, products and sums in f32) in matmul and
// the three conv kernels, against the float64 CPU twins, on awkward shapes, every layout. The
// tolerance is validate.ts's per entry: |got − want| ≤ rel·Σ|a·b| + abs with tunables.ts's
// gemmTolerance, i.e. rel = 1.1·(2·2⁻¹¹ + 2⁻²²) (each input rounded to an 11-bit mantissa: 2u + u²
// per product, u = 2⁻¹¹, with a 10% margin) + 2K·2⁻²⁴ + 2⁻²⁴ (f32 sums in any order), abs = K·2⁻²⁴
// (inputs below f16's normal range). For operands in [−1, 1), as here. The f16 path must also be
// visibly less exact than the f32 tile (so it really rounds), and refuses a device without shader-f16.
import { describe, expect, it } from 'vitest';
import { readFloats, storageFrom } from '../../src/gpu/buffers';
import { Runtime } from '../../src/gpu/runtime';
import { convSizes } from '../../src/kernels/conv-shape';
import { prepareConvRelationForward, prepareConvRelationTranspose } from '../../src/kernels/conv2d';
import { prepareConvRelationWeightGrad } from '../../src/kernels/conv2d-grad';
import { conv2dGeometry } from '../../src/kernels/conv-shape';
import { f16Candidates, prepareMatmul, type GemmTileId, type MatmulShape, type PreparedOp } from '../../src/kernels/matmul';
import { conv2d, conv2dTranspose, conv2dWeightGrad } from '../../src/cpu/conv2d';
import { matmul } from '../../src/cpu/matmul';
import { gemmTolerance } from '../../src/tune/tunables';
import { agreement } from '../../src/tune/validate';
import { uniformArray } from '../util/random';
import { poisoned, scoped, submit, useGpu } from './harness';

const gpu = useGpu();
const abs = (a: Float32Array) => Float64Array.from(a, Math.abs);

/** Runs one op on uploaded inputs and reads its output back (poisoned with NaN before). */
async function run(inputs: Float32Array[], outFloats: number, prepare: (ins: GPUBuffer[], out: GPUBuffer) => PreparedOp): Promise<Float32Array> {
  const { device } = gpu();
  return scoped(device, async () => {
    const ins = inputs.map((x, i) => storageFrom(device, x, `in${i}`));
    const out = poisoned(device, outFloats, 'out');
    const op = prepare(ins, out);
    await submit(device, op.dispatches);
    const got = await readFloats(device, out, outFloats);
    op.destroy();
    for (const b of [...ins, out]) b.destroy();
    return got;
  });
}

/** The worst error over the allowance, and that every entry is inside it. */
function judge(name: string, got: Float32Array, want: Float64Array, scale: Float64Array, tile: GemmTileId, K: number): number {
  const v = agreement(got, { want, scale }, gemmTolerance(tile, K));
  expect(v.ok, `${name}: ${v.reason}`).toBe(true);
  let maxErr = 0;
  for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
  return maxErr;
}

describe('f16 GEMM tiles', () => {
  it('are candidates exactly when the device has shader-f16', () => {
    const { ctx, rt } = gpu();
    expect(f16Candidates(rt)).toEqual(ctx.features.has('shader-f16') ? ['tiled-f16', 'tiled-b4x8-f16'] : []);
  });

  it('matmul: within the f16 bound of the twin, every layout, and less exact than f32', async ({ skip }) => {
    const { rt } = gpu();
    if (!f16Candidates(rt).length) skip();
    let seed = 3100;
    // Each layout once (one pipeline per schedule and layout: compiles dominate on lavapipe); f32 beside f16 on the deep one.
    const cases: [MatmulShape, GemmTileId[]][] = [
      [{ M: 37, N: 130, K: 784 }, ['tiled', 'tiled-f16']],
      [{ M: 70, N: 67, K: 33, transA: true }, ['tiled-b4x8-f16']],
      [{ M: 66, N: 131, K: 100, transB: true }, ['tiled-f16']],
      [{ M: 9, N: 7, K: 5, transA: true, transB: true }, ['tiled-b4x8-f16']],
    ];
    for (const [s, schedules] of cases) {
      const A = uniformArray(s.M * s.K, seed++), B = uniformArray(s.K * s.N, seed++);
      const want = matmul(A, B, null, s), scale = matmul(abs(A), abs(B), null, s);
      const errs: Record<string, number> = {};
      for (const schedule of schedules) {
        const got = await run([A, B], s.M * s.N, ([a, b], c) => prepareMatmul(rt, { ...s, schedule }, { a, b, c }));
        errs[schedule] = judge(`matmul ${schedule} ${s.M}×${s.N}×${s.K}`, got, want, scale, schedule, s.K);
      }
      if (errs.tiled !== undefined) expect(errs['tiled-f16'], `f16 rounds (errors ${JSON.stringify(errs)})`).toBeGreaterThan(4 * errs.tiled);
    }
  }, 120_000);

  it('conv forward, input gradient and weight gradient: within the f16 bound of their twins', async ({ skip }) => {
    const { rt } = gpu();
    if (!f16Candidates(rt).length) skip();
    let seed = 3200;
    for (const [shape, tile] of [
      [{ batch: 2, inH: 9, inW: 7, inC: 3, outC: 33, kernel: 3, stride: 2, padding: 1 }, 'tiled-f16'],
      [{ batch: 3, inH: 6, inW: 6, inC: 32, outC: 20, kernel: 3, stride: 1, padding: 1 }, 'tiled-b4x8-f16'],
    ] as const) {
      const g = conv2dGeometry('f16 case', shape);
      const sz = convSizes(g);
      const x = uniformArray(sz.in, seed++), w = uniformArray(sz.weights, seed++), gy = uniformArray(sz.out, seed++);
      {
        const opts = { schedule: 'tiled' as const, tile };
        const y = await run([x, w], sz.out, ([xb, wb], out) => prepareConvRelationForward(rt, g, { x: xb, w: wb, y: out }, opts, 'f16 conv'));
        judge(`conv2d ${tile}`, y, conv2d(x, w, null, g), conv2d(abs(x), abs(w), null, g), tile, g.kH * g.kW * g.inC);
        const dx = await run([gy, w], sz.in, ([gb, wb], out) => prepareConvRelationTranspose(rt, g, { g: gb, w: wb, r: out }, opts, 'f16 dx'));
        judge(`conv2d_transpose ${tile}`, dx, conv2dTranspose(gy, w, null, g), conv2dTranspose(abs(gy), abs(w), null, g), tile, g.kH * g.kW * g.outC);
        for (const splits of [1, 3]) {
          const dW = await run([x, gy], sz.weights, ([xb, gb], out) => prepareConvRelationWeightGrad(rt, g, { x: xb, g: gb, dW: out }, { ...opts, splits }, 'f16 dW'));
          judge(`conv2d_weight_grad ${tile} splits ${splits}`, dW, conv2dWeightGrad(x, gy, g), conv2dWeightGrad(abs(x), abs(gy), g), tile, g.batch * g.outH * g.outW);
        }
      }
    }
  }, 120_000);

  it('refuses an f16 schedule on a device without shader-f16', () => {
    const { device, rt } = gpu();
    const plain = new Runtime(new Proxy(device, { get: (t, k) => { if (k === 'features') return new Set<string>(); const v = Reflect.get(t, k); return typeof v === 'function' ? v.bind(t) : v; } }) as GPUDevice);
    const buf = storageFrom(device, new Float32Array(64), 'b');
    expect(() => prepareMatmul(plain, { M: 4, N: 4, K: 4, schedule: 'tiled-f16' }, { a: buf, b: buf, c: buf })).toThrow(/f16 schedule needs a device with the shader-f16 feature/);
    expect(f16Candidates(plain)).toEqual([]);
    plain.destroy();
    buf.destroy();
    expect(rt.device).toBe(device);
  });
});
