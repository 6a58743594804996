// elbo.wgsl: the fused negative ELBO of a batch and its gradients, in nats per example.
//   rec_b = −log p(x_b | z_b): Bernoulli with logits l (stable BCE: max(l,0) − l·x + log(1 + e^−|l|)),
//           Gaussian with mean l and fixed variance σ² (½(x − l)²/σ² + ½·log 2πσ²), or a learned
//           per-channel scale (Gaussian or discretized logistic, lib/likelihood.wgsl), summed over D;
//   kl_b  = −½ Σ_j (1 + logvar − μ² − exp(logvar)), summed over Z;
//   loss  = (1/B) Σ_b (rec_b + β·kl_b),  and its gradients w.r.t. l, μ and logvar.
// Shapes: logits, x, dlogits are B×D; stats, dstats are B×2Z (μ | logvar); terms is B×2
// (rec_b, kl_b); loss is 4 floats (loss, mean rec, mean kl, 0). Entry `per_example` (or, on CPU
// adapters, `per_example_serial`) computes each example's terms and gradients in one pass, since the
// gradients are known in advance;
// entry `batch_mean` (on CPU adapters `batch_mean_serial`) then joins the B rows and also adds the batch's sums into
// `totals` (Σ loss, Σ rec, Σ kl, examples), so an epoch's mean needs no readback per step. In a
// training pass (track = 1) it also counts steps in `health` and records the first step whose loss
// is not finite, so divergence is caught on the GPU and named exactly at the next (rare) readback.
// Every entry reduces in a fixed order (trees or loops), no atomics: deterministic. The tree entries'
// reductions are lib/workgroup_reduce's: a workgroup-memory tree (lib/reduce_tree.wgsl), or in the
// subgroup schedule (ELBO_SUBGROUP, src/kernels/elbo.ts) subgroup sums (lib/reduce_subgroup.wgsl),
// deterministic per adapter. CPU twin: src/cpu/elbo.ts.

//#include lib/likelihood
//#include lib/objective
//#include lib/workgroup_reduce

struct Params {
  B: u32,
  D: u32,
  Z: u32,
  track: u32,      // 1 in training passes: count the step and watch the loss in `health`
  beta: f32,
  inv_batch: f32,
  inv_var: f32,    // 1/σ² of the Gaussian likelihood
  log_norm: f32,   // ½·log(2πσ²)
  C: u32,          // channels: value d of a row is in channel d mod C (learned scales)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> dstats: array<f32>;
@group(0) @binding(6) var<storage, read_write> terms: array<f32>;
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;
@group(0) @binding(8) var<storage, read_write> totals: array<f32>;
// [steps taken, first step (1-based) whose loss was NaN or ±Inf, or 0]
@group(0) @binding(9) var<storage, read_write> health: array<u32>;
// The learned per-channel log-scales (the parameter likelihood.log_scale), or zeros.
@group(0) @binding(10) var<uniform> log_scale: array<vec4<f32>, 16>;

// −log p(x|l) of pixel i, writing its gradient (the upstream gradient is known: 1/B).
fn pixel(i: u32) -> f32 {
  let nll = neg_log_lik(logits[i], x[i], i % params.C, params.inv_var, params.log_norm);
  dlogits[i] = nll.y * params.inv_batch;
  return nll.x;
}

// KL term of latent j of example b, writing the gradients w.r.t. μ and logvar.
fn latent(b: u32, j: u32) -> f32 {
  let mu_at = b * 2u * params.Z + j;
  let lv_at = mu_at + params.Z;
  let mu = stats[mu_at];
  let lv = stats[lv_at];
  let var_ = exp(lv);
  dstats[mu_at] = params.beta * mu * params.inv_batch;
  dstats[lv_at] = params.beta * 0.5 * (var_ - 1.0) * params.inv_batch;
  return -0.5 * (1.0 + lv - mu * mu - var_);
}

// GPU schedule: one workgroup per example, strided partial sums joined by a fixed tree.
@compute @workgroup_size(256)
fn per_example(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, lanes: Lanes) {
  let b = wid.x + wid.y * groups.x;
  let li = lanes.li;
  // b is the same for the whole workgroup, so this exit keeps barriers in uniform control flow.
  if (b >= params.B) { return; }
  var rec = 0.0;
  for (var d = li; d < params.D; d += 256u) { rec += pixel(b * params.D + d); }
  var kl = 0.0;
  for (var j = li; j < params.Z; j += 256u) { kl += latent(b, j); }
  let t = workgroup_sum4(vec4<f32>(rec, kl, 0.0, 0.0), lanes);
  if (li == 0u) {
    terms[2u * b] = t.x;
    terms[2u * b + 1u] = t.y;
  }
}

// CPU-adapter schedule (lavapipe, SwiftShader): one invocation per example, no workgroup memory or
// barriers, which cost such adapters more than the arithmetic does. The pixel loop is unrolled by
// four into four partial sums in a fixed order (SwiftShader pays per loop iteration: 1.7-1.8×
// faster there; lavapipe unchanged within noise).
@compute @workgroup_size(16)
fn per_example_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * 16u;
  if (b >= params.B) { return; }
  let row = b * params.D;
  // Four interleaved partial sums (pixels d ≡ 0, 1, 2, 3 mod 4), joined pairwise, then the tail.
  var acc = vec4<f32>(0.0);
  var d = 0u;
  for (; d + 4u <= params.D; d += 4u) {
    acc += vec4<f32>(pixel(row + d), pixel(row + d + 1u), pixel(row + d + 2u), pixel(row + d + 3u));
  }
  var rec = (acc.x + acc.y) + (acc.z + acc.w);
  for (; d < params.D; d++) { rec += pixel(row + d); }
  var kl = 0.0;
  for (var j = 0u; j < params.Z; j++) { kl += latent(b, j); }
  terms[2u * b] = rec;
  terms[2u * b + 1u] = kl;
}

// The batch's loss from the sums of its rows: loss, totals and (training) the health record.
fn finish(sum_rec: f32, sum_kl: f32) {
  let r = sum_rec * params.inv_batch;
  let k = sum_kl * params.inv_batch;
  let sum = vec3<f32>(sum_rec + params.beta * sum_kl, sum_rec, sum_kl);
  write_objective(vec4<f32>(r + params.beta * k, r, k, 0.0), sum, params.B, params.track != 0u);
}

@compute @workgroup_size(256)
fn batch_mean(lanes: Lanes) {
  var rec = 0.0;
  var kl = 0.0;
  for (var b = lanes.li; b < params.B; b += 256u) {
    rec += terms[2u * b];
    kl += terms[2u * b + 1u];
  }
  let t = workgroup_sum4(vec4<f32>(rec, kl, 0.0, 0.0), lanes);
  if (lanes.li == 0u) { finish(t.x, t.y); }
}

// CPU-adapter schedule: one invocation sums the B rows in order (a 256-wide barrier tree costs
// SwiftShader ~0.4 ms, more than the whole per-example pass at small batches).
@compute @workgroup_size(1)
fn batch_mean_serial() {
  var rec = 0.0;
  var kl = 0.0;
  for (var b = 0u; b < params.B; b++) {
    rec += terms[2u * b];
    kl += terms[2u * b + 1u];
  }
  finish(rec, kl);
}
