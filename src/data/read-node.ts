// Node helpers shared by the data readers (load-node, folder-node, zip-node): what a plan is, a
// file's format from its first bytes, the claims on the memory budget, IDX claims, image headers
// read as far as they need, and decoding image files into one uint8 ImageSet.
import { readBounded, regularFileSize } from '../util/bounded-read';
import { DETECT_HEAD, detectFormat, type DataFormat } from './detect';
import { parseIdx } from './idx';
import { readProbedIdx, type IdxProbe } from './idx-node';
import { decodeImageInto } from './image-decode-node';
import { jpegHeader, pngHeader, type ImageHeader } from './image-header';
import { bytesPerValue, describeShape, makeImageSet, type ImageSet, type ImageShape, type PixelType } from './image-set';
import type { MemoryBudget } from './memory-cap';

export interface Parts {
  train: ImageSet;
  /** The source's own test part (IDX t10k files, CIFAR's test_batch, an npz's x_test). */
  test?: ImageSet;
}

/** What a path holds, known from headers; nothing of the images is read or allocated yet. */
export interface Plan {
  /** "CIFAR-10 batches in /data/cifar", "PNG images in /x", ... */
  describe: string;
  /** Every image's shape, from the headers (the loads re-check each image against it). */
  shape: ImageShape;
  /** What was chosen or skipped on the way (class folders found, files skipped, alpha dropped). */
  notes: string[];
  load(): Promise<Parts>;
}

/** A file's size, first bytes and format. */
export async function sniff(path: string, headBytes = DETECT_HEAD): Promise<{ size: number; head: Uint8Array; format: DataFormat }> {
  const size = await regularFileSize(path, 'data file');
  const head = await readBounded(path, Math.min(headBytes, size), 'data file', { exact: false });
  return { size, head, format: detectFormat(head, size) };
}

export const typeName = (t: PixelType) => (t === 'u8' ? 'uint8' : 'float32');

/** "1000 images of 28×28×1 uint8 (+ labels)". */
export function claimText(count: number, shape: ImageShape, type: PixelType, labels = false): string {
  return `${count} image${count === 1 ? '' : 's'} of ${describeShape(shape)} ${typeName(type)}${labels ? ' with labels' : ''}`;
}

export function claimImages(budget: MemoryBudget, file: string, count: number, shape: ImageShape, type: PixelType, labels = false): void {
  const values = count * shape.height * shape.width * shape.channels;
  budget.claim(file, claimText(count, shape, type, labels), values * bytesPerValue(type) + (labels ? count : 0));
}

/** An IDX images file's shape from its probed header (rows × cols × 1); refused when the header is no images header. */
export function idxShape(probe: IdxProbe): ImageShape {
  const d = probe.dims;
  if (!d || d.length !== 3) throw new Error(`${probe.path}: not an IDX images file (magic 0x00000803 with 3 dims count × rows × cols)${d ? `: its dims are ${d.join(' × ')}` : ''}`);
  return { height: d[1]!, width: d[2]!, channels: 1 };
}

/**
 * Claims an IDX file's images (3 dims) or labels (1 dim) from its header and returns the loader of
 * its ImageSet or labels. The claim comes before the IDX element limit, so an absurd header is
 * refused by the cap naming its size.
 */
export function claimIdx(probe: IdxProbe, budget: MemoryBudget, want: 'images'): () => Promise<Parts>;
export function claimIdx(probe: IdxProbe, budget: MemoryBudget, want: 'labels'): () => Promise<Uint8Array>;
export function claimIdx(probe: IdxProbe, budget: MemoryBudget, want: 'images' | 'labels'): () => Promise<Parts | Uint8Array> {
  const { path, dims } = probe;
  if (dims && want === 'images' && dims.length === 3) claimImages(budget, path, dims[0]!, { height: dims[1]!, width: dims[2]!, channels: 1 }, 'u8');
  else if (dims && want === 'labels' && dims.length === 1) budget.claim(path, `${dims[0]} labels`, dims[0]!);
  else if (dims) throw new Error(`${path}: an IDX ${dims.length === 1 ? 'labels' : 'images'} file (dims ${dims.join(' × ')}) where ${want} were expected`);
  return async () => {
    const t = parseIdx(await readProbedIdx(probe), path);
    if (want === 'labels') {
      if (t.dims.length !== 1) throw new Error(`${path}: expected an IDX labels file (1 dim), found dims ${t.dims.join(' × ')}`);
      return t.data;
    }
    if (t.dims.length !== 3) throw new Error(`${path}: expected an IDX images file (3 dims count × rows × cols), found dims ${t.dims.join(' × ')}`);
    const [count, height, width] = t.dims as [number, number, number];
    return { train: makeImageSet({ count, shape: { height, width, channels: 1 }, pixels: t.data, source: path }) };
  };
}

/** A PNG's or JPEG's header, reading further into the file (up to 1 MiB) while a JPEG's frame marker is not yet in view. */
export async function imageHeader(path: string, head: Uint8Array, read: (n: number) => Promise<Uint8Array> = (n) => readBounded(path, n, 'image file', { exact: false })): Promise<ImageHeader> {
  if (head[0] === 0x89) return pngHeader(head, path);
  for (let n = head.length, b = head; ; n *= 8) {
    const h = jpegHeader(b, path);
    if (h) return h;
    if (b.length < n || n >= 1 << 20) throw new Error(`${path}: no JPEG start-of-frame marker in its first ${b.length} bytes; the file is truncated or corrupt`);
    b = await read(n * 8);
  }
}

/** The most bytes an image file of this header may have: 8 bytes a pixel (16-bit RGBA, uncompressed) + 1 MiB of other chunks. */
export function maxImageFileBytes(h: ImageHeader): number {
  return h.width * h.height * 8 + (1 << 20);
}

/** Decodes image files (all of `shape`) into one uint8 ImageSet, file after file. */
export async function decodeImageFiles(
  paths: string[],
  headers: ImageHeader[],
  shape: ImageShape,
  extra: Pick<ImageSet, 'labels' | 'classNames'> | undefined,
  source: string,
  read: (i: number) => Promise<Uint8Array> = (i) => readBounded(paths[i]!, maxImageFileBytes(headers[i]!), 'image file', { why: 'what its header\'s size can take' }),
): Promise<ImageSet> {
  const dim = shape.height * shape.width * shape.channels;
  const pixels = new Uint8Array(paths.length * dim);
  for (let i = 0; i < paths.length; i++) decodeImageInto(await read(i), headers[i]!, shape.channels as 1 | 3, pixels, i * dim, paths[i]!);
  return makeImageSet({ count: paths.length, shape, pixels, ...extra, source });
}

