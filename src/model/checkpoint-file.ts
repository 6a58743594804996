// Node-only checkpoint file IO: an atomic write (temp file, fsync, rename, fsync the directory) so
// a crash or a full disk never leaves a half-written checkpoint in place of a good one, and reads
// that name the offending path. The browser side uses safetensors.ts directly.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors';

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
 * Reads and decodes a safetensors file. Both IO failures and format errors come back as a
 * CheckpointError whose message starts with the path; the underlying error is its `cause`.
 */
export async function readCheckpoint(
  path: string,
): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read checkpoint: ${(err as Error).message}`, { cause: err });
  }
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
