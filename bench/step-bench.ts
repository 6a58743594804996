// The default model's training step (784-400-20, ReLU, Bernoulli, Adam lr 1e-3) at each batch size:
// ours through GpuVae.trainStep, steps queued back to back as in training, then each peer's step on
// the same batches; and, for peers that can, the agreement check: their −ELBO on our model's
// weights and the same data, with the noise set to zero, against ours.
import { Runtime } from '../src/gpu/runtime';
import { GpuVae } from '../src/vae/gpu-vae';
import { decodeSafetensors } from '../src/model/safetensors';
import type { VaeConfigInput } from '../src/model/config';
import { D, Z, stepFlops, syntheticImages } from './shapes';
import { sample } from './timing';
import type { SuiteContext } from './suite-context';
import type { Peer, VaeWeights } from './peer';
import { WEBGPU_PEERS, type Agreement, type StepResult, type SuiteResults } from './results';

/** Relative tolerance of the agreement check: float32 sums of ~10^5 terms on either side. */
export const AGREEMENT_TOLERANCE = 1e-4;

/** A fresh model's initial weights (the default model's unless `config` says otherwise), by graph name, from its safetensors checkpoint. */
export async function initialWeights(rt: Runtime, config: VaeConfigInput = {}): Promise<VaeWeights> {
  const vae = new GpuVae(rt, config, { maxBatch: 1 });
  try {
    const { tensors } = decodeSafetensors(await vae.save());
    const out: VaeWeights = {};
    for (const [name, t] of Object.entries(tensors)) {
      if (t.data instanceof Float32Array && !name.startsWith('adam.')) out[name] = { shape: t.shape, data: t.data };
    }
    return out;
  } finally {
    vae.dispose();
  }
}

/**
 * Our −ELBO per example with the noise at zero (z = μ), from the model's public encode and decode
 * on the GPU, the loss summed in float64: −Σ [x log p + (1 − x) log(1 − p)] + KL, mean over the batch.
 */
export async function ourLossAtMean(vae: GpuVae, x: Float32Array): Promise<number> {
  const B = x.length / D;
  const { mu, logvar } = await vae.encode(x);
  const p = await vae.decode(mu);
  let total = 0;
  for (let i = 0; i < B * D; i++) total -= x[i] * Math.log(p[i]) + (1 - x[i]) * Math.log(1 - p[i]);
  for (let i = 0; i < B * Z; i++) total -= 0.5 * (1 + logvar[i] - mu[i] * mu[i] - Math.exp(logvar[i]));
  return total / B;
}

/** Each peer's loss on our weights and `x` with zero noise, against ours. */
async function agreement(sc: SuiteContext, weights: VaeWeights, x: Float32Array): Promise<Agreement[]> {
  const B = x.length / D;
  const peers = sc.o.peers.filter((p): p is Peer & Required<Pick<Peer, 'lossAt'>> => !!p.lossAt);
  if (!peers.length) return [];
  const rt = Runtime.forContext(sc.ctx);
  const vae = new GpuVae(rt, {}, { maxBatch: B });
  const out: Agreement[] = [];
  try {
    const ours = await ourLossAtMean(vae, x);
    for (const peer of peers) {
      try {
        const theirs = await peer.lossAt(weights, x, new Float32Array(B * Z));
        const relDiff = Math.abs(theirs - ours) / Math.abs(ours);
        out.push({ impl: peer.impl, batch: B, ours, theirs, relDiff, tolerance: AGREEMENT_TOLERANCE, ok: relDiff <= AGREEMENT_TOLERANCE });
        sc.o.log(`  agreement, ${peer.impl}: −ELBO at z = μ on our weights, batch ${B}: ours ${ours.toFixed(4)}, theirs ${theirs.toFixed(4)} (rel diff ${relDiff.toExponential(1)})`);
        if (!(relDiff <= AGREEMENT_TOLERANCE)) sc.errors.push(`${peer.impl}: loss on our weights ${theirs} disagrees with ours ${ours} (rel diff ${relDiff.toExponential(1)} > ${AGREEMENT_TOLERANCE})`);
      } catch (e) {
        sc.errors.push(`${peer.impl} agreement check: ${(e as Error).message}`);
      }
    }
  } finally {
    vae.dispose();
    rt.destroy();
  }
  return out;
}

const line = (impl: string, batch: number, ms: number, rest: string) =>
  `  batch ${String(batch).padStart(4)} ${impl.padEnd(14)} ${ms.toFixed(2).padStart(9)} ms/step ${((1000 * batch) / ms).toFixed(0).padStart(7)} ex/s (${rest})`;

/** The batch at which peers' own kernel profiles are taken (that of our per-dispatch breakdown). */
export const PROFILE_BATCH = 128;

type Profiles = NonNullable<SuiteResults['peerProfiles']>;

export async function measureSteps(sc: SuiteContext, fmaGflops: number): Promise<{ steps: StepResult[]; agreement: Agreement[]; profiles: Profiles }> {
  const { ctx, device, b, o, errors, guarded } = sc;
  const steps: StepResult[] = [];
  const profiles: Profiles = [];
  o.log('\ntraining step, default model 784-400-20 (ours: forward, ELBO, backward, Adam in one submit)');
  const poolCount = Math.max(4096, 2 * Math.max(...b.batches));
  const pool = syntheticImages(poolCount);
  const weights = await initialWeights(sc.rt);
  const agreed = await agreement(sc, weights, pool.subarray(0, 128 * D));
  for (const batch of b.batches) {
    const flops = stepFlops(batch);
    const feeder = () => {
      let offset = 0;
      return () => {
        if (offset + batch > poolCount) offset = 0;
        const x = pool.subarray(offset * D, (offset + batch) * D);
        offset += batch;
        return x;
      };
    };
    try {
      const { s, first, firstStepMs, lossLast } = await guarded(`step ${batch} webgpu-vae`, async () => {
        // A fresh runtime per try: the first step prepares its passes (pipelines may come from Dawn's cache).
        const brt = Runtime.forContext(ctx);
        const next = feeder();
        const t0 = performance.now();
        const vae = new GpuVae(brt, {}, { maxBatch: batch });
        try {
          const first = (await vae.trainStep(next(), true))!;
          const firstStepMs = performance.now() - t0;
          const s = await sample(async (inner) => {
            const start = performance.now();
            for (let i = 0; i < inner; i++) vae.trainStep(next());
            await device.queue.onSubmittedWorkDone();
            return { wallMs: performance.now() - start };
          }, b.step);
          return { s, first, firstStepMs, lossLast: (await vae.readLoss())[0] };
        } finally {
          vae.dispose();
          brt.destroy();
        }
      });
      const ms = s.wall.median;
      const gflops = flops / (ms * 1e6);
      steps.push({
        impl: 'webgpu-vae', batch, msPerStep: ms, examplesPerSecond: (1000 * batch) / ms, spread: s.wall.spread, runs: s.wall.runs, inner: s.inner,
        firstStepMs, gflops, ofCeiling: gflops / fmaGflops, lossFirst: first.loss, lossLast,
      });
      o.log(line('webgpu-vae', batch, ms, `first step ${firstStepMs.toFixed(0)} ms; loss ${first.loss.toFixed(1)} → ${lossLast.toFixed(1)}`));
    } catch (e) {
      errors.push(`webgpu-vae step batch ${batch}: ${(e as Error).message}`);
      o.log(`  batch ${batch} webgpu-vae: FAILED ${(e as Error).message}`);
    }
    for (const peer of o.peers) {
      try {
        const { tr, s, lossLast, leakedTensors } = await guarded(`step ${batch} ${peer.impl}`, async () => {
          const t = await peer.trainer(batch, feeder(), weights);
          let disposed = false;
          try {
            const sampled = await sample((inner) => t.run(inner), b.step);
            const last = await t.lastLoss();
            if (batch === PROFILE_BATCH && t.profile) {
              try {
                const p = await t.profile(3);
                profiles.push({ impl: peer.impl, batch, ...p });
                o.log(`  ${peer.impl} at batch ${batch}, its own profiler: ${p.kernels.toFixed(0)} kernels, ${p.passes.toFixed(0)} passes, ${p.submits.toFixed(0)} submits per step; ` +
                  `kernels' GPU time ${p.gpuMs.toFixed(1)} ms of ${p.wallMs.toFixed(1)} ms per step (profiling on)`);
              } catch (e) {
                errors.push(`${peer.impl} profile: ${(e as Error).message}`);
              }
            }
            disposed = true;
            return { tr: t, s: sampled, lossLast: last, leakedTensors: t.dispose() };
          } finally {
            if (!disposed) t.dispose();
          }
        });
        const ms = s.wall.median;
        const gflops = flops / (ms * 1e6);
        steps.push({
          impl: peer.impl, batch, msPerStep: ms, examplesPerSecond: (1000 * batch) / ms, spread: s.wall.spread, runs: s.wall.runs, inner: s.inner,
          firstStepMs: tr.firstStepMs, gflops, ofCeiling: WEBGPU_PEERS.includes(peer.impl) ? gflops / fmaGflops : undefined,
          lossFirst: tr.lossFirst, lossLast, leakedTensors,
        });
        o.log(line(peer.impl, batch, ms, `first step ${tr.firstStepMs.toFixed(0)} ms; loss ${tr.lossFirst.toFixed(1)} → ${lossLast.toFixed(1)}` +
          `${leakedTensors !== undefined ? `; leaked tensors ${leakedTensors}` : ''}`));
      } catch (e) {
        errors.push(`${peer.impl} step batch ${batch}: ${(e as Error).message}`);
        o.log(`  batch ${batch} ${peer.impl}: FAILED ${(e as Error).message}`);
      }
    }
  }
  return { steps, agreement: agreed, profiles };
}
