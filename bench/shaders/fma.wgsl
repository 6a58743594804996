// fma.wgsl: the peak-FLOP/s ceiling. Entry `main`: each invocation runs ITERS rounds of 8 independent
// vec4 fma chains (enough independent work to hide the FMA latency of a CPU core's SIMD units or a
// GPU's ALUs), ITERS × 8 × 4 fused multiply-adds = ITERS × 64 FLOP. Entry `main_scalar`: 16 f32
// chains, ITERS × 32 FLOP: on lavapipe each lane's scalar is a whole SIMD register, and 32 live
// chains spill where 16 do not (measured here: 29 against 17 GFLOP/s). The suite keeps the best. Multiplier and addend
// come from a uniform so nothing folds at pipeline compile time; the sum is stored so nothing is
// dead code. Bench-only: not part of the library.

override ITERS: u32 = 1024u;
override WG: u32 = 64u;

struct Params { mul: f32, add: f32, _pad0: f32, _pad1: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  let s = f32(i) * 1e-7;
  let m = vec4<f32>(params.mul);
  let c = vec4<f32>(params.add);
  var a0 = vec4<f32>(s, s + 0.1, s + 0.2, s + 0.3);
  var a1 = a0 + 1.0; var a2 = a0 + 2.0; var a3 = a0 + 3.0;
  var a4 = a0 + 4.0; var a5 = a0 + 5.0; var a6 = a0 + 6.0; var a7 = a0 + 7.0;
  for (var k = 0u; k < ITERS; k++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  if (i < arrayLength(&out)) {
    out[i] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  }
}

@compute @workgroup_size(WG)
fn main_scalar(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  let s = f32(i) * 1e-7;
  let m = params.mul;
  let c = params.add;
  var a0 = s; var a1 = s + 1.0; var a2 = s + 2.0; var a3 = s + 3.0;
  var a4 = s + 4.0; var a5 = s + 5.0; var a6 = s + 6.0; var a7 = s + 7.0;
  var a8 = s + 8.0; var a9 = s + 9.0; var a10 = s + 10.0; var a11 = s + 11.0;
  var a12 = s + 12.0; var a13 = s + 13.0; var a14 = s + 14.0; var a15 = s + 15.0;
  for (var k = 0u; k < ITERS; k++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a8 = fma(a8, m, c); a9 = fma(a9, m, c); a10 = fma(a10, m, c); a11 = fma(a11, m, c);
    a12 = fma(a12, m, c); a13 = fma(a13, m, c); a14 = fma(a14, m, c); a15 = fma(a15, m, c);
  }
  if (i < arrayLength(&out)) {
    let v = (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) + (((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15)));
    out[i] = vec4<f32>(v);
  }
}
