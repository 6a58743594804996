// matmul_vec4_wide.wgsl: C = act(A · op(B) + bias), NN and NT, for CPU-backed adapters (lavapipe,
// SwiftShader). matmul_vec4.wgsl's scheme (no workgroup memory; rows from workgroup_id, so A's loads
// are one load broadcast to the lanes; B's loads are per-lane gathers) with a 16×16 block per
// invocation (16 rows × 4 vec4 columns) instead of 8×8: each gathered vec4 of B feeds 16 rows instead
// of 8, each broadcast vec4 of A 4 columns instead of 2. The gathers are what such adapters pay most
// for: on this project's machine the 16×16 block ran the 784- and 400-wide NN layers in 0.57–0.65×
// the 8×8 block's time on lavapipe and 0.57–0.83× on SwiftShader, the NT dX 0.60–0.74× on lavapipe
// (docs/BENCHMARKS.md, "MLP step: the wide NN block"). Each output is summed in matmul_vec4.wgsl's
// order (k ascending, one mac_nn or mac_nt per 4 of K), so the two agree bit for bit. Needs 4 | N and
// 4 | K; TN and TT are not provided. Rows past M and columns past N are clamped on load and skipped
// on store. CPU twin: src/cpu/matmul.ts.

//#include lib/activation

override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// Invocations per workgroup along N (the rule's is 8); as in matmul_vec4.wgsl it only changes which
// invocation owns a block.
override LANES: u32 = 8u;

//#include lib/matmul_vec4_io

@compute @workgroup_size(LANES)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let N4 = dims.N / 4u;
  let K4 = dims.K / 4u;
  let m0 = wid.y * 16u;          // output rows m0 .. m0 + 15: the same in every lane
  let q = gid.x * 4u;            // output columns 4·q .. 4·q + 15
  if (q >= N4 || m0 >= dims.M) { return; }
  let last = dims.M - 1u;
  // Columns past N read the last vec4 column (their sums are not stored).
  let q0 = min(q + 0u, N4 - 1u); let q1 = min(q + 1u, N4 - 1u); let q2 = min(q + 2u, N4 - 1u); let q3 = min(q + 3u, N4 - 1u);
  // Row offsets into A (rows past M read the last row; their sums are not stored).
  let r0 = min(m0 + 0u, last) * K4; let r1 = min(m0 + 1u, last) * K4; let r2 = min(m0 + 2u, last) * K4; let r3 = min(m0 + 3u, last) * K4;
  let r4 = min(m0 + 4u, last) * K4; let r5 = min(m0 + 5u, last) * K4; let r6 = min(m0 + 6u, last) * K4; let r7 = min(m0 + 7u, last) * K4;
  let r8 = min(m0 + 8u, last) * K4; let r9 = min(m0 + 9u, last) * K4; let r10 = min(m0 + 10u, last) * K4; let r11 = min(m0 + 11u, last) * K4;
  let r12 = min(m0 + 12u, last) * K4; let r13 = min(m0 + 13u, last) * K4; let r14 = min(m0 + 14u, last) * K4; let r15 = min(m0 + 15u, last) * K4;
  var c0_0 = vec4<f32>(0.0); var c0_1 = vec4<f32>(0.0); var c0_2 = vec4<f32>(0.0); var c0_3 = vec4<f32>(0.0);
  var c1_0 = vec4<f32>(0.0); var c1_1 = vec4<f32>(0.0); var c1_2 = vec4<f32>(0.0); var c1_3 = vec4<f32>(0.0);
  var c2_0 = vec4<f32>(0.0); var c2_1 = vec4<f32>(0.0); var c2_2 = vec4<f32>(0.0); var c2_3 = vec4<f32>(0.0);
  var c3_0 = vec4<f32>(0.0); var c3_1 = vec4<f32>(0.0); var c3_2 = vec4<f32>(0.0); var c3_3 = vec4<f32>(0.0);
  var c4_0 = vec4<f32>(0.0); var c4_1 = vec4<f32>(0.0); var c4_2 = vec4<f32>(0.0); var c4_3 = vec4<f32>(0.0);
  var c5_0 = vec4<f32>(0.0); var c5_1 = vec4<f32>(0.0); var c5_2 = vec4<f32>(0.0); var c5_3 = vec4<f32>(0.0);
  var c6_0 = vec4<f32>(0.0); var c6_1 = vec4<f32>(0.0); var c6_2 = vec4<f32>(0.0); var c6_3 = vec4<f32>(0.0);
  var c7_0 = vec4<f32>(0.0); var c7_1 = vec4<f32>(0.0); var c7_2 = vec4<f32>(0.0); var c7_3 = vec4<f32>(0.0);
  var c8_0 = vec4<f32>(0.0); var c8_1 = vec4<f32>(0.0); var c8_2 = vec4<f32>(0.0); var c8_3 = vec4<f32>(0.0);
  var c9_0 = vec4<f32>(0.0); var c9_1 = vec4<f32>(0.0); var c9_2 = vec4<f32>(0.0); var c9_3 = vec4<f32>(0.0);
  var c10_0 = vec4<f32>(0.0); var c10_1 = vec4<f32>(0.0); var c10_2 = vec4<f32>(0.0); var c10_3 = vec4<f32>(0.0);
  var c11_0 = vec4<f32>(0.0); var c11_1 = vec4<f32>(0.0); var c11_2 = vec4<f32>(0.0); var c11_3 = vec4<f32>(0.0);
  var c12_0 = vec4<f32>(0.0); var c12_1 = vec4<f32>(0.0); var c12_2 = vec4<f32>(0.0); var c12_3 = vec4<f32>(0.0);
  var c13_0 = vec4<f32>(0.0); var c13_1 = vec4<f32>(0.0); var c13_2 = vec4<f32>(0.0); var c13_3 = vec4<f32>(0.0);
  var c14_0 = vec4<f32>(0.0); var c14_1 = vec4<f32>(0.0); var c14_2 = vec4<f32>(0.0); var c14_3 = vec4<f32>(0.0);
  var c15_0 = vec4<f32>(0.0); var c15_1 = vec4<f32>(0.0); var c15_2 = vec4<f32>(0.0); var c15_3 = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    // All 16 rows of A first, then B, then the products: lavapipe ran this order 1.5–2× as fast as with the A loads interleaved with the products.
    let a0 = A[r0 + k4]; let a1 = A[r1 + k4]; let a2 = A[r2 + k4]; let a3 = A[r3 + k4];
    let a4 = A[r4 + k4]; let a5 = A[r5 + k4]; let a6 = A[r6 + k4]; let a7 = A[r7 + k4];
    let a8 = A[r8 + k4]; let a9 = A[r9 + k4]; let a10 = A[r10 + k4]; let a11 = A[r11 + k4];
    let a12 = A[r12 + k4]; let a13 = A[r13 + k4]; let a14 = A[r14 + k4]; let a15 = A[r15 + k4];
    let k = k4 * 4u;
    if (TRANS_B) {
      // op(B) = Bᵀ, B stored N×K: vec4s along K of the 16 output columns.
      let b00 = B[(q0 * 4u + 0u) * K4 + k4]; let b01 = B[(q0 * 4u + 1u) * K4 + k4]; let b02 = B[(q0 * 4u + 2u) * K4 + k4]; let b03 = B[(q0 * 4u + 3u) * K4 + k4];
      let b10 = B[(q1 * 4u + 0u) * K4 + k4]; let b11 = B[(q1 * 4u + 1u) * K4 + k4]; let b12 = B[(q1 * 4u + 2u) * K4 + k4]; let b13 = B[(q1 * 4u + 3u) * K4 + k4];
      let b20 = B[(q2 * 4u + 0u) * K4 + k4]; let b21 = B[(q2 * 4u + 1u) * K4 + k4]; let b22 = B[(q2 * 4u + 2u) * K4 + k4]; let b23 = B[(q2 * 4u + 3u) * K4 + k4];
      let b30 = B[(q3 * 4u + 0u) * K4 + k4]; let b31 = B[(q3 * 4u + 1u) * K4 + k4]; let b32 = B[(q3 * 4u + 2u) * K4 + k4]; let b33 = B[(q3 * 4u + 3u) * K4 + k4];
      c0_0 = mac_nt(a0, b00, b01, b02, b03, c0_0); c0_1 = mac_nt(a0, b10, b11, b12, b13, c0_1); c0_2 = mac_nt(a0, b20, b21, b22, b23, c0_2); c0_3 = mac_nt(a0, b30, b31, b32, b33, c0_3);
      c1_0 = mac_nt(a1, b00, b01, b02, b03, c1_0); c1_1 = mac_nt(a1, b10, b11, b12, b13, c1_1); c1_2 = mac_nt(a1, b20, b21, b22, b23, c1_2); c1_3 = mac_nt(a1, b30, b31, b32, b33, c1_3);
      c2_0 = mac_nt(a2, b00, b01, b02, b03, c2_0); c2_1 = mac_nt(a2, b10, b11, b12, b13, c2_1); c2_2 = mac_nt(a2, b20, b21, b22, b23, c2_2); c2_3 = mac_nt(a2, b30, b31, b32, b33, c2_3);
      c3_0 = mac_nt(a3, b00, b01, b02, b03, c3_0); c3_1 = mac_nt(a3, b10, b11, b12, b13, c3_1); c3_2 = mac_nt(a3, b20, b21, b22, b23, c3_2); c3_3 = mac_nt(a3, b30, b31, b32, b33, c3_3);
      c4_0 = mac_nt(a4, b00, b01, b02, b03, c4_0); c4_1 = mac_nt(a4, b10, b11, b12, b13, c4_1); c4_2 = mac_nt(a4, b20, b21, b22, b23, c4_2); c4_3 = mac_nt(a4, b30, b31, b32, b33, c4_3);
      c5_0 = mac_nt(a5, b00, b01, b02, b03, c5_0); c5_1 = mac_nt(a5, b10, b11, b12, b13, c5_1); c5_2 = mac_nt(a5, b20, b21, b22, b23, c5_2); c5_3 = mac_nt(a5, b30, b31, b32, b33, c5_3);
      c6_0 = mac_nt(a6, b00, b01, b02, b03, c6_0); c6_1 = mac_nt(a6, b10, b11, b12, b13, c6_1); c6_2 = mac_nt(a6, b20, b21, b22, b23, c6_2); c6_3 = mac_nt(a6, b30, b31, b32, b33, c6_3);
      c7_0 = mac_nt(a7, b00, b01, b02, b03, c7_0); c7_1 = mac_nt(a7, b10, b11, b12, b13, c7_1); c7_2 = mac_nt(a7, b20, b21, b22, b23, c7_2); c7_3 = mac_nt(a7, b30, b31, b32, b33, c7_3);
      c8_0 = mac_nt(a8, b00, b01, b02, b03, c8_0); c8_1 = mac_nt(a8, b10, b11, b12, b13, c8_1); c8_2 = mac_nt(a8, b20, b21, b22, b23, c8_2); c8_3 = mac_nt(a8, b30, b31, b32, b33, c8_3);
      c9_0 = mac_nt(a9, b00, b01, b02, b03, c9_0); c9_1 = mac_nt(a9, b10, b11, b12, b13, c9_1); c9_2 = mac_nt(a9, b20, b21, b22, b23, c9_2); c9_3 = mac_nt(a9, b30, b31, b32, b33, c9_3);
      c10_0 = mac_nt(a10, b00, b01, b02, b03, c10_0); c10_1 = mac_nt(a10, b10, b11, b12, b13, c10_1); c10_2 = mac_nt(a10, b20, b21, b22, b23, c10_2); c10_3 = mac_nt(a10, b30, b31, b32, b33, c10_3);
      c11_0 = mac_nt(a11, b00, b01, b02, b03, c11_0); c11_1 = mac_nt(a11, b10, b11, b12, b13, c11_1); c11_2 = mac_nt(a11, b20, b21, b22, b23, c11_2); c11_3 = mac_nt(a11, b30, b31, b32, b33, c11_3);
      c12_0 = mac_nt(a12, b00, b01, b02, b03, c12_0); c12_1 = mac_nt(a12, b10, b11, b12, b13, c12_1); c12_2 = mac_nt(a12, b20, b21, b22, b23, c12_2); c12_3 = mac_nt(a12, b30, b31, b32, b33, c12_3);
      c13_0 = mac_nt(a13, b00, b01, b02, b03, c13_0); c13_1 = mac_nt(a13, b10, b11, b12, b13, c13_1); c13_2 = mac_nt(a13, b20, b21, b22, b23, c13_2); c13_3 = mac_nt(a13, b30, b31, b32, b33, c13_3);
      c14_0 = mac_nt(a14, b00, b01, b02, b03, c14_0); c14_1 = mac_nt(a14, b10, b11, b12, b13, c14_1); c14_2 = mac_nt(a14, b20, b21, b22, b23, c14_2); c14_3 = mac_nt(a14, b30, b31, b32, b33, c14_3);
      c15_0 = mac_nt(a15, b00, b01, b02, b03, c15_0); c15_1 = mac_nt(a15, b10, b11, b12, b13, c15_1); c15_2 = mac_nt(a15, b20, b21, b22, b23, c15_2); c15_3 = mac_nt(a15, b30, b31, b32, b33, c15_3);
    } else {
      let b00 = B[(k + 0u) * N4 + q0]; let b01 = B[(k + 1u) * N4 + q0]; let b02 = B[(k + 2u) * N4 + q0]; let b03 = B[(k + 3u) * N4 + q0];
      let b10 = B[(k + 0u) * N4 + q1]; let b11 = B[(k + 1u) * N4 + q1]; let b12 = B[(k + 2u) * N4 + q1]; let b13 = B[(k + 3u) * N4 + q1];
      let b20 = B[(k + 0u) * N4 + q2]; let b21 = B[(k + 1u) * N4 + q2]; let b22 = B[(k + 2u) * N4 + q2]; let b23 = B[(k + 3u) * N4 + q2];
      let b30 = B[(k + 0u) * N4 + q3]; let b31 = B[(k + 1u) * N4 + q3]; let b32 = B[(k + 2u) * N4 + q3]; let b33 = B[(k + 3u) * N4 + q3];
      c0_0 = mac_nn(a0, b00, b01, b02, b03, c0_0); c0_1 = mac_nn(a0, b10, b11, b12, b13, c0_1); c0_2 = mac_nn(a0, b20, b21, b22, b23, c0_2); c0_3 = mac_nn(a0, b30, b31, b32, b33, c0_3);
      c1_0 = mac_nn(a1, b00, b01, b02, b03, c1_0); c1_1 = mac_nn(a1, b10, b11, b12, b13, c1_1); c1_2 = mac_nn(a1, b20, b21, b22, b23, c1_2); c1_3 = mac_nn(a1, b30, b31, b32, b33, c1_3);
      c2_0 = mac_nn(a2, b00, b01, b02, b03, c2_0); c2_1 = mac_nn(a2, b10, b11, b12, b13, c2_1); c2_2 = mac_nn(a2, b20, b21, b22, b23, c2_2); c2_3 = mac_nn(a2, b30, b31, b32, b33, c2_3);
      c3_0 = mac_nn(a3, b00, b01, b02, b03, c3_0); c3_1 = mac_nn(a3, b10, b11, b12, b13, c3_1); c3_2 = mac_nn(a3, b20, b21, b22, b23, c3_2); c3_3 = mac_nn(a3, b30, b31, b32, b33, c3_3);
      c4_0 = mac_nn(a4, b00, b01, b02, b03, c4_0); c4_1 = mac_nn(a4, b10, b11, b12, b13, c4_1); c4_2 = mac_nn(a4, b20, b21, b22, b23, c4_2); c4_3 = mac_nn(a4, b30, b31, b32, b33, c4_3);
      c5_0 = mac_nn(a5, b00, b01, b02, b03, c5_0); c5_1 = mac_nn(a5, b10, b11, b12, b13, c5_1); c5_2 = mac_nn(a5, b20, b21, b22, b23, c5_2); c5_3 = mac_nn(a5, b30, b31, b32, b33, c5_3);
      c6_0 = mac_nn(a6, b00, b01, b02, b03, c6_0); c6_1 = mac_nn(a6, b10, b11, b12, b13, c6_1); c6_2 = mac_nn(a6, b20, b21, b22, b23, c6_2); c6_3 = mac_nn(a6, b30, b31, b32, b33, c6_3);
      c7_0 = mac_nn(a7, b00, b01, b02, b03, c7_0); c7_1 = mac_nn(a7, b10, b11, b12, b13, c7_1); c7_2 = mac_nn(a7, b20, b21, b22, b23, c7_2); c7_3 = mac_nn(a7, b30, b31, b32, b33, c7_3);
      c8_0 = mac_nn(a8, b00, b01, b02, b03, c8_0); c8_1 = mac_nn(a8, b10, b11, b12, b13, c8_1); c8_2 = mac_nn(a8, b20, b21, b22, b23, c8_2); c8_3 = mac_nn(a8, b30, b31, b32, b33, c8_3);
      c9_0 = mac_nn(a9, b00, b01, b02, b03, c9_0); c9_1 = mac_nn(a9, b10, b11, b12, b13, c9_1); c9_2 = mac_nn(a9, b20, b21, b22, b23, c9_2); c9_3 = mac_nn(a9, b30, b31, b32, b33, c9_3);
      c10_0 = mac_nn(a10, b00, b01, b02, b03, c10_0); c10_1 = mac_nn(a10, b10, b11, b12, b13, c10_1); c10_2 = mac_nn(a10, b20, b21, b22, b23, c10_2); c10_3 = mac_nn(a10, b30, b31, b32, b33, c10_3);
      c11_0 = mac_nn(a11, b00, b01, b02, b03, c11_0); c11_1 = mac_nn(a11, b10, b11, b12, b13, c11_1); c11_2 = mac_nn(a11, b20, b21, b22, b23, c11_2); c11_3 = mac_nn(a11, b30, b31, b32, b33, c11_3);
      c12_0 = mac_nn(a12, b00, b01, b02, b03, c12_0); c12_1 = mac_nn(a12, b10, b11, b12, b13, c12_1); c12_2 = mac_nn(a12, b20, b21, b22, b23, c12_2); c12_3 = mac_nn(a12, b30, b31, b32, b33, c12_3);
      c13_0 = mac_nn(a13, b00, b01, b02, b03, c13_0); c13_1 = mac_nn(a13, b10, b11, b12, b13, c13_1); c13_2 = mac_nn(a13, b20, b21, b22, b23, c13_2); c13_3 = mac_nn(a13, b30, b31, b32, b33, c13_3);
      c14_0 = mac_nn(a14, b00, b01, b02, b03, c14_0); c14_1 = mac_nn(a14, b10, b11, b12, b13, c14_1); c14_2 = mac_nn(a14, b20, b21, b22, b23, c14_2); c14_3 = mac_nn(a14, b30, b31, b32, b33, c14_3);
      c15_0 = mac_nn(a15, b00, b01, b02, b03, c15_0); c15_1 = mac_nn(a15, b10, b11, b12, b13, c15_1); c15_2 = mac_nn(a15, b20, b21, b22, b23, c15_2); c15_3 = mac_nn(a15, b30, b31, b32, b33, c15_3);
    }
  }
  var bias0 = vec4<f32>(0.0); var bias1 = vec4<f32>(0.0); var bias2 = vec4<f32>(0.0); var bias3 = vec4<f32>(0.0);
  if (HAS_BIAS) { bias0 = bias[q0]; bias1 = bias[q1]; bias2 = bias[q2]; bias3 = bias[q3]; }
  store(m0 + 0u, q + 0u, c0_0, bias0); store(m0 + 0u, q + 1u, c0_1, bias1); store(m0 + 0u, q + 2u, c0_2, bias2); store(m0 + 0u, q + 3u, c0_3, bias3);
  store(m0 + 1u, q + 0u, c1_0, bias0); store(m0 + 1u, q + 1u, c1_1, bias1); store(m0 + 1u, q + 2u, c1_2, bias2); store(m0 + 1u, q + 3u, c1_3, bias3);
  store(m0 + 2u, q + 0u, c2_0, bias0); store(m0 + 2u, q + 1u, c2_1, bias1); store(m0 + 2u, q + 2u, c2_2, bias2); store(m0 + 2u, q + 3u, c2_3, bias3);
  store(m0 + 3u, q + 0u, c3_0, bias0); store(m0 + 3u, q + 1u, c3_1, bias1); store(m0 + 3u, q + 2u, c3_2, bias2); store(m0 + 3u, q + 3u, c3_3, bias3);
  store(m0 + 4u, q + 0u, c4_0, bias0); store(m0 + 4u, q + 1u, c4_1, bias1); store(m0 + 4u, q + 2u, c4_2, bias2); store(m0 + 4u, q + 3u, c4_3, bias3);
  store(m0 + 5u, q + 0u, c5_0, bias0); store(m0 + 5u, q + 1u, c5_1, bias1); store(m0 + 5u, q + 2u, c5_2, bias2); store(m0 + 5u, q + 3u, c5_3, bias3);
  store(m0 + 6u, q + 0u, c6_0, bias0); store(m0 + 6u, q + 1u, c6_1, bias1); store(m0 + 6u, q + 2u, c6_2, bias2); store(m0 + 6u, q + 3u, c6_3, bias3);
  store(m0 + 7u, q + 0u, c7_0, bias0); store(m0 + 7u, q + 1u, c7_1, bias1); store(m0 + 7u, q + 2u, c7_2, bias2); store(m0 + 7u, q + 3u, c7_3, bias3);
  store(m0 + 8u, q + 0u, c8_0, bias0); store(m0 + 8u, q + 1u, c8_1, bias1); store(m0 + 8u, q + 2u, c8_2, bias2); store(m0 + 8u, q + 3u, c8_3, bias3);
  store(m0 + 9u, q + 0u, c9_0, bias0); store(m0 + 9u, q + 1u, c9_1, bias1); store(m0 + 9u, q + 2u, c9_2, bias2); store(m0 + 9u, q + 3u, c9_3, bias3);
  store(m0 + 10u, q + 0u, c10_0, bias0); store(m0 + 10u, q + 1u, c10_1, bias1); store(m0 + 10u, q + 2u, c10_2, bias2); store(m0 + 10u, q + 3u, c10_3, bias3);
  store(m0 + 11u, q + 0u, c11_0, bias0); store(m0 + 11u, q + 1u, c11_1, bias1); store(m0 + 11u, q + 2u, c11_2, bias2); store(m0 + 11u, q + 3u, c11_3, bias3);
  store(m0 + 12u, q + 0u, c12_0, bias0); store(m0 + 12u, q + 1u, c12_1, bias1); store(m0 + 12u, q + 2u, c12_2, bias2); store(m0 + 12u, q + 3u, c12_3, bias3);
  store(m0 + 13u, q + 0u, c13_0, bias0); store(m0 + 13u, q + 1u, c13_1, bias1); store(m0 + 13u, q + 2u, c13_2, bias2); store(m0 + 13u, q + 3u, c13_3, bias3);
  store(m0 + 14u, q + 0u, c14_0, bias0); store(m0 + 14u, q + 1u, c14_1, bias1); store(m0 + 14u, q + 2u, c14_2, bias2); store(m0 + 14u, q + 3u, c14_3, bias3);
  store(m0 + 15u, q + 0u, c15_0, bias0); store(m0 + 15u, q + 1u, c15_1, bias1); store(m0 + 15u, q + 2u, c15_2, bias2); store(m0 + 15u, q + 3u, c15_3, bias3);
}
