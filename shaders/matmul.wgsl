// matmul.wgsl: C = act(op(A) · op(B) + bias), the linear layer forward and both backward products.
// Shapes (row-major): op(A) is M×K, op(B) is K×N, C is M×N, bias is N.
//   TRANS_A = false: A is stored M×K;  true: A is stored K×M (op(A) = Aᵀ, for dW = Xᵀ·dY).
//   TRANS_B = false: B is stored K×N;  true: B is stored N×K (op(B) = Bᵀ, for dX = dY·Wᵀ).
// A workgroup of WG_X×WG_Y invocations computes a TM×TN tile of C (TM = 4·WG_Y rows, TN = RN·WG_X
// columns), each invocation a 4×RN register block (RN = 4 or 8: one or two vec4 columns, the second
// WG_X vec4s to the right so neighbours read neighbouring words), stepping K by TK through
// workgroup memory held as vec4 rows. The defaults (16×16, 4×4, TK 16: a 64×64 tile) are the rule's
// schedule; the other values are tuning candidates (src/kernels/matmul.ts, TILED_SCHEDULES). Loads
// outside the matrices read 0 and stores are bounds-checked, so any M, N, K ≥ 1 is exact with any
// of them. CPU twin: src/cpu/matmul.ts.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// ACT (an override, from shaders/activation.wgsl's preamble) picks the activation.
// The schedule: workgroup shape, register-block columns, depth of one step through K.
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override RN: u32 = 4u;
override TK: u32 = 16u;

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

// As[k * WG_Y + i] holds op(A) rows 4i..4i+3 of the tile at depth k; Bs[k * (TN / 4) + j] columns 4j..4j+3.
var<workgroup> As: array<vec4<f32>, TK * WG_Y>;
var<workgroup> Bs: array<vec4<f32>, TK * WG_X * RN / 4u>;

fn load_a(m: u32, k: u32) -> f32 {
  if (m >= dims.M || k >= dims.K) { return 0.0; }
  if (TRANS_A) { return A[k * dims.M + m]; }
  return A[m * dims.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (k >= dims.K || n >= dims.N) { return 0.0; }
  if (TRANS_B) { return B[n * dims.K + k]; }
  return B[k * dims.N + n];
}

fn store(m: u32, n0: u32, acc: vec4<f32>) {
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
  let TM = 4u * WG_Y;
  let TN = RN * WG_X;
  let TN4 = TN / 4u;
  let WG = WG_X * WG_Y;
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // The second vec4 column of the block (RN = 8 only).
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < dims.K; k0 += TK) {
    // The WG invocations stage the TM·TK elements of A's tile and the TK·TN of B's, each element
    // order following the stored layout's contiguous axis so neighbouring invocations read neighbouring words.
    for (var e = li; e < TM * TK; e += WG) {
      var m: u32; var ka: u32;
      if (TRANS_A) { m = e % TM; ka = e / TM; } else { ka = e % TK; m = e / TK; }
      As[ka * WG_Y + m / 4u][m % 4u] = load_a(row0 + m, k0 + ka);
    }
    for (var e = li; e < TK * TN; e += WG) {
      var n: u32; var kb: u32;
      if (TRANS_B) { kb = e % TK; n = e / TK; } else { n = e % TN; kb = e / TN; }
      Bs[kb * TN4 + n / 4u][n % 4u] = load_b(k0 + kb, col0 + n);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let a = As[k * WG_Y + lid.y];
      let b = Bs[k * TN4 + lid.x];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
      if (RN == 8u) {
        let b2 = Bs[k * TN4 + WG_X + lid.x];
        acc4 = fma(vec4<f32>(a.x), b2, acc4);
        acc5 = fma(vec4<f32>(a.y), b2, acc5);
        acc6 = fma(vec4<f32>(a.z), b2, acc6);
        acc7 = fma(vec4<f32>(a.w), b2, acc7);
      }
    }
    workgroupBarrier();
  }

  let m = row0 + lid.y * 4u;
  let n = col0 + lid.x * 4u;
  store(m, n, acc0);
  store(m + 1u, n, acc1);
  store(m + 2u, n, acc2);
  store(m + 3u, n, acc3);
  if (RN == 8u) {
    let n2 = n + 4u * WG_X;
    store(m, n2, acc4);
    store(m + 1u, n2, acc5);
    store(m + 2u, n2, acc6);
    store(m + 3u, n2, acc7);
  }
}
