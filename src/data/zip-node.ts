// Node plans for zip archives: an .npz (a zip of .npy arrays, keys chosen by the conventions numpy
// and Keras write: x_train / y_train / x_test / y_test, images / labels, x / y, arr_0 / arr_1) or a
// zip of PNG / JPEG images (laid out as a folder: a common top folder stripped, one folder down is
// the class). Only the central directory and each entry's header are read to plan.
import { withFileSource } from './byte-source-node';
import type { ByteSource } from './byte-source';
import { layoutImages, type ImageItem } from './image-folder';
import { isJpeg, isPng, type ImageHeader } from './image-header';
import { describeShape, makeImageSet } from './image-set';
import type { MemoryBudget } from './memory-cap';
import { decodeNpyLabels, isNpy, npyHeaderLength, npyImageLayout, npyImagesFromData, parseNpyHeader, type NpyHeader } from './npy';
import { claimImages, imageHeader, type Parts, type Plan } from './read-node';
import { decodeImageInto } from './image-decode-node';
import { readZipDirectory, readZipEntry, readZipEntryHead, type ZipEntry } from './zip';

const PAIRS: [string, string][] = [['x_train', 'y_train'], ['train_images', 'train_labels'], ['images', 'labels'], ['x', 'y'], ['data', 'labels'], ['arr_0', 'arr_1']];
const TEST_PAIRS: [string, string][] = [['x_test', 'y_test'], ['test_images', 'test_labels']];

/** The entries that can hold data: no folders, no macOS resource forks, no hidden files. */
function dataEntries(entries: ZipEntry[]): ZipEntry[] {
  return entries.filter((e) => !e.name.endsWith('/') && !e.name.startsWith('__MACOSX/') && !e.name.split('/').pop()!.startsWith('.'));
}

async function heads(src: ByteSource, entries: ZipEntry[], n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const e of entries) out.push(await readZipEntryHead(src, e, n));
  return out;
}

async function npyEntryHeader(src: ByteSource, e: ZipEntry, head: Uint8Array): Promise<NpyHeader> {
  const where = `${src.name}: ${e.name}`;
  const h = parseNpyHeader(await readZipEntryHead(src, e, npyHeaderLength(head, where)), where);
  if (e.size !== h.headerBytes + h.dataBytes) {
    throw new Error(`${where}: the zip entry claims ${e.size} bytes but its .npy header (shape (${h.shape.join(', ')}), '${h.descr}') says ${h.headerBytes + h.dataBytes}; the archive is corrupt`);
  }
  return h;
}

/** An .npz's plan, or undefined when the zip holds no .npy arrays (then it is a zip of images). */
export async function planNpz(path: string, budget: MemoryBudget): Promise<Plan | undefined> {
  return withFileSource(path, 'zip archive', async (src) => {
    const all = dataEntries(await readZipDirectory(src));
    const h = await heads(src, all, 16);
    const arrays = all.filter((_, i) => isNpy(h[i]!));
    if (arrays.length === 0) return undefined;
    const byKey = new Map(arrays.map((e) => [e.name.replace(/\.npy$/, ''), e]));
    const headOf = (e: ZipEntry) => h[all.indexOf(e)]!;
    const keys = [...byKey.keys()];
    let pair = PAIRS.find(([x]) => byKey.has(x));
    if (!pair) {
      const images: string[] = [];
      for (const k of keys) if ([3, 4].includes((await npyEntryHeader(src, byKey.get(k)!, headOf(byKey.get(k)!))).shape.length)) images.push(k);
      if (images.length !== 1) throw new Error(`${path}: an .npz with arrays ${keys.join(', ')}; expected one images array named ${PAIRS.map((p) => p[0]).join(', ')} (labels beside it as ${PAIRS.map((p) => p[1]).join(', ')})`);
      pair = [images[0]!, ''];
    }
    const notes: string[] = [];
    const part = async ([x, y]: [string, string], test: boolean) => {
      const ex = byKey.get(x)!, hx = await npyEntryHeader(src, ex, headOf(ex));
      const l = npyImageLayout(hx, `${path}: ${ex.name}`);
      const ey = byKey.get(y);
      const hy = ey ? await npyEntryHeader(src, ey, headOf(ey)) : undefined;
      if (hy && hy.shape[0] !== l.count) throw new Error(`${path}: ${ey!.name} holds ${hy.shape[0]} labels for the ${l.count} images of ${ex.name}; expected one label per image`);
      claimImages(budget, `${path}: ${ex.name}`, l.count, { height: l.height, width: l.width, channels: l.channels }, l.type, !!hy);
      notes.push(`${path}: ${test ? 'test' : 'training'} images from '${x}'${hy ? `, labels from '${y}'` : ', no labels'}`);
      return { ex, hx, ey };
    };
    const train = await part(pair, false);
    const testPair = TEST_PAIRS.find(([x]) => byKey.has(x));
    const test = testPair ? await part(testPair, true) : undefined;
    const used = new Set([train.ex, train.ey, test?.ex, test?.ey]);
    const unused = arrays.filter((e) => !used.has(e)).map((e) => e.name);
    if (unused.length) notes.push(`${path}: arrays not used: ${unused.join(', ')}`);
    const load = (src: ByteSource, p: NonNullable<typeof test>) => async () => {
      const x = npyImagesFromData(p.hx, (await readZipEntry(src, p.ex)).subarray(p.hx.headerBytes), `${path}: ${p.ex.name}`);
      return p.ey ? makeImageSet({ ...x, labels: decodeNpyLabels(await readZipEntry(src, p.ey), `${path}: ${p.ey.name}`) }) : x;
    };
    const shapeOf = (p: typeof train) => { const l = npyImageLayout(p.hx, path); return { height: l.height, width: l.width, channels: l.channels }; };
    if (test && JSON.stringify(shapeOf(test)) !== JSON.stringify(shapeOf(train))) {
      throw new Error(`${path}: the test images ${test.ex.name} are ${describeShape(shapeOf(test))} but the training images ${train.ex.name} are ${describeShape(shapeOf(train))}; expected one shape`);
    }
    return {
      describe: `.npz arrays ${path}`,
      shape: shapeOf(train),
      notes,
      load: () => withFileSource(path, 'zip archive', async (src): Promise<Parts> => ({ train: await load(src, train)(), ...(test ? { test: await load(src, test)() } : {}) })),
    };
  });
}

/** Paths inside the archive with a folder that every entry shares removed ('set/cat/1.png' → 'cat/1.png'). */
function relativePaths(names: string[]): string[] {
  const first = names[0]!.split('/')[0]!;
  const shared = names.every((n) => n.includes('/') && n.split('/')[0] === first);
  return shared ? relativePaths(names.map((n) => n.slice(first.length + 1))) : names;
}

export async function planZipImages(path: string, budget: MemoryBudget): Promise<Plan> {
  return withFileSource(path, 'zip archive', async (src) => {
    const all = dataEntries(await readZipDirectory(src)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const h = await heads(src, all, 4096);
    const images = all.filter((_, i) => isPng(h[i]!) || isJpeg(h[i]!));
    if (images.length === 0) throw new Error(`${path}: a zip archive with no .npy arrays and no PNG or JPEG images (${all.length} entries)`);
    const notes: string[] = [];
    const skipped = all.filter((e) => !images.includes(e)).map((e) => e.name);
    if (skipped.length) notes.push(`${path}: skipped ${skipped.length} entr${skipped.length > 1 ? 'ies' : 'y'} that hold no image: ${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}`);
    const headers: ImageHeader[] = [];
    for (const e of images) headers.push(await imageHeader(`${path}: ${e.name}`, h[all.indexOf(e)]!, (n) => readZipEntryHead(src, e, n)));
    const rel = relativePaths(images.map((e) => e.name));
    const items: ImageItem[] = rel.map((p, i) => ({ path: p, header: headers[i]! }));
    const layout = layoutImages(items, path);
    claimImages(budget, path, images.length, layout.shape, 'u8', !!layout.labels);
    if (layout.classNames) notes.push(`${path}: ${layout.classNames.length} classes from its folders: ${layout.classNames.slice(0, 10).join(', ')}${layout.classNames.length > 10 ? ', …' : ''}`);
    const { shape } = layout, dim = shape.height * shape.width * shape.channels;
    return {
      describe: `images in zip ${path}`,
      shape,
      notes: [...layout.notes, ...notes],
      load: () => withFileSource(path, 'zip archive', async (src): Promise<Parts> => {
        const pixels = new Uint8Array(images.length * dim);
        for (let i = 0; i < images.length; i++) decodeImageInto(await readZipEntry(src, images[i]!), headers[i]!, shape.channels as 1 | 3, pixels, i * dim, `${path}: ${images[i]!.name}`);
        return { train: makeImageSet({ count: images.length, shape, pixels, labels: layout.labels, classNames: layout.classNames, source: path }) };
      }),
    };
  });
}
