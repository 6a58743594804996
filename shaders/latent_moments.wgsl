// latent_moments.wgsl: per-latent running moments of the encoder's means over a data set, for the
// active-unit count of Burda et al. (2016): A_u = Cov_x(E_q[z_u | x]) = M2_u / N, active when > 0.01.
// Each dispatch folds one chunk of `rows` encoder outputs into moments[u] = (N, mean, M2, 0) with
// Chan et al.'s pairwise update (the chunk's own mean and M2 first, two passes), so an evaluation
// that runs the encoder batch by batch needs no readback until the end; `reset` = 1 starts over.
// Shapes: stats is rows×stride with μ_u at column u (stride 2Z for the μ | logvar head); moments Z×4.
// One invocation per latent, rows in order: deterministic. CPU twin: src/cpu/active-units.ts.

struct Params {
  rows: u32,
  Z: u32,
  stride: u32,
  reset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> moments: array<vec4<f32>>;

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let u = gid.x + gid.y * groups.x * 64u;
  if (u >= params.Z) { return; }
  let n = f32(params.rows);
  var mean = 0.0;
  for (var r = 0u; r < params.rows; r++) { mean += stats[r * params.stride + u]; }
  mean /= n;
  var m2 = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let d = stats[r * params.stride + u] - mean;
    m2 += d * d;
  }
  var prev = moments[u];
  if (params.reset != 0u) { prev = vec4<f32>(0.0); }
  let total = prev.x + n;
  let delta = mean - prev.y;
  moments[u] = vec4<f32>(total, prev.y + delta * n / total, prev.z + m2 + delta * delta * prev.x * n / total, 0.0);
}
