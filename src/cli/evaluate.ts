// `npm run evaluate`: test −ELBO and −L_k of a model without training it. MODEL is a webgpu-vae
// checkpoint or a PyTorch state_dict (converted on the way in). With --samples S the −ELBO is the mean
// over S independent z per test digit; sample 0 draws the noise the training's own evaluation draws,
// so `npm run evaluate` on a run's checkpoint repeats its metrics.json test −ELBO.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../gpu/device';
import { Runtime } from '../gpu/runtime';
import { loadEmbeddedMnist } from '../data/mnist';
import { loadIdxDataset } from '../data/idx-node';
import { subset, validateDataset, type Dataset } from '../data/dataset';
import { describeConfig, describeInput, imageChannels, type VaeConfig } from '../model/config';
import { bitsPerDim, reportsBits } from '../eval/bits';
import { parseRunMetadata, type RunMetadata } from '../model/run-metadata';
import { dataFlags, type Cli } from './args';
import { planData } from './load-data';
import type { TrainingState } from '../model/checkpoint';
import { readCheckpointBytes, writeFileAtomic } from '../model/checkpoint-file';
import { GpuVae } from '../vae/gpu-vae';
import { decodeModelFile } from '../model/pytorch-layout';
import { fail, readConfigFile, runIfInvoked, UsageError } from './cli-common';

const HELP = `Usage: npm run evaluate -- MODEL.safetensors [options]

Test −ELBO and the importance-weighted bound −L_k of a model, without training it. MODEL is a
webgpu-vae checkpoint (or a run folder holding one) or a PyTorch state_dict (npm run convert).

Options:
  --data PATH     'mnist' for the embedded test set, or any data \`npm run train -- --data\` reads (PNG / JPEG
                  folders or zips, .npy / .npz, CIFAR batches, IDX; a folder of t10k IDX files alone is
                  its test set). Default: the checkpoint's recorded data and test part, else 'mnist'
  --test PATH     the test set, any format --data takes
  --test-fraction F  the part of data without a test part held out as its test set, as training
                  split it (default the checkpoint's, else 0.1)
  --max-memory SIZE  refuse data whose headers claim more host memory (default 512M)
  --k K           importance samples for −L_k (default 50; 0 skips)
  --samples S     z per test digit for −ELBO, averaged (default 1: the training's own evaluation)
  --count N       only the first N test digits (default all)
  --batch N       evaluation batch (default the checkpoint's training batch, else 128)
  --config FILE   JSON config, for a PyTorch state_dict without one in its metadata
  --json OUT      write { testNegElbo, testNegLk, k, ... } to OUT
  --driver D      Node software Vulkan driver when no GPU: auto | lavapipe | swiftshader (default auto)
  --help          this text`;

function int(name: string, v: string | undefined, def: number | undefined, min: number): number | undefined {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

export interface Evaluation {
  testNegElbo: number;
  testRec: number;
  testKl: number;
  /** −L_k, absent when k = 0. */
  testNegLk?: number;
  k: number;
  samples: number;
  count: number;
}

/**
 * Test −ELBO averaged over `samples` z per example, and −L_k. Sample s draws the evaluation noise of
 * seed config.seed + s (the noise key is the seed; the weights are the model's in every sample).
 */
export async function evaluateModel(rt: Runtime, state: Pick<TrainingState, 'config' | 'params'>, test: Dataset, o: { samples: number; k: number; batch: number }): Promise<Evaluation> {
  let loss = 0, rec = 0, kl = 0, lk: number | undefined;
  for (let s = 0; s < o.samples; s++) {
    const vae = new GpuVae(rt, { ...state.config, seed: state.config.seed + s }, { maxBatch: Math.min(o.batch, test.count), params: state.params, inference: true });
    try {
      const t = await vae.evaluate(test.images, test.count);
      loss += t.loss / o.samples; rec += t.parts.rec / o.samples; kl += t.parts.kl / o.samples;
      // evaluateLk gives −L_k (a loss, as evaluate's −ELBO); lk is the bound itself.
      if (s === 0 && o.k > 0) lk = -(await vae.evaluateLk(test.images, test.count, o.k));
    } finally {
      vae.dispose();
    }
  }
  return { testNegElbo: loss, testRec: rec, testKl: kl, ...(lk !== undefined ? { testNegLk: -lk } : {}), k: o.k, samples: o.samples, count: test.count };
}

/**
 * The test set: --data as `npm run train` reads it (any format, the same --test / --test-fraction and
 * so the same held-out images); without --data the checkpoint's recorded data and test flags, else
 * the embedded MNIST test set. A folder holding only t10k IDX files is its test set, as before.
 */
async function loadTest(flags: Pick<Cli, 'test' | 'testFraction' | 'maxMemory'> & { data?: string }, config: VaeConfig, meta: RunMetadata): Promise<{ test: Dataset; name: string }> {
  let spec = flags.data, tests: Pick<Cli, 'test' | 'testFraction'> = { test: flags.test, testFraction: flags.testFraction };
  if (spec === undefined && meta.dataSpec !== undefined && meta.dataSpec !== 'mnist') {
    spec = meta.dataSpec;
    if (flags.test === undefined && flags.testFraction === undefined) tests = meta.testSpec !== undefined ? { test: meta.testSpec } : { testFraction: meta.testFraction };
    console.log(`data: ${spec}${tests.test ? `, test ${tests.test}` : tests.testFraction !== undefined ? `, test fraction ${tests.testFraction}` : ''} (from the checkpoint; --data picks other data)`);
  }
  spec ??= 'mnist';
  if (spec === 'mnist' && tests.test === undefined && tests.testFraction === undefined) return { test: (await loadEmbeddedMnist()).test, name: 'embedded MNIST test set (1,000 digits)' };
  const legacy = idxTestOnly(spec);
  if (legacy && tests.test === undefined && tests.testFraction === undefined) return { test: await loadIdxDataset(legacy.images, legacy.labels), name: `IDX test set in ${resolve(spec)}` };
  let plan;
  try {
    plan = await planData({ ...tests, maxMemory: flags.maxMemory }, spec);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    fail(`--data ${spec}: ${(e as Error).message}`);
  }
  for (const n of plan.notes) console.log(n);
  const loaded = await plan.load(config);
  return { test: loaded.test, name: `the test part of ${loaded.name}` };
}

/** A folder with t10k IDX images and no training images: the old form of --data. */
function idxTestOnly(spec: string): { images: string; labels?: string } | undefined {
  const dir = resolve(spec);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  const find = (base: string) => [base, `${base}.gz`].map((f) => join(dir, f)).find((p) => existsSync(p));
  const images = find('t10k-images-idx3-ubyte');
  return images && !find('train-images-idx3-ubyte') ? { images, labels: find('t10k-labels-idx1-ubyte') } : undefined;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string' }, test: { type: 'string' }, 'test-fraction': { type: 'string' }, 'max-memory': { type: 'string' }, k: { type: 'string' }, samples: { type: 'string' }, count: { type: 'string' }, batch: { type: 'string' },
        config: { type: 'string' }, json: { type: 'string' }, driver: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) fail(`expected one MODEL.safetensors, got ${positionals.length} arguments`);
  const k = int('k', values.k, 50, 0)!;
  if (k > 100000) fail(`--k must be at most 100000, got ${k}`);
  const samples = int('samples', values.samples, 1, 1)!;
  const count = int('count', values.count, undefined, 1);
  const driver = values.driver ?? 'auto';
  if (!['auto', 'lavapipe', 'swiftshader'].includes(driver)) fail(`--driver must be auto, lavapipe or swiftshader, got '${driver}'`);
  let path = resolve(positionals[0]);
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.safetensors');
  if (!existsSync(path)) fail(`${positionals[0]}: no such model file`);
  const config = values.config ? await readConfigFile(values.config) : undefined;
  const { state, from } = decodeModelFile(await readCheckpointBytes(path), { config, source: path });
  const data = await loadTest({ data: values.data, ...dataFlags(values.test, values['test-fraction'], values['max-memory']) }, state.config, parseRunMetadata(state.extra, path));
  if (data.test.dim !== state.config.inputDim) fail(`--data: the test images have ${data.test.dim} values; the model takes ${describeInput(state.config)}`);
  validateDataset(data.test, { likelihood: state.config.likelihood });
  const test = count !== undefined && count < data.test.count ? subset(data.test, [...Array(count).keys()]) : data.test;
  const saved = Number(state.extra?.batch);
  const batch = int('batch', values.batch, Number.isInteger(saved) && saved >= 1 ? saved : 128, 1)!;

  const ctx = await acquireDevice({ softwareDriver: driver as SoftwareDriver });
  const rt = Runtime.forContext(ctx);
  try {
    console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}`);
    console.log(`model: ${describeConfig(state.config)} (${from === 'webgpu-vae' ? `webgpu-vae checkpoint, step ${state.step}` : `PyTorch state_dict, ${from} names`}) on ${data.name}`);
    const r = await evaluateModel(rt, state, test, { samples, k, batch });
    const f = (v: number) => v.toFixed(4);
    console.log(`test −ELBO ${f(r.testNegElbo)} (rec ${f(r.testRec)}, KL ${f(r.testKl)}) nats over ${r.count} digits × ${samples} sample${samples > 1 ? 's' : ''}` +
      (r.testNegLk !== undefined ? `; −L_${k} ${f(r.testNegLk)}` : ''));
    // Bits per dimension beside nats for the real-image likelihoods and colour data (src/eval/bits.ts).
    const c = state.config;
    const bits: { testBitsPerDim?: number; testNegLkBitsPerDim?: number } = reportsBits(c.likelihood, imageChannels(c))
      ? { testBitsPerDim: bitsPerDim(r.testNegElbo, c.inputDim, c.likelihood), ...(r.testNegLk !== undefined ? { testNegLkBitsPerDim: bitsPerDim(r.testNegLk, c.inputDim, c.likelihood) } : {}) }
      : {};
    if (bits.testBitsPerDim !== undefined) console.log(`test bits/dim: −ELBO ${f(bits.testBitsPerDim)}${bits.testNegLkBitsPerDim !== undefined ? `, −L_${k} ${f(bits.testNegLkBitsPerDim)}` : ''}`);
    if (values.json) {
      const body = { model: path, from, config: state.config, data: data.name, batch, adapter: describeAdapter(ctx.adapterInfo), ...r, ...bits };
      await writeFileAtomic(resolve(values.json), new TextEncoder().encode(JSON.stringify(body, null, 2) + '\n'));
    }
  } finally {
    rt.destroy();
    ctx.destroy();
  }
  return 0;
}

runIfInvoked(/evaluate\.(m?js|ts)$/, main);
