// The byte-unpacking kernel as data (shaders/unpack_u8.wgsl) and its wrapper: `count` 8-bit values,
// packed 4 per u32 word, to floats through a 256-entry table (the first kernel of a step on uint8
// pixels, so the host uploads a quarter of the float batch's bytes).
import source from '../../shaders/unpack_u8.wgsl?raw';
import type { BufferArg, KernelDecl } from '../gpu/kernel';
import type { Runtime } from '../gpu/runtime';
import { requireFloats, requirePositiveInt } from './checks';
import type { PreparedOp } from './matmul';
import { shader } from './shader-lib';

export const UNPACK_U8: KernelDecl = {
  name: 'unpack_u8',
  source: shader('unpack_u8', source),
  entryPoints: ['main'],
  bindings: [
    { binding: 0, name: 'params', type: 'uniform', fields: [['count', 'u32'], ['stride', 'u32'], ['_pad0', 'u32'], ['_pad1', 'u32']] },
    { binding: 1, name: 'packed', type: 'read-only-storage' },
    { binding: 2, name: 'table', type: 'read-only-storage' },
    { binding: 3, name: 'out', type: 'storage' },
  ],
  overrides: [],
  workgroupSize: [64, 1],
};

/** The most workgroups one dispatch of it uses (the stride loop covers the rest). */
const MAX_GROUPS = 65535;

export interface UnpackU8Buffers {
  /** ⌈count / 4⌉ u32 words of packed bytes. */
  packed: BufferArg;
  /** 256 floats: the value of each byte. */
  table: BufferArg;
  /** At least count floats out. */
  out: BufferArg;
}

export function prepareUnpackU8(rt: Runtime, shape: { count: number }, buf: UnpackU8Buffers, label = 'unpack_u8'): PreparedOp {
  const { count } = shape;
  requirePositiveInt(label, 'count', count);
  const words = Math.ceil(count / 4);
  requireFloats(label, 'packed', buf.packed, words, `${words} words (${count} bytes)`);
  requireFloats(label, 'table', buf.table, 256, '256');
  requireFloats(label, 'out', buf.out, count, `${count}`);
  const groups = Math.min(Math.ceil(words / 64), MAX_GROUPS);
  const params = rt.uniformBlock(UNPACK_U8, 'params', { count, stride: groups * 64 }, `${label} params`);
  const bindGroup = rt.bindGroup(UNPACK_U8, { params: params.buffer, packed: buf.packed, table: buf.table, out: buf.out });
  return {
    dispatches: [{ label, pipeline: rt.pipeline(UNPACK_U8, 'main'), bindGroup, workgroups: [groups, 1, 1] }],
    destroy: () => params.destroy(),
  };
}
