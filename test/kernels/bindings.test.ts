// The TypeScript description of every kernel against its WGSL, reflected with wgsl_reflect (no GPU):
// the same bindings (group 0, number, name, uniform / read-only / read-write storage), the entry
// points, the workgroup size, the override constants and the fields of each uniform struct.
import { describe, expect, it } from 'vitest';
// The package's Node entry is CommonJS inside a "type": "module" package; its ES build loads.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { BindingType, KernelDecl } from '../../src/gpu/kernel';
import { packFields } from '../../src/gpu/runtime';
import { ADAM } from '../../src/kernels/adam';
import { BIAS_GRAD } from '../../src/kernels/bias-grad';
import { ELBO } from '../../src/kernels/elbo';
import { GRAD_NORM } from '../../src/kernels/grad-norm';
import { IWAE } from '../../src/kernels/iwae';
import { IWAE_OBJECTIVE } from '../../src/kernels/iwae-objective';
import { LATENT_MOMENTS } from '../../src/kernels/latent-moments';
import { MATMUL, MATMUL_VEC4 } from '../../src/kernels/matmul';
import { REPARAMETERIZE } from '../../src/kernels/reparameterize';
import { CONV2D, CONV2D_TRANSPOSE } from '../../src/kernels/conv2d';
import { CONV2D_WEIGHT_GRAD } from '../../src/kernels/conv2d-grad';
import { REPARAMETERIZE_SAMPLES } from '../../src/kernels/reparameterize-samples';

export const KERNELS: KernelDecl[] = [
  MATMUL, MATMUL_VEC4, BIAS_GRAD, REPARAMETERIZE, ELBO, ADAM, IWAE, CONV2D, CONV2D_TRANSPOSE, CONV2D_WEIGHT_GRAD,
  IWAE_OBJECTIVE, REPARAMETERIZE_SAMPLES, GRAD_NORM, LATENT_MOMENTS,
];

// Only these still pack their uniforms by position (kernels new in issues 13 and 14).
const POSITIONAL_UNIFORMS = ['conv2d', 'conv2d_transpose', 'conv2d_weight_grad', 'iwae_objective', 'reparameterize_samples', 'grad_norm', 'latent_moments'];

function reflectedType(v: { resourceType: number; access: string }): BindingType | string {
  if (v.resourceType === 0) return 'uniform';
  if (v.resourceType === 1) return v.access === 'read' ? 'read-only-storage' : 'storage';
  return `resource type ${v.resourceType}`;
}

describe('kernel descriptions match their shaders', () => {
  for (const k of KERNELS) {
    it(k.name, () => {
      const r = new WgslReflect(k.source);
      const groups = r.getBindGroups();
      expect(groups.length, `${k.name}: bind groups`).toBe(1);
      const reflected = groups[0]
        .filter(Boolean)
        .map((v) => ({ binding: v.binding, name: v.name, type: reflectedType(v) }))
        .sort((a, b) => a.binding - b.binding);
      expect(reflected).toEqual([...k.bindings].map(({ binding, name, type }) => ({ binding, name, type })).sort((a, b) => a.binding - b.binding));
      // Uniform structs: the declared fields are the WGSL struct's members, by name, type and place
      // (4 bytes each, in order), so packing by name writes each value where the shader reads it.
      for (const v of groups[0].filter((g) => g && g.resourceType === 0)) {
        const decl = k.bindings.find((b) => b.name === v.name)!;
        if (!decl.fields) {
          expect(POSITIONAL_UNIFORMS, `${k.name}: uniform '${v.name}' declares no fields`).toContain(k.name);
          continue;
        }
        const members = (v.type as unknown as { members: { name: string; type: { name: string }; offset: number }[] }).members;
        expect(members.map((m) => [m.name, m.type.name, m.offset]), `${k.name}: uniform '${v.name}'`).toEqual(decl.fields!.map(([n, t], i) => [n, t, 4 * i]));
      }
      expect(r.entry.compute.map((e) => e.name).sort()).toEqual([...k.entryPoints].sort());
      for (const e of r.entry.compute) {
        const size = (e.workgroupSize ?? []) as unknown as number[];
        const want = k.entryWorkgroupSizes?.[e.name] ?? k.workgroupSize;
        expect([Number(size[0] ?? 1), Number(size[1] ?? 1)], `${k.name}.${e.name} workgroup size`).toEqual([...want]);
      }
      expect(r.overrides.map((o) => o.name).sort()).toEqual([...k.overrides].sort());
    });
  }
});

describe('uniforms packed by field name', () => {
  it('writes each named value at its field and refuses unknown or missing names', () => {
    const words = new Uint32Array(packFields(MATMUL, 'dims', { K: 7, M: 5, N: 6 }));
    expect(Array.from(words)).toEqual([5, 6, 7, 0]);
    expect(() => packFields(MATMUL, 'dims', { M: 1, N: 1, K: 1, L: 2 })).toThrow(/matmul: uniform 'dims' has no field 'L'; its fields are M, N, K, _pad/);
    expect(() => packFields(MATMUL, 'dims', { M: 1, N: 1 })).toThrow(/matmul: uniform 'dims' field 'K' was not given/);
    expect(() => packFields(MATMUL, 'A', {})).toThrow(/binding 'A' declares no uniform fields/);
  });
});
