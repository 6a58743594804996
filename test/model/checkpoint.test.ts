// model.safetensors round trip and refusal of bad files, and exact resume: training 2 epochs in one go
// equals training 1 epoch, checkpointing through bytes, loading on a fresh model and training 1 more.
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint';
import { resolveConfig } from '../../src/model/config';
import { initParams } from '../../src/model/init';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { GpuVae } from '../../src/vae/gpu-vae';
import { train, snapshotState, type EpochMetrics } from '../../src/train/trainer';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { subset, type Dataset } from '../../src/data/dataset';
import { CheckpointError, encodeSafetensors } from '../../src/model/safetensors';
import { scoped, useGpu } from '../gpu/harness';

const gpu = useGpu();
const config = resolveConfig({ encoderHidden: [48], decoderHidden: [40], latent: 3, seed: 9, adam: { lr: 2e-3 } });

describe('checkpoint format', () => {
  const g = buildVaeGraph(config);
  const params = initParams(g, config.seed);
  const m = params.map((v) => v * 0.1), v = params.map((x) => x * x);
  const bytes = encodeCheckpoint({ config, params, adam: { m, v }, step: 42, extra: { batch: '32' } });

  it('round-trips parameters, moments, step, config and extra metadata', () => {
    const s = decodeCheckpoint(bytes, config);
    expect(s.step).toBe(42);
    expect(s.config).toEqual(config);
    expect(s.params).toEqual(params);
    expect(s.adam!.m).toEqual(m);
    expect(s.adam!.v).toEqual(v);
    expect(s.extra).toEqual({ batch: '32' });
  });

  it('reads a checkpoint from before the objective spec (objective: "iwae", kTrain) as the spec', () => {
    const iw = resolveConfig({ ...config, objective: { kind: 'iwae', k: 3 } });
    const g2 = buildVaeGraph(iw);
    const p2 = initParams(g2, iw.seed);
    const fresh = encodeCheckpoint({ config: iw, params: p2, step: 7 });
    // The same file as an older release wrote it: the objective's name and kTrain beside it.
    const { objective: _spec, ...rest } = iw;
    const old = encodeSafetensors(Object.fromEntries(g2.params.map((p) => [p.name, { dtype: 'F32' as const, shape: p.shape, data: p2.slice(p.offset, p.offset + p.size) }])), {
      format: CHECKPOINT_FORMAT, config: JSON.stringify({ ...rest, objective: 'iwae', kTrain: 3 }), step: '7',
    });
    const a = decodeCheckpoint(old, iw), b = decodeCheckpoint(fresh, iw);
    expect(a.config.objective).toEqual({ kind: 'iwae', k: 3 });
    expect(a.config).toEqual(b.config);
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(() => decodeCheckpoint(old, resolveConfig({ ...config, objective: { kind: 'iwae', k: 4 } }))).toThrow(/iwae k=3\), but this run is .*iwae k=4/);
  });

  it('refuses a checkpoint made for another architecture', () => {
    const other = resolveConfig({ ...config, latent: 4 });
    expect(() => decodeCheckpoint(bytes, other, 'x.safetensors')).toThrow(/x.safetensors: made for the model 784-48-3 .* but this run is 784-48-4/);
  });

  it('refuses truncated, foreign and corrupt files with a CheckpointError', () => {
    expect(() => decodeCheckpoint(bytes.slice(0, bytes.length - 10))).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(bytes.slice(0, 5))).toThrow(CheckpointError);
    const flipped = bytes.slice();
    flipped[12] ^= 0xff; // inside the JSON header
    expect(() => decodeCheckpoint(flipped)).toThrow(CheckpointError);
    const nan = encodeCheckpoint({ config, params: params.map((x, i) => (i === 5 ? NaN : x)), step: 1 });
    expect(() => decodeCheckpoint(nan)).toThrow(/non-finite value \(NaN\) at index 5/);
  });
});

describe('resume', () => {
  let data: { train: Dataset; test: Dataset };
  beforeAll(async () => {
    const all = await loadEmbeddedMnist();
    // A small slice of every class: 150 training digits, 40 test digits.
    const pick = (ds: Dataset, n: number) => subset(ds, Array.from({ length: n }, (_, i) => Math.floor((i * ds.count) / n)));
    data = { train: pick(all.train, 150), test: pick(all.test, 40) };
  });

  it('continues exactly where the checkpoint left it', async () => {
    const { device, rt } = gpu();
    const opts = { batch: 32, train: data.train, test: data.test, readEvery: 3 };
    await scoped(device, async () => {
      const straight = new GpuVae(rt, config, { maxBatch: 32 });
      const full = await train(straight, { ...opts, epochs: 2 });
      const fullParams = await straight.readParams();
      straight.dispose();

      const first = new GpuVae(rt, config, { maxBatch: 32 });
      const m1 = await train(first, { ...opts, epochs: 1 });
      const bytes = encodeCheckpoint(await snapshotState(first));
      first.dispose();

      const state = decodeCheckpoint(bytes, config);
      const resumed = new GpuVae(rt, state.config, { maxBatch: 32, params: state.params });
      resumed.writeOptimizer(state.adam!.m, state.adam!.v, state.step);
      // train() counts epochs from the model's step: one more.
      const m2 = await train(resumed, { ...opts, epochs: 1 });
      const resumedParams = await resumed.readParams();
      resumed.dispose();

      const strip = (ms: EpochMetrics[]) => ms.map((m) => ({ epoch: m.epoch, step: m.step, train: m.train, test: m.test }));
      expect(strip([...m1, ...m2])).toEqual(strip(full));
      // Deterministic kernels (fixed reduction trees, no atomics): bit-identical parameters.
      expect(resumedParams).toEqual(fullParams);
      expect(full[1].test.elbo).toBeLessThan(full[0].test.elbo);
    });
  });
});
