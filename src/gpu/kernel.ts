// A kernel is data: its WGSL source, entry points and the bindings it declares. The bindings written
// here are checked against the composed shader by reflection (test/kernels/bindings.test.ts, no GPU), and
// pipelines use explicit layouts built from them, so kernels can share bind groups.

export type BindingType = 'uniform' | 'storage' | 'read-only-storage';

/** One 4-byte field of a uniform struct: its WGSL name and type (padding fields start with '_'). */
export type UniformField = readonly [name: string, kind: 'u32' | 'f32'];

/** A uniform binding: its struct's fields are declared (and checked by reflection), so values pack by name. */
export interface UniformBindingDecl {
  binding: number;
  /** The WGSL variable's name. */
  name: string;
  type: 'uniform';
  /** The struct's fields in WGSL order, 4 bytes each: field i sits at byte 4·i (none for an array). */
  fields: readonly UniformField[];
  /**
   * An array<vec4<f32>, vec4s> instead of a struct: a range of another buffer (e.g. parameters)
   * read through the uniform path, never packed by name.
   */
  vec4s?: number;
}

export interface StorageBindingDecl {
  binding: number;
  /** The WGSL variable's name. */
  name: string;
  type: 'storage' | 'read-only-storage';
}

export type BindingDecl = UniformBindingDecl | StorageBindingDecl;

export interface KernelDecl {
  /** The file in shaders/ (without .wgsl), for messages. */
  name: string;
  /** The WGSL, its `//#include`s resolved (src/gpu/compose.ts). */
  source: string;
  entryPoints: readonly string[];
  /** Group 0 only: one bind group per kernel, shared by its entry points. */
  bindings: readonly BindingDecl[];
  /** The `override` constants the TypeScript side may set. */
  overrides: readonly string[];
  /** Invocations per workgroup along x, y (from @workgroup_size). */
  workgroupSize: readonly [number, number];
  /** Entry points whose @workgroup_size differs from `workgroupSize`. */
  entryWorkgroupSizes?: Readonly<Record<string, readonly [number, number]>>;
}

/** A kernel's two schedules where it has them: 'tree' for GPUs, 'serial' for CPU-backed adapters. */
export type ReductionSchedule = 'auto' | 'tree' | 'serial';

export type OverrideValues = Record<string, number | boolean>;

export function bindGroupLayoutFor(device: GPUDevice, kernel: KernelDecl): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label: `${kernel.name} layout`,
    entries: kernel.bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.type },
    })),
  });
}

/** A buffer or a range of one, as bound to a kernel's binding. */
export interface BufferSlice {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

export type BufferArg = GPUBuffer | BufferSlice;

export function sliceOf(b: BufferArg): Required<BufferSlice> {
  const s: BufferSlice = 'usage' in b ? { buffer: b } : b;
  const offset = s.offset ?? 0;
  return { buffer: s.buffer, offset, size: s.size ?? s.buffer.size - offset };
}
