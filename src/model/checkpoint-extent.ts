// How many bytes a safetensors file claims to be, from its first 8 bytes and its JSON header alone,
// so a reader can refuse a file (or a stream such as /dev/zero) that is larger than it says before
// reading it whole. Browser-safe: the demo reads Files (Blobs) with it, the CLI files on disk.
import { CheckpointError, MAX_HEADER_BYTES } from './safetensors';

/** The largest checkpoint read: 2 GiB, far above a model whose arena fits one storage binding. */
export const MAX_CHECKPOINT_BYTES = 2 ** 31;

/** The header length a file's first 8 bytes announce (the format's little-endian u64). */
export function headerLength(prefix: Uint8Array, source: string): number {
  if (prefix.length < 8) throw new CheckpointError(`${source}: safetensors: file is ${prefix.length} bytes; expected at least 8 (a little-endian u64 header length)`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(`${source}: safetensors: header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not safetensors`);
  }
  return Number(n);
}

/**
 * The file length the header describes (8 + header + the furthest tensor end), or undefined when
 * the header does not parse (the decoder then names the problem from the header bytes alone).
 */
export function describedLength(head: Uint8Array, headerLen: number): number | undefined {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + headerLen)));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  let end = 0;
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const offsets = (entry as { data_offsets?: unknown } | null)?.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2) return undefined;
    const e = offsets[1];
    if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) return undefined;
    end = Math.max(end, e);
  }
  return 8 + headerLen + end;
}

/** Checks a file's actual size against what its header describes. */
export function checkExtent(size: number, described: number, source: string): void {
  if (described > MAX_CHECKPOINT_BYTES) {
    throw new CheckpointError(`${source}: its header describes ${described} bytes of tensors, over the ${MAX_CHECKPOINT_BYTES}-byte limit for a checkpoint`);
  }
  if (size > described) {
    throw new CheckpointError(`${source}: the file is ${size} bytes but its header describes ${described}; ${size - described} bytes at the end belong to no tensor (corrupt or not a checkpoint)`);
  }
}

/** Reads a checkpoint from a Blob (a File in the page) after checking its size against its header. */
export async function readCheckpointBlob(blob: Blob, source: string): Promise<Uint8Array> {
  const prefix = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
  if (prefix.length < 8) return prefix;
  const n = headerLength(prefix, source);
  // Shorter than its header (bounded by the header limit): the decoder says what is missing.
  if (8 + n > blob.size) return new Uint8Array(await blob.arrayBuffer());
  const head = new Uint8Array(await blob.slice(0, 8 + n).arrayBuffer());
  const described = describedLength(head, n);
  if (described === undefined) return head;
  checkExtent(blob.size, described, source);
  return new Uint8Array(await blob.arrayBuffer());
}
