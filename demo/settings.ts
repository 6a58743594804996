// The demo's run settings: what the controls edit and the URL carries
// (?latent=2&hidden=64&batch=64&lr=0.002&beta=1&steps=200&seed=0&autostart=1), with the CLI's defaults
// and its validation, and the VaeConfig a setting makes. Pure: no DOM.
import { DEFAULT_CONFIG, resolveConfig, type VaeConfig } from '../src/model/config';

export interface Settings {
  latent: number;
  /** Encoder hidden widths, input side first; the decoder mirrors them (as the CLI's --hidden does). */
  hidden: number[];
  batch: number;
  lr: number;
  beta: number;
  seed: number;
  /** Train until this step, then stop ('done'); null: no limit. */
  steps: number | null;
}

export const DEFAULT_SETTINGS: Settings = {
  latent: DEFAULT_CONFIG.latent,
  hidden: [...DEFAULT_CONFIG.encoderHidden],
  batch: 128,
  lr: DEFAULT_CONFIG.adam.lr,
  beta: DEFAULT_CONFIG.beta,
  seed: DEFAULT_CONFIG.seed,
  steps: null,
};

/** The largest batch the controls accept (the training set has 9,000 digits). */
export const MAX_BATCH = 1024;

type Parser<T> = (text: string) => T;

const int = (min: number, max: number): Parser<number> => (text) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}`);
  return n;
};

const positive = (max: number): Parser<number> => (text) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new Error(`must be a number > 0 and ≤ ${max}`);
  return n;
};

const nonNegative = (max: number): Parser<number> => (text) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new Error(`must be a number from 0 to ${max}`);
  return n;
};

/** "400" or "512,256": the widths of the encoder's hidden layers. */
export const parseHidden: Parser<number[]> = (text) => {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 4) throw new Error('at most 4 hidden layers');
  return parts.map((p) => int(1, 4096)(p));
};

export const FIELD_PARSERS = {
  latent: int(1, 256),
  hidden: parseHidden,
  batch: int(1, MAX_BATCH),
  lr: positive(1),
  beta: nonNegative(100),
  seed: int(0, 2 ** 32 - 1),
  steps: (text: string): number | null => (text.trim() === '' || text.trim() === '∞' ? null : int(1, 10_000_000)(text)),
} satisfies { [K in keyof Settings]: Parser<Settings[K]> };

export interface ParsedUrl {
  settings: Settings;
  autostart: boolean;
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
  const autostart = auto !== null && auto !== '0' && auto !== 'false';
  const known = new Set([...Object.keys(FIELD_PARSERS), 'autostart']);
  for (const key of q.keys()) if (!known.has(key)) warnings.push(`URL parameter ${key} is unknown (known: ${[...known].join(', ')})`);
  return { settings, autostart, warnings };
}

/** The query string for settings (defaults left out), e.g. "?latent=2&hidden=64". */
export function settingsToUrl(s: Settings): string {
  const q = new URLSearchParams();
  if (s.latent !== DEFAULT_SETTINGS.latent) q.set('latent', String(s.latent));
  if (s.hidden.join(',') !== DEFAULT_SETTINGS.hidden.join(',')) q.set('hidden', s.hidden.join(','));
  if (s.batch !== DEFAULT_SETTINGS.batch) q.set('batch', String(s.batch));
  if (s.lr !== DEFAULT_SETTINGS.lr) q.set('lr', String(s.lr));
  if (s.beta !== DEFAULT_SETTINGS.beta) q.set('beta', String(s.beta));
  if (s.seed !== DEFAULT_SETTINGS.seed) q.set('seed', String(s.seed));
  if (s.steps !== null) q.set('steps', String(s.steps));
  const text = q.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}

/**
 * The model a setting describes. `base` supplies what the controls do not set (activation,
 * likelihood, σ, Adam's β₁/β₂/ε): the defaults, or those of the last checkpoint loaded.
 */
export function configFor(s: Settings, base: VaeConfig = DEFAULT_CONFIG): VaeConfig {
  return resolveConfig({
    ...base,
    latent: s.latent,
    encoderHidden: [...s.hidden],
    decoderHidden: [...s.hidden].reverse(),
    beta: s.beta,
    seed: s.seed,
    adam: { ...base.adam, lr: s.lr },
  });
}

/** The settings that describe a model's config (e.g. one loaded from a checkpoint). */
export function settingsFor(c: VaeConfig, batch: number, steps: number | null): Settings {
  return { latent: c.latent, hidden: [...c.encoderHidden], batch, lr: c.adam.lr, beta: c.beta, seed: c.seed, steps };
}

/** Whether two settings make the same model and data order (the step budget aside). */
export function sameRun(a: Settings, b: Settings): boolean {
  return a.latent === b.latent && a.hidden.join(',') === b.hidden.join(',') && a.batch === b.batch && a.lr === b.lr && a.beta === b.beta && a.seed === b.seed;
}
