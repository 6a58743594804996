// The benchmark suite, the same in the browser (bench/page.ts) and in Node (bench/run.ts --node):
//   1. ceilings on this adapter: an FMA loop (peak FLOP/s) and a copy kernel (bandwidth, at the
//      kernels' own sizes and a large one) — bench/ceilings.ts;
//   2. our kernels: the VAE's matmul shapes (forward, with bias and ReLU fused, and the transposed
//      backward ones) and squares, each beside the peers' same matmuls (bench/matmul-bench.ts);
//      reparameterization, the fused ELBO, bias_grad, Adam against the copy (bench/elementwise-bench.ts);
//   3. the default model's training step (784-400-20) at each batch size, ours and the peers', and
//      the peers' loss on our weights (bench/step-bench.ts);
//   4. where our step's time goes, dispatch by dispatch (bench/breakdown.ts);
//   5. the conv preset's training step, ours and the peers', and its conv kernels (bench/conv-bench.ts);
//   6. tuned against untuned: the tuner on the default model and the conv preset, then the steps
//      on the rule's and on the tuned schedules alternating (bench/tuned.ts).
// Ours and the peers are interleaved shape by shape, so drifting load hits both alike.
import { describeAdapter, type GpuContext } from '../src/gpu/device';
import { PassTimer } from './timing';
import { copyMeter, measureCeilings } from './ceilings';
import { measureMatmuls } from './matmul-bench';
import { measureElementwise } from './elementwise-bench';
import { measureSteps } from './step-bench';
import { stepBreakdown } from './breakdown';
import { syntheticImages } from './shapes';
import { suiteContext, type SuiteOptions } from './suite-context';
import { tunedVsUntuned, type TuningResult } from './tuned';
import { measureConv } from './conv-bench';
import type { Agreement, ConvResults, Breakdown, Ceilings, FmaConfig, KernelResult, StepResult, SuiteResults } from './results';

export type { SuiteOptions } from './suite-context';
export { stepFlops, syntheticImages, vaeMatmuls } from './shapes';

export async function runSuite(ctx: GpuContext, o: SuiteOptions): Promise<SuiteResults> {
  const started = performance.now();
  const sc = suiteContext(ctx, o);
  const { device, rt, timer, errors, guarded } = sc;
  const run = (section: string) => !o.only || o.only.includes(section);
  const adapter = describeAdapter(ctx.adapterInfo);
  o.log(`adapter: ${adapter}; profile ${rt.profile}; timing: ${timer ? 'GPU timestamps (wall time kept too)' : 'wall time around queue completion'}`);
  for (const p of o.peers) o.log(`peer: ${p.impl} ${p.info.version} (${p.info.detail})`);

  const copy = copyMeter(sc);
  let fma: FmaConfig[] = [];
  if (run('ceilings') || run('kernels') || run('steps') || run('conv')) fma = await measureCeilings(sc, copy);
  const fmaGflops = Math.max(...fma.map((f) => f.gflops));

  const kernels: KernelResult[] = [];
  if (run('kernels')) {
    kernels.push(...(await measureMatmuls(sc, fmaGflops)));
    kernels.push(...(await measureElementwise(sc, copy)));
  }

  let steps: StepResult[] = [];
  let agreement: Agreement[] = [];
  let peerProfiles: SuiteResults['peerProfiles'] = [];
  if (run('steps')) ({ steps, agreement, profiles: peerProfiles } = await measureSteps(sc, fmaGflops));

  let breakdown: Breakdown | undefined;
  if (run('steps') && PassTimer.available(device)) {
    try {
      breakdown = await guarded('step breakdown', () => stepBreakdown(ctx, 128, o.quick ? 5 : 11, syntheticImages(128)));
      o.log(`\nstep at batch 128, dispatch by dispatch (GPU timestamps, one pass each; median of ${breakdown.samples}): ${breakdown.totalMs.toFixed(2)} ms in all`);
      for (const r of breakdown.rows) o.log(`  ${r.label.padEnd(28)} ${r.kind.padEnd(10)} ${r.ms.toFixed(3).padStart(9)} ms ${(100 * r.share).toFixed(1).padStart(5)}%`);
    } catch (e) {
      errors.push(`step breakdown: ${(e as Error).message}`);
    }
  }

  let conv: ConvResults | undefined;
  if (run('conv')) {
    try {
      conv = await measureConv(sc, fmaGflops);
    } catch (e) {
      errors.push(`conv: ${(e as Error).message}`);
    }
  }

  let tuning: TuningResult | undefined;
  if (run('tuning') && !o.noTune) {
    try {
      o.log('\ntuned against untuned (the tuner on the default model and the conv preset, then the rule\'s and the tuned steps alternating)');
      const mlp = o.batches ?? (o.quick ? [128] : [32, 128, 512]);
      const conv = o.batches ?? (o.quick ? [32] : [32, 128]);
      tuning = await guarded('tuning', () => tunedVsUntuned(ctx, {
        runs: [...mlp.map((batch) => ({ model: 'mlp', batch })), ...conv.map((batch) => ({ model: 'conv', batch }))],
        rounds: o.quick ? 9 : 15, stepMs: o.quick ? 1000 : 2000,
        images: (n) => syntheticImages(n), log: o.log, implementation: o.implementation ?? 'unknown',
      }));
    } catch (e) {
      errors.push(`tuning: ${(e as Error).message}`);
    }
  }

  timer?.destroy();
  rt.destroy();
  const points = copy.points();
  const ceilings: Ceilings = { fmaGflops, fma, copy: points, peakCopyGbps: Math.max(0, ...points.map((p) => p.gbps)) };
  for (const k of kernels) if (k.kind === 'elementwise' && k.gbps !== undefined) k.ofPeakCopy = k.gbps / ceilings.peakCopyGbps;
  return {
    adapter,
    adapterInfo: ctx.adapterInfo,
    features: [...ctx.features].sort(),
    timestamps: !!timer,
    profile: rt.profile,
    quick: o.quick,
    ceilings,
    kernels,
    steps,
    agreement,
    breakdown,
    conv,
    tuning,
    peerProfiles,
    peers: o.peers.map((p) => p.info),
    errors,
    durationS: (performance.now() - started) / 1000,
  };
}
