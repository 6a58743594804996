// lib/reduce_tree.wgsl: workgroup-wide sums and maxima for 256-wide workgroups, by a fixed tree in
// workgroup memory (8 barriers). The fused objectives (elbo.wgsl, iwae_objective.wgsl) include it as
// lib/workgroup_reduce; their subgroup schedules get lib/reduce_subgroup.wgsl under that name
// instead (src/kernels/shader-lib.ts, shaderSubgroup), with the same functions. Every invocation of
// the workgroup must call them in uniform control flow (they have barriers), and gets the result.

// The invocation's place, as the entry points take it (the subgroup version adds its builtins).
struct Lanes {
  @builtin(local_invocation_index) li: u32,
}

var<workgroup> reduce_part: array<vec4<f32>, 256>;

fn workgroup_sum4(v: vec4<f32>, lanes: Lanes) -> vec4<f32> {
  let li = lanes.li;
  reduce_part[li] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { reduce_part[li] += reduce_part[li + s]; }
    workgroupBarrier();
  }
  let t = reduce_part[0];
  // Every invocation has read the total before the next call overwrites it.
  workgroupBarrier();
  return t;
}

fn workgroup_max(v: f32, lanes: Lanes) -> f32 {
  let li = lanes.li;
  reduce_part[li].x = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { reduce_part[li].x = max(reduce_part[li].x, reduce_part[li + s].x); }
    workgroupBarrier();
  }
  let t = reduce_part[0].x;
  workgroupBarrier();
  return t;
}
