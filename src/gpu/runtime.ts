// The runtime a kernel runs in: the device, a pipeline cache keyed by kernel, entry point and
// override constants, explicit bind group layouts, and the checks every binding gets (usage, size
// against the device's limits, offset alignment). Passed explicitly; nothing here is global.
import { checkAliasing } from './aliasing';
import type { BufferArg, KernelDecl, OverrideValues, ReductionSchedule, UniformBindingDecl } from './kernel';
import type { GpuContext } from './device';
import type { ScheduleChooser, ScheduleRequest, TuneReport } from './schedule';
import { bindGroupLayoutFor, sliceOf } from './kernel';

/** What `pipeline()` returns while compileAhead collects: never to be set on a pass. */
const PENDING_PIPELINE = Object.freeze({ label: 'pending (Runtime.compileAhead is collecting; not for use)' }) as unknown as GPUComputePipeline;

/** One dispatch ready to encode: made once, encoded every step. */
export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

interface KernelState {
  module: GPUShaderModule;
  bindGroupLayout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
}

/**
 * How the adapter executes compute: 'gpu' (SIMT hardware: tiles in workgroup memory pay off) or
 * 'cpu' (lavapipe, SwiftShader: invocations run as SIMD lanes of CPU threads, barriers are costly).
 * Kernels with several schedules pick theirs from it.
 */
export type ExecutionProfile = 'gpu' | 'cpu';

export class Runtime {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly profile: ExecutionProfile;
  private readonly kernels = new Map<KernelDecl, KernelState>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** While compileAhead collects: the pipelines asked for, by key. */
  private ahead: Map<string, GPUComputePipelineDescriptor> | null = null;
  /** Bound where a kernel declares a read-only binding that this configuration does not use. */
  readonly placeholder: GPUBuffer;
  /** The same for an unused writable binding (a separate buffer: writable bindings must not alias). */
  readonly writablePlaceholder: GPUBuffer;
  /** More of them, for kernels with several unused writable bindings (writableSpare). */
  private readonly spares: GPUBuffer[] = [];
  /** The tuner's choices (src/tune/), or null: every kernel runs its rule's schedule. */
  readonly schedules: ScheduleChooser | null;
  /** Every schedule request seen, by kernel and shape class (what `tune()` tunes without a plan). */
  private readonly requests = new Map<string, ScheduleRequest>();
  /** The last tune()'s report (null before any). */
  lastTune: TuneReport | null = null;
  /** While tune() collects: the requests its plan makes. */
  private collecting: Map<string, ScheduleRequest> | null = null;

  constructor(device: GPUDevice, options: { profile?: ExecutionProfile; schedules?: ScheduleChooser | null } = {}) {
    this.device = device;
    this.limits = device.limits;
    this.profile = options.profile ?? 'gpu';
    this.schedules = options.schedules ?? null;
    this.placeholder = device.createBuffer({ label: 'placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    this.writablePlaceholder = device.createBuffer({ label: 'writable placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /**
   * A distinct placeholder for the i-th unused writable binding of one bind group (0 is
   * writablePlaceholder): writable bindings of a bind group must not alias.
   */
  writableSpare(i: number): GPUBuffer {
    if (i === 0) return this.writablePlaceholder;
    while (this.spares.length < i) {
      this.spares.push(this.device.createBuffer({ label: `writable placeholder ${this.spares.length + 1}`, size: 16, usage: GPUBufferUsage.STORAGE }));
    }
    return this.spares[i - 1];
  }

  /** A runtime whose execution profile follows the adapter (software adapters run the CPU schedules). */
  static forContext(ctx: GpuContext, options: { schedules?: ScheduleChooser | null } = {}): Runtime {
    return new Runtime(ctx.device, { profile: ctx.adapterInfo.isSoftware ? 'cpu' : 'gpu', schedules: options.schedules });
  }

  /**
   * The schedule a kernel runs for a shape: the tuner's remembered choice for its class when there is
   * one among the candidates, else the rule's. Records the request for `tune()`.
   */
  schedule(request: ScheduleRequest): string {
    const key = `${request.kernel}|${request.shapeClass}`;
    if (!this.requests.has(key)) this.requests.set(key, request);
    if (this.collecting && !this.collecting.has(key)) this.collecting.set(key, request);
    const choice = this.schedules?.choose(request);
    return choice !== undefined && request.candidates.includes(choice) ? choice : request.rule;
  }

  /**
   * Tunes the schedules of the shape classes `plan` asks for (it runs with pipelines collected, not
   * compiled, as in compileAhead: what it builds must be thrown away), or without a plan every class
   * asked for so far. Kernels prepared afterwards run the choices. Without a tuner: nothing is timed
   * and every class keeps its rule.
   */
  async tune(plan?: () => void, options: { signal?: AbortSignal } = {}): Promise<TuneReport> {
    let wanted = [...this.requests.values()];
    if (plan) {
      if (this.ahead || this.collecting) throw new Error('Runtime.tune: already collecting (calls must not nest with compileAhead or tune)');
      const found = new Map<string, ScheduleRequest>();
      this.collecting = found;
      this.ahead = new Map();
      try {
        plan();
      } finally {
        this.collecting = null;
        this.ahead = null;
      }
      wanted = [...found.values()];
    }
    this.lastTune = this.schedules ? await this.schedules.tune(this, wanted, options) : { adapterKey: '', results: [], elapsedMs: 0 };
    return this.lastTune;
  }

  /** Whether a reduction runs its serial schedule: asked for, or 'auto' on a CPU-backed adapter. */
  serial(schedule: ReductionSchedule = 'auto'): boolean {
    return schedule === 'serial' || (schedule === 'auto' && this.profile === 'cpu');
  }

  private state(kernel: KernelDecl): KernelState {
    let s = this.kernels.get(kernel);
    if (!s) {
      const module = this.device.createShaderModule({ label: kernel.name, code: kernel.source });
      const bindGroupLayout = bindGroupLayoutFor(this.device, kernel);
      const pipelineLayout = this.device.createPipelineLayout({ label: kernel.name, bindGroupLayouts: [bindGroupLayout] });
      s = { module, bindGroupLayout, pipelineLayout };
      this.kernels.set(kernel, s);
    }
    return s;
  }

  pipeline(kernel: KernelDecl, entryPoint: string, overrides: OverrideValues = {}): GPUComputePipeline {
    if (!kernel.entryPoints.includes(entryPoint)) {
      throw new Error(`${kernel.name}: no entry point '${entryPoint}'; expected one of ${kernel.entryPoints.join(', ')}`);
    }
    for (const name of Object.keys(overrides)) {
      if (!kernel.overrides.includes(name)) {
        throw new Error(`${kernel.name}: unknown override '${name}'; expected one of ${kernel.overrides.join(', ') || '(none)'}`);
      }
    }
    const names = Object.keys(overrides).sort();
    const key = `${kernel.name}:${entryPoint}:${names.map((n) => `${n}=${Number(overrides[n])}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const s = this.state(kernel);
      const constants: Record<string, number> = {};
      for (const n of names) constants[n] = Number(overrides[n]);
      const descriptor: GPUComputePipelineDescriptor = { label: key, layout: s.pipelineLayout, compute: { module: s.module, entryPoint, constants } };
      if (this.ahead) {
        this.ahead.set(key, descriptor);
        return PENDING_PIPELINE;
      }
      p = this.device.createComputePipeline(descriptor);
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Compiles every pipeline that `plan` asks for and this runtime does not hold yet with
   * createComputePipelineAsync, so later requests find them ready instead of compiling on the
   * calling thread (in a page: no main-thread stall when a model's first step runs). While `plan`
   * runs, new pipelines come back as placeholders: what it builds is for finding out which
   * pipelines are needed, and must be thrown away, never submitted. Returns how many it compiled.
   */
  async compileAhead(plan: () => void): Promise<number> {
    if (this.ahead) throw new Error('Runtime.compileAhead: already collecting pipelines (calls must not nest)');
    const wanted = new Map<string, GPUComputePipelineDescriptor>();
    this.ahead = wanted;
    try {
      plan();
    } finally {
      this.ahead = null;
    }
    const made = await Promise.all([...wanted].map(async ([key, d]) => [key, await this.device.createComputePipelineAsync(d)] as const));
    for (const [key, p] of made) this.pipelines.set(key, p);
    return made.length;
  }

  /** A bind group for every binding of the kernel, by WGSL variable name, with checked ranges. */
  bindGroup(kernel: KernelDecl, resources: Record<string, BufferArg>): GPUBindGroup {
    const known = new Set(kernel.bindings.map((b) => b.name));
    for (const name of Object.keys(resources)) {
      if (!known.has(name)) throw new Error(`${kernel.name}: unknown binding '${name}'; expected ${[...known].join(', ')}`);
    }
    const entries: GPUBindGroupEntry[] = kernel.bindings.map((b) => {
      const arg = resources[b.name];
      if (!arg) throw new Error(`${kernel.name}: binding '${b.name}' was not given a buffer`);
      const { buffer, offset, size } = sliceOf(arg);
      const uniform = b.type === 'uniform';
      const need = uniform ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
      if ((buffer.usage & need) === 0) {
        throw new Error(`${kernel.name}: buffer for '${b.name}' lacks ${uniform ? 'UNIFORM' : 'STORAGE'} usage`);
      }
      const align = uniform ? this.limits.minUniformBufferOffsetAlignment : this.limits.minStorageBufferOffsetAlignment;
      if (offset % align !== 0) {
        throw new Error(`${kernel.name}: '${b.name}' is bound at byte offset ${offset}; expected a multiple of ${align}`);
      }
      const max = uniform ? this.limits.maxUniformBufferBindingSize : this.limits.maxStorageBufferBindingSize;
      if (size > max) {
        throw new Error(
          `${kernel.name}: '${b.name}' binds ${size} bytes, more than this device's ${uniform ? 'maxUniformBufferBindingSize' : 'maxStorageBufferBindingSize'} of ${max}; use a smaller batch or layer`,
        );
      }
      if (offset + size > buffer.size || size <= 0) {
        throw new Error(`${kernel.name}: '${b.name}' range [${offset}, ${offset + size}) does not fit its ${buffer.size}-byte buffer`);
      }
      return { binding: b.binding, resource: { buffer, offset, size } };
    });
    checkAliasing(kernel.name, kernel.bindings.map((b, i) => ({ name: b.name, type: b.type, ...(entries[i]!.resource as Required<GPUBufferBinding>) })));
    return this.device.createBindGroup({ label: kernel.name, layout: this.state(kernel).bindGroupLayout, entries });
  }

  /** A uniform buffer holding `data`, written once (update it with writeUniform). */
  uniform(label: string, data: ArrayBuffer): GPUBuffer {
    const buffer = this.device.createBuffer({
      label,
      size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /**
   * The uniform buffer of `kernel`'s binding `binding`, holding `values` by field name (every field
   * not starting with '_' must be given), with a setter that rewrites fields by name.
   */
  uniformBlock(kernel: KernelDecl, binding: string, values: Readonly<Record<string, number>>, label = `${kernel.name} ${binding}`): UniformBlock {
    const decl = uniformDecl(kernel, binding);
    const buffer = this.uniform(label, packFields(kernel, binding, values));
    const queue = this.device.queue;
    return {
      buffer,
      set(fields) {
        // One write per run of consecutive fields, e.g. a noise counter's step and stream words.
        const at = Object.entries(fields).map(([name, v]) => ({ ...fieldOf(kernel, decl, name), v })).sort((a, b) => a.index - b.index);
        for (let i = 0; i < at.length;) {
          let j = i + 1;
          while (j < at.length && at[j].index === at[j - 1].index + 1) j++;
          const words = new ArrayBuffer(4 * (j - i));
          const u = new Uint32Array(words), f = new Float32Array(words);
          for (let q = i; q < j; q++) writeWord(u, f, q - i, at[q].kind, at[q].v);
          queue.writeBuffer(buffer, 4 * at[i].index, words);
          i = j;
        }
      },
      destroy: () => buffer.destroy(),
    };
  }

  /** Workgroup counts for `groups` workgroups, folded into y when x would pass the device limit. */
  grid(groups: number): [number, number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [Math.max(1, groups), 1, 1];
    const y = Math.ceil(groups / max);
    if (y > max) throw new Error(`a dispatch of ${groups} workgroups exceeds this device's ${max}×${max} grid`);
    return [max, y, 1];
  }

  destroy(): void {
    this.placeholder.destroy();
    this.writablePlaceholder.destroy();
    for (const b of this.spares) b.destroy();
    this.pipelines.clear();
    this.kernels.clear();
  }
}

/** Encodes dispatches into one compute pass. */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

/** A uniform binding's declaration, or an error naming what the kernel declares. */
function uniformDecl(kernel: KernelDecl, binding: string): UniformBindingDecl {
  const b = kernel.bindings.find((x) => x.name === binding);
  if (!b || b.type !== 'uniform') {
    const uniforms = kernel.bindings.filter((x) => x.type === 'uniform').map((x) => x.name);
    throw new Error(`${kernel.name}: '${binding}' is not a uniform binding; its uniforms are ${uniforms.join(', ') || '(none)'}`);
  }
  return b;
}

/** Field `name` of a uniform declaration: its index (byte offset / 4) and type. */
function fieldOf(kernel: KernelDecl, decl: UniformBindingDecl, name: string): { index: number; kind: 'u32' | 'f32' } {
  const index = decl.fields.findIndex(([n]) => n === name);
  if (index < 0) {
    throw new Error(`${kernel.name}: uniform '${decl.name}' has no field '${name}'; its fields are ${decl.fields.map(([n]) => n).join(', ')}`);
  }
  return { index, kind: decl.fields[index][1] };
}

function writeWord(u: Uint32Array, f: Float32Array, i: number, kind: 'u32' | 'f32', value: number): void {
  if (kind === 'u32') u[i] = value >>> 0;
  else f[i] = value;
}

/**
 * A kernel's uniform `binding` from values by field name, each at the offset its declaration
 * (checked against the WGSL struct by reflection) gives; padding fields ('_…') are 0, and the record
 * is padded to 16 bytes. Missing or unknown names throw.
 */
export function packFields(kernel: KernelDecl, binding: string, values: Readonly<Record<string, number>>): ArrayBuffer {
  const decl = uniformDecl(kernel, binding);
  for (const name of Object.keys(values)) fieldOf(kernel, decl, name);
  const buf = new ArrayBuffer(Math.ceil(decl.fields.length / 4) * 16);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  decl.fields.forEach(([name, kind], i) => {
    const v = values[name];
    if (v === undefined && !name.startsWith('_')) throw new Error(`${kernel.name}: uniform '${binding}' field '${name}' was not given`);
    writeWord(u, f, i, kind, v ?? 0);
  });
  return buf;
}

/** A uniform buffer laid out by a kernel's declaration: made whole, then updated field by field. */
export interface UniformBlock {
  readonly buffer: GPUBuffer;
  /** Rewrites the named fields for the next submit (queued writes; the other fields keep their values). */
  set(values: Readonly<Record<string, number>>): void;
  destroy(): void;
}
