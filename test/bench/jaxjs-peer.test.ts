// A fast smoke check of the jax-js peer (bench/jaxjs-peer.ts) on its wasm device in Node (jax-js has
// no WebGPU in Node; the benchmark runs both devices in the browser): its −ELBO on our model's
// weights with the noise at zero agrees with our float64 reference, its jitted training step starts
// from the same loss and trains, and its matmul computes the product asked for. The version pinned
// in the code is the one package.json pins and npm installed.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as jax from '@jax-js/jax';
import { JAXJS_VERSION, jaxjsPeer } from '../../bench/jaxjs-peer';
import type { VaeWeights } from '../../bench/peer';
import { syntheticImages } from '../../bench/shapes';
import { CpuVae } from '../../src/model/cpu-vae';
import { encodeCheckpoint } from '../../src/model/checkpoint';
import { decodeSafetensors } from '../../src/model/safetensors';
import { uniformArray } from '../util/random';

const D = 784, Z = 20, B = 8;

/** The reference's −ELBO at z = μ in float64: stable BCE-with-logits over pixels + analytic KL, batch mean. */
function referenceLoss(cpu: CpuVae, x: Float32Array): number {
  const stats = cpu.encodeStats(x, B);
  const mu = new Float64Array(B * Z), logvar = new Float64Array(B * Z);
  for (let i = 0; i < B; i++) for (let j = 0; j < Z; j++) {
    mu[i * Z + j] = stats[i * 2 * Z + j];
    logvar[i * Z + j] = stats[i * 2 * Z + Z + j];
  }
  const logits = cpu.decodeLogits(mu, B);
  let total = 0;
  for (let i = 0; i < B * D; i++) {
    const l = logits[i];
    total += Math.max(l, 0) - l * x[i] + Math.log1p(Math.exp(-Math.abs(l)));
  }
  for (let i = 0; i < B * Z; i++) total -= 0.5 * (1 + logvar[i] - mu[i] ** 2 - Math.exp(logvar[i]));
  return total / B;
}

function weightsOf(cpu: CpuVae): VaeWeights {
  const { tensors } = decodeSafetensors(encodeCheckpoint({ config: cpu.config, params: Float32Array.from(cpu.params), step: 0 }));
  const out: VaeWeights = {};
  for (const [name, t] of Object.entries(tensors)) if (t.data instanceof Float32Array) out[name] = { shape: t.shape, data: t.data };
  return out;
}

describe('jax-js peer (wasm device, Node)', () => {
  test('the pinned version is the one installed', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync('node_modules/@jax-js/jax/package.json', 'utf8')) as { version: string };
    expect(pkg.devDependencies['@jax-js/jax']).toBe(JAXJS_VERSION);
    expect(installed.version).toBe(JAXJS_VERSION);
  });

  test('its loss on our weights matches the float64 reference; its jitted step starts there and trains', async () => {
    const peer = await jaxjsPeer(jax, 'wasm', 'Node test', JAXJS_VERSION);
    const cpu = new CpuVae({});
    const weights = weightsOf(cpu);
    const pool = syntheticImages(4 * B, 3);
    const x = pool.subarray(0, B * D);
    const ref = referenceLoss(cpu, x);
    const theirs = await peer.lossAt!(weights, x, new Float32Array(B * Z));
    console.log(`jax-js wasm −ELBO at z = μ: ${theirs.toFixed(5)}, float64 reference ${ref.toFixed(5)}, rel diff ${(Math.abs(theirs - ref) / ref).toExponential(1)}`);
    expect(Math.abs(theirs - ref) / ref).toBeLessThan(1e-4);

    let offset = 0;
    const next = () => {
      const batch = pool.subarray(offset * D, (offset + B) * D);
      offset = (offset + B) % (4 * B);
      return batch;
    };
    const trainer = await peer.trainer(B, next, weights);
    try {
      // Same weights and batch, its own noise: the first loss differs from the z = μ one by the noise only.
      expect(Math.abs(trainer.lossFirst - ref) / ref).toBeLessThan(0.02);
      const sample = await trainer.run(12);
      expect(sample.wallMs).toBeGreaterThan(0);
      const last = await trainer.lastLoss();
      expect(Number.isFinite(last)).toBe(true);
      expect(last).toBeLessThan(trainer.lossFirst - 20);
    } finally {
      trainer.dispose();
    }
  }, 60_000);

  test('its matmul computes op(A)·op(B) + bias, ReLU, on a transposed case', async () => {
    const peer = await jaxjsPeer(jax, 'wasm', 'Node test', JAXJS_VERSION);
    const M = 7, N = 5, K = 9;
    const a = uniformArray(K * M, 1), b = uniformArray(N * K, 2), bias = uniformArray(N, 3);
    const m = await peer.matmul({ name: 'TT', M, N, K, transA: true, transB: true, bias: true, activation: 'relu' }, a, b, bias);
    try {
      const out = await m.output();
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = bias[j];
        for (let k = 0; k < K; k++) s += a[k * M + i] * b[j * K + k];
        expect(out[i * N + j]).toBeCloseTo(Math.max(s, 0), 5);
      }
      expect((await m.run(3)).wallMs).toBeGreaterThan(0);
    } finally {
      m.dispose();
    }
  });
});
