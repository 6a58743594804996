// lib/matmul_vec4_io.wgsl: the bindings of matmul_vec4.wgsl and matmul_vec4_wide.wgsl (one set: the
// schedules are tuner candidates for the same op), their multiply-accumulates, whose order both keep
// so that their outputs agree bit for bit, and the store with bias and activation. Include
// lib/activation first (activate_vec4).

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> C: array<vec4<f32>>;

// c + a · [b0; b1; b2; b3]: one row of A (4 along K) times 4 rows of B.
fn mac_nn(a: vec4<f32>, b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>, c: vec4<f32>) -> vec4<f32> {
  return fma(vec4<f32>(a.w), b3, fma(vec4<f32>(a.z), b2, fma(vec4<f32>(a.y), b1, fma(vec4<f32>(a.x), b0, c))));
}

// c + the dot products of a (4 along K) with 4 columns of op(B) = Bᵀ (each 4 along K).
fn mac_nt(a: vec4<f32>, b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>, c: vec4<f32>) -> vec4<f32> {
  return c + vec4<f32>(dot(a, b0), dot(a, b1), dot(a, b2), dot(a, b3));
}

fn store(row: u32, col: u32, v: vec4<f32>, bias_v: vec4<f32>) {
  if (row < dims.M && col < dims.N / 4u) { C[row * (dims.N / 4u) + col] = activate_vec4(v + bias_v); }
}
