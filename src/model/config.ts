// The VAE configuration: architecture, likelihood, β, optimiser and seed, with defaults (the
// 784-400-20 ReLU Bernoulli model of Kingma & Welling's MNIST experiments) and strict validation.
import { ACTIVATIONS, LIKELIHOODS, MAX_SCALE_CHANNELS, learnsScale, type Activation, type ImageShape, type LayerSpec, type Likelihood, type LinearSpec, type ObjectiveSpec, type Sigma } from '../base/words';
import { resolveAdam, type AdamConfig, type AdamHyper } from '../kernels/adam';
import { checkSchedule, type ScheduleConfig } from '../optim/schedule';

export interface VaeConfig {
  inputDim: number;
  /**
   * The image an input row holds (HWC interleaved), when known: recorded in checkpoints and shown in
   * messages; per-channel parameters (a likelihood's scales) and colour pictures read it. Absent: rows
   * are plain vectors of inputDim values, one channel.
   */
  image?: ImageShape;
  /** Hidden widths of the encoder, input side first (any depth, possibly none). */
  encoderHidden: number[];
  /** Hidden widths of the decoder, latent side first. */
  decoderHidden: number[];
  /** The encoder as a layer list, x to μ | log σ² (overrides encoderHidden; see src/model/layers.ts). */
  encoder?: LayerSpec[];
  /** The decoder as a layer list, z to the logits (overrides decoderHidden). */
  decoder?: LayerSpec[];
  /**
   * The training objective as its spec, which its op parses (absent: the ELBO), e.g. { kind: 'iwae', k: 5 }
   * for the importance-weighted bound with 5 samples per example.
   */
  objective?: ObjectiveSpec;
  /** Learning-rate schedule and warm-up (src/train/schedule.ts); absent: the constant lr. */
  schedule?: ScheduleConfig;
  latent: number;
  activation: Activation;
  /**
   * p(x|z): 'bernoulli' (logits), 'gaussian' (mean, identity link, σ below) or 'logistic' (the
   * discretized logistic on [0, 1] with 256 levels: mean, identity link, and a learned log-scale per
   * channel, the parameter likelihood.log_scale, initialised to 0).
   */
  likelihood: Likelihood;
  /**
   * The Gaussian likelihood's standard deviation: a fixed number (default 1), or 'learned': a log σ per
   * channel of the image (the parameter likelihood.log_scale, initialised to 0, so σ starts at 1),
   * trained by Adam with the rest. Unused by the other likelihoods.
   */
  sigma: Sigma;
  beta: number;
  adam: AdamHyper;
  seed: number;
}

export type VaeConfigInput = Partial<Omit<VaeConfig, 'adam' | 'objective'>> & {
  adam?: Partial<AdamConfig>;
  /** A spec, or a kind's name alone (its fields at their defaults). */
  objective?: ObjectiveSpec | string;
  /**
   * The older form of an importance-weighted objective's k (checkpoints before the objective spec):
   * `objective: 'iwae', kTrain: 5` is read as `objective: { kind: 'iwae', k: 5 }`.
   */
  kTrain?: number;
};

/**
 * The objective spec of a config input: a name becomes { kind: name }, and the older `kTrain` becomes
 * the spec's k (dropped for the ELBO, which takes one sample, as it always was). Absent stays absent.
 */
export function objectiveSpecOf(input: { objective?: unknown; kTrain?: unknown }): ObjectiveSpec | undefined {
  const o = input.objective;
  if (o === undefined) {
    if (input.kTrain !== undefined) positiveInt('kTrain', input.kTrain, 4096);
    return undefined;
  }
  let spec: ObjectiveSpec;
  if (typeof o === 'string') spec = { kind: o };
  else if (typeof o === 'object' && o !== null && !Array.isArray(o) && typeof (o as ObjectiveSpec).kind === 'string') spec = JSON.parse(JSON.stringify(o)) as ObjectiveSpec;
  else throw new Error(`config: objective must be a name such as 'elbo' or a spec such as { "kind": "iwae", "k": 5 }, got ${JSON.stringify(o)}`);
  if (input.kTrain !== undefined) {
    positiveInt('kTrain', input.kTrain, 4096);
    if (spec.kind !== 'elbo') {
      if (spec.k !== undefined && spec.k !== input.kTrain) throw new Error(`config: kTrain ${input.kTrain} contradicts the objective's k ${JSON.stringify(spec.k)}`);
      spec.k = input.kTrain;
    }
  }
  return spec;
}

/** The objective's kind name ('elbo' when the config has none). */
export const objectiveKind = (c: { objective?: ObjectiveSpec }): string => c.objective?.kind ?? 'elbo';

export const DEFAULT_CONFIG: VaeConfig = {
  inputDim: 784,
  encoderHidden: [400],
  decoderHidden: [400],
  latent: 20,
  activation: 'relu',
  likelihood: 'bernoulli',
  sigma: 1,
  beta: 1,
  adam: resolveAdam({ lr: 1e-3 }),
  seed: 0,
};

function positiveInt(name: string, v: unknown, max = 1 << 20): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new Error(`config: ${name} must be an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function resolveConfig(input: VaeConfigInput = {}): VaeConfig {
  const { kTrain: _legacyK, objective: _objective, ...rest } = input;
  const objective = objectiveSpecOf(input);
  const c: VaeConfig = { ...DEFAULT_CONFIG, ...rest, ...(objective ? { objective } : {}), adam: resolveAdam({ ...DEFAULT_CONFIG.adam, ...(input.adam ?? {}) }, 'config.adam') };
  positiveInt('inputDim', c.inputDim);
  positiveInt('latent', c.latent, 4096);
  for (const key of ['encoderHidden', 'decoderHidden'] as const) {
    if (!Array.isArray(c[key])) throw new Error(`config: ${key} must be an array of layer widths, got ${JSON.stringify(c[key])}`);
    c[key].forEach((w, i) => positiveInt(`${key}[${i}]`, w, 65536));
    c[key] = [...c[key]];
  }
  for (const key of ['encoder', 'decoder'] as const) {
    const list = c[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) throw new Error(`config: ${key} must be a non-empty array of layers, got ${JSON.stringify(list)}`);
    c[key] = list.map((l, i) => {
      if (typeof l !== 'object' || l === null || typeof l.kind !== 'string') {
        throw new Error(`config: ${key}[${i}] must be a layer such as { "kind": "linear", "width": 400 }, got ${JSON.stringify(l)}`);
      }
      return JSON.parse(JSON.stringify(l)) as LayerSpec;
    });
  }
  if (c.image !== undefined) c.image = checkImage(c.image, c.inputDim);
  if (c.schedule !== undefined) c.schedule = checkSchedule(c.schedule);
  if (!ACTIVATIONS.includes(c.activation)) {
    throw new Error(`config: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(c.activation)}`);
  }
  if (!LIKELIHOODS.includes(c.likelihood)) {
    throw new Error(`config: likelihood must be ${LIKELIHOODS.map((l) => `'${l}'`).join(' or ')}, got ${JSON.stringify(c.likelihood)}`);
  }
  if (c.sigma !== 'learned' && (typeof c.sigma !== 'number' || !Number.isFinite(c.sigma) || c.sigma <= 0)) {
    throw new Error(`config: sigma must be a finite number > 0 or 'learned', got ${JSON.stringify(c.sigma)}`);
  }
  if (learnsScale(c.likelihood, c.sigma) && imageChannels(c) > MAX_SCALE_CHANNELS) {
    throw new Error(`config: the ${c.likelihood} likelihood learns a scale per channel for at most ${MAX_SCALE_CHANNELS} channels; image has ${imageChannels(c)}`);
  }
  if (typeof c.beta !== 'number' || !Number.isFinite(c.beta) || c.beta < 0) throw new Error(`config: beta must be a finite number ≥ 0, got ${c.beta}`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new Error(`config: seed must be a non-negative integer, got ${c.seed}`);
  return c;
}

function checkImage(image: unknown, inputDim: number): ImageShape {
  const o = image as Partial<ImageShape> | null;
  if (typeof o !== 'object' || o === null) throw new Error(`config: image must be { height, width, channels }, got ${JSON.stringify(image)}`);
  const shape = { height: positiveInt('image.height', o.height, 65536), width: positiveInt('image.width', o.width, 65536), channels: positiveInt('image.channels', o.channels, 4096) };
  const dim = shape.height * shape.width * shape.channels;
  if (dim !== inputDim) throw new Error(`config: image ${shape.height}×${shape.width}×${shape.channels} is ${dim} values but inputDim is ${inputDim}`);
  return shape;
}

/** The channel count of a config's images (1 when the config names no image shape). */
export const imageChannels = (c: { image?: ImageShape }): number => c.image?.channels ?? 1;

/** Examples in a batch of pixels (batch × inputDim floats, 1 to maxBatch); throws naming `what`. */
export function batchSize(x: Float32Array, inputDim: number, maxBatch: number, what: string, image?: ImageShape): number {
  const shape = image ? ` (${describeImage(image)} images)` : '';
  if (!(x instanceof Float32Array)) throw new Error(`${what}: expected a Float32Array of batch × ${inputDim} pixels${shape}`);
  const b = x.length / inputDim;
  if (!Number.isInteger(b) || b < 1) throw new Error(`${what}: ${x.length} values is not a whole number of ${inputDim}-pixel examples${shape}`);
  if (b > maxBatch) throw new Error(`${what}: batch of ${b} examples exceeds maxBatch ${maxBatch}`);
  return b;
}

/** An image shape as 32×32×3 (height × width × channels). */
export const describeImage = (s: ImageShape): string => `${s.height}×${s.width}×${s.channels}`;

/** The input a config's model takes: 3072 values (32×32×3 images), or 784 values when it names no image. */
export const describeInput = (c: { inputDim: number; image?: ImageShape }): string =>
  `${c.inputDim} values${c.image ? ` (${describeImage(c.image)} images)` : ''}`;

/** The likelihood as reports name it: bernoulli, gaussian (σ learned per channel), gaussian σ=0.5, logistic. */
export function describeLikelihood(c: Pick<VaeConfig, 'likelihood' | 'sigma'>): string {
  if (c.likelihood !== 'gaussian') return c.likelihood;
  return c.sigma === 'learned' ? 'gaussian, σ learned per channel' : c.sigma === 1 ? 'gaussian' : `gaussian σ=${c.sigma}`;
}

/** A short architecture string such as 784-400-20 / 20-400-784 (28×28×1, relu, bernoulli): the image shape first when the config names one. */
export function describeConfig(c: VaeConfig): string {
  const objective = c.objective && c.objective.kind !== 'elbo' ? describeSpec(c.objective) : undefined;
  const tail = (...head: string[]) => `(${[...(c.image ? [describeImage(c.image)] : []), ...head, describeLikelihood(c), ...(objective ? [objective] : []), ...(c.beta !== 1 ? [`β=${c.beta}`] : [])].join(', ')})`;
  if (c.encoder || c.decoder) {
    const { encoder, decoder } = modelLayers(c);
    return `${c.inputDim} → ${describeLayers(encoder)} → ${c.latent} / ${describeLayers(decoder)} ${tail()}`;
  }
  return `${[c.inputDim, ...c.encoderHidden, c.latent].join('-')} / ${[c.latent, ...c.decoderHidden, c.inputDim].join('-')} ${tail(c.activation)}`;
}

// A model's layer lists. A config either gives them (`encoder`, `decoder`: any kinds the registry
// knows, the encoder ending at 2 × latent values, the decoder at the data's) or the MLP shorthand
// `encoderHidden` / `decoderHidden` / `activation`, which means linear layers of those widths and a
// linear head on each side (`encoder.head` to μ | log σ², `decoder.out` to the logits), as it always has.

export function modelLayers(c: VaeConfig): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  const dense = (widths: number[]) => widths.map((width): LinearSpec => ({ kind: 'linear', width, activation: c.activation }));
  return {
    encoder: c.encoder ?? [...dense(c.encoderHidden), { kind: 'linear', name: 'encoder.head', width: 2 * c.latent, activation: 'identity' }],
    decoder: c.decoder ?? [...dense(c.decoderHidden), { kind: 'linear', name: 'decoder.out', width: c.inputDim, activation: 'identity' }],
  };
}

/** A spec as `kind field=value …`, e.g. iwae k=5. */
export function describeSpec(s: ObjectiveSpec): string {
  return [s.kind, ...Object.entries(s).filter(([k]) => k !== 'kind').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)].join(' ');
}

/** A short description of a layer list, e.g. linear 400 relu → linear 40. */
export function describeLayers(list: LayerSpec[]): string {
  return list
    .map((l) => [l.kind, ...Object.entries(l).filter(([k]) => k !== 'kind' && k !== 'name').map(([, v]) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))].join(' '))
    .join(' → ');
}
