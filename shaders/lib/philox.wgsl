// lib/philox.wgsl: the counter-based noise of the reparameterization: Philox4x32-10 (Salmon et al.,
// SC'11) and Box–Muller on its four words, which give four independent standard normals per call:
//   n0 = R₁·cos 2πt₁, n1 = R₁·sin 2πt₁ with R₁ = √(−2 ln u(r.x)), t₁ = u(r.y);  n2, n3 likewise from (r.z, r.w),
// u(w) = (⌊w / 2⁹⌋ + ½) / 2²³. The CPU computes the same stream (src/cpu/philox.ts), so a GPU step
// can be replayed exactly.

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

// The four normals of one Philox call with this counter and key (Box–Muller on both pairs of words).
fn philox_normals(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let r = philox4x32_10(counter, key);
  let r1 = sqrt(-2.0 * log(unit(r.x)));
  let r2 = sqrt(-2.0 * log(unit(r.z)));
  return vec4<f32>(r1 * sincos_turns(unit(r.y)), r2 * sincos_turns(unit(r.w)));
}
