// Node plan of a data folder, every file's format told from its content: IDX files (the t10k / test
// ones are the test part, labels paired by name as MNIST ships them), CIFAR batches (test_batch* the
// test part, class names from batches.meta.txt), or PNG / JPEG images (directly in the folder: no
// labels; in sub-folders: one class per sub-folder). A folder holding `train` and `test` entries (of
// any format) is split by them. Hidden files are ignored; other files are skipped with a note.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readBounded } from '../util/bounded-read';
import { CIFAR_PIXELS, CIFAR_SHAPE, decodeCifarInto, type CifarKind } from './cifar';
import { DETECT_HEAD, KNOWN_FORMATS, type DataFormat } from './detect';
import { parseIdx } from './idx';
import { probeIdxFile, type IdxProbe } from './idx-node';
import { layoutImages, type ImageItem } from './image-folder';
import type { ImageHeader } from './image-header';
import { describeShape, makeImageSet, type ImageSet } from './image-set';
import type { MemoryBudget } from './memory-cap';
import { claimIdx, claimImages, decodeImageFiles, idxShape, imageHeader, sniff, type Parts, type Plan } from './read-node';

interface Found { name: string; path: string; size: number; head: Uint8Array; format: DataFormat }

const visible = (n: string) => !n.startsWith('.');
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const isTestName = (n: string) => /t10k|test/i.test(n);
const list = (names: string[], n = 3) => names.slice(0, n).join(', ') + (names.length > n ? `, … (${names.length - n} more)` : '');

/**
 * The folder's entries split into files (sniffed) and sub-folders. Anything else (a device, a FIFO,
 * a symlink to one) is refused by sniff naming it: a data folder holding one is not to be guessed at.
 */
async function scan(dir: string): Promise<{ files: Found[]; folders: string[] }> {
  const files: Found[] = [], folders: string[] = [];
  for (const name of (await readdir(dir)).filter(visible).sort()) {
    const path = join(dir, name);
    if ((await stat(path).catch(() => undefined))?.isDirectory()) {
      folders.push(name);
      continue;
    }
    let f = await sniff(path, 4096);
    // CIFAR's batches have no magic: look at more of their label bytes.
    if (f.format === 'unknown' && f.size > 4096 && (f.size % 3073 === 0 || f.size % 3074 === 0)) f = await sniff(path, DETECT_HEAD);
    files.push({ name, path, ...f });
  }
  return { files, folders };
}

export async function planFolder(dir: string, budget: MemoryBudget, planPath: (path: string, budget: MemoryBudget) => Promise<Plan>): Promise<Plan> {
  const notes: string[] = [];
  const { files, folders } = await scan(dir);
  const stem = (n: string) => n.replace(/\.[^.]*$/, '');
  const entries = [...files.map((f) => f.name), ...folders];
  const train = entries.filter((n) => stem(n) === 'train'), test = entries.filter((n) => stem(n) === 'test');
  if (train.length === 1 && test.length === 1) return planSplitFolder(dir, train[0]!, test[0]!, budget, planPath);

  const idx = files.filter((f) => f.format === 'idx-images' || f.format === 'idx-labels' || f.format === 'idx' || f.format === 'gzip');
  const cifar = files.filter((f) => f.format === 'cifar10' || f.format === 'cifar100');
  const images = files.filter((f) => f.format === 'png' || f.format === 'jpeg');
  const arrays = files.filter((f) => f.format === 'npy' || f.format === 'zip');
  const nested: { sub: string; found: Found[] }[] = [];
  for (const sub of folders) {
    const inner = await scan(join(dir, sub));
    const pics = inner.files.filter((f) => f.format === 'png' || f.format === 'jpeg');
    if (pics.length) nested.push({ sub, found: pics });
    const other = inner.files.filter((f) => !pics.includes(f)).map((f) => f.name);
    if (other.length || inner.folders.length) notes.push(`${join(dir, sub)}: skipped ${list([...other, ...inner.folders.map((d) => d + '/')])} (class folders hold images directly)`);
  }
  const kinds = [idx.length && `IDX files (${list(idx.map((f) => f.name), 2)})`, cifar.length && `CIFAR batches (${list(cifar.map((f) => f.name), 2)})`, (images.length || nested.length) && `images (${list([...images.map((f) => f.name), ...nested.map((n) => n.sub + '/')], 2)})`].filter(Boolean);
  if (kinds.length > 1) throw new Error(`${dir} mixes ${kinds.join(' and ')}; expected one kind of data in a folder`);
  if (kinds.length === 0) {
    if (arrays.length) throw new Error(`${dir} holds ${list(arrays.map((f) => f.name))}; pass the array file itself (--data ${arrays[0]!.path})`);
    throw new Error(`${dir} holds no data files (${files.length} files: ${list(files.map((f) => f.name)) || 'none'}); expected ${KNOWN_FORMATS}`);
  }
  const skipped = files.filter((f) => f.format === 'unknown' || (arrays.includes(f) && kinds.length)).map((f) => f.name);
  if (skipped.length) notes.push(`${dir}: skipped ${list(skipped)} (no data format this reader knows)`);
  if (idx.length) return planIdxFolder(dir, idx, budget, notes);
  if (cifar.length) return planCifarFolder(dir, cifar, files, budget, notes);
  return planImageFolder(dir, images, nested, budget, notes);
}

async function planSplitFolder(dir: string, train: string, test: string, budget: MemoryBudget, planPath: (path: string, budget: MemoryBudget) => Promise<Plan>): Promise<Plan> {
  const a = await planPath(join(dir, train), budget), b = await planPath(join(dir, test), budget);
  if (describeShape(a.shape) !== describeShape(b.shape)) throw new Error(`${dir}: the test images (${b.describe}) are ${describeShape(b.shape)} but the training images (${a.describe}) are ${describeShape(a.shape)}; expected one shape`);
  return {
    describe: `${a.describe} (train) and ${b.describe} (test)`,
    shape: a.shape,
    notes: [...a.notes, ...b.notes],
    load: async () => {
      const [ta, tb] = [await a.load(), await b.load()];
      for (const [name, p] of [[train, ta], [test, tb]] as const) if (p.test) throw new Error(`${join(dir, name)} has a test part of its own; inside a folder split into train and test each holds one part`);
      return { train: ta.train, test: tb.train };
    },
  };
}

async function planIdxFolder(dir: string, found: Found[], budget: MemoryBudget, notes: string[]): Promise<Plan> {
  const probes: IdxProbe[] = [];
  for (const f of found) probes.push(await probeIdxFile(f.path));
  const kindOf = (p: IdxProbe) => (p.dims?.length === 3 ? 'images' : p.dims?.length === 1 ? 'labels' : 'unknown');
  // The training part's files first: the one a user looks at first is named first.
  const bad = probes.filter((p) => kindOf(p) === 'unknown').sort((p, q) => Number(isTestName(basename(p.path))) - Number(isTestName(basename(q.path))));
  if (bad.length) {
    // The IDX parser names what is wrong with the header (magic, type, rank); gzipped, say so.
    if (!bad[0]!.gzip) parseIdx(bad[0]!.prefix, bad[0]!.path);
    throw new Error(`${bad[0]!.path}: not an IDX file of u8 images (3 dims) or labels (1 dim)${bad[0]!.gzip ? ' inside its gzip stream' : ''}; expected IDX files as MNIST ships them`);
  }
  // A file present both plain and gzipped counts once, plain first.
  const base = (p: IdxProbe) => basename(p.path).replace(/\.gz$/, '');
  const unique = probes.filter((p) => !p.gzip || !probes.some((q) => !q.gzip && base(q) === base(p)));
  const part = (test: boolean) => {
    const imgs = unique.filter((p) => kindOf(p) === 'images' && isTestName(base(p)) === test);
    if (imgs.length > 1) throw new Error(`${dir}: ${imgs.length} IDX images files for the ${test ? 'test' : 'training'} part (${imgs.map(base).join(', ')}); expected one`);
    const img = imgs[0];
    if (!img) return undefined;
    const want = base(img).replace('images', 'labels').replace('idx3', 'idx1');
    const lab = unique.find((p) => kindOf(p) === 'labels' && base(p) === want);
    const loadImages = claimIdx(img, budget, 'images');
    const loadLabels = lab ? claimIdx(lab, budget, 'labels') : undefined;
    notes.push(`${dir}: ${test ? 'test' : 'training'} images ${basename(img.path)}${lab ? `, labels ${basename(lab.path)}` : ', no labels'}`);
    return async (): Promise<ImageSet> => {
      const { train: set } = await loadImages();
      if (!loadLabels) return set;
      const labels = await loadLabels();
      if (labels.length !== set.count) throw new Error(`count mismatch: ${img.path} has ${set.count} images but ${lab!.path} has ${labels.length} labels; expected one label per image`);
      return makeImageSet({ ...set, labels: labels.slice() });
    };
  };
  const trainProbe = unique.find((p) => kindOf(p) === 'images' && !isTestName(base(p)));
  const train = part(false);
  if (!train || !trainProbe) throw new Error(`${dir}: no IDX images file for the training part (only ${list(unique.map(base))}; files named t10k… or …test… are the test part)`);
  const test = part(true);
  const shape = idxShape(trainProbe), testProbe = unique.find((p) => kindOf(p) === 'images' && isTestName(base(p)));
  if (testProbe && describeShape(idxShape(testProbe)) !== describeShape(shape)) throw new Error(`${dir}: the test images ${basename(testProbe.path)} are ${describeShape(idxShape(testProbe))} but the training images ${basename(trainProbe.path)} are ${describeShape(shape)}; expected one shape`);
  return { describe: `IDX files in ${dir}`, shape, notes, load: async () => ({ train: await train(), ...(test ? { test: await test() } : {}) }) };
}

async function planCifarFolder(dir: string, found: Found[], all: Found[], budget: MemoryBudget, notes: string[]): Promise<Plan> {
  const kind = found[0]!.format as CifarKind;
  const other = found.find((f) => f.format !== kind);
  if (other) throw new Error(`${dir} mixes CIFAR-10 and CIFAR-100 batches (${found[0]!.name}, ${other.name}); expected one kind`);
  const rec = CIFAR_PIXELS + (kind === 'cifar10' ? 1 : 2);
  const part = (test: boolean) => found.filter((f) => isTestName(f.name) === test).sort(byName);
  const meta = all.find((f) => f.name === (kind === 'cifar10' ? 'batches.meta.txt' : 'fine_label_names.txt') && f.size <= 65536);
  const classNames = meta ? new TextDecoder().decode(await readBounded(meta.path, 65536, 'class names file')).split('\n').map((s) => s.trim()).filter(Boolean) : undefined;
  if (classNames) notes.push(`${dir}: class names from ${meta!.name}: ${classNames.slice(0, 10).join(', ')}`);
  const plan = (files: Found[]) => {
    if (!files.length) return undefined;
    for (const f of files) claimImages(budget, f.path, f.size / rec, CIFAR_SHAPE, 'u8', true);
    return async (): Promise<ImageSet> => {
      const count = files.reduce((a, f) => a + f.size / rec, 0);
      const pixels = new Uint8Array(count * CIFAR_PIXELS), labels = new Uint8Array(count);
      let at = 0;
      for (const f of files) at += decodeCifarInto(await readBounded(f.path, f.size, 'CIFAR batch'), kind, f.path, pixels, labels, at);
      return makeImageSet({ count, shape: { height: 32, width: 32, channels: 3 }, pixels, labels, classNames, source: `${files.map((f) => f.name).join(', ')} in ${dir}` });
    };
  };
  const train = plan(part(false));
  if (!train) throw new Error(`${dir}: only test batches (${list(found.map((f) => f.name))}); expected data_batch_*.bin files for training`);
  const test = plan(part(true));
  notes.push(`${dir}: training batches ${list(part(false).map((f) => f.name), 6)}${test ? `; test ${list(part(true).map((f) => f.name))}` : ''}`);
  return { describe: `${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} batches in ${dir}`, shape: CIFAR_SHAPE, notes, load: async () => ({ train: await train(), ...(test ? { test: await test() } : {}) }) };
}

async function planImageFolder(dir: string, top: Found[], nested: { sub: string; found: Found[] }[], budget: MemoryBudget, notes: string[]): Promise<Plan> {
  const all = [...top.map((f) => ({ rel: f.name, f })), ...nested.flatMap((n) => n.found.map((f) => ({ rel: `${n.sub}/${f.name}`, f })))];
  all.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const headers: ImageHeader[] = [];
  for (const { f } of all) headers.push(await imageHeader(f.path, f.head));
  const items: ImageItem[] = all.map(({ rel }, i) => ({ path: rel, header: headers[i]! }));
  const layout = layoutImages(items, dir);
  claimImages(budget, dir, all.length, layout.shape, 'u8', !!layout.labels);
  if (layout.classNames) notes.push(`${dir}: ${layout.classNames.length} classes from its sub-folders: ${layout.classNames.slice(0, 10).join(', ')}${layout.classNames.length > 10 ? ', …' : ''}`);
  const kind = new Set(headers.map((h) => h.format.toUpperCase())), what = [...kind].join(' and ');
  return {
    describe: `${what} images in ${dir}`,
    shape: layout.shape,
    notes: [...layout.notes, ...notes],
    load: async (): Promise<Parts> => ({ train: await decodeImageFiles(all.map((a) => a.f.path), headers, layout.shape, { labels: layout.labels, classNames: layout.classNames }, `${what} images in ${dir}`) }),
  };
}
