// The conv benchmark's peers (bench/tfjs-conv.ts, bench/jaxjs-conv.ts) in Node: TensorFlow.js on its
// CPU backend and jax-js on its wasm device (the benchmark runs their WebGPU and wasm backends in the
// browser). Each one's −ELBO on our conv model's weights with the noise at zero agrees with our
// float64 reference — so each computes the same function of the same weights, layouts included —
// and its training step starts from that loss and trains. Plus the layout helpers and the FLOP count.
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as jax from '@jax-js/jax';
import { CONV_DIMS, convLayers, convStepFlops, flipSpatial, permute } from '../../bench/conv-model';
import { tfjsConv } from '../../bench/tfjs-conv';
import { jaxjsPeer, JAXJS_VERSION } from '../../bench/jaxjs-peer';
import type { ConvPeer, VaeWeights } from '../../bench/peer';
import { syntheticImages } from '../../bench/shapes';
import { CpuVae } from '../../src/model/cpu-vae';
import { encodeCheckpoint } from '../../src/model/checkpoint';
import { decodeSafetensors } from '../../src/model/safetensors';
import { presetConfig } from '../../src/model/presets';

const D = 784, Z = 20, B = 4;

function referenceLoss(cpu: CpuVae, x: Float32Array): number {
  const stats = cpu.encodeStats(x, B);
  const mu = new Float64Array(B * Z), logvar = new Float64Array(B * Z);
  for (let i = 0; i < B; i++) for (let j = 0; j < Z; j++) {
    mu[i * Z + j] = stats[i * 2 * Z + j];
    logvar[i * Z + j] = stats[i * 2 * Z + Z + j];
  }
  const logits = cpu.decodeLogits(mu, B);
  let total = 0;
  for (let i = 0; i < B * D; i++) total += Math.max(logits[i], 0) - logits[i] * x[i] + Math.log1p(Math.exp(-Math.abs(logits[i])));
  for (let i = 0; i < B * Z; i++) total -= 0.5 * (1 + logvar[i] - mu[i] ** 2 - Math.exp(logvar[i]));
  return total / B;
}

function weightsOf(cpu: CpuVae): VaeWeights {
  const { tensors } = decodeSafetensors(encodeCheckpoint({ config: cpu.config, params: Float32Array.from(cpu.params), step: 0 }));
  const out: VaeWeights = {};
  for (const [name, t] of Object.entries(tensors)) if (t.data instanceof Float32Array) out[name] = { shape: t.shape, data: t.data };
  return out;
}

async function checkPeer(name: string, peer: ConvPeer) {
  const cpu = new CpuVae(presetConfig('conv'));
  const weights = weightsOf(cpu);
  const pool = syntheticImages(3 * B, 5);
  const x = pool.subarray(0, B * D);
  const ref = referenceLoss(cpu, x);
  const theirs = await peer.lossAt(weights, x, new Float32Array(B * Z));
  console.log(`${name} conv −ELBO at z = μ: ${theirs.toFixed(5)}, float64 reference ${ref.toFixed(5)}, rel diff ${(Math.abs(theirs - ref) / ref).toExponential(1)}`);
  expect(Math.abs(theirs - ref) / ref).toBeLessThan(1e-4);
  let offset = 0;
  const next = () => {
    const batch = pool.subarray(offset * D, (offset + B) * D);
    offset = (offset + B) % (3 * B);
    return batch;
  };
  const trainer = await peer.trainer(B, next, weights);
  try {
    expect(Math.abs(trainer.lossFirst - ref) / ref).toBeLessThan(0.02);
    const s = await trainer.run(4);
    expect(s.wallMs).toBeGreaterThan(0);
    const last = await trainer.lastLoss();
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(trainer.lossFirst - 5);
  } finally {
    trainer.dispose();
  }
}

describe('conv benchmark peers (Node)', () => {
  test('the model sizes the peers spell out are our preset\'s; the step FLOPs add up by layer', () => {
    const cpu = new CpuVae(presetConfig('conv'));
    const layers = convLayers(cpu.graph, 128);
    expect(layers.map((l) => [l.name, l.transposed, l.first])).toEqual([
      ['encoder.1', false, true], ['encoder.2', false, false], ['decoder.2', true, false], ['decoder.out', true, false],
    ]);
    const [e1, e2, d2, out] = layers.map((l) => l.g);
    const { side, c1, c2, q, k, stride, pad } = CONV_DIMS;
    expect([e1.inH, e1.outH, e1.outC, e1.kH, e1.strideH, e1.padH]).toEqual([side, side / 2, c1, k, stride, pad]);
    expect([e2.outH, e2.inC, e2.outC]).toEqual([q, c1, c2]);
    // A transposed conv's relation runs from its output (in side) to its input (out side).
    expect([d2.inH, d2.inC, d2.outH, d2.outC]).toEqual([2 * q, c1, q, c2]);
    expect([out.inH, out.inC, out.outC]).toEqual([side, 1, c1]);
    const rel = (g: typeof e1) => 2 * 128 * g.outH * g.outW * g.outC * g.kH * g.kW * g.inC;
    const dense = 2 * 128 * (3136 * 40 + 20 * 3136) * 3;
    expect(convStepFlops(cpu.graph, 128)).toBe(2 * rel(e1) + 3 * (rel(e2) + rel(d2) + rel(out)) + dense);
  });

  test('permute is numpy\'s transpose; flipSpatial reverses both kernel axes', () => {
    const a = Float32Array.from({ length: 24 }, (_, i) => i); // shape 2×3×4
    const t = permute(a, [2, 3, 4], [2, 0, 1]); // 4×2×3: t[k, i, j] = a[i, j, k]
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(t[(k * 2 + i) * 3 + j]).toBe(a[(i * 3 + j) * 4 + k]);
    const f = flipSpatial(a, [2, 3, 4]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(f[(i * 3 + j) * 4 + k]).toBe(a[((1 - i) * 3 + (2 - j)) * 4 + k]);
  });

  test('tfjs (cpu backend): loss on our weights matches the float64 reference; its step starts there and trains', async () => {
    await tf.setBackend('cpu');
    const peer = tfjsConv(tf, { use: async () => void (tf.getBackend() !== 'cpu' && (await tf.setBackend('cpu'))), finish: async (t) => void t.dataSync(), checked: (fn) => fn() });
    await checkPeer('tfjs cpu', peer);
  }, 120_000);

  test('jax-js (wasm device): loss on our weights matches the float64 reference; its jitted step starts there and trains', async () => {
    const peer = await jaxjsPeer(jax, 'wasm', 'Node test', JAXJS_VERSION);
    await checkPeer('jax-js wasm', peer.conv!);
  }, 120_000);
});
