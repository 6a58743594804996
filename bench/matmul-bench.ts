// Our matmuls (the library's prepared dispatches, the schedule this adapter's profile picks, and in
// full runs the other one) on the VAE's shapes at batch 128 and on squares, each followed by every
// peer on the very same operands; the peers' products are compared with ours.
import { storageBuffer, storageFrom, readFloats } from '../src/gpu/buffers';
import { MATMUL, MATMUL_VEC4, autoVariant, matmulFlops, prepareMatmul, vec4Compatible, type MatmulShape } from '../src/kernels/matmul';
import { activationCode } from '../src/kernels/activation';
import { uniformArray } from '../test/util/random';
import { coldFirstUseMs, dispatchRunner, validated, type PipelineSpec } from './gpu-timing';
import { opText, shapeText, vaeMatmuls } from './shapes';
import { sample } from './timing';
import { primaryOf, type SuiteContext } from './suite-context';
import type { MatmulCase } from './peer';
import { WEBGPU_PEERS, type KernelResult } from './results';

/** Largest |theirs − ours| over largest |ours|: small means the same product was timed. */
export function maxRelDiff(theirs: ArrayLike<number>, ours: ArrayLike<number>): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(theirs[i] - ours[i]));
    scale = Math.max(scale, Math.abs(ours[i]));
  }
  return scale > 0 ? worst / scale : worst;
}

export async function measureMatmuls(sc: SuiteContext, fmaGflops: number): Promise<KernelResult[]> {
  const { device, rt, timer, b, o, errors, guarded } = sc;
  const kernels: KernelResult[] = [];
  o.log('\nmatmuls (ours, then each peer on the same operands)');
  const cases: MatmulCase[] = [...vaeMatmuls(128), ...b.squares.map((n) => ({ name: `square ${n}`, M: n, N: n, K: n }))];
  for (const c of cases) {
    const aData = uniformArray(c.M * c.K, 1 + c.M + c.K), bData = uniformArray(c.K * c.N, 2 + c.K + c.N);
    const biasData = c.bias ? uniformArray(c.N, 3 + c.N) : undefined;
    const a = storageFrom(device, aData, 'A'), bb = storageFrom(device, bData, 'B');
    const bias = biasData ? storageFrom(device, biasData, 'bias') : undefined;
    const cOut = storageBuffer(device, c.M * c.N, 'C');
    const shape: MatmulShape = { M: c.M, N: c.N, K: c.K, transA: c.transA, transB: c.transB, activation: c.activation ?? 'identity' };
    const auto = autoVariant(rt, shape);
    const variants: ('vec4' | 'tiled')[] = [auto];
    const other = auto === 'vec4' ? 'tiled' : 'vec4';
    // The other schedule too (full runs; not on the big squares, where the tiled one takes minutes on SwiftShader).
    if (b.alternates && c.M * c.N * c.K <= 512 ** 3 && (other === 'tiled' || vec4Compatible(shape))) variants.push(other);
    const flops = matmulFlops(c);
    let ours: Float32Array | undefined;
    for (const variant of variants) {
      try {
        const op = prepareMatmul(rt, { ...shape, variant }, { a, b: bb, bias, c: cOut }, c.name);
        const spec: PipelineSpec = {
          kernel: variant === 'vec4' ? MATMUL_VEC4 : MATMUL,
          entry: 'main',
          overrides: { TRANS_A: !!c.transA, TRANS_B: !!c.transB, HAS_BIAS: !!bias, ACT: activationCode(c.activation ?? 'identity') },
        };
        const { firstUseMs, s } = await guarded(`${c.name} ${variant}`, async () => ({
          firstUseMs: await coldFirstUseMs(device, op.dispatches, [spec]),
          s: await validated(device, c.name, () => sample(dispatchRunner(device, op.dispatches, timer), b.kernel)),
        }));
        const ms = primaryOf(s);
        const gflops = flops / (ms * 1e6);
        kernels.push({
          impl: 'webgpu-vae', kind: 'matmul', name: c.name, shape: shapeText(c), detail: `${opText(c)}, ${variant}`,
          primary: variant === auto, flops, ms, wallMs: s.wall.median, gpuMs: s.gpu?.median, spread: (s.gpu ?? s.wall).spread,
          runs: s.wall.runs, inner: s.inner, gflops, ofCeiling: gflops / fmaGflops, firstUseMs,
        });
        o.log(`  ${c.name.padEnd(12)} ${shapeText(c).padEnd(20)} ${variant.padEnd(5)} ${ms.toFixed(3).padStart(9)} ms ${gflops.toFixed(1).padStart(7)} GFLOP/s` +
          `${s.gpu ? ` (wall ${s.wall.median.toFixed(3)})` : ''}, cold first use ${firstUseMs.toFixed(1)} ms`);
        if (variant === auto && !c.name.startsWith('square')) ours = await readFloats(device, cOut, c.M * c.N);
        op.destroy();
      } catch (e) {
        errors.push(`${c.name} [${variant}]: ${(e as Error).message}`);
        o.log(`  ${c.name} [${variant}]: FAILED ${(e as Error).message}`);
      }
    }
    for (const peer of o.peers) {
      try {
        // A fresh peer op per try: its first use is part of what is measured.
        const { pm, s } = await guarded(`${c.name} ${peer.impl}`, async () => {
          const m = await peer.matmul(c, aData, bData, biasData);
          try {
            return { pm: m, s: await sample((inner) => m.run(inner), b.kernel) };
          } catch (e) {
            m.dispose();
            throw e;
          }
        });
        const diff = ours ? maxRelDiff(await pm.output(), ours) : undefined;
        pm.dispose();
        const ms = s.wall.median;
        const gflops = flops / (ms * 1e6);
        kernels.push({
          impl: peer.impl, kind: 'matmul', name: c.name, shape: shapeText(c), detail: opText(c), primary: true, flops,
          ms, wallMs: ms, spread: s.wall.spread, runs: s.wall.runs, inner: s.inner, gflops, ofCeiling: WEBGPU_PEERS.includes(peer.impl) ? gflops / fmaGflops : undefined,
          firstUseMs: pm.firstUseMs, maxRelDiff: diff,
        });
        o.log(`  ${''.padEnd(12)} ${peer.impl.padEnd(26)} ${ms.toFixed(3).padStart(9)} ms ${gflops.toFixed(1).padStart(7)} GFLOP/s, first use ${pm.firstUseMs.toFixed(1)} ms` +
          `${diff !== undefined ? `, max rel diff vs ours ${diff.toExponential(1)}` : ''}`);
      } catch (e) {
        errors.push(`${peer.impl} ${c.name}: ${(e as Error).message}`);
        o.log(`  ${peer.impl} ${c.name}: FAILED ${(e as Error).message}`);
      }
    }
    [a, bb, bias, cOut].forEach((x) => x?.destroy());
  }
  return kernels;
}
