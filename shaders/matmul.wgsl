// matmul.wgsl: C = act(op(A) · op(B) + bias), the linear layer forward and both backward products.
// Shapes (row-major): op(A) is M×K, op(B) is K×N, C is M×N, bias is N.
//   TRANS_A = false: A is stored M×K;  true: A is stored K×M (op(A) = Aᵀ, for dW = Xᵀ·dY).
//   TRANS_B = false: B is stored K×N;  true: B is stored N×K (op(B) = Bᵀ, for dX = dY·Wᵀ).
// The schedule is lib/gemm_tile.wgsl's (its WG_X, WG_Y, RN and TK overrides: the rule's 64×64 tile
// and the tuning candidates of src/kernels/matmul.ts, TILED_SCHEDULES); this file gives it the
// operands and the bias and activation epilogue. Loads outside the matrices read 0 and stores are
// bounds-checked, so any M, N, K ≥ 1 is exact with any schedule. CPU twin: src/cpu/matmul.ts.

//#include lib/activation
//#include lib/gemm_tile

override HAS_BIAS: bool = false;

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

// op(A)[m, k] (the tile asks only for k < K).
fn load_a(m: u32, k: u32) -> f32 {
  if (m >= dims.M) { return 0.0; }
  if (TRANS_A) { return A[k * dims.M + m]; }
  return A[m * dims.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (n >= dims.N) { return 0.0; }
  if (TRANS_B) { return B[n * dims.K + k]; }
  return B[k * dims.N + n];
}

fn store_tile(m: u32, n0: u32, acc: vec4<f32>) {
  if (m >= dims.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < dims.N) {
      var v = acc[j];
      if (HAS_BIAS) { v += bias[n]; }
      C[m * dims.N + n] = activate_f32(v);
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  gemm_tile(wid.y * 4u * WG_Y, wid.x * RN * WG_X, 0u, dims.K, lid, li);
}
