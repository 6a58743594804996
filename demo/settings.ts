// The demo's run settings: what the controls edit and the URL carries
// (?arch=conv&latent=2&hidden=64&batch=64&lr=0.002&beta=1&steps=200&seed=0&objective=iwae&k=5&klWarmup=500&conditional=1&autostart=1, and for a loaded
// checkpoint activation, likelihood and decoder when not the defaults), with the CLI's defaults and
// the config's own validation, and the VaeConfig a setting makes. Every field accepts what a
// checkpoint the page loads can hold, and the model's size is bounded as a whole (model-limits.ts),
// so every URL the page writes is one it accepts. Pure: no DOM.
import { DEFAULT_CONFIG, objectiveKind, resolveConfig, type VaeConfig } from '../src/model/config';
import { ACTIVATIONS, LIKELIHOODS, type Activation, type Likelihood } from '../src/base/words';
import { BUILTIN_OPS } from '../src/ops/registry';
import { demoModelProblem } from './model-limits';
import { presetConfig } from '../src/model/presets';
import type { ImageShape } from '../src/base/words';
import { parseByteSize } from '../src/data/memory-cap';

/** The architectures the model picker offers (src/model/presets.ts). */
export const DEMO_ARCHITECTURES = ['mlp', 'conv'] as const;
export type DemoArchitecture = (typeof DEMO_ARCHITECTURES)[number];

/**
 * The preset the page picks for the user's own images, and those that fit them: the MLP takes any
 * H×W×C; the conv preset's two stride-2 layers need H and W multiples of 4 (colour or grey), and it
 * is picked where it fits.
 */
export function presetForShape(shape: ImageShape): { arch: DemoArchitecture; fits: DemoArchitecture[]; why: string } {
  const conv = shape.height % 4 === 0 && shape.width % 4 === 0;
  return conv
    ? { arch: 'conv', fits: ['mlp', 'conv'], why: 'conv: H and W are multiples of 4' }
    : { arch: 'mlp', fits: ['mlp'], why: 'mlp: the conv preset needs H and W multiples of 4' };
}

export interface Settings {
  /** mlp: linear layers of `hidden` widths; conv: the conv preset (hidden and decoder unused). */
  arch: DemoArchitecture;
  latent: number;
  /** Encoder hidden widths, input side first; the decoder mirrors them (as the CLI's --hidden does). */
  hidden: number[];
  /** Decoder hidden widths, latent side first; null: the encoder's mirrored. */
  decoder: number[] | null;
  activation: Activation;
  likelihood: Likelihood;
  batch: number;
  lr: number;
  beta: number;
  seed: number;
  /** Train until this step, then stop ('done'); null: no limit. */
  steps: number | null;
  /** The training objective: the ELBO, or the importance-weighted bound (IWAE or DReG gradients). */
  objective: DemoObjective;
  /** Importance samples per example for iwae and iwae-dreg. */
  k: number;
  /** Steps of linear KL warm-up (β from β/W to β); 0: none. */
  klWarmup: number;
  /** A conditional VAE: the one-hot class joins the encoder's input and the decoder's latent (labelled data only). */
  conditional: boolean;
}

/** The embedded MNIST digits' classes (0 … 9): a conditional model of them is conditional on 10. */
export const MNIST_CLASSES = 10;

/** The objectives the registry knows (the page's choice lists them). */
export const OBJECTIVES = BUILTIN_OPS.objectiveNames;
export type DemoObjective = string;
/** Whether an objective takes k samples per example (a `k` field in its spec). */
export const takesK = (objective: string): boolean => !!BUILTIN_OPS.objective(objective).fields?.includes('k');

export const DEFAULT_SETTINGS: Settings = {
  arch: 'mlp',
  latent: DEFAULT_CONFIG.latent,
  hidden: [...DEFAULT_CONFIG.encoderHidden],
  decoder: null,
  activation: DEFAULT_CONFIG.activation,
  likelihood: DEFAULT_CONFIG.likelihood,
  batch: 128,
  lr: DEFAULT_CONFIG.adam.lr,
  beta: DEFAULT_CONFIG.beta,
  seed: DEFAULT_CONFIG.seed,
  steps: null,
  objective: 'elbo',
  k: 5,
  klWarmup: 0,
  conditional: false,
};

/** The largest batch the controls accept: the training set's 9,000 digits (a larger batch is the whole set). */
export const MAX_BATCH = 9000;
/** Per-field bounds are the config's own; the model's size as a whole is bounded by demoModelProblem. */
const MAX_LAYERS = 16;
/** The most classes a conditional model of the page may have (its picker lists each). */
export const MAX_PICKER_CLASSES = 256;

type Parser<T> = (text: string) => T;

const int = (min: number, max: number): Parser<number> => (text) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}`);
  return n;
};

/** A finite number above 0 (the config's rule for the learning rate). */
const positive: Parser<number> = (text) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error('must be a finite number > 0');
  return n;
};

/** A finite number ≥ 0 (the config's rule for β). */
const nonNegative: Parser<number> = (text) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error('must be a finite number ≥ 0');
  return n;
};

/** "400" or "512,256": the widths of the encoder's hidden layers ('none': no hidden layer). */
export const parseHidden: Parser<number[]> = (text) => {
  if (text.trim() === 'none') return [];
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > MAX_LAYERS) throw new Error(`at most ${MAX_LAYERS} hidden layers`);
  return parts.map((p) => int(1, 65536)(p));
};

const oneOf = <T extends string>(values: readonly T[]): Parser<T> => (text) => {
  if (!(values as readonly string[]).includes(text)) throw new Error(`must be one of ${values.join(', ')}`);
  return text as T;
};

export const FIELD_PARSERS = {
  arch: oneOf(DEMO_ARCHITECTURES),
  latent: int(1, 4096),
  hidden: parseHidden,
  // 'none': a decoder without hidden layers under an encoder with some.
  decoder: (text: string): number[] | null => (text.trim() === '' ? null : parseHidden(text)),
  activation: oneOf(ACTIVATIONS),
  likelihood: oneOf(LIKELIHOODS),
  batch: int(1, MAX_BATCH),
  lr: positive,
  beta: nonNegative,
  seed: int(0, Number.MAX_SAFE_INTEGER),
  steps: (text: string): number | null => (text.trim() === '' || text.trim() === '∞' ? null : int(1, 10_000_000)(text)),
  objective: oneOf(OBJECTIVES),
  k: int(1, 64),
  klWarmup: int(0, 10_000_000),
  conditional: (text: string): boolean => {
    if (text === '1' || text === 'true') return true;
    if (text === '0' || text === 'false') return false;
    throw new Error('must be 1 or 0');
  },
} satisfies { [K in keyof Settings]: Parser<Settings[K]> };

export interface TuneSettings {
  enabled: boolean;
  /** Seconds one tuning may take. */
  budgetS: number;
}

export const DEFAULT_TUNE: TuneSettings = { enabled: true, budgetS: 10 };

/** Tuning parameters from a query string (?notune=1, ?tuneBudget=S); bad values keep the default and say so. */
export function tuneFromUrl(q: URLSearchParams, warnings: string[]): TuneSettings {
  const t = { ...DEFAULT_TUNE };
  const off = q.get('notune');
  if (off !== null && off !== '0' && off !== 'false') t.enabled = false;
  const b = q.get('tuneBudget');
  if (b !== null) {
    const v = Number(b);
    if (b.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 600) t.budgetS = v;
    else warnings.push(`URL parameter tuneBudget=${JSON.stringify(b)} ignored: expected seconds from 0 to 600`);
  }
  return t;
}


/** Where the page trains and how far the one-digit bound goes: not model settings either. */
export interface PageOptions {
  /** Train in a Web Worker when it gets WebGPU (?worker=0: on the page's thread). */
  worker: boolean;
  /** L_k of one digit for k = 1 … lkMax (?lkMax=N, 1 to 10,000; default 1000). */
  lkMax: number;
  /** The cap on the user's own images in memory (?maxData=512M; default 256 MiB, demo/data-read.ts). */
  maxData: number;
}

export const DEFAULT_PAGE_OPTIONS: PageOptions = { worker: true, lkMax: 1000, maxData: 256 * 1024 * 1024 };

/** ?worker=0 and ?lkMax=N; bad values keep the default and say so. */
export function pageOptionsFromUrl(q: URLSearchParams, warnings: string[]): PageOptions {
  const o = { ...DEFAULT_PAGE_OPTIONS };
  const w = q.get('worker');
  if (w === '0' || w === 'false') o.worker = false;
  else if (w !== null && w !== '1' && w !== 'true') warnings.push(`URL parameter worker=${JSON.stringify(w)} ignored: expected 0 or 1`);
  const k = q.get('lkMax');
  if (k !== null) {
    try {
      o.lkMax = int(1, 10_000)(k);
    } catch (e) {
      warnings.push(`URL parameter lkMax=${JSON.stringify(k)} ignored: ${(e as Error).message}`);
    }
  }
  const m = q.get('maxData');
  if (m !== null) {
    const bytes = parseByteSize(m);
    if (bytes !== undefined && bytes <= 4 * 1024 ** 3) o.maxData = bytes;
    else warnings.push(`URL parameter maxData=${JSON.stringify(m)} ignored: expected a size up to 4G, e.g. 512M`);
  }
  return o;
}

export interface ParsedUrl {
  settings: Settings;
  autostart: boolean;
  /** Kernel tuning (?notune=1, ?tuneBudget=S): not a model setting, kept apart. */
  tune: TuneSettings;
  options: PageOptions;
  /** One line per parameter that was ignored, saying why. */
  warnings: string[];
}

/** Settings from a query string; bad values keep the default and say so. */
export function settingsFromUrl(search: string): ParsedUrl {
  const q = new URLSearchParams(search);
  const settings: Settings = { ...DEFAULT_SETTINGS, hidden: [...DEFAULT_SETTINGS.hidden] };
  const warnings: string[] = [];
  for (const key of Object.keys(FIELD_PARSERS) as (keyof Settings)[]) {
    const text = q.get(key);
    if (text === null) continue;
    try {
      (settings as unknown as Record<string, unknown>)[key] = FIELD_PARSERS[key](text);
    } catch (e) {
      warnings.push(`URL parameter ${key}=${JSON.stringify(text)} ignored: ${(e as Error).message}`);
    }
  }
  const auto = q.get('autostart');
  let autostart = auto !== null && auto !== '0' && auto !== 'false';
  // The size of the model as a whole: too large and the page would stall making it. Its size
  // fields go back to the defaults, and it does not start on its own.
  const problem = demoModelProblem(configFor(settings), Math.min(settings.batch, MAX_BATCH));
  if (problem) {
    warnings.push(`URL settings latent, hidden, decoder and batch ignored: ${problem}`);
    settings.latent = DEFAULT_SETTINGS.latent;
    settings.hidden = [...DEFAULT_SETTINGS.hidden];
    settings.decoder = null;
    settings.batch = DEFAULT_SETTINGS.batch;
    autostart = false;
  }
  const tune = tuneFromUrl(q, warnings);
  const options = pageOptionsFromUrl(q, warnings);
  const known = new Set([...Object.keys(FIELD_PARSERS), 'autostart', 'notune', 'tuneBudget', 'worker', 'lkMax', 'maxData']);
  for (const key of q.keys()) if (!known.has(key)) warnings.push(`URL parameter ${key} is unknown (known: ${[...known].join(', ')})`);
  return { settings, autostart, tune, options, warnings };
}

/** Layer widths as the controls and the URL write them: "512,256", or "none". */
export function hiddenText(widths: readonly number[]): string {
  return widths.length ? widths.join(',') : 'none';
}

/** The query string for settings (defaults left out), e.g. "?latent=2&hidden=64". */
export function settingsToUrl(s: Settings, tune: TuneSettings = DEFAULT_TUNE, options: PageOptions = DEFAULT_PAGE_OPTIONS): string {
  const q = new URLSearchParams();
  if (s.arch !== DEFAULT_SETTINGS.arch) q.set('arch', s.arch);
  if (s.latent !== DEFAULT_SETTINGS.latent) q.set('latent', String(s.latent));
  if (s.hidden.join(',') !== DEFAULT_SETTINGS.hidden.join(',')) q.set('hidden', hiddenText(s.hidden));
  if (s.decoder !== null) q.set('decoder', hiddenText(s.decoder));
  if (s.activation !== DEFAULT_SETTINGS.activation) q.set('activation', s.activation);
  if (s.likelihood !== DEFAULT_SETTINGS.likelihood) q.set('likelihood', s.likelihood);
  if (s.batch !== DEFAULT_SETTINGS.batch) q.set('batch', String(s.batch));
  if (s.lr !== DEFAULT_SETTINGS.lr) q.set('lr', String(s.lr));
  if (s.beta !== DEFAULT_SETTINGS.beta) q.set('beta', String(s.beta));
  if (s.seed !== DEFAULT_SETTINGS.seed) q.set('seed', String(s.seed));
  if (s.steps !== null) q.set('steps', String(s.steps));
  if (s.objective !== DEFAULT_SETTINGS.objective) q.set('objective', s.objective);
  if (s.k !== DEFAULT_SETTINGS.k) q.set('k', String(s.k));
  if (s.klWarmup !== DEFAULT_SETTINGS.klWarmup) q.set('klWarmup', String(s.klWarmup));
  if (s.conditional) q.set('conditional', '1');
  if (!tune.enabled) q.set('notune', '1');
  if (tune.budgetS !== DEFAULT_TUNE.budgetS) q.set('tuneBudget', String(tune.budgetS));
  if (!options.worker) q.set('worker', '0');
  if (options.lkMax !== DEFAULT_PAGE_OPTIONS.lkMax) q.set('lkMax', String(options.lkMax));
  if (options.maxData !== DEFAULT_PAGE_OPTIONS.maxData) q.set('maxData', String(options.maxData));
  const text = q.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

/**
 * The model a setting describes. `base` supplies what the controls do not set (activation,
 * likelihood, σ, Adam's β₁/β₂/ε): the defaults, or those of the last checkpoint loaded. `classes`
 * are the data's (MNIST's 10 unless said; 0: unlabelled data, which a conditional setting refuses).
 */
export function configFor(s: Settings, base: VaeConfig = DEFAULT_CONFIG, classes = MNIST_CLASSES): VaeConfig {
  if (s.conditional && classes < 2) throw new Error(`conditional needs labelled data of at least 2 classes; these images have ${classes === 0 ? 'no labels' : '1 class'} (give one sub-folder per class)`);
  const { encoder: _e, decoder: _d, ...rest } = base;
  // The conv preset for the base's images (the user's own, else MNIST's 28×28×1).
  const layers = s.arch === 'conv' ? presetConfig('conv', { inputDim: base.inputDim, latent: s.latent }, base.image ? { shape: base.image } : {}) : {};
  return resolveConfig({
    ...rest,
    ...(s.arch === 'conv' ? { encoder: layers.encoder, decoder: layers.decoder } : {}),
    latent: s.latent,
    encoderHidden: [...s.hidden],
    decoderHidden: s.decoder ? [...s.decoder] : [...s.hidden].reverse(),
    activation: s.activation,
    likelihood: s.likelihood,
    beta: s.beta,
    seed: s.seed,
    adam: { ...base.adam, lr: s.lr },
    objective: s.objective === 'elbo' ? base.objective?.kind === 'elbo' ? { kind: 'elbo' } : undefined : { kind: s.objective, ...(takesK(s.objective) ? { k: s.k } : {}) },
    schedule: s.klWarmup > 0 ? { ...(base.schedule ?? {}), klWarmup: s.klWarmup } : base.schedule?.klWarmup ? { ...base.schedule, klWarmup: undefined } : base.schedule,
    conditional: s.conditional ? { classes } : undefined,
  });
}

/** The settings that describe a model's config (e.g. one loaded from a checkpoint). */
/** 'conv' when a config's layer lists are the conv preset's, 'mlp' without layer lists, else null. */
export function archOf(c: VaeConfig): DemoArchitecture | null {
  if (!c.encoder && !c.decoder) return 'mlp';
  let conv;
  try {
    conv = presetConfig('conv', { inputDim: c.inputDim, latent: c.latent }, c.image ? { shape: c.image } : {});
  } catch {
    return null; // images the conv preset does not take: these layers are not it
  }
  return JSON.stringify([c.encoder, c.decoder]) === JSON.stringify([conv.encoder, conv.decoder]) ? 'conv' : null;
}

export function settingsFor(c: VaeConfig, batch: number, steps: number | null): Settings {
  const mirrored = c.decoderHidden.join(',') === [...c.encoderHidden].reverse().join(',');
  return {
    arch: archOf(c) ?? 'mlp',
    latent: c.latent, hidden: [...c.encoderHidden], decoder: mirrored ? null : [...c.decoderHidden], activation: c.activation,
    likelihood: c.likelihood, batch, lr: c.adam.lr, beta: c.beta, seed: c.seed, steps,
    objective: OBJECTIVES.includes(objectiveKind(c)) ? objectiveKind(c) : 'elbo',
    k: typeof c.objective?.k === 'number' ? c.objective.k : DEFAULT_SETTINGS.k, klWarmup: c.schedule?.klWarmup ?? 0,
    conditional: !!c.conditional,
  };
}

/** Why a config and batch (from the controls or a checkpoint) cannot be a model of this page, or null. */
export function settingsProblem(c: VaeConfig, batch: number): string | null {
  if (archOf(c) === null) return 'its layer lists are not an architecture this page offers (mlp, or the conv preset)';
  // One picker entry per class: more than this is not a list to pick from.
  if (c.conditional && c.conditional.classes > MAX_PICKER_CLASSES) return `it is conditional on ${c.conditional.classes} classes; the page's class picker takes at most ${MAX_PICKER_CLASSES}`;
  const s = settingsFor(c, batch, null);
  for (const [key, text] of [['latent', String(s.latent)], ['hidden', hiddenText(s.hidden)], ['decoder', s.decoder === null ? '' : hiddenText(s.decoder)], ['batch', String(s.batch)]] as const) {
    try {
      FIELD_PARSERS[key](text);
    } catch (e) {
      return `${key} ${text} ${(e as Error).message}`;
    }
  }
  return demoModelProblem(c, batch);
}

/** Whether two settings make the same model and data order (the step budget aside). */
export function sameRun(a: Settings, b: Settings): boolean {
  return a.arch === b.arch && a.latent === b.latent && a.hidden.join(',') === b.hidden.join(',') && (a.decoder?.join(',') ?? null) === (b.decoder?.join(',') ?? null) &&
    a.activation === b.activation && a.likelihood === b.likelihood && a.batch === b.batch && a.lr === b.lr && a.beta === b.beta && a.seed === b.seed &&
    a.objective === b.objective && (!takesK(a.objective) || a.k === b.k) && a.klWarmup === b.klWarmup && a.conditional === b.conditional;
}
