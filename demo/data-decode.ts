// The browser's side of reading the user's own images: PNG and JPEG decoded by the browser itself
// (createImageBitmap, then an OffscreenCanvas's getImageData, so it works in the page or a worker;
// no colour-space conversion, no premultiplied alpha, so the bytes are the file's), and the files
// of a drop (folders walked through webkitGetAsEntry) or of a file input (webkitRelativePath keeps
// a picked folder's sub-folders, the class labels). Whether a file is whole is the reader's check
// (demo/data-read.ts checkComplete), as browsers draw what they have of a truncated file.
import type { ImageHeader } from '../src/data/image-header';
import type { DataFile } from './data-read';

/** Decodes one PNG or JPEG into `channels`-channel HWC bytes at out[offset…] (the reader's ImageDecoder). */
export async function decodeInBrowser(bytes: Uint8Array, header: ImageHeader, channels: 1 | 3, out: Uint8Array, offset: number, source: string): Promise<void> {
  const type = header.format === 'png' ? 'image/png' : 'image/jpeg';
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`${source}: the browser cannot decode this ${header.format.toUpperCase()} (${(e as Error).message})`, { cause: e });
  }
  try {
    const { width, height } = bitmap;
    if (width !== header.width || height !== header.height) throw new Error(`${source}: decoded ${width}×${height} pixels, but its header claims ${header.width}×${header.height}`);
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error(`${source}: no 2-D canvas to decode images with`);
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const n = width * height;
    if (channels === 1) for (let p = 0; p < n; p++) out[offset + p] = rgba[4 * p]!;
    else for (let p = 0; p < n; p++) {
      out[offset + 3 * p] = rgba[4 * p]!;
      out[offset + 3 * p + 1] = rgba[4 * p + 1]!;
      out[offset + 3 * p + 2] = rgba[4 * p + 2]!;
    }
  } finally {
    bitmap.close();
  }
}

/** Files in a drop or a pick beyond this are refused (the memory cap bounds their bytes; this, their count). */
export const MAX_FILES = 200_000;

const fileOf = (e: FileSystemFileEntry) => new Promise<File>((resolve, reject) => e.file(resolve, reject));
const entriesOf = (r: FileSystemDirectoryReader) => new Promise<FileSystemEntry[]>((resolve, reject) => r.readEntries(resolve, reject));

/**
 * The files of a drop: folders walked (paths keep their sub-folders). The entries are taken at
 * once, as a drop's items are readable only during the event; the walk may take its time.
 */
export function dropFiles(dt: DataTransfer): () => Promise<DataFile[]> {
  const entries = Array.from(dt.items, (i) => (i.kind === 'file' ? i.webkitGetAsEntry?.() ?? null : null));
  const plain = Array.from(dt.files);
  return async () => {
    if (!entries.some((e) => e)) return plain.map((f) => ({ path: f.name, blob: f }));
    const out: DataFile[] = [];
    const walk = async (e: FileSystemEntry, prefix: string): Promise<void> => {
      if (out.length > MAX_FILES) throw new Error(`more than ${MAX_FILES.toLocaleString('en-US')} files dropped; drop a zip or a smaller folder`);
      if (e.isFile) out.push({ path: prefix + e.name, blob: await fileOf(e as FileSystemFileEntry) });
      else if (e.isDirectory) {
        const reader = (e as FileSystemDirectoryEntry).createReader();
        // readEntries gives a directory's entries a batch at a time, then an empty batch.
        for (let batch = await entriesOf(reader); batch.length; batch = await entriesOf(reader)) {
          for (const c of batch) await walk(c, `${prefix}${e.name}/`);
        }
      }
    };
    for (const e of entries) if (e) await walk(e, '');
    return out;
  };
}

/** The files of a file input (a picked folder's keep their paths inside it). */
export function pickedFiles(input: HTMLInputElement): DataFile[] {
  const files = Array.from(input.files ?? []);
  if (files.length > MAX_FILES) throw new Error(`more than ${MAX_FILES.toLocaleString('en-US')} files picked; pick a zip or a smaller folder`);
  return files.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f }));
}
