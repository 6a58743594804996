// CPU twin of shaders/unpack_u8.wgsl: 8-bit values through a 256-entry table into floats, and the
// host side of the upload, bytes packed 4 per little-endian u32 word (the last word zero-padded).

/** out[i] = table[bytes[i]] for every byte. */
export function unpackU8(bytes: Uint8Array, table: ArrayLike<number>): Float32Array {
  if (table.length !== 256) throw new Error(`unpackU8: the table has ${table.length} entries; expected 256 (one per byte value)`);
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** The words the GPU reads: byte i in bits 8·(i mod 4) of word ⌊i / 4⌋, ⌈n / 4⌉ words. */
export function packU8Words(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.ceil(bytes.length / 4));
  for (let i = 0; i < bytes.length; i++) words[i >> 2]! |= bytes[i]! << (8 * (i & 3));
  return words;
}
