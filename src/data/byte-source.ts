// Random access to a file's bytes without holding the file: what the readers of containers (zip,
// npz) and of headers need, so they read the directory and each entry's range and nothing else.
// memorySource wraps bytes already in memory; src/data/byte-source-node.ts opens files; a browser
// File or Blob fits the same shape (blob.slice(o, o + n).arrayBuffer()). Browser-safe.

export interface ByteSource {
  /** The file's name or path, for messages. */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes from `offset`; throws naming the source when they are not all there. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function checkRange(src: { name: string; size: number }, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw new Error(`${src.name}: ${what} at bytes ${offset}..${offset + length} lies outside the file's ${src.size} bytes; the file is truncated or corrupt`);
  }
}

export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.length,
    read: async (offset, length) => {
      checkRange({ name, size: bytes.length }, offset, length, 'a read');
      return bytes.subarray(offset, offset + length);
    },
  };
}
