// The aliasing check of a bind group: WebGPU refuses a dispatch whose writable storage binding
// overlaps another binding of the same buffer, with a validation message that names neither. This
// names both, before the bind group is made (every kernel wrapper and custom op goes through it).
import type { BindingType } from './kernel';

export interface BoundRange {
  name: string;
  type: BindingType;
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/** Throws when a written binding shares bytes of its buffer with another binding of the group. */
export function checkAliasing(kernel: string, bound: readonly BoundRange[]): void {
  for (let i = 0; i < bound.length; i++) {
    for (let j = i + 1; j < bound.length; j++) {
      const a = bound[i]!, b = bound[j]!;
      if (a.buffer !== b.buffer || (a.type !== 'storage' && b.type !== 'storage')) continue;
      if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        const [w, o] = a.type === 'storage' ? [a, b] : [b, a];
        const label = w.buffer.label ? `buffer '${w.buffer.label}'` : 'one buffer';
        throw new Error(
          `${kernel}: '${w.name}' (written) and '${o.name}' (${o.type === 'storage' ? 'written' : 'read'}) overlap in ${label} ` +
            `(bytes [${w.offset}, ${w.offset + w.size}) and [${o.offset}, ${o.offset + o.size})); an output may not alias another operand: give '${w.name}' a buffer (or range) of its own`,
        );
      }
    }
  }
}
