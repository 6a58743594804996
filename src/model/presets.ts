// Named architectures as layer lists (any other list works the same way; see docs/API.md).
//   mlp:   the 784-400-20 ReLU model (the config's default shorthand).
//   conv:  encoder Conv(32, 4×4, s2, p1, ReLU) 28→14 → Conv(64, 4×4, s2, p1, ReLU) 14→7 → flatten →
//          Dense μ | log σ²; decoder Dense 7·7·64 ReLU → ConvT(32, 4×4, s2, p1, ReLU) 7→14 →
//          ConvT(1, 4×4, s2, p1) 14→28 → Bernoulli logits.
//   keras: the Keras VAE example (keras.io/examples/generative/vae): 3×3 convs with 'same' padding,
//          a Dense 16 bottleneck, three transposed convs, latent 2 (its sigmoid is our logits' link).
import type { LayerSpec } from '../base/words';
import type { VaeConfigInput } from './config';

export const ARCHITECTURES = ['mlp', 'conv', 'keras'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface PresetOptions {
  latent?: number;
  /** Channels of the conv layers (default the preset's): [first, second]. */
  channels?: [number, number];
  /** Image side (square, one channel); default 28. */
  side?: number;
}

const image = (side: number): LayerSpec => ({ kind: 'reshape', shape: [side, side, 1] });

/** The `conv` preset's layer lists for a latent size (and, for small tests, other channel counts). */
export function convLayers(o: PresetOptions = {}): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  const latent = o.latent ?? 20, [c1, c2] = o.channels ?? [32, 64], side = o.side ?? 28;
  if (side % 4 !== 0) throw new Error(`conv preset: the image side must be a multiple of 4 (two stride-2 layers), got ${side}`);
  const q = side / 4;
  const down = { kernel: 4, stride: 2, padding: 1 };
  return {
    encoder: [
      image(side),
      { kind: 'conv2d', filters: c1, ...down, activation: 'relu' },
      { kind: 'conv2d', filters: c2, ...down, activation: 'relu' },
      { kind: 'flatten' },
      { kind: 'linear', name: 'encoder.head', width: 2 * latent },
    ],
    decoder: [
      { kind: 'linear', width: q * q * c2, activation: 'relu' },
      { kind: 'reshape', shape: [q, q, c2] },
      { kind: 'conv_transpose2d', filters: c1, ...down, activation: 'relu' },
      { kind: 'conv_transpose2d', name: 'decoder.out', filters: 1, ...down },
    ],
  };
}

/** The Keras VAE example's layer lists: Conv(32, 3, s2, same) → Conv(64, 3, s2, same) → Dense 16 → z; Dense 7·7·64 → ConvT 64, 32 (s2) → ConvT 1. */
export function kerasLayers(o: PresetOptions = {}): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  const latent = o.latent ?? 2, [c1, c2] = o.channels ?? [32, 64], side = o.side ?? 28;
  if (side % 4 !== 0) throw new Error(`keras preset: the image side must be a multiple of 4, got ${side}`);
  const q = side / 4;
  // Keras 'same' with a 3×3 kernel is padding 1; its stride-2 transposed conv doubles the size: output padding 1.
  const same = { kernel: 3, padding: 1 };
  return {
    encoder: [
      image(side),
      { kind: 'conv2d', filters: c1, ...same, stride: 2, activation: 'relu' },
      { kind: 'conv2d', filters: c2, ...same, stride: 2, activation: 'relu' },
      { kind: 'flatten' },
      { kind: 'linear', width: 16, activation: 'relu' },
      { kind: 'linear', name: 'encoder.head', width: 2 * latent },
    ],
    decoder: [
      { kind: 'linear', width: q * q * c2, activation: 'relu' },
      { kind: 'reshape', shape: [q, q, c2] },
      { kind: 'conv_transpose2d', filters: c2, ...same, stride: 2, outputPadding: 1, activation: 'relu' },
      { kind: 'conv_transpose2d', filters: c1, ...same, stride: 2, outputPadding: 1, activation: 'relu' },
      { kind: 'conv_transpose2d', name: 'decoder.out', filters: 1, ...same },
    ],
  };
}

/** A config for a named architecture (fields of `base` other than the layers are kept). */
export function presetConfig(arch: string, base: VaeConfigInput = {}, o: Omit<PresetOptions, 'latent'> = {}): VaeConfigInput {
  const latent = base.latent ?? (arch === 'keras' ? 2 : 20);
  const side = o.side ?? Math.round(Math.sqrt(base.inputDim ?? 784));
  if (arch === 'mlp') return { ...base };
  if (arch !== 'conv' && arch !== 'keras') throw new Error(`arch must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(arch)}`);
  if (side * side !== (base.inputDim ?? 784)) throw new Error(`${arch} preset: needs square one-channel images; inputDim ${base.inputDim} is not a square`);
  const layers = arch === 'conv' ? convLayers({ ...o, latent, side }) : kerasLayers({ ...o, latent, side });
  return { ...base, latent, inputDim: side * side, ...layers };
}
