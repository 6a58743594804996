// reparameterize.wgsl: z = μ + exp(½·logvar) ⊙ ε with ε ~ N(0, I), and its backward.
// Shapes: stats is B×2Z (μ in columns 0..Z−1, logvar in Z..2Z−1, as the encoder head writes them);
// z and dz are B×Z. ε for element i = b·Z + j is drawn here from Philox4x32-10 with counter
// (i, step, stream, 0) and key (seed_lo, seed_hi), then Box–Muller; the CPU path computes the same
// stream (src/cpu/philox.ts), so a GPU step can be replayed exactly. The backward recomputes ε
// rather than storing it:  dμ += dz,  dlogvar += dz ⊙ ε ⊙ ½·exp(½·logvar)  (added into dstats,
// which already holds the KL gradients from elbo.wgsl). CPU twin: src/cpu/reparameterize.ts.

struct Params {
  count: u32,    // B·Z
  Z: u32,
  seed_lo: u32,
  seed_hi: u32,
  step: u32,
  stream: u32,
  _pad0: u32,
  _pad1: u32,
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

// Uniform in (0, 1): the top 24 bits, centred, so log() never sees 0.
fn unit(x: u32) -> f32 {
  return (f32(x >> 8u) + 0.5) * (1.0 / 16777216.0);
}

// cos(2πt) for t in [0, 1): WGSL only promises cos to 2⁻¹¹ absolute (Chromium's SwiftShader is off
// by 2e-4), too loose for the CPU to replay ε. Reduce exactly by symmetry to 2π·c with c in [0, 1/8],
// then a Taylor polynomial (error < 3e-8 there).
fn cos_turns(t: f32) -> f32 {
  let a = abs(t - round(t));                 // cos(2πt) = cos(2πa), a in [0, ½]
  let b = min(a, 0.5 - a);                   // cos(2πa) = ±cos(2πb), b in [0, ¼]
  let sign = select(1.0, -1.0, a > 0.25);
  let c = min(b, 0.25 - b);                  // cos(2πb) = sin(2πc) when b > ⅛
  let x = 6.283185307179586 * c;
  let x2 = x * x;
  let cos_x = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0))));
  let sin_x = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0)))));
  return sign * select(cos_x, sin_x, b > 0.125);
}

fn gaussian(i: u32) -> f32 {
  let r = philox4x32_10(vec4<u32>(i, params.step, params.stream, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
  let radius = sqrt(-2.0 * log(unit(r.x)));
  return radius * cos_turns(unit(r.y));
}

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.count) { return; }
  let b = i / params.Z;
  let j = i % params.Z;
  let mu = stats[b * 2u * params.Z + j];
  let logvar = stats[b * 2u * params.Z + params.Z + j];
  z[i] = mu + exp(0.5 * logvar) * gaussian(i);
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.count) { return; }
  let b = i / params.Z;
  let j = i % params.Z;
  let mu_at = b * 2u * params.Z + j;
  let lv_at = mu_at + params.Z;
  let g = dz[i];
  dstats[mu_at] += g;
  dstats[lv_at] += g * gaussian(i) * 0.5 * exp(0.5 * stats[lv_at]);
}
