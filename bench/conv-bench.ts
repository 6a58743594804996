// The conv VAE (the `conv` preset) in the benchmark: our training step through GpuVae.trainStep at
// batch 32 and 128 (quick: 32), each peer's step on the same batches from our initial weights, the
// peers' loss on our weights against ours, and our step dispatch by dispatch (GPU timestamps), from
// which each conv kernel's GFLOP/s — forward, input gradient, weight gradient of every conv and
// transposed-conv layer — over the FMA ceiling of the same run. The peers' steps take seconds on a
// CPU-backed adapter, so they get one warm-up step (after their first, compiling, step) and two
// timed ones (quick: no warm-up, one).
import { Runtime } from '../src/gpu/runtime';
import { GpuVae } from '../src/vae/gpu-vae';
import { stepBreakdown } from './breakdown';
import { convConfig, convLayers, convStepFlops, relationFlops } from './conv-model';
import { D, Z, syntheticImages } from './shapes';
import { AGREEMENT_TOLERANCE, initialWeights, ourLossAtMean } from './step-bench';
import { PassTimer, sample, type SampleOptions } from './timing';
import type { SuiteContext } from './suite-context';
import type { Peer, VaeWeights } from './peer';
import { WEBGPU_PEERS, type Agreement, type ConvKernelRow, type ConvResults, type StepResult } from './results';

const OURS: { quick: SampleOptions; full: SampleOptions } = {
  quick: { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 4000, sampleMs: 400 },
  full: { warmup: 2, minRuns: 5, maxRuns: 11, budgetMs: 12000, sampleMs: 800 },
};
const PEERS: { quick: SampleOptions; full: SampleOptions } = {
  // Quick: the first (compiling) step is the only warm-up; one timed step.
  quick: { warmup: 0, minRuns: 1, maxRuns: 1, budgetMs: 0, sampleMs: 0 },
  full: { warmup: 1, minRuns: 2, maxRuns: 2, budgetMs: 0, sampleMs: 0 },
};
/** The agreement check's batch (forward only, but seconds per peer on a CPU adapter). */
const AGREEMENT_BATCH = 32;

const line = (impl: string, batch: number, ms: number, rest: string) =>
  `  batch ${String(batch).padStart(4)} ${impl.padEnd(14)} ${ms.toFixed(1).padStart(9)} ms/step ${((1000 * batch) / ms).toFixed(1).padStart(7)} ex/s (${rest})`;

export async function measureConv(sc: SuiteContext, fmaGflops: number): Promise<ConvResults> {
  const { ctx, device, o, errors, guarded } = sc;
  const config = convConfig();
  // Quick runs stay quick: batch 32 only (a peer's step at 128 takes about a minute here under load).
  const batches = o.quick ? [32] : [32, 128];
  const steps: StepResult[] = [];
  const failures: ConvResults['failures'] = [];
  o.log(`\ntraining step, conv preset (Conv 32 → Conv 64 → Dense μ | log σ²; Dense 7·7·64 → ConvT 32 → ConvT 1; Bernoulli, Adam), batches ${batches.join(', ')}`);
  const pool = syntheticImages(2 * Math.max(...batches));
  const weights = await initialWeights(sc.rt, config);
  const agreement = await convAgreement(sc, weights, pool.subarray(0, AGREEMENT_BATCH * D));
  const flopsOf = (batch: number) => {
    const rt = Runtime.forContext(ctx);
    const vae = new GpuVae(rt, config, { maxBatch: 1 });
    try {
      return convStepFlops(vae.graph, batch);
    } finally {
      vae.dispose();
      rt.destroy();
    }
  };
  for (const batch of batches) {
    const flops = flopsOf(batch);
    const feeder = () => {
      let offset = 0;
      return () => {
        if (offset + batch > pool.length / D) offset = 0;
        const x = pool.subarray(offset * D, (offset + batch) * D);
        offset += batch;
        return x;
      };
    };
    try {
      const r = await guarded(`conv step ${batch} webgpu-vae`, async () => {
        const rt = Runtime.forContext(ctx);
        const next = feeder();
        const t0 = performance.now();
        const vae = new GpuVae(rt, config, { maxBatch: batch });
        try {
          const first = (await vae.trainStep(next(), true))!;
          const firstStepMs = performance.now() - t0;
          const s = await sample(async (inner) => {
            const start = performance.now();
            for (let i = 0; i < inner; i++) vae.trainStep(next());
            await device.queue.onSubmittedWorkDone();
            return { wallMs: performance.now() - start };
          }, o.quick ? OURS.quick : OURS.full);
          return { s, first, firstStepMs, lossLast: (await vae.readLoss())[0] };
        } finally {
          vae.dispose();
          rt.destroy();
        }
      });
      const ms = r.s.wall.median, gflops = flops / (ms * 1e6);
      steps.push({
        impl: 'webgpu-vae', batch, msPerStep: ms, examplesPerSecond: (1000 * batch) / ms, spread: r.s.wall.spread, runs: r.s.wall.runs, inner: r.s.inner,
        firstStepMs: r.firstStepMs, gflops, ofCeiling: gflops / fmaGflops, lossFirst: r.first.loss, lossLast: r.lossLast,
      });
      o.log(line('webgpu-vae', batch, ms, `first step ${r.firstStepMs.toFixed(0)} ms; loss ${r.first.loss.toFixed(1)} → ${r.lossLast.toFixed(1)}`));
    } catch (e) {
      failures.push({ impl: 'webgpu-vae', batch, error: (e as Error).message });
      errors.push(`webgpu-vae conv step batch ${batch}: ${(e as Error).message}`);
      o.log(`  batch ${batch} webgpu-vae: FAILED ${(e as Error).message}`);
    }
    for (const peer of o.peers) {
      if (!peer.conv) continue;
      try {
        const r = await guarded(`conv step ${batch} ${peer.impl}`, async () => {
          const t = await peer.conv!.trainer(batch, feeder(), weights);
          let disposed = false;
          try {
            const s = await sample((inner) => t.run(inner), o.quick ? PEERS.quick : PEERS.full);
            const lossLast = await t.lastLoss();
            disposed = true;
            return { t, s, lossLast, leakedTensors: t.dispose() };
          } finally {
            if (!disposed) t.dispose();
          }
        });
        const ms = r.s.wall.median, gflops = flops / (ms * 1e6);
        steps.push({
          impl: peer.impl, batch, msPerStep: ms, examplesPerSecond: (1000 * batch) / ms, spread: r.s.wall.spread, runs: r.s.wall.runs, inner: r.s.inner,
          firstStepMs: r.t.firstStepMs, gflops, ofCeiling: WEBGPU_PEERS.includes(peer.impl) ? gflops / fmaGflops : undefined,
          lossFirst: r.t.lossFirst, lossLast: r.lossLast, leakedTensors: r.leakedTensors,
        });
        o.log(line(peer.impl, batch, ms, `first step ${r.t.firstStepMs.toFixed(0)} ms; loss ${r.t.lossFirst.toFixed(1)} → ${r.lossLast.toFixed(1)}` +
          `${r.leakedTensors !== undefined ? `; leaked tensors ${r.leakedTensors}` : ''}`));
      } catch (e) {
        // Reported as measured (tfjs-wasm has no Conv2DBackpropFilter kernel): a row of its own, not a silent gap.
        failures.push({ impl: peer.impl, batch, error: (e as Error).message });
        o.log(`  batch ${batch} ${peer.impl}: cannot train it: ${(e as Error).message}`);
      }
    }
  }
  let breakdown: ConvResults['breakdown'];
  let kernels: ConvKernelRow[] = [];
  if (PassTimer.available(device)) {
    try {
      const batch = 128;
      breakdown = await guarded('conv step breakdown', () => stepBreakdown(ctx, batch, o.quick ? 3 : 5, pool.subarray(0, batch * D), config));
      kernels = convKernelRows(sc, breakdown, fmaGflops);
      o.log(`\nconv step at batch ${batch}, dispatch by dispatch (GPU timestamps, one pass each; median of ${breakdown.samples}): ${breakdown.totalMs.toFixed(1)} ms in all`);
      for (const r of breakdown.rows) o.log(`  ${r.label.padEnd(28)} ${r.kind.padEnd(10)} ${r.ms.toFixed(2).padStart(9)} ms ${(100 * r.share).toFixed(1).padStart(5)}%`);
      o.log('conv kernels (nominal FLOPs 2·B·OH·OW·O·KH·KW·C of the relation; ceiling: the FMA loop of this run)');
      for (const k of kernels) o.log(`  ${k.layer.padEnd(12)} ${k.pass.padEnd(8)} ${k.kernel.padEnd(22)} ${k.ms.toFixed(2).padStart(9)} ms ${k.gflops.toFixed(2).padStart(7)} GFLOP/s ${(100 * k.ofCeiling).toFixed(1).padStart(5)}%`);
    } catch (e) {
      errors.push(`conv step breakdown: ${(e as Error).message}`);
    }
  }
  return { batches, steps, failures, agreement, breakdown, kernels };
}

/** Each conv layer's forward, input-gradient and weight-gradient dispatches (its split reduction added in), with their FLOPs. */
function convKernelRows(sc: SuiteContext, b: NonNullable<ConvResults['breakdown']>, fmaGflops: number): ConvKernelRow[] {
  const rt = Runtime.forContext(sc.ctx);
  const vae = new GpuVae(rt, convConfig(), { maxBatch: 1 });
  const layers = convLayers(vae.graph, b.batch);
  vae.dispose();
  rt.destroy();
  const rows: ConvKernelRow[] = [];
  for (const l of layers) {
    const flops = relationFlops(l.g);
    const shape = `${l.g.batch}×${l.g.inH}×${l.g.inW}×${l.g.inC} ↔ ${l.g.outH}×${l.g.outW}×${l.g.outC}, ${l.g.kH}×${l.g.kW} s${l.g.strideH} p${l.g.padH}`;
    const passes: [ConvKernelRow['pass'], string, string[]][] = [
      ['forward', l.transposed ? 'conv2d_transpose.wgsl' : 'conv2d.wgsl', [`${l.name} forward`]],
      ...(l.first ? [] : [['dX', l.transposed ? 'conv2d.wgsl' : 'conv2d_transpose.wgsl', [`${l.name} dX`]] as [ConvKernelRow['pass'], string, string[]]]),
      ['dW', 'conv2d_weight_grad.wgsl', [`${l.name} dW`, `${l.name} dW reduce`]],
    ];
    for (const [pass, kernel, labels] of passes) {
      const found = b.rows.filter((r) => labels.includes(r.label));
      if (!found.length) continue;
      for (const r of found) r.kind = 'conv';
      const ms = found.reduce((s, r) => s + r.ms, 0);
      const gflops = flops / (ms * 1e6);
      rows.push({ layer: `${l.name} (${l.transposed ? 'ConvT' : 'Conv'} ${l.transposed ? l.g.inC : l.g.outC})`, pass, kernel, shape, flops, ms, gflops, ofCeiling: gflops / fmaGflops, dispatches: found.length });
    }
  }
  return rows;
}

/** Each peer's conv −ELBO on our weights and `x` with zero noise, against ours (encode and decode on the GPU, summed in float64). */
async function convAgreement(sc: SuiteContext, weights: VaeWeights, x: Float32Array): Promise<Agreement[]> {
  const B = x.length / D;
  const peers = sc.o.peers.filter((p): p is Peer & Required<Pick<Peer, 'conv'>> => !!p.conv);
  if (!peers.length) return [];
  const rt = Runtime.forContext(sc.ctx);
  const vae = new GpuVae(rt, convConfig(), { maxBatch: B });
  const out: Agreement[] = [];
  try {
    const ours = await ourLossAtMean(vae, x);
    for (const peer of peers) {
      try {
        const theirs = await peer.conv.lossAt(weights, x, new Float32Array(B * Z));
        const relDiff = Math.abs(theirs - ours) / Math.abs(ours);
        out.push({ impl: peer.impl, batch: B, ours, theirs, relDiff, tolerance: AGREEMENT_TOLERANCE, ok: relDiff <= AGREEMENT_TOLERANCE });
        sc.o.log(`  agreement, ${peer.impl}: conv −ELBO at z = μ on our weights, batch ${B}: ours ${ours.toFixed(4)}, theirs ${theirs.toFixed(4)} (rel diff ${relDiff.toExponential(1)})`);
        if (!(relDiff <= AGREEMENT_TOLERANCE)) sc.errors.push(`${peer.impl}: conv loss on our weights ${theirs} disagrees with ours ${ours} (rel diff ${relDiff.toExponential(1)} > ${AGREEMENT_TOLERANCE})`);
      } catch (e) {
        sc.errors.push(`${peer.impl} conv agreement check: ${(e as Error).message}`);
        sc.o.log(`  agreement, ${peer.impl}: FAILED ${(e as Error).message}`);
      }
    }
  } finally {
    vae.dispose();
    rt.destroy();
  }
  return out;
}
