// Pure, browser-safe reader of NumPy .npy arrays (format versions 1.0, 2.0, 3.0): the header parsed
// strictly (descr, fortran_order, shape), images as uint8 or float32 N×H×W or N×H×W×C in C order,
// labels as any integer dtype of shape (N,) holding 0..255. Fortran order, other dtypes, object and
// structured arrays are refused naming the file, what it holds and what would be accepted.
import { MAX_CLASSES, makeImageSet, type ImageSet, type PixelType } from './image-set';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy's own default max_header_size is 10,000; allow more, but not a corrupt 4 GiB length. */
export const NPY_MAX_HEADER = 65536;

export interface NpyHeader {
  /** The descr as written: '<f4', '|u1', '<i8', '|O', ... */
  descr: string;
  fortran: boolean;
  shape: number[];
  /** Bytes before the data: magic, version, length field and the header text. */
  headerBytes: number;
  /** Elements × item size: the data's length after the header. */
  dataBytes: number;
  itemSize: number;
}

export function isNpy(b: Uint8Array): boolean {
  return b.length >= 6 && NPY_MAGIC.every((v, i) => b[i] === v);
}

/** The byte count of the whole header (so a reader knows how far to read), or throws. */
export function npyHeaderLength(b: Uint8Array, source: string): number {
  if (!isNpy(b)) throw new Error(`${source}: not a .npy array (no \\x93NUMPY magic)`);
  if (b.length < 10) throw new Error(`${source}: .npy header truncated at ${b.length} bytes`);
  const major = b[6]!;
  if (major === 1) return 10 + (b[8]! | (b[9]! << 8));
  if (major !== 2 && major !== 3) throw new Error(`${source}: .npy format version ${major}.${b[7]} is unknown; expected 1.0, 2.0 or 3.0`);
  if (b.length < 12) throw new Error(`${source}: .npy header truncated at ${b.length} bytes`);
  const len = b[8]! + b[9]! * 256 + b[10]! * 65536 + b[11]! * 16777216;
  if (len > NPY_MAX_HEADER) throw new Error(`${source}: .npy header claims ${len} bytes, over the ${NPY_MAX_HEADER} a real header needs; the file is corrupt`);
  return 12 + len;
}

const ITEM: Record<string, number> = { b1: 1, u1: 1, i1: 1, u2: 2, i2: 2, f2: 2, u4: 4, i4: 4, f4: 4, u8: 8, i8: 8, f8: 8, c8: 8, c16: 16 };

/** Parses the header dictionary `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }`. */
export function parseNpyHeader(b: Uint8Array, source: string): NpyHeader {
  const headerBytes = npyHeaderLength(b, source);
  if (b.length < headerBytes) throw new Error(`${source}: .npy header needs ${headerBytes} bytes but the file has ${b.length}`);
  const text = new TextDecoder(b[6] === 3 ? 'utf-8' : 'latin1').decode(b.subarray(b[6] === 1 ? 10 : 12, headerBytes)).trim();
  const bad = (what: string): never => {
    throw new Error(`${source}: .npy header ${JSON.stringify(text.slice(0, 120))} ${what}`);
  };
  if (!text.startsWith('{') || !text.endsWith('}')) bad('is not a dictionary');
  const descrList = /'descr'\s*:\s*\[/.test(text);
  if (descrList) bad('describes a structured array (a list of fields); expected a plain uint8 or float32 array');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1] ?? bad("has no 'descr'");
  const fortranText = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1] ?? bad("has no 'fortran_order' True/False");
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1] ?? bad("has no 'shape' tuple");
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = parts.map((s) => (/^[0-9]+$/.test(s) ? Number(s) : bad(`has a shape entry '${s}' that is not a non-negative integer`)));
  const code = descr.replace(/^[<>|=]/, '');
  const itemSize = ITEM[code] ?? 0;
  const elements = shape.reduce((a, d) => a * d, 1);
  if (!Number.isSafeInteger(elements * Math.max(1, itemSize))) bad('claims more elements than any file can hold');
  return { descr, fortran: fortranText === 'True', shape, headerBytes, dataBytes: elements * itemSize, itemSize };
}

function dtypeName(descr: string): string {
  const code = descr.replace(/^[<>|=]/, '');
  if (code.startsWith('O')) return 'Python objects (pickled)';
  if (/^[US]/.test(code)) return 'strings';
  const names: Record<string, string> = { b1: 'bool', u1: 'uint8', i1: 'int8', u2: 'uint16', i2: 'int16', f2: 'float16', u4: 'uint32', i4: 'int32', f4: 'float32', u8: 'uint64', i8: 'int64', f8: 'float64' };
  return names[code] ?? `dtype '${descr}'`;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Checks order and byte order shared by images and labels. */
function checkLayout(h: NpyHeader, source: string): void {
  if (h.fortran) throw new Error(`${source}: the array is in Fortran order (fortran_order True); expected C order: save np.ascontiguousarray(a)`);
  if (h.descr.startsWith('>') && h.itemSize > 1) throw new Error(`${source}: the array is big-endian ('${h.descr}'); expected little-endian: save a.astype('<${h.descr.slice(1)}')`);
  if (!littleEndianHost) throw new Error(`${source}: this host is big-endian; .npy reading needs a little-endian host`);
}

/** What an images array holds, from its header: pixel type and N, H, W, C. */
export function npyImageLayout(h: NpyHeader, source: string): { type: PixelType; count: number; height: number; width: number; channels: number } {
  checkLayout(h, source);
  const code = h.descr.replace(/^[<>|=]/, '');
  if (code !== 'u1' && code !== 'f4') {
    const hint = code === 'f8' ? ': save a.astype(np.float32)' : code.startsWith('O') ? ' (object arrays are never unpickled)' : ': save a.astype(np.uint8) or a.astype(np.float32)';
    throw new Error(`${source}: the array holds ${dtypeName(h.descr)}; images must be uint8 ('|u1') or float32 ('<f4')${hint}`);
  }
  const s = h.shape;
  if (s.length !== 3 && s.length !== 4) {
    throw new Error(`${source}: the array's shape is (${s.join(', ')}); images must be N×H×W or N×H×W×C${s.length === 2 ? ' (reshape flat rows to N×H×W)' : ''}`);
  }
  if (s.some((d) => d === 0)) throw new Error(`${source}: the array's shape (${s.join(', ')}) has a zero dimension; expected at least one image of at least 1×1`);
  const [count, height, width, channels = 1] = s as [number, number, number, number?];
  if (s.length === 4 && channels > 4 && [1, 3, 4].includes(height)) {
    throw new Error(`${source}: the array's shape (${s.join(', ')}) looks channels-first (N×C×H×W); expected N×H×W×C: save np.transpose(a, (0, 2, 3, 1))`);
  }
  if (channels > 4) throw new Error(`${source}: the array's shape (${s.join(', ')}) has ${channels} channels; expected 1 to 4`);
  return { type: code === 'u1' ? 'u8' : 'f32', count, height, width, channels };
}

function dataOf(b: Uint8Array, h: NpyHeader, source: string): Uint8Array {
  const found = b.length - h.headerBytes;
  if (found < h.dataBytes) throw new Error(`${source}: truncated: shape (${h.shape.join(', ')}) of ${dtypeName(h.descr)} needs ${h.dataBytes} data bytes after the ${h.headerBytes}-byte header, found ${found}`);
  if (found > h.dataBytes) throw new Error(`${source}: ${found - h.dataBytes} bytes of trailing garbage after the ${h.dataBytes} data bytes its shape (${h.shape.join(', ')}) gives`);
  return b.subarray(h.headerBytes);
}

/** A whole .npy file of images as an ImageSet (uint8 data is viewed, not copied). */
export function decodeNpyImages(b: Uint8Array, source: string): ImageSet {
  const h = parseNpyHeader(b, source);
  npyImageLayout(h, source); // the dtype and shape are refused before the data's size
  return npyImagesFromData(h, dataOf(b, h, source), source);
}

/**
 * Images from a parsed header and exactly its data bytes; the data is viewed, not copied, where it
 * can be (uint8 always, float32 when 4-byte aligned, as numpy's 64-byte header padding makes it).
 */
export function npyImagesFromData(h: NpyHeader, data: Uint8Array, source: string): ImageSet {
  const l = npyImageLayout(h, source);
  if (data.length !== h.dataBytes) throw new Error(`${source}: ${data.length} data bytes; its shape (${h.shape.join(', ')}) needs ${h.dataBytes}`);
  const pixels = l.type === 'u8' ? data : data.byteOffset % 4 === 0 ? new Float32Array(data.buffer, data.byteOffset, data.length / 4) : new Float32Array(data.slice().buffer);
  return makeImageSet({ count: l.count, shape: { height: l.height, width: l.width, channels: l.channels }, pixels, source });
}

/** A whole .npy file of class labels (any integer dtype, shape (N,) or (N, 1)) as bytes 0..255. */
export function decodeNpyLabels(b: Uint8Array, source: string): Uint8Array {
  const h = parseNpyHeader(b, source);
  checkLayout(h, source);
  const code = h.descr.replace(/^[<>|=]/, '');
  if (!/^[ui][1248]$/.test(code)) throw new Error(`${source}: labels hold ${dtypeName(h.descr)}; expected an integer array of class indices`);
  const s = h.shape;
  if (!(s.length === 1 || (s.length === 2 && s[1] === 1))) throw new Error(`${source}: labels have shape (${s.join(', ')}); expected (N,) or (N, 1)`);
  const data = dataOf(b, h, source);
  const n = s[0]!, size = h.itemSize, view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    let v: number;
    if (size === 1) v = code === 'u1' ? data[o]! : view.getInt8(o);
    else if (size === 2) v = code === 'u2' ? view.getUint16(o, true) : view.getInt16(o, true);
    else if (size === 4) v = code === 'u4' ? view.getUint32(o, true) : view.getInt32(o, true);
    else v = Number(code === 'u8' ? view.getBigUint64(o, true) : view.getBigInt64(o, true));
    if (!(v >= 0 && v < MAX_CLASSES)) throw new Error(`${source}: label ${i} is ${v}; expected a class index from 0 to ${MAX_CLASSES - 1}`);
    out[i] = v;
  }
  return out;
}

/** A .npy file (format 1.0, C order, header padded to 64 bytes as numpy writes it) of uint8 or float32 values. */
export function encodeNpy(values: Uint8Array | Float32Array, shape: number[]): Uint8Array {
  const elements = shape.reduce((a, d) => a * d, 1);
  if (values.length !== elements) throw new Error(`encodeNpy: ${values.length} values for shape (${shape.join(', ')}); expected ${elements}`);
  const descr = values instanceof Uint8Array ? '|u1' : '<f4';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const text = dict + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + text.length + values.byteLength);
  out.set(NPY_MAGIC);
  out[6] = 1;
  out[8] = text.length & 0xff;
  out[9] = text.length >> 8;
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + text.length);
  return out;
}
