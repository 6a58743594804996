// Seeded fuzzing of what a checkpoint's metadata and a run's metrics.json claim (issue 11): every
// mutation either reads back as a consistent state or is refused by a named error (CheckpointError
// for checkpoints, UsageError for metrics.json), never a TypeError, a RangeError from an enormous
// allocation, or a silently odd value (a negative batch, a fractional step, a NaN loss).
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/model/checkpoint';
import { readCheckpointBlob } from '../../src/model/checkpoint-extent';
import { resolveConfig } from '../../src/model/config';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { initParams } from '../../src/model/init';
import { parseRunMetadata, runMetadataStrings } from '../../src/model/run-metadata';
import { CheckpointError, decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';
import { parseRunMetrics } from '../../src/cli/run-metrics';
import { planResume } from '../../src/cli/resume-check';
import { parseCli, type Cli } from '../../src/cli/args';
import { UsageError } from '../../src/cli/usage-error';
import { rng } from '../util/random';

const HOSTILE = [
  '-5', '0', '1', '7', '1e3', '1.5', '', ' 5', '5 ', 'NaN', 'Infinity', '-0', '0x10', '9007199254740993', '4294967296',
  '2147483648', 'true', 'false', 'null', 'gpu', 'cpu', 'mnist', '0123456789abcdef', 'ZZZZ', '{}', '[]', '"', '\u0000', 'é'.repeat(5000),
];
const CONFIG_VALUES: unknown[] = [
  -1, 0, 1, 2.5, 1e9, 65536, 65537, 4096, 4097, null, 'relu', 'gelu', 'gaussian', [], [65536, 65536, 65536], [1e6], [-3], [2, 'x'],
  { lr: -1 }, { lr: 1e-3 }, true, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2,
];
const CONFIG_KEYS = ['inputDim', 'encoderHidden', 'decoderHidden', 'latent', 'activation', 'likelihood', 'sigma', 'beta', 'adam', 'seed'];
const RUN_KEYS = ['batch', 'epochsPlanned', 'data', 'dataSpec', 'dataDigest', 'trainCount', 'binarize', 'backend', 'step', 'format'];

describe('fuzz: checkpoint metadata', () => {
  const config = resolveConfig({ encoderHidden: [6], decoderHidden: [5], latent: 2 });
  const params = initParams(buildVaeGraph(config), 3);
  const meta = runMetadataStrings({ batch: 32, epochsPlanned: 3, data: 'embedded MNIST', dataSpec: 'mnist', dataDigest: '0123456789abcdef', trainCount: 9000, binarize: false, backend: 'gpu' });
  const source = encodeCheckpoint({ config, params, adam: { m: params.map(() => 0), v: params.map(() => 0) }, step: 12, extra: meta });
  const { tensors, metadata } = decodeSafetensors(source);
  const cli = parseCli([]) as Cli;

  function mutate(rand: () => number): Record<string, string> {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const m = { ...metadata };
    const rounds = 1 + Math.floor(rand() * 3);
    for (let r = 0; r < rounds; r++) {
      const kind = Math.floor(rand() * 4);
      if (kind === 0) m[pick(RUN_KEYS)] = pick(HOSTILE);
      else if (kind === 1) {
        let c: Record<string, unknown>;
        try {
          c = JSON.parse(m.config ?? '{}') ?? {};
        } catch {
          continue; // an earlier round broke the JSON: leave it broken
        }
        c[pick(CONFIG_KEYS)] = pick(CONFIG_VALUES);
        m.config = JSON.stringify(c);
      } else if (kind === 2) {
        const text = m.config ?? '';
        const at = Math.floor(rand() * (text.length + 1));
        m.config = text.slice(0, at) + pick(['-', '9', 'e9', ']', '[', ',', '"', '}', 'null']) + text.slice(at + Math.floor(rand() * 4));
      } else delete m[pick([...RUN_KEYS, 'config'])];
    }
    return m;
  }

  it('3,000 seeded mutations read back consistently or throw CheckpointError', async () => {
    const rand = rng(1111);
    let ok = 0, refused = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const bytes = encodeSafetensors(tensors, mutate(rand));
      try {
        const read = await readCheckpointBlob(new Blob([bytes as BlobPart]), 'fuzz');
        const state = decodeCheckpoint(read, undefined, 'fuzz');
        const run = parseRunMetadata(state.extra, 'fuzz');
        expect(Number.isSafeInteger(state.step) && state.step >= 0 && state.step <= 0xffffffff).toBe(true);
        expect(state.params.length).toBe(buildVaeGraph(state.config).arenaSize);
        for (const k of ['batch', 'epochsPlanned', 'trainCount'] as const) {
          if (run[k] !== undefined) expect(Number.isSafeInteger(run[k]) && run[k]! >= 1, `${k} ${run[k]}`).toBe(true);
        }
        // What a resume does with it: a plan, or a UsageError naming the flag or the metadata.
        try {
          const plan = planResume(cli, state, run);
          expect(Number.isSafeInteger(plan.batch) && plan.batch >= 1).toBe(true);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
        }
        ok++;
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw new Error(`iteration ${iter}: ${(e as Error)?.name} escaped: ${(e as Error)?.message}`);
        expect((e as Error).message).toMatch(/^fuzz: /);
        refused++;
      }
    }
    console.info(`checkpoint metadata fuzz: ${ok} read back, ${refused} refused`);
    expect(ok).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(1000);
  });
});

describe('fuzz: metrics.json', () => {
  const epoch = (i: number) => ({ epoch: i, step: 36 * i, train: { elbo: 200 - i, rec: 190 - i, kl: 10 }, test: { elbo: 198 - i, rec: 188 - i, kl: 10 }, seconds: 1.5, stepsPerSecond: 24 });
  const text = JSON.stringify({ config: { latent: 2 }, data: 'embedded', batch: 256, epochs: [1, 2, 3, 4].map(epoch), final: { step: 144 } }, null, 2);
  const snippets = ['-', '1e999', 'NaN', 'null', '"x"', '[', ']', '{', '}', ',', ':', '0', '-1', '1.5', '"epochs":', 'true'];

  function mutate(rand: () => number): string {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    let t = text;
    const rounds = 1 + Math.floor(rand() * 3);
    for (let r = 0; r < rounds; r++) {
      const at = Math.floor(rand() * (t.length + 1));
      const kind = Math.floor(rand() * 3);
      if (kind === 0) t = t.slice(0, at);
      else if (kind === 1) t = t.slice(0, at) + pick(snippets) + t.slice(at + Math.floor(rand() * 6));
      else {
        const body = JSON.parse(text);
        const e = body.epochs[Math.floor(rand() * 4)];
        const key = pick(['epoch', 'step', 'train', 'test', 'seconds', 'stepsPerSecond']);
        e[key] = pick([null, -1, 0, 1.5, 'x', [], {}, 1e308, 36, { elbo: 'NaN' }]);
        t = JSON.stringify(body);
      }
    }
    return t;
  }

  it('2,000 seeded mutations parse to checked epochs or throw a UsageError naming the file', () => {
    const rand = rng(2222);
    let ok = 0, refused = 0;
    for (let iter = 0; iter < 2000; iter++) {
      const input = mutate(rand);
      try {
        const epochs = parseRunMetrics(input, 'runs/x/metrics.json');
        let last = -1;
        for (const m of epochs) {
          expect(m.step).toBeGreaterThan(last);
          last = m.step;
          for (const v of [m.train.elbo, m.train.rec, m.train.kl, m.test.elbo, m.test.rec, m.test.kl, m.seconds, m.stepsPerSecond]) expect(Number.isFinite(v)).toBe(true);
        }
        ok++;
      } catch (e) {
        if (!(e instanceof UsageError)) throw new Error(`iteration ${iter}: ${(e as Error)?.name} escaped: ${(e as Error)?.message}`);
        expect((e as Error).message).toMatch(/^runs\/x\/metrics\.json: .*; move the file away/s);
        refused++;
      }
    }
    console.info(`metrics.json fuzz: ${ok} parsed, ${refused} refused`);
    expect(ok).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(500);
  });
});
