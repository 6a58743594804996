// The ceilings of this adapter, measured in the same run as everything else: an FMA loop (peak
// FLOP/s of WGSL here) and a copy kernel (bandwidth), the latter at any byte count a kernel moves
// (small dispatches pay fixed costs that the copy then pays too).
import copySource from './shaders/copy.wgsl?raw';
import type { KernelDecl } from '../src/gpu/kernel';
import type { Dispatch } from '../src/gpu/runtime';
import { storageBuffer, storageFrom } from '../src/gpu/buffers';
import { uniformArray } from '../test/util/random';
import { dispatchRunner, validated } from './gpu-timing';
import { mb } from './shapes';
import { sample } from './timing';
import { primaryOf, type SuiteContext } from './suite-context';
import { FMA, FMA_FORMS } from './fma-kernel';
import type { CopyPoint, FmaConfig } from './results';

const COPY: KernelDecl = {
  name: 'bench/copy',
  source: copySource,
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'src', type: 'read-only-storage' },
    { binding: 1, name: 'dst', type: 'storage' },
  ],
  overrides: ['PER'],
  workgroupSize: [256, 1],
};

export interface CopyMeter {
  /** The copy ceiling at a byte count (read + written), measured once per size and kept. */
  at(bytesMoved: number): Promise<CopyPoint>;
  points(): CopyPoint[];
}

export function copyMeter(s: SuiteContext): CopyMeter {
  const { device, rt, timer, b, guarded } = s;
  const copyCache = new Map<number, CopyPoint>();
  return {
    points: () => [...copyCache.values()].sort((x, y) => x.bytes - y.bytes),
    async at(bytesMoved: number): Promise<CopyPoint> {
      const vec4s = Math.max(1, Math.ceil(bytesMoved / 2 / 16));
      const bytes = vec4s * 16 * 2;
      const hit = copyCache.get(bytes);
      if (hit) return hit;
      const src = storageFrom(device, uniformArray(vec4s * 4, 11), 'copy src'), dst = storageBuffer(device, vec4s * 4, 'copy dst');
      // One vec4 per invocation, and eight in a grid-stride loop (fewer invocations: cheaper on CPU
      // adapters, where each costs more than the copy): the ceiling is the better of the two.
      let point: CopyPoint | undefined;
      for (const per of [1, 8]) {
        const d: Dispatch = {
          label: 'copy',
          pipeline: rt.pipeline(COPY, 'main', { PER: per }),
          bindGroup: rt.bindGroup(COPY, { src, dst }),
          workgroups: rt.grid(Math.ceil(vec4s / (256 * per))),
        };
        const sm = await guarded(`copy ${mb(bytes)}`, () => validated(device, 'copy kernel', () => sample(dispatchRunner(device, [d], timer), b.kernel)));
        const ms = primaryOf(sm);
        if (!point || ms < point.ms) point = { bytes, ms, gbps: bytes / (ms * 1e6), perInvocation: per };
      }
      src.destroy();
      dst.destroy();
      copyCache.set(bytes, point!);
      return point!;
    },
  };
}

/** The FMA loop in its two forms and two workgroup sizes, and the copy at the large size. */
export async function measureCeilings(s: SuiteContext, copy: CopyMeter): Promise<FmaConfig[]> {
  const { device, rt, timer, b, o, guarded } = s;
  const fma: FmaConfig[] = [];
  o.log('\nceilings');
  const invocations = 32768, iters = 1024;
  const params = rt.uniformBlock(FMA, 'params', { mul: 0.999999, add: 1e-7 }, 'fma params').buffer;
  const out = storageBuffer(device, invocations * 4, 'fma out');
  for (const { form, entry, flopsPerIter } of FMA_FORMS) for (const wg of [64, 256]) {
    const d: Dispatch = {
      label: 'fma',
      pipeline: rt.pipeline(FMA, entry, { ITERS: iters, WG: wg }),
      bindGroup: rt.bindGroup(FMA, { params, out }),
      workgroups: rt.grid(invocations / wg),
    };
    const sm = await guarded(`fma ${form} wg ${wg}`, () => validated(device, 'fma kernel', () => sample(dispatchRunner(device, [d], timer), b.kernel)));
    const ms = primaryOf(sm);
    const flops = invocations * iters * flopsPerIter;
    fma.push({ form, workgroupSize: wg, invocations, iters, flopsPerIter, ms, gflops: flops / (ms * 1e6) });
    o.log(`  fma ${form} wg ${wg}: ${ms.toFixed(3)} ms, ${(flops / (ms * 1e6)).toFixed(1)} GFLOP/s`);
  }
  params.destroy();
  out.destroy();
  const large = await copy.at(b.largeCopyBytes);
  o.log(`  copy ${mb(large.bytes)} moved: ${large.ms.toFixed(3)} ms, ${large.gbps.toFixed(1)} GB/s`);
  return fma;
}
