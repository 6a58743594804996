// Pure, browser-safe zip reader over a ByteSource (for .npz and zips of images): the central
// directory (ZIP64 included) read from the end of the file, then each entry's own byte range, stored
// or deflated. An entry never inflates past the size the directory claims for it (streamed through
// fflate in small slices, so a zip bomb stops after its claim, not after memory runs out) and must
// match its CRC-32.
import { Inflate } from 'fflate';
import { checkRange, type ByteSource } from './byte-source';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  /** The uncompressed size the directory claims. */
  size: number;
  crc: number;
  localOffset: number;
}

const EOCD = 0x06054b50, EOCD64 = 0x06064b50, LOCATOR64 = 0x07064b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;
/** A central directory larger than this is no real archive of images (64 MiB ≈ a million entries). */
export const MAX_DIRECTORY = 64 * 1024 * 1024;
const SLICE = 16 * 1024;

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 16777216;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 4294967296;

export function isZip(head: Uint8Array): boolean {
  // A local header first, or the end record alone (an empty archive).
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** Reads the central directory: every entry's name, method, sizes, CRC and where its local header is. */
export async function readZipDirectory(src: ByteSource): Promise<ZipEntry[]> {
  const tailLength = Math.min(src.size, 22 + 65535 + 20);
  const tail = await src.read(src.size - tailLength, tailLength);
  let e = tail.length - 22;
  while (e >= 0 && u32(tail, e) !== EOCD) e--;
  if (e < 0) throw new Error(`${src.name}: no zip end-of-directory record in the last ${tailLength} bytes; the archive is truncated or not a zip`);
  let count = u16(tail, e + 10), dirSize = u32(tail, e + 12), dirOffset = u32(tail, e + 16);
  if ((count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) && e >= 20 && u32(tail, e - 20) === LOCATOR64) {
    const at = u64(tail, e - 20 + 8);
    checkRange(src, at, 56, 'the ZIP64 end record');
    const z = await src.read(at, 56);
    if (u32(z, 0) !== EOCD64) throw new Error(`${src.name}: the ZIP64 locator points at byte ${at}, which holds no ZIP64 end record`);
    count = u64(z, 32); dirSize = u64(z, 40); dirOffset = u64(z, 48);
  }
  if (dirSize > MAX_DIRECTORY) throw new Error(`${src.name}: the zip directory claims ${dirSize} bytes, over the ${MAX_DIRECTORY} a real archive needs`);
  checkRange(src, dirOffset, dirSize, 'the zip central directory');
  const dir = await src.read(dirOffset, dirSize);
  const entries: ZipEntry[] = [];
  let o = 0;
  for (let i = 0; i < count; i++) {
    if (o + 46 > dir.length || u32(dir, o) !== CENTRAL) throw new Error(`${src.name}: zip directory entry ${i} of ${count} is missing or corrupt at byte ${dirOffset + o}`);
    const flags = u16(dir, o + 8), nameLen = u16(dir, o + 28), extraLen = u16(dir, o + 30), commentLen = u16(dir, o + 32);
    if (o + 46 + nameLen + extraLen + commentLen > dir.length) throw new Error(`${src.name}: zip directory entry ${i} runs past the directory's end`);
    const rawName = dir.subarray(o + 46, o + 46 + nameLen);
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(rawName);
    let size = u32(dir, o + 24), compressedSize = u32(dir, o + 20), localOffset = u32(dir, o + 42);
    // ZIP64 extra field: the 64-bit values of the fields that hold 0xffffffff, in this order.
    for (let x = o + 46 + nameLen; x + 4 <= o + 46 + nameLen + extraLen; x += 4 + u16(dir, x + 2)) {
      if (u16(dir, x) !== 1) continue;
      let f = x + 4;
      if (size === 0xffffffff) { size = u64(dir, f); f += 8; }
      if (compressedSize === 0xffffffff) { compressedSize = u64(dir, f); f += 8; }
      if (localOffset === 0xffffffff) localOffset = u64(dir, f);
    }
    if (flags & 1) throw new Error(`${src.name}: zip entry '${name}' is encrypted; expected an unencrypted archive`);
    entries.push({ name, method: u16(dir, o + 10), compressedSize, size, crc: u32(dir, o + 16), localOffset });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Where an entry's compressed bytes start, from its local header. */
async function dataOffset(src: ByteSource, entry: ZipEntry): Promise<number> {
  checkRange(src, entry.localOffset, 30, `the local header of zip entry '${entry.name}'`);
  const h = await src.read(entry.localOffset, 30);
  if (u32(h, 0) !== LOCAL) throw new Error(`${src.name}: zip entry '${entry.name}' has no local header at byte ${entry.localOffset}; the archive is corrupt`);
  const start = entry.localOffset + 30 + u16(h, 26) + u16(h, 28);
  checkRange(src, start, entry.compressedSize, `zip entry '${entry.name}' (${entry.compressedSize} compressed bytes)`);
  return start;
}

function checkMethod(src: ByteSource, entry: ZipEntry): void {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new Error(`${src.name}: zip entry '${entry.name}' uses compression method ${entry.method}; expected stored (0) or deflate (8)`);
  }
  if (entry.method === 0 && entry.size !== entry.compressedSize) {
    throw new Error(`${src.name}: stored zip entry '${entry.name}' claims ${entry.size} bytes but holds ${entry.compressedSize}`);
  }
}

/**
 * Inflates `data` slice by slice, handing each output chunk to `take`; `take` returns false to stop
 * early; `complete` false: `data` is only the stream's start. Throws once the output passes `limit`
 * bytes, naming the entry and its claim.
 */
function inflateBounded(data: Uint8Array, limit: number, what: string, take: (chunk: Uint8Array) => boolean, complete = true): number {
  let total = 0, stop = false;
  const inf = new Inflate((chunk) => {
    if (stop) return;
    total += chunk.length;
    if (total > limit) throw new Error(`${what} inflates to more than the ${limit} bytes its zip header claims (a zip bomb or a corrupt archive)`);
    if (chunk.length && !take(chunk)) stop = true;
  });
  try {
    for (let o = 0; o < data.length && !stop; o += SLICE) inf.push(data.subarray(o, o + SLICE), complete && o + SLICE >= data.length);
  } catch (e) {
    if ((e as Error).message.startsWith(what)) throw e;
    throw new Error(`${what}: corrupt deflate data (${(e as Error).message})`, { cause: e });
  }
  return total;
}

/** The whole entry, exactly the size its directory entry claims, CRC-checked. */
export async function readZipEntry(src: ByteSource, entry: ZipEntry): Promise<Uint8Array> {
  checkMethod(src, entry);
  const what = `${src.name}: zip entry '${entry.name}'`;
  const raw = await src.read(await dataOffset(src, entry), entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) out = raw;
  else {
    out = new Uint8Array(entry.size);
    let at = 0;
    const got = inflateBounded(raw, entry.size, what, (c) => { out.set(c, at); at += c.length; return true; });
    if (got !== entry.size) throw new Error(`${what} inflates to ${got} bytes but its zip header claims ${entry.size}; the archive is corrupt`);
  }
  const crc = crc32(out);
  if (crc !== entry.crc) throw new Error(`${what} fails its CRC-32 check (0x${crc.toString(16)} read, 0x${entry.crc.toString(16)} recorded); the archive is corrupt`);
  return out;
}

/** The first `n` bytes of an entry (fewer if it is shorter), inflating no more than that needs. */
export async function readZipEntryHead(src: ByteSource, entry: ZipEntry, n: number): Promise<Uint8Array> {
  checkMethod(src, entry);
  const start = await dataOffset(src, entry);
  if (entry.method === 0) return src.read(start, Math.min(n, entry.size));
  const out = new Uint8Array(Math.min(n, entry.size));
  let at = 0;
  // Deflate expands at most ~1032×, so a few compressed KB cover any header; read them in rising steps.
  for (let want = 4096; ; want *= 8) {
    const len = Math.min(want, entry.compressedSize);
    at = 0;
    inflateBounded(await src.read(start, len), entry.size, `${src.name}: zip entry '${entry.name}'`, (c) => {
      out.set(c.subarray(0, out.length - at), at);
      at = Math.min(out.length, at + c.length);
      return at < out.length;
    }, len === entry.compressedSize);
    if (at >= out.length || len === entry.compressedSize) return out.subarray(0, at);
  }
}

let table: Uint32Array | undefined;

export function crc32(b: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
