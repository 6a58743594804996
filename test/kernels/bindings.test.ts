// The TypeScript description of every kernel against its WGSL, reflected with wgsl_reflect (no GPU):
// the same bindings (group 0, number, name, uniform / read-only / read-write storage), the entry
// points, the workgroup size and the override constants.
import { describe, expect, it } from 'vitest';
// The package's Node entry is CommonJS inside a "type": "module" package; its ES build loads.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { BindingType, KernelDecl } from '../../src/gpu/kernel';
import { ADAM } from '../../src/kernels/adam';
import { BIAS_GRAD } from '../../src/kernels/bias-grad';
import { ELBO } from '../../src/kernels/elbo';
import { GRAD_NORM } from '../../src/kernels/grad-norm';
import { IWAE } from '../../src/kernels/iwae';
import { IWAE_OBJECTIVE } from '../../src/kernels/iwae-objective';
import { LATENT_MOMENTS } from '../../src/kernels/latent-moments';
import { MATMUL } from '../../src/kernels/matmul';
import { REPARAMETERIZE } from '../../src/kernels/reparameterize';
import { CONV2D, CONV2D_TRANSPOSE } from '../../src/kernels/conv2d';
import { CONV2D_WEIGHT_GRAD } from '../../src/kernels/conv2d-grad';
import { REPARAMETERIZE_SAMPLES } from '../../src/kernels/reparameterize-samples';

export const KERNELS: KernelDecl[] = [MATMUL, BIAS_GRAD, REPARAMETERIZE, ELBO, ADAM, IWAE, IWAE_OBJECTIVE, REPARAMETERIZE_SAMPLES, GRAD_NORM, LATENT_MOMENTS, CONV2D, CONV2D_TRANSPOSE, CONV2D_WEIGHT_GRAD];

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
      expect(reflected).toEqual([...k.bindings].sort((a, b) => a.binding - b.binding));
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
