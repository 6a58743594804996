// The evaluation protocols, written once for the GPU and the CPU model (./runner.ts): the test loss
// with one sampled z per example, the importance-weighted bound L_k (k samples per example, up to
// 100,000) and the active units. Batches of maxBatch examples in order; batch i draws its noise with
// step word i, on stream evalElbo for the loss and iwaeBase + s for importance sample (or chunk) s.
// Every loss is in nats of the negated bound (−ELBO, −L_k), as training reports it.
import { STREAMS } from '../base/words';
import { activeUnits as countActive, addMeans, latentMoments, type ActiveUnits } from '../cpu/active-units';
import type { LossTotals } from '../optim/readback';
import type { ModelRunner } from './runner';
import { checkSignal, examplesOf, labelsOf, type CallOptions, type EvalOptions } from './inputs';

/** The most importance samples per example L_k takes. */
export const MAX_EVAL_K = 100000;

type Batch = [x: Float32Array, batch: number, index: number, labels: Uint32Array | undefined];

/**
 * The data set's batches of at most maxBatch examples, in order, with their index and (a conditional
 * model) their labels (checked: `what` names the call).
 */
export function batchesOf(r: ModelRunner, images: Float32Array, count: number, what = 'evaluate', labels?: ArrayLike<number>): Batch[] {
  const D = r.config.inputDim;
  examplesOf(what, images, count, D, r.config.image);
  const l = labelsOf(what, r.config, labels, count);
  const out: Batch[] = [];
  for (let start = 0, index = 0; start < count; start += r.maxBatch, index++) {
    const b = Math.min(r.maxBatch, count - start);
    out.push([images.subarray(start * D, (start + b) * D), b, index, l?.subarray(start, start + b)]);
  }
  return out;
}

/** The objective's loss and parts per example over the set, one sampled z each (noise stream evalElbo); resets the totals. */
export async function evaluateLoss(r: ModelRunner, images: Float32Array, count: number, o: CallOptions = {}): Promise<LossTotals> {
  const signal = checkSignal('evaluate', o);
  const batches = batchesOf(r, images, count, 'evaluate', o.labels);
  r.resetTotals();
  for (const [x, b, index, labels] of batches) {
    r.runObjective(x, b, { step: index, stream: STREAMS.evalElbo }, r.objective.samples, labels);
    // Bound the work queued ahead, so that an abort lands within a few batches.
    if (signal && index % 8 === 7) await r.settle();
    signal?.throwIfAborted();
  }
  const totals = await r.readTotals();
  r.resetTotals();
  return totals;
}

/**
 * The importance-weighted bound as a loss: −L_k averaged over the examples (nats, the sign of
 * evaluateLoss's −ELBO, and at most it in expectation); resets the totals. An
 * importance-weighted objective gives it from its own passes: chunks of at most maxSamples samples
 * (chunk c on stream iwaeBase + c), each example's chunk bounds merged in float64 as
 * log (1/k) Σ_c k_c·exp(L_c) (with β ≠ 1 its log w weights the latent terms by β, and so does this).
 * Any other objective: the default sampler's k draws, sample s on stream iwaeBase + s.
 */
export async function evaluateLk(r: ModelRunner, images: Float32Array, count: number, k: number, o: EvalOptions = {}): Promise<number> {
  const signal = checkSignal('evaluateLk', o);
  const onProgress = o.onProgress;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_EVAL_K) throw new Error(`evaluateLk: k must be an integer from 1 to ${MAX_EVAL_K}, got ${k}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new Error('evaluateLk: options.onProgress must be a function');
  const batches = batchesOf(r, images, count, 'evaluateLk', o.labels);
  const total = batches.length * k;
  const column = r.objective.importanceBound;
  if (column === undefined) {
    r.resetTotals();
    for (const [x, b, index, labels] of batches) {
      await r.addLogMeanWeights(x, b, k, (s) => ({ step: index, stream: STREAMS.iwaeBase + s }), (done) => onProgress?.(index * k + done, total), signal, labels);
      onProgress?.((index + 1) * k, total);
      signal?.throwIfAborted();
    }
    const t = await r.readTotals();
    r.resetTotals();
    return -t.loss;
  }
  const chunk = r.maxSamples, columns = r.objective.columns.length;
  let sum = 0;
  for (const [x, b, index, labels] of batches) {
    const parts: Float64Array[] = [];
    for (let done = 0, c = 0; done < k; done += chunk, c++) {
      const n = Math.min(chunk, k - done);
      r.runObjective(x, b, { step: index, stream: STREAMS.iwaeBase + c }, n, labels);
      const terms = await r.readTerms(b);
      parts.push(Float64Array.from({ length: b }, (_, e) => Math.log(n) - terms[columns * e + column]!));
      onProgress?.(index * k + done + n, total);
      signal?.throwIfAborted();
    }
    for (let e = 0; e < b; e++) sum += logSumExp(parts.map((p) => p[e]!)) - Math.log(k);
  }
  r.resetTotals();
  return -sum / count;
}

/**
 * Active units (Burda et al.): latents whose encoder mean varies over the examples by more than
 * 0.01 (Cov_x E_q[z_u|x]); each batch's means folded in float64 (src/cpu/active-units.ts).
 */
export async function activeUnits(r: ModelRunner, images: Float32Array, count: number, o: CallOptions = {}): Promise<ActiveUnits> {
  const signal = checkSignal('activeUnits', o);
  const m = latentMoments(r.config.latent);
  for (const [x, b, , labels] of batchesOf(r, images, count, 'activeUnits', o.labels)) {
    addMeans(m, await r.statsOf(x, b, labels), b);
    signal?.throwIfAborted();
  }
  return countActive(m);
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
}
