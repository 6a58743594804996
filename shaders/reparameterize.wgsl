// reparameterize.wgsl: z = μ + exp(½·logvar) ⊙ ε with ε ~ N(0, I), and its backward.
// Shapes: stats is B×2Z (μ in columns 0..Z−1, logvar in Z..2Z−1, as the encoder head writes them);
// z and dz are B×Z. The noise: element i = b·Z + j = 4g + q takes normal q of group g, where one
// Philox4x32-10 call with counter (g, step, stream, 0) and key (seed_lo, seed_hi) gives the words
// (r.x, r.y, r.z, r.w) and Box–Muller turns them into four independent normals:
//   n0 = R₁·cos 2πt₁, n1 = R₁·sin 2πt₁ with R₁ = √(−2 ln u(r.x)), t₁ = u(r.y);  n2, n3 likewise from (r.z, r.w),
// u(w) = (⌊w / 2⁹⌋ + ½) / 2²³.
// Each invocation handles the four elements of one group (they cross example boundaries when
// 4 ∤ Z). The CPU path computes the same stream (src/cpu/philox.ts), so a GPU step can be replayed
// exactly. The backward recomputes ε rather than storing it:  dμ += dz,
// dlogvar += dz ⊙ ε ⊙ ½·exp(½·logvar)  (added into dstats, which already holds the KL gradients
// from elbo.wgsl). CPU twin: src/cpu/reparameterize.ts.

struct Params {
  count: u32,    // B·S·Z: z has S rows (samples) per example, row r = b·S + s
  Z: u32,
  seed_lo: u32,
  seed_hi: u32,
  step: u32,
  stream: u32,
  samples: u32,  // S; stats has one row per example
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;
@group(0) @binding(3) var<storage, read> dz: array<f32>;
@group(0) @binding(4) var<storage, read_write> dstats: array<f32>;

// 32×32 → 64-bit product as (hi, lo) from 16-bit halves: WGSL has no 64-bit integers.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu; let ah = a >> 16u;
  let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl; let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2<u32>(hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u), a * b);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k += vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

// Uniform in (0, 1): the top 23 bits, centred, so log() never sees 0. Exact in f32 (24 bits would
// need 25 above ½ and round), so the CPU computes the very same value.
fn unit(x: u32) -> f32 {
  return (f32(x >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// (cos 2πt, sin 2πt) for t in [0, 1): WGSL only promises cos and sin to 2⁻¹¹ absolute (Chromium's
// SwiftShader is off by 2e-4), too loose for the CPU to replay ε. Reduce exactly to a quarter turn
// q and a remainder c in [−⅛, ⅛] (t − round(t) and a − q/4 are exact by Sterbenz), take Taylor
// polynomials of x = 2πc in [−π/4, π/4] (truncation < 2e-9), then rotate by q quarter turns.
fn sincos_turns(t: f32) -> vec2<f32> {
  let a = t - round(t);                      // a in [−½, ½]
  let q = round(4.0 * a);                    // quarter turns, −2..2
  let c = a - 0.25 * q;                      // c in [−⅛, ⅛], exact
  let x = 6.283185307179586 * c;
  let x2 = x * x;
  let k = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 + x2 * (-1.0 / 3628800.0)))));
  let s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0)))));
  // cos(x + qπ/2), sin(x + qπ/2) for q mod 4 = 0, 1, 2, 3.
  let m = u32(i32(q) & 3);
  return select(select(vec2<f32>(s, -k), vec2<f32>(-k, -s), m == 2u), select(vec2<f32>(-s, k), vec2<f32>(k, s), m == 0u), m < 2u);
}

// The four normals of group g (Box–Muller on both pairs of Philox words).
fn gaussians(g: u32) -> vec4<f32> {
  let r = philox4x32_10(vec4<u32>(g, params.step, params.stream, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
  let r1 = sqrt(-2.0 * log(unit(r.x)));
  let r2 = sqrt(-2.0 * log(unit(r.z)));
  return vec4<f32>(r1 * sincos_turns(unit(r.y)), r2 * sincos_turns(unit(r.w)));
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
  let eps = gaussians(g);
  var b = first / params.Z;
  var j = first % params.Z;
  for (var q = 0u; q < 4u; q++) {
    let i = first + q;
    if (i >= params.count) { break; }
    let mu_at = (b / params.samples) * 2u * params.Z + j;
    z[i] = stats[mu_at] + exp(0.5 * stats[mu_at + params.Z]) * eps[q];
    j++;
    if (j == params.Z) { j = 0u; b++; }
  }
}

// S = 1 only: each stats element has one z element, so invocations never add into the same place.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = flat_index(gid, groups);
  let first = 4u * g;
  if (first >= params.count) { return; }
  let eps = gaussians(g);
  var b = first / params.Z;
  var j = first % params.Z;
  for (var q = 0u; q < 4u; q++) {
    let i = first + q;
    if (i >= params.count) { break; }
    let mu_at = b * 2u * params.Z + j;
    let lv_at = mu_at + params.Z;
    let d = dz[i];
    dstats[mu_at] += d;
    dstats[lv_at] += d * eps[q] * 0.5 * exp(0.5 * stats[lv_at]);
    j++;
    if (j == params.Z) { j = 0u; b++; }
  }
}

// Any S: one invocation per stats element (example e, latent j) sums its S samples' contributions
// (the noise of element i = (e·S + s)·Z + j is normal i mod 4 of group ⌊i / 4⌋), so no two
// invocations add into the same place.
@compute @workgroup_size(256)
fn backward_samples(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = flat_index(gid, groups);
  let S = params.samples;
  if (t * S >= params.count) { return; }
  let e = t / params.Z;
  let j = t % params.Z;
  var sum_d = 0.0;
  var sum_de = 0.0;
  for (var s = 0u; s < S; s++) {
    let i = (e * S + s) * params.Z + j;
    let d = dz[i];
    sum_d += d;
    sum_de += d * gaussians(i / 4u)[i % 4u];
  }
  let mu_at = e * 2u * params.Z + j;
  let lv_at = mu_at + params.Z;
  dstats[mu_at] += sum_d;
  dstats[lv_at] += sum_de * 0.5 * exp(0.5 * stats[lv_at]);
}
