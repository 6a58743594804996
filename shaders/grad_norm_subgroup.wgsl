// grad_norm_subgroup.wgsl: grad_norm.wgsl's two stages with subgroup sums in place of its 256-wide
// shared-memory trees (8 barriers each): each subgroup adds its lanes (subgroupAdd), its first lane
// stores the sum, one barrier, and every subgroup adds those 256/S sums. The subgroup size S is the
// subgroup_size builtin, read at run time (lavapipe 8, SwiftShader 4, NVIDIA 32, AMD 32 or 64), not
// assumed. Subgroups are taken as runs of consecutive local indices (what Vulkan drivers do; WGSL
// does not promise it): a workgroup that finds otherwise writes NaN, which the clip's non-finite
// flag reports, and the tuner's check against the CPU twin rejects the schedule on such an adapter.
// Same bindings, uniforms and outputs as grad_norm.wgsl; only on devices with the subgroups feature.
// The sums' order follows the subgroup size: deterministic per adapter. CPU twin: src/cpu/grad-norm.ts.
enable subgroups;

//#include lib/finite

//#include lib/grad_norm_io

// One sum per subgroup (at most 256 / 4: WebGPU's least subgroup size is 4).
var<workgroup> sums: array<f32, 64>;

// The workgroup's total of `v`, in every invocation. Every invocation must call it (it has a barrier).
fn workgroup_total(v: f32, li: u32, sg: u32, sid: u32) -> f32 {
  let s = subgroupAdd(v);
  let linear = subgroupAll(li % sg == sid);
  if (sid == 0u) { sums[li / sg] = select(not_a_number(sid), s, linear); }
  workgroupBarrier();
  var t = 0.0;
  for (var j = sid; j < 256u / sg; j += sg) { t += sums[j]; }
  return subgroupAdd(t);
}

// Workgroup p sums vec4s p·256 + li, then every P·256 further (as grad_norm.wgsl's partial_sums).
@compute @workgroup_size(256)
fn partial_sums(
  @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) sid: u32,
) {
  let p = wid.x;
  var acc = 0.0;
  for (var i = p * 256u + li; i < params.count4; i += params.partials * 256u) {
    let g = grad[i];
    acc += dot(g, g);
  }
  let total = workgroup_total(acc, li, sg, sid);
  if (li == 0u) { partials[p] = total; }
}

@compute @workgroup_size(256)
fn finish(@builtin(local_invocation_index) li: u32, @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) sid: u32) {
  var acc = 0.0;
  for (var p = li; p < params.partials; p += 256u) { acc += partials[p]; }
  let total = workgroup_total(acc, li, sg, sid);
  if (li == 0u) { write_clip(total); }
}
