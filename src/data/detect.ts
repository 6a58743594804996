// Tells a data file's format from its content (magic bytes, and for CIFAR's magic-less batches its
// size and label bytes), never from its name. Pure and browser-safe.
import { detectCifar } from './cifar';
import { idxByteLength, isGzip } from './idx';
import { isJpeg, isPng } from './image-header';
import { isNpy } from './npy';
import { isZip } from './zip';

/** 'idx': an IDX magic of a type or rank this reader does not take (the IDX parser names it). */
export type DataFormat = 'png' | 'jpeg' | 'npy' | 'zip' | 'gzip' | 'idx-images' | 'idx-labels' | 'idx' | 'cifar10' | 'cifar100' | 'unknown';

/** Bytes of a file's start that detectFormat looks at (CIFAR's label bytes of its first 21 records). */
export const DETECT_HEAD = 64 * 1024;

export function detectFormat(head: Uint8Array, size: number): DataFormat {
  if (isPng(head)) return 'png';
  if (isJpeg(head)) return 'jpeg';
  if (isNpy(head)) return 'npy';
  if (isZip(head)) return 'zip';
  if (isGzip(head)) return 'gzip';
  const idx = head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === 0x08 && (head[3] === 3 || head[3] === 1);
  // An IDX header whose dims give the file's size wins; a CIFAR record may start with 00 00 08 03 by chance.
  if (idx && idxByteLength(head) === size) return head[3] === 3 ? 'idx-images' : 'idx-labels';
  const cifar = detectCifar(size, head);
  if (cifar) return cifar;
  if (idx) return head[3] === 3 ? 'idx-images' : 'idx-labels';
  // 00 00, an IDX type code (u8, i8, i16, i32, f32, f64), 1 to 4 dims: IDX, just not one we read.
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && [8, 9, 0xb, 0xc, 0xd, 0xe].includes(head[2]!) && head[3]! >= 1 && head[3]! <= 4) return 'idx';
  return 'unknown';
}

const NAMES: Record<DataFormat, string> = {
  png: 'a PNG image', jpeg: 'a JPEG image', npy: 'a .npy array', zip: 'a zip archive (.npz or zipped images)', gzip: 'gzip data',
  'idx-images': 'an IDX images file', 'idx-labels': 'an IDX labels file', idx: 'an IDX file of another type', cifar10: 'a CIFAR-10 batch', cifar100: 'a CIFAR-100 batch', unknown: 'no known format',
};

export function describeFormat(f: DataFormat): string {
  return NAMES[f];
}

/** "89 50 4e 47 …": the first bytes, for a message about an unknown file. */
export function firstBytes(head: Uint8Array, n = 8): string {
  return Array.from(head.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty)';
}

export const KNOWN_FORMATS = 'PNG or JPEG images (a folder or a zip of them), a .npy or .npz array, CIFAR binary batches, or IDX files (plain or gzipped)';
