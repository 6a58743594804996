// likelihood_scale_grad.wgsl: the gradient of the batch loss w.r.t. a likelihood's learned
// per-channel log-scales s_c (the Gaussian's log σ_c, the discretized logistic's log-scale):
//   dscale_c = (1/B) Σ_r w_r Σ_{d ≡ c mod C} ∂(−log p(x_{b(r),d} | l_{r,d}, s_c))/∂s_c
// with rows r = b·K + i (K samples per example; K = 1 for the ELBO) and w_r = 1 (ELBO) or the
// normalised importance weight ŵ_r (IWAE: ∂(−L_b)/∂ rec_r = ŵ_r). ∂/∂s from lib/likelihood.wgsl.
// Shapes: logits (B·K)×D; x B×D; weights B·K (read when WEIGHTED); dscale C floats (a slice of the
// gradient arena, overwritten); log_scale the parameter, as a uniform array<vec4<f32>, 16>.
// One workgroup per channel: strided partial sums over its B·K·D/C values, joined by a fixed tree
// (deterministic, no atomics). CPU twin: src/cpu/likelihood-scale-grad.ts.

//#include lib/likelihood

struct Params {
  B: u32,
  K: u32,
  D: u32,
  C: u32,
  weighted: u32,   // 1: weight row r by weights[r] (ŵ); 0: every row by 1
  inv_batch: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> dscale: array<f32>;
@group(0) @binding(5) var<uniform> log_scale: array<vec4<f32>, 16>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn per_channel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = wid.x;
  // c is the same for the whole workgroup, so this exit keeps barriers in uniform control flow.
  if (c >= params.C) { return; }
  let per_row = params.D / params.C;
  let n = params.B * params.K * per_row;
  let s = channel_scale(c);
  var acc = 0.0;
  for (var q = li; q < n; q += 256u) {
    let r = q / per_row;
    let d = c + params.C * (q % per_row);
    let b = r / params.K;
    var g = learned_terms(logits[r * params.D + d], x[b * params.D + d], s).z;
    if (params.weighted != 0u) { g *= weights[r]; }
    acc += g;
  }
  part[li] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (li < w) { part[li] += part[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { dscale[c] = part[0] * params.inv_batch; }
}
