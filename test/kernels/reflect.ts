// A kernel description against its WGSL, reflected with wgsl_reflect (no GPU): the same bindings
// (group 0, number, name, uniform / read-only / read-write storage), entry points, workgroup sizes,
// override constants and uniform fields (name, type, offset). For the built-in kernels
// (bindings.test.ts) and for kernels defined outside src/ (test/model/custom-op.test.ts).
import { expect } from 'vitest';
// The package's Node entry is CommonJS inside a "type": "module" package; its ES build loads.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { BindingType, KernelDecl } from '../../src/gpu/kernel';

function reflectedType(v: { resourceType: number; access: string }): BindingType | string {
  if (v.resourceType === 0) return 'uniform';
  if (v.resourceType === 1) return v.access === 'read' ? 'read-only-storage' : 'storage';
  return `resource type ${v.resourceType}`;
}

export function expectMatchesShader(k: KernelDecl): void {
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
    if (decl.type !== 'uniform') throw new Error(`${k.name}: '${v.name}' is a uniform in the shader`);
    if (decl.vec4s !== undefined) {
      const t = v.type as unknown as { name: string; count: number; format: { name: string; format?: { name: string } } };
      expect([t.name, t.count, t.format.name, t.format.format?.name], `${k.name}: uniform '${v.name}'`).toEqual(['array', decl.vec4s, 'vec4', 'f32']);
      expect(decl.fields, `${k.name}: uniform array '${v.name}' has no fields`).toEqual([]);
      continue;
    }
    const members = (v.type as unknown as { members: { name: string; type: { name: string }; offset: number }[] }).members;
    expect(members.map((m) => [m.name, m.type.name, m.offset]), `${k.name}: uniform '${v.name}'`).toEqual(decl.fields.map(([n, t], i) => [n, t, 4 * i]));
  }
  expect(r.entry.compute.map((e) => e.name).sort()).toEqual([...k.entryPoints].sort());
  for (const e of r.entry.compute) {
    const size = (e.workgroupSize ?? []) as unknown as number[];
    const want = k.entryWorkgroupSizes?.[e.name] ?? k.workgroupSize;
    expect([Number(size[0] ?? 1), Number(size[1] ?? 1)], `${k.name}.${e.name} workgroup size`).toEqual([...want]);
  }
  expect(r.overrides.map((o) => o.name).sort()).toEqual([...k.overrides].sort());
}
