// Node file reads with a size limit: every file the CLI and the library read from disk goes through
// here with a bound derived from what the file claims to be (a checkpoint's header, an IDX file's
// dims), so a symlink to /dev/zero, a FIFO or a file far larger than its header says is refused
// with a message instead of growing memory until the process dies.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** A read refused for its size or its kind; `size` is the file's size when it is a regular file. */
export class FileSizeError extends Error {
  constructor(message: string, readonly size?: number) {
    super(message);
    this.name = 'FileSizeError';
  }
}

function kindOf(s: Awaited<ReturnType<typeof stat>>): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws unless `path` (after symlinks) is a regular file; returns its size. */
export async function regularFileSize(path: string, what: string): Promise<number> {
  const s = await stat(path);
  if (!s.isFile()) throw new FileSizeError(`${what} ${path} is ${kindOf(s)}; expected a regular file`);
  return s.size;
}

/**
 * Reads at most `maxBytes` bytes from the start of a regular file; with `exact`, the whole file,
 * which must not be larger than `maxBytes`. The limit is enforced on the bytes actually read, not
 * only on the size stat reports (which a growing file or a pseudo-file can get wrong).
 */
export async function readBounded(path: string, maxBytes: number, what: string, options: { exact?: boolean; why?: string } = { exact: true }): Promise<Uint8Array> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new Error(`readBounded: maxBytes must be a non-negative integer, got ${maxBytes}`);
  const exact = options.exact ?? true;
  if (!exact && maxBytes === 0) return new Uint8Array(0);
  const size = await regularFileSize(path, what);
  const limitText = `at most ${maxBytes} bytes${options.why ? ` (${options.why})` : ''}`;
  if (exact && size > maxBytes) throw new FileSizeError(`${what} ${path} is ${size} bytes; expected ${limitText}`, size);
  // O_NONBLOCK: a FIFO swapped in after the stat must not hang the open.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const want = exact ? maxBytes + 1 : maxBytes;
    let out = new Uint8Array(Math.max(1, Math.min(want, size + 1)));
    let got = 0;
    for (;;) {
      if (got === out.length) {
        if (out.length >= want) break;
        // The file is larger than stat said: grow, never past the limit.
        const bigger = new Uint8Array(Math.min(want, Math.max(2 * out.length, 65536)));
        bigger.set(out);
        out = bigger;
      }
      const { bytesRead } = await handle.read(out, got, out.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (exact && got > maxBytes) throw new FileSizeError(`${what} ${path} holds more than ${maxBytes} bytes; expected ${limitText}`, size);
    return out.subarray(0, got);
  } finally {
    await handle.close();
  }
}
