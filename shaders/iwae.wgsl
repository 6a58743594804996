// iwae.wgsl: the importance-weighted bound L_k (Burda et al. 2016) per example, streamed over samples.
//   log w_s = log p(x | z_s) + log p(z_s) − log q(z_s | x)
//           = −rec_s + Σ_j (−½ z² + ½ ε² + ½ logvar),  ε = (z − μ)·exp(−½ logvar)  (the ½ log 2π cancel);
//   L_k = log (1/k) Σ_s w_s, kept as a running (max, Σ exp(log w − max)) pair so k can be large.
// Shapes: terms is B×2 (rec_s, kl) from elbo.wgsl; stats is B×2Z; z is B×Z; run is B×2.
// Entry `accumulate` folds sample s into run (first = 1 resets it); `finish` adds Σ_b L_k,b and B
// into totals with a fixed tree. CPU twin: src/cpu/iwae.ts.

struct Params {
  B: u32,
  Z: u32,
  first: u32,
  _pad: u32,
  log_k: f32,
  _pad1: f32,
  _pad2: f32,
  _pad3: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> terms: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> run: array<f32>;
@group(0) @binding(5) var<storage, read_write> totals: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  var log_w = -terms[2u * b];
  for (var j = 0u; j < params.Z; j++) {
    let mu = stats[b * 2u * params.Z + j];
    let lv = stats[b * 2u * params.Z + params.Z + j];
    let zz = z[b * params.Z + j];
    let eps = (zz - mu) * exp(-0.5 * lv);
    log_w += -0.5 * zz * zz + 0.5 * eps * eps + 0.5 * lv;
  }
  if (params.first != 0u) {
    run[2u * b] = log_w;
    run[2u * b + 1u] = 1.0;
    return;
  }
  let m = run[2u * b];
  let m_new = max(m, log_w);
  run[2u * b + 1u] = run[2u * b + 1u] * exp(m - m_new) + exp(log_w - m_new);
  run[2u * b] = m_new;
}

@compute @workgroup_size(256)
fn finish(@builtin(local_invocation_index) li: u32) {
  var sum = 0.0;
  for (var b = li; b < params.B; b += 256u) {
    sum += run[2u * b] + log(run[2u * b + 1u]) - params.log_k;
  }
  part[li] = sum;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { part[li] += part[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    totals[0] += part[0];
    totals[3] += f32(params.B);
  }
}
