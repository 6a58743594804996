// The page's reader of the user's own images: dropped or picked files (loose PNG/JPEG images, a
// folder of them with class sub-folders as labels, a zip of either, .npy/.npz arrays, CIFAR binary
// batches), each told by its content, never its name. Headers come first: every file's shape is
// known before anything is decoded, the size most images share is kept (the others are listed, not
// fatal), and what it will hold is claimed against one memory cap before it is allocated. Images
// are decoded one at a time by an injected decoder (demo/data-decode.ts in the browser, pngjs and
// jpeg-js in the tests) in slices that yield to the event loop, so the page never freezes. Files it
// cannot read are named in `problems`. No DOM here: it runs in the page, a worker or Node.
import { checkRange, type ByteSource } from '../src/data/byte-source';
import { CIFAR_SHAPE, cifarRecordBytes, decodeCifar, type CifarKind } from '../src/data/cifar';
import { DETECT_HEAD, describeFormat, detectFormat, firstBytes } from '../src/data/detect';
import { layoutImages, type ImageLayout } from '../src/data/image-folder';
import { jpegHeader, pngHeader, type ImageHeader } from '../src/data/image-header';
import { describeShape, makeImageSet, toFloat32, validateImageSet, type ImageSet, type ImageShape } from '../src/data/image-set';
import { formatBytes, MemoryBudget } from '../src/data/memory-cap';
import { decodeNpyImages, decodeNpyLabels, isNpy, npyHeaderLength, npyImageLayout, npyImagesFromData, parseNpyHeader } from '../src/data/npy';
import { readZipDirectory, readZipEntry, readZipEntryHead, type ZipEntry } from '../src/data/zip';

/** A dropped or picked file; `path` is relative to what was dropped ('x.png', 'set/cat/1.png'). */
export interface DataFile {
  path: string;
  blob: Blob;
}

/** Decodes one image file (its header read) into `channels`-channel HWC bytes at `out[offset…]`. */
export type ImageDecoder = (bytes: Uint8Array, header: ImageHeader, channels: 1 | 3, out: Uint8Array, offset: number, source: string) => Promise<void> | void;

export interface ReadOptions {
  decode: ImageDecoder;
  /** The memory cap on the decoded images (default PAGE_MAX_DATA). */
  maxBytes?: number;
  /** Work this long at most between yields to the event loop (ms; default 12). */
  sliceMs?: number;
  progress?(done: number, total: number, what: string): void;
}

export interface DataRead {
  set: ImageSet;
  /** "30 PNG images", "CIFAR-10 batch data_batch_1.bin". */
  describe: string;
  /** What was chosen on the way (classes from folders, alpha dropped, arrays not used). */
  notes: string[];
  /** Files left out, by name: unreadable, corrupt, of another size, of a format the page does not read. */
  problems: string[];
}

/** 256 MiB of decoded images: a page shares the machine with the browser, and the training set is kept twice (page and worker). */
export const PAGE_MAX_DATA = 256 * 1024 * 1024;
/** How the cap is set: the page's URL parameter (demo/settings.ts). */
const CAP_NAME = '?maxData';

export function blobSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    read: async (offset, length) => {
      checkRange({ name, size: blob.size }, offset, length, 'a read');
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** One image file found (loose, or in a zip): its header and how to get its bytes. */
interface FoundImage {
  /** The path labels are read from ('cat/1.png'); `source` names it in messages. */
  path: string;
  source: string;
  header: ImageHeader;
  read(): Promise<Uint8Array>;
}

/** An array file found (.npy, an .npz's images, a CIFAR batch): shape and count from its header. */
interface FoundArray {
  source: string;
  shape: ImageShape;
  count: number;
  bytes: number;
  load(): Promise<ImageSet>;
}

interface Found {
  images: FoundImage[];
  arrays: FoundArray[];
  problems: string[];
  notes: string[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const list = (names: string[], n = 6) => names.slice(0, n).join(', ') + (names.length > n ? `, … (${names.length - n} more)` : '');
/** Files no one means as data: hidden files (.DS_Store), macOS resource forks, folders. */
const ignored = (path: string) => path.endsWith('/') || path.split('/').some((p) => p.startsWith('.') || p === '__MACOSX');

/**
 * Throws unless an image file is whole: a PNG ends with its IEND chunk, a JPEG with its end-of-image
 * marker (trailing padding of up to 64 bytes allowed). Browsers draw what they have of a cut file;
 * this makes every decoder refuse it alike.
 */
export function checkComplete(bytes: Uint8Array, header: ImageHeader, source: string): void {
  const tail = bytes.subarray(Math.max(0, bytes.length - 76));
  const has = (sig: number[]) => tail.some((_, i) => sig.every((v, k) => tail[i + k] === v));
  if (header.format === 'png' && !has([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])) throw new Error(`${source}: the PNG has no IEND chunk at its end; the file is truncated`);
  if (header.format === 'jpeg' && !has([0xff, 0xd9])) throw new Error(`${source}: the JPEG has no end-of-image marker at its end; the file is truncated`);
}

/** The most bytes an image file of this header may take: 8 a pixel (16-bit RGBA, stored) and 1 MiB of other chunks. */
const maxImageFile = (h: ImageHeader) => h.width * h.height * 8 + (1 << 20);

async function imageHeaderOf(head: Uint8Array, source: string, more: (n: number) => Promise<Uint8Array>): Promise<ImageHeader> {
  if (head[0] === 0x89) return pngHeader(head, source);
  let b = head;
  for (let n = Math.max(head.length, 4096); ; n *= 8) {
    const h = jpegHeader(b, source);
    if (h) return h;
    if (n >= 1 << 20) throw new Error(`${source}: no JPEG start-of-frame marker in its first ${b.length} bytes; the file is truncated or corrupt`);
    const next = await more(n * 8);
    if (next.length <= b.length) throw new Error(`${source}: the JPEG ends (${b.length} bytes) before its start-of-frame marker; the file is truncated`);
    b = next;
  }
}

const NPZ_IMAGES = ['x_train', 'train_images', 'images', 'x', 'data', 'arr_0'];
const NPZ_LABELS: Record<string, string> = { x_train: 'y_train', train_images: 'train_labels', images: 'labels', x: 'y', data: 'labels', arr_0: 'arr_1' };

/** A zip: an .npz (its images array, labels beside it) or a zip of images (as a folder). */
async function scanZip(src: ByteSource, path: string, found: Found): Promise<void> {
  const entries = (await readZipDirectory(src)).filter((e) => !ignored(e.name));
  const heads = new Map<ZipEntry, Uint8Array>();
  for (const e of entries) heads.set(e, await readZipEntryHead(src, e, 4096));
  const arrays = entries.filter((e) => isNpy(heads.get(e)!));
  if (arrays.length) {
    const byKey = new Map(arrays.map((e) => [e.name.replace(/\.npy$/, ''), e]));
    const headerOf = async (e: ZipEntry) => parseNpyHeader(await readZipEntryHead(src, e, npyHeaderLength(heads.get(e)!, `${path}: ${e.name}`)), `${path}: ${e.name}`);
    let key = NPZ_IMAGES.find((k) => byKey.has(k));
    if (!key) {
      const images = [];
      for (const [k, e] of byKey) if ([3, 4].includes((await headerOf(e)).shape.length)) images.push(k);
      if (images.length !== 1) throw new Error(`${path}: an .npz with arrays ${list([...byKey.keys()])}; expected one images array named ${NPZ_IMAGES.join(', ')}`);
      key = images[0]!;
    }
    const ex = byKey.get(key)!, hx = await headerOf(ex), where = `${path}: ${ex.name}`;
    const l = npyImageLayout(hx, where);
    if (ex.size !== hx.headerBytes + hx.dataBytes) throw new Error(`${where}: the zip entry holds ${ex.size} bytes but its .npy header (shape (${hx.shape.join(', ')})) says ${hx.headerBytes + hx.dataBytes}; the archive is corrupt`);
    const ey = byKey.get(NPZ_LABELS[key] ?? '');
    const unused = arrays.filter((e) => e !== ex && e !== ey).map((e) => e.name);
    if (unused.length) found.notes.push(`${path}: arrays not used: ${list(unused)} (the page keeps its own test part)`);
    found.arrays.push({
      source: where, shape: { height: l.height, width: l.width, channels: l.channels }, count: l.count, bytes: hx.dataBytes + (ey ? l.count : 0),
      load: async () => {
        const x = npyImagesFromData(hx, (await readZipEntry(src, ex)).subarray(hx.headerBytes), where);
        if (!ey) return x;
        const labels = decodeNpyLabels(await readZipEntry(src, ey), `${path}: ${ey.name}`);
        if (labels.length !== x.count) throw new Error(`${path}: ${ey.name} holds ${labels.length} labels for the ${x.count} images of ${ex.name}; expected one label per image`);
        return makeImageSet({ ...x, labels });
      },
    });
    return;
  }
  let images = 0;
  for (const e of entries) {
    const head = heads.get(e)!, source = `${path}: ${e.name}`;
    const format = detectFormat(head, e.size);
    if (format !== 'png' && format !== 'jpeg') {
      found.problems.push(`${source}: ${describeFormat(format)}${format === 'unknown' ? ` (first bytes ${firstBytes(head)})` : ''}; skipped`);
      continue;
    }
    try {
      const header = await imageHeaderOf(head, source, (n) => readZipEntryHead(src, e, n));
      found.images.push({ path: e.name, source, header, read: () => readZipEntry(src, e) });
      images++;
    } catch (err) {
      found.problems.push((err as Error).message);
    }
  }
  if (!images) found.problems.push(`${path}: a zip archive with no PNG or JPEG images and no .npy arrays (${plural(entries.length, 'entry', 'entries')})`);
}

/** Reads every file's header: what it is, its shape, how to load it. */
async function scan(files: DataFile[], o: Required<Pick<ReadOptions, 'sliceMs'>> & ReadOptions): Promise<Found> {
  const found: Found = { images: [], arrays: [], problems: [], notes: [] };
  let t = performance.now();
  for (let i = 0; i < files.length; i++) {
    const { path, blob } = files[i]!;
    if (ignored(path)) continue;
    const src = blobSource(path, blob);
    try {
      if (src.size === 0) throw new Error(`${path}: empty file`);
      const head = await src.read(0, Math.min(DETECT_HEAD, src.size));
      const format = detectFormat(head, src.size);
      if (format === 'png' || format === 'jpeg') {
        const header = await imageHeaderOf(head, path, (n) => src.read(0, Math.min(n, src.size)));
        if (src.size > maxImageFile(header)) throw new Error(`${path}: ${formatBytes(src.size)} is more than a ${header.width}×${header.height} image can take; the file is corrupt`);
        found.images.push({ path, source: path, header, read: () => src.read(0, src.size) });
      } else if (format === 'zip') {
        await scanZip(src, path, found);
      } else if (format === 'npy') {
        const h = parseNpyHeader(await src.read(0, Math.min(src.size, npyHeaderLength(head, path))), path);
        const l = npyImageLayout(h, path);
        if (src.size < h.headerBytes + h.dataBytes) throw new Error(`${path}: truncated: shape (${h.shape.join(', ')}) needs ${h.headerBytes + h.dataBytes} bytes, the file has ${src.size}`);
        found.arrays.push({ source: path, shape: { height: l.height, width: l.width, channels: l.channels }, count: l.count, bytes: h.dataBytes, load: async () => decodeNpyImages(await src.read(0, src.size), path) });
      } else if (format === 'cifar10' || format === 'cifar100') {
        const kind: CifarKind = format, count = src.size / cifarRecordBytes(kind);
        found.arrays.push({ source: path, shape: { ...CIFAR_SHAPE }, count, bytes: count * (CIFAR_SHAPE.height * CIFAR_SHAPE.width * 3 + 1), load: async () => decodeCifar(await src.read(0, src.size), kind, path) });
      } else if (format === 'unknown') {
        throw new Error(`${path}: not an image or a data file (first bytes ${firstBytes(head)}); the page reads PNG and JPEG images, zips of them, .npy/.npz arrays and CIFAR batches`);
      } else {
        throw new Error(`${path}: ${describeFormat(format)}, which the page does not read (train on IDX files with npm run train -- --data ${path})`);
      }
    } catch (e) {
      found.problems.push((e as Error).message);
    }
    if (performance.now() - t > o.sliceMs) {
      o.progress?.(i + 1, files.length, 'reading headers');
      await nextTask();
      t = performance.now();
    }
  }
  return found;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The shape most images share (H×W, channels from the layout) or the array shape holding most images. */
function choose(found: Found): { images: FoundImage[]; arrays: FoundArray[]; left: string[] } {
  const groups = new Map<string, { count: number; images: FoundImage[]; arrays: FoundArray[] }>();
  const add = (key: string) => groups.get(key) ?? groups.set(key, { count: 0, images: [], arrays: [] }).get(key)!;
  for (const im of found.images) { const g = add(`${im.header.height}×${im.header.width}`); g.count++; g.images.push(im); }
  for (const a of found.arrays) { const g = add(`array ${describeShape(a.shape)}`); g.count += a.count; g.arrays.push(a); }
  const sorted = [...groups].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  const left = sorted.slice(1).flatMap(([, g]) => [
    ...g.images.map((im) => `${im.source} (${im.header.width}×${im.header.height})`),
    ...g.arrays.map((a) => `${a.source} (${plural(a.count, 'image')} of ${describeShape(a.shape)})`),
  ]);
  const best = sorted[0]?.[1];
  return { images: best?.images ?? [], arrays: best?.arrays ?? [], left };
}

/** Paths with a first folder that all share removed ('set/cat/1.png' → 'cat/1.png'). */
function relative(paths: string[]): string[] {
  const first = paths[0]?.split('/')[0];
  return paths.length && paths.every((p) => p.includes('/') && p.split('/')[0] === first) ? relative(paths.map((p) => p.slice(first!.length + 1))) : paths;
}

/** The images' layout; a folder structure that gives no labels (mixed, too deep) gives none, with a note. */
function layoutOf(images: FoundImage[], where: string, notes: string[]): ImageLayout {
  const rel = relative(images.map((im) => im.path));
  try {
    return layoutImages(rel.map((path, i) => ({ path, header: images[i]!.header })), where);
  } catch (e) {
    notes.push(`no labels: ${(e as Error).message}`);
    return layoutImages(images.map((im, i) => ({ path: String(i), header: im.header })), where);
  }
}

async function decodeImages(images: FoundImage[], o: Required<Pick<ReadOptions, 'sliceMs'>> & ReadOptions, budget: MemoryBudget, notes: string[], problems: string[]): Promise<ImageSet> {
  images.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const kinds = [...new Set(images.map((im) => im.header.format.toUpperCase()))].join(' and ');
  const where = `${plural(images.length, `${kinds} image`)}`;
  const layout = layoutOf(images, where, notes);
  notes.push(...layout.notes);
  const { shape } = layout, dim = shape.height * shape.width * shape.channels;
  budget.claim(where, `${images.length} images of ${describeShape(shape)} uint8`, images.length * (dim + (layout.labels ? 1 : 0)));
  if (layout.classNames) notes.push(`${plural(layout.classNames.length, 'class', 'classes')} from the folders: ${list(layout.classNames, 10)}`);
  const pixels = new Uint8Array(images.length * dim);
  const kept: number[] = [];
  let t = performance.now();
  for (let i = 0; i < images.length; i++) {
    const im = images[i]!;
    try {
      const bytes = await im.read();
      checkComplete(bytes, im.header, im.source);
      await o.decode(bytes, im.header, shape.channels as 1 | 3, pixels, kept.length * dim, im.source);
      kept.push(i);
    } catch (e) {
      problems.push((e as Error).message.startsWith(im.source) ? (e as Error).message : `${im.source}: ${(e as Error).message}`);
    }
    if (performance.now() - t > o.sliceMs) {
      o.progress?.(i + 1, images.length, 'decoding images');
      await nextTask();
      t = performance.now();
    }
  }
  if (!kept.length) throw new Error(`none of the ${where} could be decoded`);
  const labels = layout.labels ? Uint8Array.from(kept, (i) => layout.labels![i]!) : undefined;
  return makeImageSet({ count: kept.length, shape, pixels: pixels.subarray(0, kept.length * dim), labels, classNames: layout.classNames, source: plural(kept.length, `${kinds} image`) });
}

async function loadArrays(arrays: FoundArray[], budget: MemoryBudget, o: ReadOptions, problems: string[]): Promise<ImageSet> {
  const sets: ImageSet[] = [];
  for (const a of arrays) budget.claim(a.source, `${plural(a.count, 'image')} of ${describeShape(a.shape)}`, a.bytes);
  for (const [i, a] of arrays.entries()) {
    o.progress?.(i, arrays.length, `reading ${a.source}`);
    try {
      sets.push(await a.load());
    } catch (e) {
      problems.push((e as Error).message);
    }
    await nextTask();
  }
  if (!sets.length) throw new Error(`none of ${list(arrays.map((a) => a.source))} could be read`);
  if (sets.length === 1) return sets[0]!;
  const float = sets.some((s) => s.pixels instanceof Float32Array);
  const count = sets.reduce((n, s) => n + s.count, 0), dim = sets[0]!.dim;
  const pixels = float ? new Float32Array(count * dim) : new Uint8Array(count * dim);
  const labelled = sets.every((s) => s.labels);
  const labels = labelled ? new Uint8Array(count) : undefined;
  let at = 0;
  for (const s of sets) {
    pixels.set(float ? toFloat32(s) : s.pixels, at * dim);
    if (labels) labels.set(s.labels!, at);
    at += s.count;
  }
  return makeImageSet({ count, shape: sets[0]!.shape, pixels, labels, source: list(sets.map((s) => s.source), 3) });
}

/**
 * Reads dropped or picked files into one ImageSet of the shape most of them share. Throws (naming
 * the files) when nothing usable is left, or when the kept images would pass the memory cap.
 */
export async function readDataFiles(files: DataFile[], options: ReadOptions): Promise<DataRead> {
  const o = { sliceMs: 12, ...options };
  const found = await scan(files, o);
  const { notes, problems } = found;
  const { images, arrays, left } = choose(found);
  if (!images.length && !arrays.length) {
    throw new Error(files.length === 0 ? 'no files were dropped' : `no images could be read from ${plural(files.length, 'file')}${problems.length ? `: ${list(problems, 3)}` : ''}`);
  }
  const budget = new MemoryBudget(o.maxBytes ?? PAGE_MAX_DATA, CAP_NAME);
  const set = images.length ? await decodeImages(images, o, budget, notes, problems) : await loadArrays(arrays, budget, o, problems);
  if (left.length) problems.unshift(`${plural(left.length, 'file')} of another size left out (kept: ${plural(set.count, 'image')} of ${describeShape(set.shape)}): ${list(left)}`);
  validateImageSet(set, 'gaussian');
  if (set.pixels instanceof Float32Array && set.pixels.some((v) => v < 0 || v > 1)) notes.push('float pixels outside [0, 1]: the Bernoulli likelihood needs [0, 1] (choose gaussian)');
  const describe = images.length ? set.source : arrays.length === 1 ? arrays[0]!.source : `${plural(arrays.length, 'array file')}`;
  return { set, describe, notes, problems };
}
