// reparameterize_samples.wgsl: k samples per example from stored noise, and the backward that joins
// the k samples' gradients into the encoder's (the importance-weighted objective's samples dimension:
// rows r = b·k + i, sample i of example b).
//   forward:  z_r = μ_b + exp(½ logvar_b)·ε_r
//   backward, with ŵ_r from iwae_objective.wgsl and dz_r from the decoder's backward of its dlogits:
//     IWAE: g_r = dz_r + (ŵ_r β/B)·z_r;  dμ_b = Σ_i g_r;  dlogvar_b = ½σ_b·Σ_i g_r ε_r − β/(2B)
//     DReG (DREG): c_r = (1 − β)ŵ_r + βŵ_r², s_r = c_r/ŵ_r = (1 − β) + βŵ_r,
//           g_r = s_r·dz_r + (c_r β/B)·(z_r − ε_r/σ_b);  dμ_b = Σ_i g_r;  dlogvar_b = ½σ_b·Σ_i g_r ε_r
//   (the maths: src/kernels/iwae-objective.ts). dstats is written, not added to.
// The noise ε (B·k)×Z can be drawn by reparameterize.wgsl itself with μ = 0, logvar = 0 (z = ε
// exactly) at batch B·k, so the CPU replays it (src/cpu/reparameterize.ts, noiseFor).
// Shapes: stats, dstats B×2Z (μ | logvar); eps, z, dz (B·k)×Z; weights B·k (ŵ).
// The backward sums the k samples in order in one invocation per (b, j): deterministic.
// CPU twin: src/cpu/reparameterize-samples.ts.

override DREG: bool = false;

struct Params {
  B: u32,
  K: u32,
  Z: u32,
  _pad0: u32,
  beta: f32,
  inv_batch: f32,
  _pad1: f32,
  _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> eps: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read> dz: array<f32>;
@group(0) @binding(5) var<storage, read> weights: array<f32>;
@group(0) @binding(6) var<storage, read_write> dstats: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

// One invocation per element of z.
@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  let Z = params.Z;
  if (e >= params.B * params.K * Z) { return; }
  let b = e / Z / params.K;
  let j = e % Z;
  let mu_at = b * 2u * Z + j;
  z[e] = stats[mu_at] + exp(0.5 * stats[mu_at + Z]) * eps[e];
}

// One invocation per latent j of example b.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  let Z = params.Z;
  if (e >= params.B * Z) { return; }
  let b = e / Z;
  let j = e % Z;
  let mu_at = b * 2u * Z + j;
  let lv = stats[mu_at + Z];
  let inv_sigma = exp(-0.5 * lv);
  let beta = params.beta;
  var dmu = 0.0;
  var dlv = 0.0;
  for (var i = 0u; i < params.K; i++) {
    let r = b * params.K + i;
    let at = r * Z + j;
    let w = weights[r];
    let ep = eps[at];
    var g: f32;
    if (DREG) {
      let s = 1.0 - beta + beta * w;
      g = s * dz[at] + s * w * beta * params.inv_batch * (z[at] - ep * inv_sigma);
    } else {
      g = dz[at] + w * beta * params.inv_batch * z[at];
    }
    dmu += g;
    dlv += g * ep;
  }
  // IWAE's direct term: −log q = Σ ½ε² + ½ logvar at fixed ε, weighted by Σ_i ŵ_i = 1, over B.
  var direct = -0.5 * beta * params.inv_batch;
  if (DREG) { direct = 0.0; }
  dstats[mu_at] = dmu;
  dstats[mu_at + Z] = 0.5 * exp(0.5 * lv) * dlv + direct;
}
