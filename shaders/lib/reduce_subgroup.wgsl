// lib/reduce_subgroup.wgsl: lib/reduce_tree.wgsl's functions (256-wide workgroups) with subgroup
// operations in place of the 8-barrier tree: each subgroup reduces its lanes (subgroupAdd,
// subgroupMax), its first lane stores the result, one barrier, and every subgroup reduces those
// 256/S values the same way, so all get the same total. S is the subgroup_size builtin, read at run
// time (lavapipe 8, SwiftShader 4, NVIDIA 32, AMD 32 or 64), not assumed. Subgroups are taken as
// runs of consecutive local indices (what Vulkan drivers do; WGSL does not promise it): a
// workgroup that finds otherwise gets NaN, and the tuner's check against the CPU twin rejects the
// schedule there. Needs `enable subgroups;` (shaderSubgroup puts it first) and lib/finite. The
// order of the sums follows S: deterministic per adapter.

struct Lanes {
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_size) sg: u32,
  @builtin(subgroup_invocation_id) sid: u32,
}

// One value per subgroup (at most 256 / 4: WebGPU's least subgroup size is 4).
var<workgroup> reduce_part: array<vec4<f32>, 64>;

// Whether this subgroup is the run of lanes li − sid .. li − sid + S − 1.
fn lanes_linear(lanes: Lanes) -> bool {
  return subgroupAll(lanes.li % lanes.sg == lanes.sid);
}

fn workgroup_sum4(v: vec4<f32>, lanes: Lanes) -> vec4<f32> {
  let s = subgroupAdd(v);
  let linear = lanes_linear(lanes);
  if (lanes.sid == 0u) { reduce_part[lanes.li / lanes.sg] = select(vec4<f32>(not_a_number(lanes.sid)), s, linear); }
  workgroupBarrier();
  var t = vec4<f32>(0.0);
  for (var j = lanes.sid; j < 256u / lanes.sg; j += lanes.sg) { t += reduce_part[j]; }
  let total = subgroupAdd(t);
  workgroupBarrier();
  return total;
}

fn workgroup_max(v: f32, lanes: Lanes) -> f32 {
  let s = subgroupMax(v);
  let linear = lanes_linear(lanes);
  if (lanes.sid == 0u) { reduce_part[lanes.li / lanes.sg].x = select(not_a_number(lanes.sid), s, linear); }
  workgroupBarrier();
  var t = -3.4028234e38;
  for (var j = lanes.sid; j < 256u / lanes.sg; j += lanes.sg) { t = max(t, reduce_part[j].x); }
  let total = subgroupMax(t);
  workgroupBarrier();
  return total;
}
