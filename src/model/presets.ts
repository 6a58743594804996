// Named architectures as layer lists for any H×W×C image (any other list works the same way; see docs/API.md).
//   mlp:   the 784-400-20 ReLU model (the config's default shorthand); its input is the flattened image.
//   conv:  encoder Conv(32, 4×4, s2, p1, ReLU) H→H/2 → Conv(64, 4×4, s2, p1, ReLU) H/2→H/4 → flatten →
//          Dense μ | log σ²; decoder Dense (H/4)(W/4)·64 ReLU → ConvT(32, 4×4, s2, p1, ReLU) → H/2 →
//          ConvT(C, 4×4, s2, p1) → H×W×C logits (28×28×1 for MNIST: 28→14→7 and back).
//   keras: the Keras VAE example (keras.io/examples/generative/vae): 3×3 convs with 'same' padding,
//          a Dense 16 bottleneck, three transposed convs, latent 2 (its sigmoid is our logits' link).
// conv and keras take H and W divisible by 4 (two stride-2 layers), colour or grey; `channels` sets
// their two conv widths.
import type { ImageShape, LayerSpec } from '../base/words';
import { describeImage, type VaeConfigInput } from './config';

export const ARCHITECTURES = ['mlp', 'conv', 'keras'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface PresetOptions {
  latent?: number;
  /** Channels of the conv layers (default the preset's): [first, second]. */
  channels?: [number, number];
  /** The image's height × width × channels (default 28×28×1, or a square one-channel image of the config's inputDim). */
  shape?: ImageShape;
  /** The older form of `shape`: a square one-channel image of this side. */
  side?: number;
}

export const MNIST_IMAGE: ImageShape = { height: 28, width: 28, channels: 1 };

function shapeOf(o: PresetOptions): ImageShape {
  if (o.shape) return o.shape;
  return o.side !== undefined ? { height: o.side, width: o.side, channels: 1 } : MNIST_IMAGE;
}

function quarter(arch: string, s: ImageShape): [number, number] {
  for (const [k, v] of [['height', s.height], ['width', s.width], ['channels', s.channels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${arch} preset: the image ${k} must be a positive integer, got ${v}`);
  }
  if (s.height % 4 !== 0 || s.width % 4 !== 0) {
    throw new Error(`${arch} preset: the image's height and width must be multiples of 4 (two stride-2 layers), got ${describeImage(s)}; the mlp preset takes any H×W×C, or crop or pad the images`);
  }
  return [s.height / 4, s.width / 4];
}

/** The `conv` preset's layer lists for a latent size and image shape (and, for small tests, other channel counts). */
export function convLayers(o: PresetOptions = {}): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  const latent = o.latent ?? 20, [c1, c2] = o.channels ?? [32, 64], s = shapeOf(o);
  const [qh, qw] = quarter('conv', s);
  const down = { kernel: 4, stride: 2, padding: 1 };
  return {
    encoder: [
      { kind: 'reshape', shape: [s.height, s.width, s.channels] },
      { kind: 'conv2d', filters: c1, ...down, activation: 'relu' },
      { kind: 'conv2d', filters: c2, ...down, activation: 'relu' },
      { kind: 'flatten' },
      { kind: 'linear', name: 'encoder.head', width: 2 * latent },
    ],
    decoder: [
      { kind: 'linear', width: qh * qw * c2, activation: 'relu' },
      { kind: 'reshape', shape: [qh, qw, c2] },
      { kind: 'conv_transpose2d', filters: c1, ...down, activation: 'relu' },
      { kind: 'conv_transpose2d', name: 'decoder.out', filters: s.channels, ...down },
    ],
  };
}

/** The Keras VAE example's layer lists: Conv(32, 3, s2, same) → Conv(64, 3, s2, same) → Dense 16 → z; Dense (H/4)(W/4)·64 → ConvT 64, 32 (s2) → ConvT C. */
export function kerasLayers(o: PresetOptions = {}): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  const latent = o.latent ?? 2, [c1, c2] = o.channels ?? [32, 64], s = shapeOf(o);
  const [qh, qw] = quarter('keras', s);
  // Keras 'same' with a 3×3 kernel is padding 1; its stride-2 transposed conv doubles the size: output padding 1.
  const same = { kernel: 3, padding: 1 };
  return {
    encoder: [
      { kind: 'reshape', shape: [s.height, s.width, s.channels] },
      { kind: 'conv2d', filters: c1, ...same, stride: 2, activation: 'relu' },
      { kind: 'conv2d', filters: c2, ...same, stride: 2, activation: 'relu' },
      { kind: 'flatten' },
      { kind: 'linear', width: 16, activation: 'relu' },
      { kind: 'linear', name: 'encoder.head', width: 2 * latent },
    ],
    decoder: [
      { kind: 'linear', width: qh * qw * c2, activation: 'relu' },
      { kind: 'reshape', shape: [qh, qw, c2] },
      { kind: 'conv_transpose2d', filters: c2, ...same, stride: 2, outputPadding: 1, activation: 'relu' },
      { kind: 'conv_transpose2d', filters: c1, ...same, stride: 2, outputPadding: 1, activation: 'relu' },
      { kind: 'conv_transpose2d', name: 'decoder.out', filters: s.channels, ...same },
    ],
  };
}

/**
 * A config for a named architecture on images of `shape` (fields of `base` other than the layers are
 * kept). The config's inputDim and image become the shape's; without a shape, the config's image, else
 * a square one-channel image of its inputDim (784: MNIST's 28×28×1).
 */
export function presetConfig(arch: string, base: VaeConfigInput = {}, o: Omit<PresetOptions, 'latent'> = {}): VaeConfigInput {
  if (!(ARCHITECTURES as readonly string[]).includes(arch)) throw new Error(`arch must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(arch)}`);
  const latent = base.latent ?? (arch === 'keras' ? 2 : 20);
  let shape = o.shape ?? base.image ?? (o.side !== undefined ? { height: o.side, width: o.side, channels: 1 } : undefined);
  if (shape === undefined) {
    const dim = base.inputDim ?? 784, side = Math.round(Math.sqrt(dim));
    if (arch !== 'mlp' && side * side !== dim) throw new Error(`${arch} preset: give the image shape (height × width × channels); inputDim ${dim} is not a square one-channel image`);
    shape = arch === 'mlp' && side * side !== dim ? undefined : { height: side, width: side, channels: 1 };
  }
  const sized = shape ? { inputDim: shape.height * shape.width * shape.channels, image: { ...shape } } : {};
  if (arch === 'mlp') return { ...base, ...(o.shape ? sized : {}) };
  const layers = arch === 'conv' ? convLayers({ ...o, latent, shape }) : kerasLayers({ ...o, latent, shape });
  return { ...base, latent, ...sized, ...layers };
}
