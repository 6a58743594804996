// Node-only half of the IDX loader: reads files with node:fs and transparently gunzips them
// with node:zlib before handing the bytes to the pure parser in ./idx (kept browser-safe).
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Dataset } from './dataset';
import { datasetFromIdx, IDX_MAX_ELEMENTS, isGzip, parseIdx, type IdxTensor } from './idx';

// Largest legal IDX file (3-dim header + max elements); one byte more lets parseIdx report
// trailing garbage, while a gzip bomb stops here instead of exhausting memory.
const MAX_DECOMPRESSED = 16 + IDX_MAX_ELEMENTS + 1;

/** Returns the bytes unchanged unless they start with the gzip signature; then decompresses them. */
export function gunzipIfNeeded(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED });
  } catch (e) {
    // zlib throws RangeError for the size cap and plain errors for bad data; normalize both.
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${source}: gzip data decompresses to more than ${MAX_DECOMPRESSED} bytes; too large for an IDX file`, {
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

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new Error(`cannot read IDX file ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads one IDX file (plain or .gz) from disk. */
export async function readIdxFile(path: string): Promise<IdxTensor> {
  return parseIdxMaybeGzip(await readBytes(path), path);
}

/**
 * Loads an images IDX file and optional labels IDX file (each plain or gzipped) into a Dataset
 * with pixels / 255. Without labels every label is 0; a count mismatch is an error.
 */
export async function loadIdxDataset(imagesPath: string, labelsPath?: string): Promise<Dataset> {
  const images = gunzipIfNeeded(await readBytes(imagesPath), imagesPath);
  const labels = labelsPath === undefined ? undefined : gunzipIfNeeded(await readBytes(labelsPath), labelsPath);
  return datasetFromIdx(images, labels, { images: imagesPath, labels: labelsPath ?? 'labels' });
}
