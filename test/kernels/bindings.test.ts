// The TypeScript description of every kernel against its composed WGSL (includes resolved), reflected
// with wgsl_reflect (no GPU): the same bindings (group 0, number, name, uniform / read-only /
// read-write storage), the entry points, the workgroup size, the override constants and the fields of
// every uniform struct; uniforms packed and updated by field name; the include step; the activation
// codes of lib/activation.wgsl against the TypeScript list.
import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { KernelDecl } from '../../src/gpu/kernel';
import { composeShader } from '../../src/gpu/compose';
import { packFields, Runtime } from '../../src/gpu/runtime';
import { ACTIVATIONS, shaderActivationCodes } from '../../src/kernels/activation';
import { SHADER_LIBRARY } from '../../src/kernels/shader-lib';
import { expectMatchesShader } from './reflect';
import { ADAM } from '../../src/kernels/adam';
import { BIAS_GRAD, BIAS_GRAD_SUBGROUP } from '../../src/kernels/bias-grad';
import { ELBO, ELBO_SUBGROUP } from '../../src/kernels/elbo';
import { GRAD_NORM, GRAD_NORM_SUBGROUP } from '../../src/kernels/grad-norm';
import { IWAE } from '../../src/kernels/iwae';
import { IWAE_OBJECTIVE, IWAE_OBJECTIVE_SUBGROUP } from '../../src/kernels/iwae-objective';
import { MATMUL, MATMUL_F16, MATMUL_VEC4, MATMUL_VEC4_WIDE } from '../../src/kernels/matmul';
import { REPARAMETERIZE } from '../../src/kernels/reparameterize';
import { CONV2D, CONV2D_F16, CONV2D_TRANSPOSE, CONV2D_TRANSPOSE_F16 } from '../../src/kernels/conv2d';
import { CONV2D_WEIGHT_GRAD, CONV2D_WEIGHT_GRAD_F16 } from '../../src/kernels/conv2d-grad';
import { CONCAT_LABEL } from '../../src/kernels/concat-label';
import { UNPACK_U8 } from '../../src/kernels/unpack-u8';
import { LIKELIHOOD_SCALE_GRAD } from '../../src/kernels/likelihood-scale-grad';

export const KERNELS: KernelDecl[] = [
  MATMUL, MATMUL_VEC4, MATMUL_VEC4_WIDE, BIAS_GRAD, REPARAMETERIZE, ELBO, ADAM, IWAE, CONV2D, CONV2D_TRANSPOSE, CONV2D_WEIGHT_GRAD,
  IWAE_OBJECTIVE, GRAD_NORM, CONCAT_LABEL, LIKELIHOOD_SCALE_GRAD, UNPACK_U8,
  // The f16 tiles (shader-f16) and the subgroup reductions (subgroups): the same bindings as their plain kernels.
  MATMUL_F16, CONV2D_F16, CONV2D_TRANSPOSE_F16, CONV2D_WEIGHT_GRAD_F16, BIAS_GRAD_SUBGROUP, GRAD_NORM_SUBGROUP,
  ELBO_SUBGROUP, IWAE_OBJECTIVE_SUBGROUP,
];

describe('kernel descriptions match their shaders', () => {
  for (const k of KERNELS) it(k.name, () => expectMatchesShader(k));
});

describe('uniforms packed by field name', () => {
  it('writes each named value at its field and refuses unknown or missing names', () => {
    const words = new Uint32Array(packFields(MATMUL, 'dims', { K: 7, M: 5, N: 6 }));
    expect(Array.from(words)).toEqual([5, 6, 7, 0]);
    expect(() => packFields(MATMUL, 'dims', { M: 1, N: 1, K: 1, L: 2 })).toThrow(/matmul: uniform 'dims' has no field 'L'; its fields are M, N, K, _pad/);
    expect(() => packFields(MATMUL, 'dims', { M: 1, N: 1 })).toThrow(/matmul: uniform 'dims' field 'K' was not given/);
    expect(() => packFields(MATMUL, 'A', {})).toThrow(/matmul: 'A' is not a uniform binding; its uniforms are dims/);
  });

  // A device that records queue writes: enough for uniformBlock, no GPU.
  function recordingRuntime() {
    const writes: { offset: number; words: number[]; f32: number[] }[] = [];
    const device = {
      limits: {},
      createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, destroy() {} }),
      queue: {
        writeBuffer: (_b: unknown, offset: number, data: ArrayBuffer) => {
          writes.push({ offset, words: Array.from(new Uint32Array(data)), f32: Array.from(new Float32Array(data)) });
        },
      },
    } as unknown as GPUDevice;
    // The runtime's placeholders need GPUBufferUsage, which Node has only with Dawn loaded.
    (globalThis as { GPUBufferUsage?: object }).GPUBufferUsage ??= { STORAGE: 128, UNIFORM: 64, COPY_DST: 8 };
    return { rt: new Runtime(device), writes };
  }

  it('updates fields by name at the offsets their declarations give (β of both objectives, the noise counter)', () => {
    const { rt, writes } = recordingRuntime();
    const elbo = rt.uniformBlock(ELBO, 'params', { B: 2, D: 3, Z: 4, track: 1, beta: 1, inv_batch: 0.5, inv_var: 1, log_norm: 0, C: 1 });
    const iwae = rt.uniformBlock(IWAE_OBJECTIVE, 'params', { B: 2, K: 5, D: 3, Z: 4, track: 0, beta: 1, inv_batch: 0.5, inv_var: 1, log_norm: 0, C: 1, log_k: 1, inv_k: 0.2 });
    const noise = rt.uniformBlock(REPARAMETERIZE, 'params', { count: 8, Z: 4, seed_lo: 1, seed_hi: 0, step: 0, stream: 3, samples: 1, beta: 1, inv_batch: 0.5 });
    writes.length = 0;
    elbo.set({ beta: 0.25 });
    iwae.set({ beta: 0.5 });
    noise.set({ stream: 9, step: 7 });
    expect(writes).toEqual([
      { offset: 16, words: [new Uint32Array(Float32Array.of(0.25).buffer)[0]], f32: [0.25] },
      { offset: 32, words: [new Uint32Array(Float32Array.of(0.5).buffer)[0]], f32: [0.5] },
      // step and stream are neighbours: one write of both, in field order.
      { offset: 16, words: [7, 9], f32: expect.any(Array) },
    ]);
    expect(() => elbo.set({ gamma: 1 })).toThrow(/elbo: uniform 'params' has no field 'gamma'; its fields are B, D, Z, track, beta/);
    expect(() => rt.uniformBlock(ELBO, 'logits', {})).toThrow(/elbo: 'logits' is not a uniform binding; its uniforms are params/);
    expect(() => rt.uniformBlock(IWAE, 'params', { B: 1, Z: 1, first: 1 })).toThrow(/iwae: uniform 'params' field 'log_k' was not given/);
  });
});

describe('shader composition', () => {
  const lib = { 'lib/a': 'const A: u32 = 1u;', 'lib/b': '//#include lib/a\nconst B: u32 = A + 1u;', 'lib/loop': '//#include lib/loop2', 'lib/loop2': '//#include lib/loop' };

  it('puts each library file in once, however often it is asked for', () => {
    const out = composeShader('k', '//#include lib/b\n  //#include lib/a\nfn f() -> u32 { return B; }', lib);
    expect(out.match(/const A/g)).toHaveLength(1);
    expect(out.indexOf('const A')).toBeLessThan(out.indexOf('const B'));
    expect(out).toContain('// (lib/a is included above)');
    expect(out.endsWith('fn f() -> u32 { return B; }')).toBe(true);
  });

  it('names the file and line of an unknown include or a cycle', () => {
    expect(() => composeShader('k', 'fn f() {}\n//#include lib/c', lib)).toThrow(/k\.wgsl:2: includes 'lib\/c', which is not a shader library; expected one of lib\/a, lib\/b/);
    expect(() => composeShader('k', '//#include lib/loop', lib)).toThrow(/lib\/loop2\.wgsl:1: includes 'lib\/loop', which includes it back \(lib\/loop → lib\/loop2 → lib\/loop\)/);
  });

  it('leaves no include unresolved in any kernel, and every library file parses on its own terms', () => {
    for (const k of KERNELS) expect(k.source, k.name).not.toMatch(/^\s*\/\/#include/m);
    // Each library file, composed alone, reflects (its free names resolve only in a kernel).
    for (const name of Object.keys(SHADER_LIBRARY)) expect(() => new WgslReflect(composeShader(name, `//#include ${name}`, SHADER_LIBRARY)), name).not.toThrow();
  });

  it('lib/activation.wgsl declares the codes of the TypeScript list, in its order', () => {
    expect([...shaderActivationCodes()]).toEqual(ACTIVATIONS.map((a, i) => [a, i]));
    expect([...shaderActivationCodes('const ACT_RELU: u32 = 2u;')]).toEqual([['relu', 2]]);
  });
});
