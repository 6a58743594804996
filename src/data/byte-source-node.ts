// Node's ByteSource: a regular file (symlinks followed; devices, FIFOs and folders refused by
// name) read by position, each read exactly the bytes asked and checked against the size the file
// had when it was opened, so a file that shrinks or grows under the reader is an error, not a hang.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { regularFileSize } from '../util/bounded-read';
import { checkRange, type ByteSource } from './byte-source';

/** Runs `fn` with the file open as a ByteSource and closes it after, whatever happens. */
export async function withFileSource<T>(path: string, what: string, fn: (src: ByteSource) => Promise<T>): Promise<T> {
  const size = await regularFileSize(path, what);
  // O_NONBLOCK: a FIFO swapped in after the stat must not hang the open.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const src: ByteSource = {
      name: path,
      size,
      read: async (offset, length) => {
        checkRange(src, offset, length, 'a read');
        const out = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await handle.read(out, got, length - got, offset + got);
          if (bytesRead === 0) throw new Error(`${path}: the file ended at byte ${offset + got}, before the ${size} bytes it had when opened`);
          got += bytesRead;
        }
        return out;
      },
    };
    return await fn(src);
  } finally {
    await handle.close();
  }
}
