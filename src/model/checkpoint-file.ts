// Node-only checkpoint file IO: an atomic write (temp file, fsync, rename, fsync the directory) so
// a crash or a full disk never leaves a half-written checkpoint in place of a good one, and reads
// that name the offending path. The browser side uses safetensors.ts directly.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors';
import { checkExtent, describedLength, headerLength } from './checkpoint-extent';
import { readBounded, regularFileSize } from '../util/bounded-read';

/**
 * Replaces `path` with `bytes` atomically: readers see the old file or the new one, never a mix.
 * The temp file sits in the target's directory because rename is only atomic within a filesystem.
 * On failure the temp file is removed, the target is untouched, and the error is rethrown with the
 * target path in its message (the original is its `cause`, and its `code` is kept).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    // 'wx' fails rather than reuse a name that, against the odds, already exists.
    const handle = await open(tmp, 'wx');
    created = true;
    try {
      await handle.writeFile(bytes);
      // Without this the rename can reach the disk before the data, and a crash leaves an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    created = false;
  } catch (err) {
    if (created) await unlink(tmp).catch(() => {});
    const e = err as NodeJS.ErrnoException;
    const wrapped = new Error(`writeFileAtomic ${path}: ${e.message}`, { cause: err }) as NodeJS.ErrnoException;
    if (e.code !== undefined) wrapped.code = e.code;
    throw wrapped;
  }
  // Persist the rename itself. Best effort: some platforms (Windows) cannot open a directory.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // The new file is in place either way; only its durability across a power cut is weaker.
  }
}

/**
 * A checkpoint's bytes, read no further than its header says the file goes: the first 8 bytes give
 * the header's length, the header the tensors' extent, and a file larger than that (or not a
 * regular file, like /dev/zero) is refused before it is read. Every failure is a CheckpointError
 * naming the path; a malformed header comes back as its bytes for the decoder to describe.
 */
export async function readCheckpointBytes(path: string): Promise<Uint8Array> {
  try {
    const size = await regularFileSize(path, 'checkpoint');
    const prefix = await readBounded(path, 8, 'checkpoint', { exact: false });
    if (prefix.length < 8) return prefix;
    const n = headerLength(prefix, path);
    if (8 + n > size) return await readBounded(path, 8 + n, 'checkpoint', { exact: false });
    const head = await readBounded(path, 8 + n, 'checkpoint', { exact: false });
    const described = describedLength(head, n);
    if (described === undefined) return head;
    checkExtent(size, described, path);
    return await readBounded(path, described, 'checkpoint', { why: 'the size its header describes' });
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`${path}: cannot read checkpoint: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads and decodes a safetensors file. Both IO failures and format errors come back as a
 * CheckpointError whose message starts with the path; the underlying error is its `cause`.
 */
export async function readCheckpoint(
  path: string,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const bytes = await readCheckpointBytes(path);
  try {
    return decodeSafetensors(bytes);
  } catch (err) {
    if (err instanceof CheckpointError) throw new CheckpointError(`${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Encodes and atomically writes a checkpoint; encoding errors are thrown before any file is touched. */
export async function writeCheckpoint(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
