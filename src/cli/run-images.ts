// The run folder's pictures (reconstructions.png, samples.png, manifold.png for a 2-D latent) at the
// data's H×W, in colour for 3-channel images (grey for 1), made in chunks of at most the model's
// maxBatch: the model's buffers are sized for the training batch, which may be 1 (or a data set of
// one image), while a picture wants 16, 64 or 100 images. A conditional model's reconstructions use
// the test images' labels, and its samples.png has a row per class (samplesByClass).
import { join } from 'node:path';
import type { Dataset } from '../data/dataset';
import { describeImage, type VaeConfig } from '../model/config';
import type { ImageShape } from '../base/words';
import { gaussianNoise } from '../cpu/philox';
import { STREAMS } from '../model/init';
import { manifoldGrid, manifoldLatents, reconstructionGrid, tileImages, type GrayImage } from '../util/image-grid';
import { writePng } from '../util/png-node';

/** What the pictures need of a model: GpuVae and CpuBackend both have these. */
export interface PictureModel {
  reconstruct(x: Float32Array, options?: { labels?: ArrayLike<number> }): Promise<Float32Array>;
  decode(z: Float32Array, options?: { labels?: ArrayLike<number> }): Promise<Float32Array>;
}
/** Samples shown per class in a conditional model's samples.png, and the most classes (rows) shown. */
export const SAMPLES_PER_CLASS = 10;
export const CLASS_ROWS = 10;

/**
 * A conditional model's samples: row c decodes the same SAMPLES_PER_CLASS prior latents with label c
 * (the first CLASS_ROWS classes), so a column holds one z across the classes. Rows × per-class images.
 */
export async function samplesByClass(model: PictureModel, config: VaeConfig, maxBatch: number): Promise<{ images: Float32Array; rows: number; perRow: number }> {
  const Z = config.latent, D = config.inputDim, per = SAMPLES_PER_CLASS;
  const rows = Math.min(CLASS_ROWS, config.conditional!.classes);
  const z0 = priorLatents(config, per);
  const z = new Float32Array(rows * per * Z);
  for (let c = 0; c < rows; c++) z.set(z0, c * per * Z);
  const labels = Uint32Array.from({ length: rows * per }, (_, i) => Math.floor(i / per));
  const images = new Float32Array(rows * per * D);
  for (let start = 0; start < rows * per; start += maxBatch) {
    const end = Math.min(rows * per, start + maxBatch);
    images.set(await model.decode(z.subarray(start * Z, end * Z), { labels: labels.subarray(start, end) }), start * D);
  }
  return { images, rows, perRow: per };
}


/** Runs `fn` on consecutive chunks of at most `maxBatch` rows of `width` values and joins the results. */
export async function inChunks(
  input: Float32Array,
  width: number,
  outWidth: number,
  maxBatch: number,
  fn: (chunk: Float32Array) => Promise<Float32Array>,
): Promise<Float32Array> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`inChunks: maxBatch must be a positive integer, got ${maxBatch}`);
  const rows = input.length / width;
  const out = new Float32Array(rows * outWidth);
  for (let start = 0; start < rows; start += maxBatch) {
    const end = Math.min(rows, start + maxBatch);
    const part = await fn(input.subarray(start * width, end * width));
    if (part.length !== (end - start) * outWidth) {
      throw new Error(`inChunks: a chunk of ${end - start} rows gave ${part.length} values; expected ${(end - start) * outWidth}`);
    }
    out.set(part, start * outWidth);
  }
  return out;
}

/** The file names writeRunImages writes for a config. */
export function pictureFiles(config: VaeConfig): string[] {
  return ['reconstructions.png', 'samples.png', ...(config.latent === 2 && !config.conditional ? ['manifold.png'] : [])];
}

/** Decoded prior samples, the same z as GpuVae.sample(n) (seeded Philox stream), in chunks. */
export function priorLatents(config: VaeConfig, n: number, seed = config.seed): Float32Array {
  return Float32Array.from({ length: n * config.latent }, (_, i) => gaussianNoise(seed, 0, STREAMS.prior, i));
}

/** The image shape the pictures draw: the config's, else the data set's rows × cols, one channel. */
export function pictureShape(config: VaeConfig, test: Pick<Dataset, 'rows' | 'cols'>): ImageShape {
  return config.image ?? { height: test.rows, width: test.cols, channels: 1 };
}

/**
 * samples.png: 64 prior samples decoded, 8 per row (grey, or RGB for colour images). A small function of
 * its own so another layout (one row per class for a conditional model) can take its place.
 */
export async function samplesPicture(decode: (z: Float32Array) => Promise<Float32Array>, config: VaeConfig, shape: ImageShape): Promise<GrayImage> {
  const samples = await decode(priorLatents(config, 64));
  return tileImages(samples, 64, shape.height, shape.width, 8, 2, 1, shape.channels);
}

export async function writeRunImages(dir: string, model: PictureModel, test: Dataset, config: VaeConfig, maxBatch: number): Promise<string[]> {
  const D = config.inputDim, Z = config.latent;
  const shape = pictureShape(config, test);
  const { height: H, width: W, channels: C } = shape;
  if (H * W * C !== D) throw new Error(`writeRunImages: the image ${describeImage(shape)} is ${H * W * C} values; the model takes ${D}`);
  const decode = (z: Float32Array) => inChunks(z, Z, D, maxBatch, (c) => model.decode(c));
  // Evenly spaced test digits: the embedded split is ordered by class, so this shows every class.
  const n = Math.min(16, test.count);
  const x = new Float32Array(n * test.dim);
  const labels = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const j = Math.floor((i * test.count) / n);
    x.set(test.images.subarray(j * test.dim, (j + 1) * test.dim), i * test.dim);
    labels[i] = test.labels[j]!;
  }
  let done = 0;
  const recon = await inChunks(x, D, D, maxBatch, (c) => {
    const rows = c.length / D;
    done += rows;
    return model.reconstruct(c, config.conditional ? { labels: labels.subarray(done - rows, done) } : {});
  });
  await writePng(join(dir, 'reconstructions.png'), reconstructionGrid(x, recon, n, H, W, 8, 2, 1, C));
  if (config.conditional) {
    const s = await samplesByClass(model, config, maxBatch);
    await writePng(join(dir, 'samples.png'), tileImages(s.images, s.rows * s.perRow, H, W, s.perRow, 2, 1, C));
  } else {
    await writePng(join(dir, 'samples.png'), await samplesPicture(decode, config, shape));
  }
  if (config.latent === 2 && !config.conditional) {
    const steps = 10;
    const decoded = await decode(manifoldLatents(steps, 2));
    await writePng(join(dir, 'manifold.png'), manifoldGrid(decoded, steps, H, W, 0, 1, C));
  }
  return pictureFiles(config);
}
