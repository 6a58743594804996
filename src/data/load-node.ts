// Node: any supported data path (a file or a folder, format told from content) to ImageSets, in two
// phases: plan reads headers only and claims every byte the images will take against one memory
// budget, so a data set over the cap, a lying header or a bomb is refused by name before anything is
// allocated; load then reads each file no further than its header says. Folders: ./folder-node.ts,
// zips and .npz: ./zip-node.ts, shared helpers: ./read-node.ts.
import { stat } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename, resolve } from 'node:path';
import { readBounded } from '../util/bounded-read';
import { withFileSource } from './byte-source-node';
import { CIFAR_PIXELS, CIFAR_SHAPE, decodeCifar, type CifarKind } from './cifar';
import { firstBytes, KNOWN_FORMATS } from './detect';
import { parseIdx } from './idx';
import { probeIdxFile } from './idx-node';
import { layoutImages } from './image-folder';
import { defaultMaxMemory, MemoryBudget } from './memory-cap';
import { npyImagesFromData, npyImageLayout, parseNpyHeader, npyHeaderLength } from './npy';
import { planFolder } from './folder-node';
import { claimIdx, claimImages, decodeImageFiles, idxShape, imageHeader, sniff, type Parts, type Plan } from './read-node';
import { planNpz, planZipImages } from './zip-node';

export type { Parts, Plan } from './read-node';

export interface LoadOptions {
  /** The memory cap in bytes (default defaultMaxMemory of this machine: 512 MiB, at most half its memory). */
  maxBytes?: number;
  /** How the caller's user sets the cap, for the refusal message (the CLI passes '--max-memory'). */
  capName?: string;
}

/** Loads a path of any supported format; see Plan. */
export async function loadImages(path: string, options: LoadOptions = {}): Promise<Parts & { describe: string; notes: string[] }> {
  const budget = new MemoryBudget(options.maxBytes ?? defaultMaxMemory(totalmem()), options.capName);
  const plan = await planImages(path, budget);
  return { ...(await plan.load()), describe: plan.describe, notes: plan.notes };
}

/** Plans a file or a folder, claiming its images' bytes on `budget`. */
export async function planImages(path: string, budget: MemoryBudget): Promise<Plan> {
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = (await stat(abs)).isDirectory();
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}; expected ${KNOWN_FORMATS}`, { cause: e });
  }
  return isDir ? planFolder(abs, budget, planImages) : planFile(abs, budget);
}

async function planFile(path: string, budget: MemoryBudget): Promise<Plan> {
  const { size, head, format } = await sniff(path);
  switch (format) {
    case 'npy': return planNpy(path, size, head, budget);
    case 'zip': return (await planNpz(path, budget)) ?? planZipImages(path, budget);
    case 'gzip':
    case 'idx-images': {
      const probe = await probeIdxFile(path);
      const load = claimIdx(probe, budget, 'images');
      return { describe: `IDX images ${path}`, shape: idxShape(probe), notes: [], load };
    }
    case 'idx':
      parseIdx(head, path); // names the magic, type or rank it cannot take
      throw new Error(`${path}: an IDX file this reader cannot take; expected u8 images (magic 0x00000803)`);
    case 'idx-labels':
      throw new Error(`${path} is an IDX labels file (1 dim); pass the images file, or the folder holding both`);
    case 'cifar10':
    case 'cifar100': {
      const kind: CifarKind = format;
      const count = size / (CIFAR_PIXELS + (kind === 'cifar10' ? 1 : 2));
      claimImages(budget, path, count, CIFAR_SHAPE, 'u8', true);
      return { describe: `${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} batch ${path}`, shape: CIFAR_SHAPE, notes: [], load: async () => ({ train: decodeCifar(await readBounded(path, size, 'CIFAR batch'), kind, path) }) };
    }
    case 'png':
    case 'jpeg': {
      const header = await imageHeader(path, head);
      const layout = layoutImages([{ path: basename(path), header }], path);
      claimImages(budget, path, 1, layout.shape, 'u8');
      return { describe: `image ${path}`, shape: layout.shape, notes: layout.notes, load: async () => ({ train: await decodeImageFiles([path], [header], layout.shape, undefined, path) }) };
    }
    default:
      throw new Error(`${path} is no data format this reader knows (first bytes ${firstBytes(head)}); expected ${KNOWN_FORMATS}`);
  }
}

function planNpy(path: string, size: number, head: Uint8Array, budget: MemoryBudget): Plan {
  const total = npyHeaderLength(head, path);
  if (total > head.length) throw new Error(`${path}: .npy header of ${total} bytes is longer than the file's ${size}`);
  const h = parseNpyHeader(head, path);
  const l = npyImageLayout(h, path);
  if (size !== h.headerBytes + h.dataBytes) {
    const found = size - h.headerBytes;
    throw new Error(found < h.dataBytes
      ? `${path}: truncated: shape (${h.shape.join(', ')}) needs ${h.dataBytes} data bytes after the ${h.headerBytes}-byte header, the file has ${found}`
      : `${path}: ${found - h.dataBytes} bytes of trailing garbage after the ${h.dataBytes} data bytes its shape (${h.shape.join(', ')}) gives`);
  }
  claimImages(budget, path, l.count, { height: l.height, width: l.width, channels: l.channels }, l.type);
  return {
    describe: `.npy array ${path}`,
    shape: { height: l.height, width: l.width, channels: l.channels },
    notes: [],
    load: async () => ({ train: npyImagesFromData(h, await withFileSource(path, '.npy file', (src) => src.read(h.headerBytes, h.dataBytes)), path) }),
  };
}

