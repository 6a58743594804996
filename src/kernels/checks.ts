// Shape and buffer checks shared by the kernel wrappers: each error names the kernel, the operand,
// what it got and what was expected.
import { sliceOf, type BufferArg } from '../gpu/kernel';

export function requirePositiveInt(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${kernel}: ${name} must be a positive integer, got ${value}`);
  }
}

/** requirePositiveInt for each named value, in order. */
export function requirePositiveInts(kernel: string, values: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(values)) requirePositiveInt(kernel, name, value);
}

/** A string option that must be one of `allowed`. */
export function requireOneOf<T extends string>(kernel: string, name: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new Error(`${kernel}: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got '${String(value)}'`);
  }
}

export function requireFinite(kernel: string, name: string, value: number, range?: { min?: number; max?: number; open?: boolean }): void {
  if (!Number.isFinite(value)) throw new Error(`${kernel}: ${name} must be a finite number, got ${value}`);
  if (range?.min !== undefined && (range.open ? value <= range.min : value < range.min)) {
    throw new Error(`${kernel}: ${name} must be ${range.open ? '>' : '≥'} ${range.min}, got ${value}`);
  }
  if (range?.max !== undefined && (range.open ? value >= range.max : value > range.max)) {
    throw new Error(`${kernel}: ${name} must be ${range.open ? '<' : '≤'} ${range.max}, got ${value}`);
  }
}

/** Checks that a bound range holds at least `floats` 32-bit values; describes the shape on failure. */
export function requireFloats(kernel: string, name: string, arg: BufferArg, floats: number, shape: string): void {
  const { size } = sliceOf(arg);
  if (size < floats * 4) {
    throw new Error(
      `${kernel}: ${name} is ${shape} = ${floats} floats (${floats * 4} bytes), but its buffer range holds ${size} bytes`,
    );
  }
}
