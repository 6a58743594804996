// Node-only half of the IDX loader: reads files with node:fs and transparently gunzips them
// with node:zlib before handing the bytes to the pure parser in ./idx (kept browser-safe).
import { constants as zlib, gunzipSync } from 'node:zlib';
import { FileSizeError, readBounded, regularFileSize } from '../util/bounded-read';
import type { Dataset } from './dataset';
import { datasetFromIdx, IDX_MAX_ELEMENTS, idxByteLength, idxHeaderDims, isGzip, parseIdx, type IdxTensor } from './idx';

// Largest legal IDX file (3-dim header + max elements); one byte more lets parseIdx report
// trailing garbage, while a gzip bomb stops here instead of exhausting memory.
const MAX_DECOMPRESSED = 16 + IDX_MAX_ELEMENTS + 1;

/** Returns the bytes unchanged unless they start with the gzip signature; then decompresses them. */
export function gunzipIfNeeded(bytes: Uint8Array, source: string, maxOutput = MAX_DECOMPRESSED): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: maxOutput });
  } catch (e) {
    // zlib throws RangeError for the size cap and plain errors for bad data; normalize both.
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${source}: gzip data decompresses to more than ${maxOutput} bytes; ${maxOutput < MAX_DECOMPRESSED ? 'more than its IDX header says (trailing garbage or a corrupt header)' : 'too large for an IDX file'}`, {
        cause: e,
      });
    }
    throw new Error(`${source}: gzip data is corrupt or truncated (${err.message}); expected a valid gzip stream`, {
      cause: e,
    });
  }
}

/** Decompresses if gzipped, then parses; pure apart from zlib (handy for fuzzing without files). */
export function parseIdxMaybeGzip(bytes: Uint8Array, source: string): IdxTensor {
  return parseIdx(gunzipIfNeeded(bytes, source), source);
}

/** The IDX header of a gzip stream's start, decompressed only as far as the header needs. */
function gzipHeader(prefix: Uint8Array): Uint8Array {
  try {
    // Z_SYNC_FLUSH: a cut-off stream gives what it has instead of an error.
    return gunzipSync(prefix.subarray(0, 4096), { finishFlush: zlib.Z_SYNC_FLUSH }).subarray(0, 16);
  } catch {
    return new Uint8Array(0);
  }
}

/** What an IDX file's header says, read from its first bytes only: see probeIdxFile. */
export interface IdxProbe {
  path: string;
  size: number;
  gzip: boolean;
  prefix: Uint8Array;
  /** The (decompressed) header's dims, when well formed; their product is the data's bytes. */
  dims?: number[];
}

const wrap = (path: string, e: unknown): Error =>
  e instanceof FileSizeError || (e as Error).message.startsWith(path) ? (e as Error) : new Error(`cannot read IDX file ${path}: ${(e as Error).message}`, { cause: e });

/** Reads an IDX file's first 64 KiB (decompressing a gzip stream's start) and its header's dims. */
export async function probeIdxFile(path: string): Promise<IdxProbe> {
  try {
    const size = await regularFileSize(path, 'IDX file');
    const prefix = await readBounded(path, 64 * 1024, 'IDX file', { exact: false });
    const gzip = isGzip(prefix);
    return { path, size, gzip, prefix, dims: idxHeaderDims(gzip ? gzipHeader(prefix) : prefix) };
  } catch (e) {
    throw wrap(path, e);
  }
}

/**
 * A probed IDX file's bytes (decompressed when gzipped), read no further than its header says the
 * file goes: header + the product of its dims. A file that is not a regular file (a symlink to
 * /dev/zero, a FIFO) or is larger than its header claims is refused before it is read; a header
 * too malformed to size the file is handed to parseIdx, which names the fault.
 */
export async function readProbedIdx(p: IdxProbe): Promise<Uint8Array> {
  const { path, size, prefix } = p;
  try {
    if (!p.gzip) {
      const want = idxByteLength(prefix);
      if (want === undefined) return prefix.subarray(0, 16);
      if (size > want) {
        throw new FileSizeError(`${path}: ${size - want} bytes of trailing garbage: its header's dims say the file is ${want} bytes, but it is ${size}`, size);
      }
      return await readBounded(path, want, 'IDX file', { why: 'the size its header dims give' });
    }
    const want = idxByteLength(gzipHeader(prefix));
    if (want === undefined) return gunzipIfNeeded(prefix, path, 64 * 1024).subarray(0, 16);
    // Deflate's worst case is stored blocks (5 bytes per 65,535), plus the gzip header and trailer.
    const maxCompressed = want + 5 * Math.ceil(want / 65535) + 64 * 1024;
    const bytes = await readBounded(path, maxCompressed, 'gzipped IDX file', { why: `what ${want} bytes of IDX data can compress to` });
    return gunzipIfNeeded(bytes, path, want + 1);
  } catch (e) {
    throw wrap(path, e);
  }
}

async function readIdxBytes(path: string): Promise<Uint8Array> {
  return readProbedIdx(await probeIdxFile(path));
}

/** Reads one IDX file (plain or .gz) from disk. */
export async function readIdxFile(path: string): Promise<IdxTensor> {
  return parseIdx(await readIdxBytes(path), path);
}

/**
 * Loads an images IDX file and optional labels IDX file (each plain or gzipped) into a Dataset
 * with pixels / 255. Without labels every label is 0; a count mismatch is an error.
 */
export async function loadIdxDataset(imagesPath: string, labelsPath?: string): Promise<Dataset> {
  const images = await readIdxBytes(imagesPath);
  const labels = labelsPath === undefined ? undefined : await readIdxBytes(labelsPath);
  return datasetFromIdx(images, labels, { images: imagesPath, labels: labelsPath ?? 'labels' });
}
