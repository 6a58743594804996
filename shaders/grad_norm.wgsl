// grad_norm.wgsl: the global L2 norm of the parameter-gradient arena and the clip scale for it,
// left in a GPU buffer for the optimizer to read (no readback). PyTorch's clip_grad_norm_ rule:
//   n = √(Σ g²),  scale = min(1, max_norm / (n + 1e-6)).
// Two stages: `partial_sums` (one workgroup per partial, strided over the arena, a fixed tree) or
// `partial_sums_serial` (one invocation per partial, a contiguous chunk in order; for CPU adapters)
// write P partial sums of squares; `finish` (a tree) or `finish_serial` (a loop) joins them and
// writes clip = [n, scale, Σ g², 1 if n is not finite else 0]. Fixed orders: deterministic.
// Shapes: grad is count4 vec4s (the model pads each tensor); partials P floats; clip 4 floats.
// CPU twin: src/cpu/grad-norm.ts.

//#include lib/finite

//#include lib/grad_norm_io

var<workgroup> part: array<f32, 256>;

fn tree_sum(li: u32) {
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { part[li] += part[li + s]; }
    workgroupBarrier();
  }
}

// Workgroup p sums vec4s p·256 + li, then every P·256 further.
@compute @workgroup_size(256)
fn partial_sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let p = wid.x;
  var acc = 0.0;
  for (var i = p * 256u + li; i < params.count4; i += params.partials * 256u) {
    let g = grad[i];
    acc += dot(g, g);
  }
  part[li] = acc;
  workgroupBarrier();
  tree_sum(li);
  if (li == 0u) { partials[p] = part[0]; }
}

@compute @workgroup_size(64)
fn partial_sums_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = gid.x;
  if (p >= params.partials) { return; }
  let end = min((p + 1u) * params.chunk, params.count4);
  var acc = vec4<f32>(0.0);
  for (var i = p * params.chunk; i < end; i++) {
    let g = grad[i];
    acc += g * g;
  }
  partials[p] = (acc.x + acc.y) + (acc.z + acc.w);
}

@compute @workgroup_size(256)
fn finish(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var p = li; p < params.partials; p += 256u) { acc += partials[p]; }
  part[li] = acc;
  workgroupBarrier();
  tree_sum(li);
  if (li == 0u) { write_clip(part[0]); }
}

@compute @workgroup_size(1)
fn finish_serial() {
  var acc = 0.0;
  for (var p = 0u; p < params.partials; p++) { acc += partials[p]; }
  write_clip(acc);
}
