// Pure, browser-safe reader of the CIFAR binary batch format (data_batch_N.bin, test_batch.bin):
// CIFAR-10 records are 1 label byte (0..9) + 3072 pixel bytes, CIFAR-100 records 2 label bytes
// (coarse 0..19, fine 0..99; the fine label is kept) + 3072; pixels are channel-planar (1024 R, G, B,
// each 32×32 row-major) and come out HWC. The format has no magic: it is told from the file's size
// (a whole number of records) and its label bytes.
import { makeImageSet, type ImageSet } from './image-set';

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = 3 * CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_SHAPE = { height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3 } as const;

export type CifarKind = 'cifar10' | 'cifar100';

const LABEL_BYTES: Record<CifarKind, number> = { cifar10: 1, cifar100: 2 };
const CLASSES: Record<CifarKind, number[]> = { cifar10: [10], cifar100: [20, 100] };

export function cifarRecordBytes(kind: CifarKind): number {
  return LABEL_BYTES[kind] + CIFAR_PIXELS;
}

/** Labels of record r in range for `kind`, from whatever of the file `head` holds. */
function labelsFit(head: Uint8Array, kind: CifarKind, records: number): boolean {
  const rec = cifarRecordBytes(kind), max = CLASSES[kind];
  for (let r = 0; r < records && r * rec + max.length <= head.length; r++) {
    for (let k = 0; k < max.length; k++) if (head[r * rec + k]! >= max[k]!) return false;
  }
  return true;
}

/**
 * The CIFAR kind a file of `size` bytes starting with `head` is, or undefined: its size a whole,
 * non-zero number of records and every record's label bytes within `head` in range.
 */
export function detectCifar(size: number, head: Uint8Array): CifarKind | undefined {
  for (const kind of ['cifar10', 'cifar100'] as const) {
    const rec = cifarRecordBytes(kind);
    if (size > 0 && size % rec === 0 && labelsFit(head, kind, size / rec)) return kind;
  }
  return undefined;
}

/** A whole CIFAR batch file as 32×32×3 uint8 images with labels; a bad label names its record. */
export function decodeCifar(bytes: Uint8Array, kind: CifarKind, source: string): ImageSet {
  const count = cifarRecords(bytes.length, kind, source);
  const pixels = new Uint8Array(count * CIFAR_PIXELS), labels = new Uint8Array(count);
  decodeCifarInto(bytes, kind, source, pixels, labels, 0);
  return makeImageSet({ count, shape: { height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3 }, pixels, labels, source });
}

function cifarRecords(length: number, kind: CifarKind, source: string): number {
  const rec = cifarRecordBytes(kind), lb = LABEL_BYTES[kind];
  if (length === 0 || length % rec !== 0) {
    throw new Error(`${source}: ${length} bytes is not a whole number of ${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} records of ${rec} bytes (${lb} label byte${lb > 1 ? 's' : ''} + ${CIFAR_PIXELS} pixels)`);
  }
  return length / rec;
}

/** Decodes a batch file into `pixels` / `labels` from image `at` on (several batches, one copy); returns its record count. */
export function decodeCifarInto(bytes: Uint8Array, kind: CifarKind, source: string, pixels: Uint8Array, labels: Uint8Array, at: number): number {
  const rec = cifarRecordBytes(kind), lb = LABEL_BYTES[kind], max = CLASSES[kind];
  const count = cifarRecords(bytes.length, kind, source), plane = CIFAR_SIDE * CIFAR_SIDE;
  if (pixels.length < (at + count) * CIFAR_PIXELS || labels.length < at + count) throw new Error(`${source}: ${count} records do not fit the arrays given from image ${at}`);
  for (let r = 0; r < count; r++) {
    const o = r * rec;
    for (let k = 0; k < lb; k++) {
      if (bytes[o + k]! >= max[k]!) throw new Error(`${source}: record ${r} has label byte ${k} = ${bytes[o + k]}; expected 0..${max[k]! - 1} (the file is corrupt or not ${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'})`);
    }
    labels[at + r] = bytes[o + lb - 1]!;
    const src = o + lb, dst = (at + r) * CIFAR_PIXELS;
    for (let p = 0; p < plane; p++) {
      pixels[dst + 3 * p] = bytes[src + p]!;
      pixels[dst + 3 * p + 1] = bytes[src + plane + p]!;
      pixels[dst + 3 * p + 2] = bytes[src + 2 * plane + p]!;
    }
  }
  return count;
}

/** The writer's inverse, for tests and the tinted-digit script: HWC 32×32×3 uint8 images + labels to records. */
export function encodeCifar10(pixels: Uint8Array, labels: Uint8Array): Uint8Array {
  const count = labels.length, rec = cifarRecordBytes('cifar10'), plane = CIFAR_SIDE * CIFAR_SIDE;
  if (pixels.length !== count * CIFAR_PIXELS) throw new Error(`encodeCifar10: ${pixels.length} pixel bytes for ${count} labels; expected ${count} × ${CIFAR_PIXELS}`);
  const out = new Uint8Array(count * rec);
  for (let r = 0; r < count; r++) {
    if (labels[r]! > 9) throw new Error(`encodeCifar10: label ${r} is ${labels[r]}; expected 0..9`);
    out[r * rec] = labels[r]!;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[r * rec + 1 + c * plane + p] = pixels[r * CIFAR_PIXELS + 3 * p + c]!;
  }
  return out;
}
