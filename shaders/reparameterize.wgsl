// reparameterize.wgsl: z = μ + exp(½·logvar) ⊙ ε with ε ~ N(0, I), S samples per example, and the
// backward of both objectives: the ELBO's (one sample) and the importance-weighted one's (k samples,
// from the normalised weights ŵ).
// Shapes: stats, dstats are B×2Z (μ in columns 0..Z−1, logvar in Z..2Z−1, as the encoder head writes
// them); z, eps and dz are (B·S)×Z, row r = b·S + s (sample s of example b: the samples dimension is
// the inner one); weights is B·S (ŵ).
// The noise: element i = r·Z + j = 4g + q takes normal q of group g, the four normals of one Philox
// call with counter (g, step, stream, 0) and key (seed_lo, seed_hi) (lib/philox.wgsl). The CPU path
// computes the same stream (src/cpu/philox.ts), so a GPU step can be replayed exactly.
//   forward (one invocation per group of four; they cross example boundaries when 4 ∤ Z): z, and ε
//     itself into `eps` when KEEP_EPS (the importance-weighted objective reads it);
//   backward (S = 1, the ELBO's; ε recomputed, not stored): dμ += dz, dlogvar += dz ⊙ ε ⊙ ½·exp(½·logvar),
//     added into dstats, which already holds the KL gradients from elbo.wgsl;
//   backward_weighted (any S; ε from `eps`, dz_r from the decoder's backward of iwae_objective.wgsl's
//     dlogits; the maths: src/kernels/iwae-objective.ts), dstats written, not added to:
//     IWAE: g_r = dz_r + (ŵ_r β/B)·z_r;  dμ_b = Σ_s g_r;  dlogvar_b = ½σ_b·Σ_s g_r ε_r − β/(2B)
//     DReG (DREG): c_r = (1 − β)ŵ_r + βŵ_r², s_r = c_r/ŵ_r = (1 − β) + βŵ_r,
//           g_r = s_r·dz_r + (c_r β/B)·(z_r − ε_r/σ_b);  dμ_b = Σ_s g_r;  dlogvar_b = ½σ_b·Σ_s g_r ε_r
//     one invocation per (b, j) sums its S samples in order: deterministic.
// CPU twin: src/cpu/reparameterize.ts.

//#include lib/philox

// The forward also writes ε to `eps`.
override KEEP_EPS: bool = false;
// backward_weighted: the DReG estimator instead of IWAE's.
override DREG: bool = false;

struct Params {
  count: u32,    // B·S·Z
  Z: u32,
  seed_lo: u32,
  seed_hi: u32,
  step: u32,
  stream: u32,
  samples: u32,  // S; stats has one row per example
  _pad0: u32,
  beta: f32,     // backward_weighted: the objective's β
  inv_batch: f32,
  _pad1: f32,
  _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;
@group(0) @binding(3) var<storage, read> dz: array<f32>;
@group(0) @binding(4) var<storage, read_write> dstats: array<f32>;
@group(0) @binding(5) var<storage, read_write> eps: array<f32>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;

// The four normals of group g.
fn gaussians(g: u32) -> vec4<f32> {
  return philox_normals(vec4<u32>(g, params.step, params.stream, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
}

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

// One invocation per group g: elements 4g .. 4g+3 (those below count).
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = flat_index(gid, groups);
  let first = 4u * g;
  if (first >= params.count) { return; }
  let n = gaussians(g);
  // 4 | Z (the default model's 20): the group's four elements are one row's, straight-line code.
  if (params.Z % 4u == 0u && first + 4u <= params.count) {
    let r = first / params.Z;
    let mu_at = (r / params.samples) * 2u * params.Z + (first - r * params.Z);
    let lv_at = mu_at + params.Z;
    let mu = vec4<f32>(stats[mu_at], stats[mu_at + 1u], stats[mu_at + 2u], stats[mu_at + 3u]);
    let lv = vec4<f32>(stats[lv_at], stats[lv_at + 1u], stats[lv_at + 2u], stats[lv_at + 3u]);
    let zz = mu + exp(0.5 * lv) * n;
    z[first] = zz.x; z[first + 1u] = zz.y; z[first + 2u] = zz.z; z[first + 3u] = zz.w;
    if (KEEP_EPS) { eps[first] = n.x; eps[first + 1u] = n.y; eps[first + 2u] = n.z; eps[first + 3u] = n.w; }
    return;
  }
  // Two divisions per invocation, then counters: integer division has no vector form on CPU
  // adapters (LLVM splits it per lane); one per element made the forward 1.28× slower on lavapipe.
  let r = first / params.Z;
  var j = first - r * params.Z;
  var b = r / params.samples;
  var s = r - b * params.samples;
  var mu_at = b * 2u * params.Z + j;
  for (var q = 0u; q < 4u; q++) {
    let i = first + q;
    if (i >= params.count) { break; }
    z[i] = stats[mu_at] + exp(0.5 * stats[mu_at + params.Z]) * n[q];
    if (KEEP_EPS) { eps[i] = n[q]; }
    j++;
    mu_at++;
    if (j == params.Z) {
      j = 0u;
      s++;
      if (s == params.samples) { s = 0u; b++; }
      mu_at = b * 2u * params.Z;
    }
  }
}

// S = 1 only: each stats element has one z element, so invocations never add into the same place.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = flat_index(gid, groups);
  let first = 4u * g;
  if (first >= params.count) { return; }
  let n = gaussians(g);
  var b = first / params.Z;
  var j = first - b * params.Z;
  for (var q = 0u; q < 4u; q++) {
    let i = first + q;
    if (i >= params.count) { break; }
    let mu_at = b * 2u * params.Z + j;
    let lv_at = mu_at + params.Z;
    let d = dz[i];
    dstats[mu_at] += d;
    dstats[lv_at] += d * n[q] * 0.5 * exp(0.5 * stats[lv_at]);
    j++;
    if (j == params.Z) { j = 0u; b++; }
  }
}

// One invocation per latent j of example b.
@compute @workgroup_size(256)
fn backward_weighted(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  let Z = params.Z;
  let S = params.samples;
  if (e * S >= params.count) { return; }
  let b = e / Z;
  let j = e % Z;
  let mu_at = b * 2u * Z + j;
  let lv = stats[mu_at + Z];
  let inv_sigma = exp(-0.5 * lv);
  let beta = params.beta;
  var dmu = 0.0;
  var dlv = 0.0;
  for (var s = 0u; s < S; s++) {
    let r = b * S + s;
    let at = r * Z + j;
    let w = weights[r];
    let ep = eps[at];
    var g: f32;
    if (DREG) {
      let sr = 1.0 - beta + beta * w;
      g = sr * dz[at] + sr * w * beta * params.inv_batch * (z[at] - ep * inv_sigma);
    } else {
      g = dz[at] + w * beta * params.inv_batch * z[at];
    }
    dmu += g;
    dlv += g * ep;
  }
  // IWAE's direct term: −log q = Σ ½ε² + ½ logvar at fixed ε, weighted by Σ_s ŵ_s = 1, over B.
  var direct = -0.5 * beta * params.inv_batch;
  if (DREG) { direct = 0.0; }
  dstats[mu_at] = dmu;
  dstats[mu_at + Z] = 0.5 * exp(0.5 * lv) * dlv + direct;
}
