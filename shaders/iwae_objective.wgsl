// iwae_objective.wgsl: the fused importance-weighted training objective (Burda et al. 2016) of a batch
// and its gradients, in nats per example. k samples per example, in rows r = b·k + i (sample i of
// example b: the samples dimension is the inner one).
//   z_r = μ_b + σ_b·ε_r;  rec_r = −log p(x_b | l_r) (any likelihood, as elbo.wgsl);
//   kl_r = log q(z_r|x_b) − log p(z_r) = Σ_j (−½ε² − ½ logvar + ½z²)   (the ½ log 2π cancel);
//   log w_r = −rec_r − β·kl_r;  L_b = log (1/k) Σ_i w_{b,i} = m + log Σ_i e^{log w − m} − log k, m = max;
//   loss = −(1/B) Σ_b L_b;  ŵ_r = e^{log w_r − m} / Σ_i e^{log w − m}.
// Gradients (the upstream gradient of log w_r is −ŵ_r/B, known once the k samples are in):
//   dlogits_r = (ŵ_r/B)·∂rec_r/∂l, the same for both estimators. The latent side (the prior's and
//   q's gradients w.r.t. z, IWAE's direct dlogvar, DReG's weights) needs only ŵ, stats and ε, and is
//   done by reparameterize.wgsl's weighted backward (see src/kernels/iwae-objective.ts for the maths);
//   that keeps this kernel at 10 storage buffers (Chromium's SwiftShader adapter allows 10 per stage).
// Shapes: logits, dlogits (B·k)×D; x B×D; stats B×2Z (μ | logvar); eps (B·k)×Z;
// weights B·k (log w, then ŵ); terms B×4 (−L_b, mean rec, mean kl, ESS = 1/Σŵ²); loss 4 floats
// (means of the terms); totals 4 floats (Σ −L_b, Σ rec, Σ kl, examples), health as in elbo.wgsl.
// Entry `per_example` (one workgroup per example, trees) or `per_example_serial` (one invocation per
// example, loops; for CPU adapters), then `batch_mean` or `batch_mean_serial`. Fixed reduction
// orders, no atomics: deterministic. The tree entries reduce with lib/workgroup_reduce (a tree, or in
// the subgroup schedule subgroup operations, as elbo.wgsl). CPU twin: src/cpu/iwae-objective.ts.

//#include lib/likelihood
//#include lib/objective
//#include lib/workgroup_reduce

struct Params {
  B: u32,
  K: u32,
  D: u32,
  Z: u32,
  track: u32,      // 1 in training passes: count the step and watch the loss in `health`
  C: u32,          // channels: value d of a row is in channel d mod C (learned scales)
  _pad1: u32,
  _pad2: u32,
  beta: f32,
  inv_batch: f32,
  inv_var: f32,    // 1/σ² of the Gaussian likelihood
  log_norm: f32,   // ½·log(2πσ²)
  log_k: f32,
  inv_k: f32,
  _pad3: f32,
  _pad4: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> eps: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(6) var<storage, read_write> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> terms: array<f32>;
@group(0) @binding(8) var<storage, read_write> loss: array<f32>;
@group(0) @binding(9) var<storage, read_write> totals: array<f32>;
// [steps taken, first step (1-based) whose loss was NaN or ±Inf, or 0]
@group(0) @binding(10) var<storage, read_write> health: array<u32>;
// The learned per-channel log-scales (the parameter likelihood.log_scale), or zeros: a uniform, since
// the stage's storage buffers are all taken.
@group(0) @binding(11) var<uniform> log_scale: array<vec4<f32>, 16>;

// −log p(x|l) of logit i against pixel t.
fn nll(i: u32, t: u32) -> f32 {
  return neg_log_lik(logits[i], x[t], t % params.C, params.inv_var, params.log_norm).x;
}

// ∂(−log p(x|l))/∂l of logit i against pixel t.
fn nll_grad(i: u32, t: u32) -> f32 {
  return neg_log_lik(logits[i], x[t], t % params.C, params.inv_var, params.log_norm).y;
}

// Sampled KL term of latent j of row r (example b): log q − log p.
fn kl_term(b: u32, r: u32, j: u32) -> f32 {
  let mu = stats[b * 2u * params.Z + j];
  let lv = stats[b * 2u * params.Z + params.Z + j];
  let e = eps[r * params.Z + j];
  let zz = mu + exp(0.5 * lv) * e;
  return -0.5 * e * e - 0.5 * lv + 0.5 * zz * zz;
}

// GPU schedule: one workgroup per example. Pass 1 reduces each sample's rec and kl over D and Z
// (strided partial sums, a fixed tree) into log w; then max and Σ e^{log w − m} over the k samples;
// pass 2 writes the gradients with ŵ, and finally ŵ over log w.
@compute @workgroup_size(256)
fn per_example(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, lanes: Lanes) {
  let b = wid.x + wid.y * groups.x;
  let li = lanes.li;
  // b is the same for the whole workgroup, so this exit keeps barriers in uniform control flow.
  if (b >= params.B) { return; }
  let K = params.K;
  let D = params.D;
  let first = b * K;
  var rec_sum = 0.0;
  var kl_sum = 0.0;
  for (var i = 0u; i < K; i++) {
    let r = first + i;
    var rec = 0.0;
    for (var d = li; d < D; d += 256u) { rec += nll(r * D + d, b * D + d); }
    var kl = 0.0;
    for (var j = li; j < params.Z; j += 256u) { kl += kl_term(b, r, j); }
    let t = workgroup_sum4(vec4<f32>(rec, kl, 0.0, 0.0), lanes);
    if (li == 0u) {
      weights[r] = -t.x - params.beta * t.y;
      rec_sum += t.x;
      kl_sum += t.y;
    }
  }
  storageBarrier();
  // The largest log w of the example.
  var m = -3.4028234e38;
  for (var i = li; i < K; i += 256u) { m = max(m, weights[first + i]); }
  m = workgroup_max(m, lanes);
  // Σ e^{log w − m} and Σ e^{2(log w − m)} (for the effective sample size).
  var s1 = 0.0;
  var s2 = 0.0;
  for (var i = li; i < K; i += 256u) {
    let e = exp(weights[first + i] - m);
    s1 += e;
    s2 += e * e;
  }
  let sums = workgroup_sum4(vec4<f32>(s1, s2, 0.0, 0.0), lanes);
  let inv_sum = 1.0 / sums.x;
  for (var i = 0u; i < K; i++) {
    let r = first + i;
    let w = exp(weights[r] - m) * inv_sum;
    let scale = w * params.inv_batch;
    for (var d = li; d < D; d += 256u) { dlogits[r * D + d] = scale * nll_grad(r * D + d, b * D + d); }
  }
  // Every invocation has read every log w above; now replace them by ŵ.
  storageBarrier();
  workgroupBarrier();
  for (var i = li; i < K; i += 256u) { weights[first + i] = exp(weights[first + i] - m) * inv_sum; }
  if (li == 0u) {
    terms[4u * b] = -(m + log(sums.x) - params.log_k);
    terms[4u * b + 1u] = rec_sum * params.inv_k;
    terms[4u * b + 2u] = kl_sum * params.inv_k;
    terms[4u * b + 3u] = sums.x * sums.x / sums.y;
  }
}

// CPU-adapter schedule (lavapipe, SwiftShader): one invocation per example, loops only, no
// workgroup memory or barriers.
@compute @workgroup_size(16)
fn per_example_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * 16u;
  if (b >= params.B) { return; }
  let K = params.K;
  let D = params.D;
  let first = b * K;
  var rec_sum = 0.0;
  var kl_sum = 0.0;
  var m = -3.4028234e38;
  for (var i = 0u; i < K; i++) {
    let r = first + i;
    // Four interleaved partial sums (pixels d ≡ 0, 1, 2, 3 mod 4), joined pairwise, then the tail.
    var acc = vec4<f32>(0.0);
    var d = 0u;
    for (; d + 4u <= D; d += 4u) {
      let at = r * D + d;
      let t = b * D + d;
      acc += vec4<f32>(nll(at, t), nll(at + 1u, t + 1u), nll(at + 2u, t + 2u), nll(at + 3u, t + 3u));
    }
    var rec = (acc.x + acc.y) + (acc.z + acc.w);
    for (; d < D; d++) { rec += nll(r * D + d, b * D + d); }
    var kl = 0.0;
    for (var j = 0u; j < params.Z; j++) { kl += kl_term(b, r, j); }
    let lw = -rec - params.beta * kl;
    weights[r] = lw;
    m = max(m, lw);
    rec_sum += rec;
    kl_sum += kl;
  }
  var s1 = 0.0;
  var s2 = 0.0;
  for (var i = 0u; i < K; i++) {
    let e = exp(weights[first + i] - m);
    s1 += e;
    s2 += e * e;
  }
  let inv_sum = 1.0 / s1;
  for (var i = 0u; i < K; i++) {
    let r = first + i;
    let w = exp(weights[r] - m) * inv_sum;
    weights[r] = w;
    let scale = w * params.inv_batch;
    for (var d = 0u; d < D; d++) { dlogits[r * D + d] = scale * nll_grad(r * D + d, b * D + d); }
  }
  terms[4u * b] = -(m + log(s1) - params.log_k);
  terms[4u * b + 1u] = rec_sum * params.inv_k;
  terms[4u * b + 2u] = kl_sum * params.inv_k;
  terms[4u * b + 3u] = s1 * s1 / s2;
}

// The batch's loss from the sums of its rows: loss, totals and (training) the health record.
fn finish(sum: vec4<f32>) {
  write_objective(sum * params.inv_batch, sum.xyz, params.B, params.track != 0u);
}

fn example_terms(b: u32) -> vec4<f32> {
  return vec4<f32>(terms[4u * b], terms[4u * b + 1u], terms[4u * b + 2u], terms[4u * b + 3u]);
}

@compute @workgroup_size(256)
fn batch_mean(lanes: Lanes) {
  var acc = vec4<f32>(0.0);
  for (var b = lanes.li; b < params.B; b += 256u) { acc += example_terms(b); }
  let t = workgroup_sum4(acc, lanes);
  if (lanes.li == 0u) { finish(t); }
}

// CPU-adapter schedule: one invocation sums the B rows in order.
@compute @workgroup_size(1)
fn batch_mean_serial() {
  var acc = vec4<f32>(0.0);
  for (var b = 0u; b < params.B; b++) { acc += example_terms(b); }
  finish(acc);
}
