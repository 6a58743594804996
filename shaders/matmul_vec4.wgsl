// matmul_vec4.wgsl: C = act(op(A) · op(B) + bias) for CPU-backed adapters (lavapipe, SwiftShader).
// Same contract as matmul.wgsl, other schedule. Such adapters run the invocations of a workgroup as
// SIMD lanes of a CPU thread: workgroup memory and barriers cost more than the caches they mimic, and
// a load whose address differs per lane is a gather, one scalar load per lane. So: no workgroup
// memory; each invocation keeps an 8×8 block of C (8 rows × 2 vec4 columns) in registers, so each
// gathered vec4 of B feeds 8 rows; and the rows come from workgroup_id (one row of workgroups per
// 8 rows of C, workgroups LANES invocations wide along N), which the compilers know is the same in every
// lane, so A's loads are single loads broadcast to all lanes. Measured on this project's machine
// against the 4×4 block with rows from global_invocation_id: 1.3–2× faster on lavapipe and on
// SwiftShader (docs/BENCHMARKS.md). Needs 4 | N and 4 | the contiguous axis of each operand
// (NN, NT: 4 | K; TN: 4 | M); TT is not provided. Rows past M and columns past N are clamped on
// load and skipped on store. CPU twin: src/cpu/matmul.ts.

//#include lib/activation

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
// Invocations per workgroup along N (a tuning candidate: 4, 8, 16 or 32; the rule's is 8). Every
// value computes the same sums in the same order: it only changes which invocation owns a block.
override LANES: u32 = 8u;

//#include lib/matmul_vec4_io

@compute @workgroup_size(LANES)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let N4 = dims.N / 4u;
  let m0 = wid.y * 8u;           // output rows m0 .. m0 + 7: the same in every lane
  let q0 = gid.x * 2u;           // output columns 4·q0 .. 4·q0 + 7
  if (q0 >= N4 || m0 >= dims.M) { return; }
  let q1 = min(q0 + 1u, N4 - 1u);
  let last = dims.M - 1u;
  let r0 = min(m0 + 0u, last); let r1 = min(m0 + 1u, last); let r2 = min(m0 + 2u, last); let r3 = min(m0 + 3u, last); let r4 = min(m0 + 4u, last); let r5 = min(m0 + 5u, last); let r6 = min(m0 + 6u, last); let r7 = min(m0 + 7u, last);
  var c00 = vec4<f32>(0.0); var c10 = vec4<f32>(0.0); var c20 = vec4<f32>(0.0); var c30 = vec4<f32>(0.0); var c40 = vec4<f32>(0.0); var c50 = vec4<f32>(0.0); var c60 = vec4<f32>(0.0); var c70 = vec4<f32>(0.0);
  var c01 = vec4<f32>(0.0); var c11 = vec4<f32>(0.0); var c21 = vec4<f32>(0.0); var c31 = vec4<f32>(0.0); var c41 = vec4<f32>(0.0); var c51 = vec4<f32>(0.0); var c61 = vec4<f32>(0.0); var c71 = vec4<f32>(0.0);
  if (TRANS_A) {
    // op(A) = Aᵀ, A stored K×M: two vec4s hold rows m0..m0+7 of op(A) at depth k.
    let M4 = dims.M / 4u;
    let p0 = m0 / 4u;
    let p1 = min(p0 + 1u, M4 - 1u);
    for (var k = 0u; k < dims.K; k++) {
      let a0 = A[k * M4 + p0]; let a1 = A[k * M4 + p1];
      let b0 = B[k * N4 + q0]; let b1 = B[k * N4 + q1];
      c00 = fma(vec4<f32>(a0.x), b0, c00); c10 = fma(vec4<f32>(a0.y), b0, c10); c20 = fma(vec4<f32>(a0.z), b0, c20); c30 = fma(vec4<f32>(a0.w), b0, c30);
      c40 = fma(vec4<f32>(a1.x), b0, c40); c50 = fma(vec4<f32>(a1.y), b0, c50); c60 = fma(vec4<f32>(a1.z), b0, c60); c70 = fma(vec4<f32>(a1.w), b0, c70);
      c01 = fma(vec4<f32>(a0.x), b1, c01); c11 = fma(vec4<f32>(a0.y), b1, c11); c21 = fma(vec4<f32>(a0.z), b1, c21); c31 = fma(vec4<f32>(a0.w), b1, c31);
      c41 = fma(vec4<f32>(a1.x), b1, c41); c51 = fma(vec4<f32>(a1.y), b1, c51); c61 = fma(vec4<f32>(a1.z), b1, c61); c71 = fma(vec4<f32>(a1.w), b1, c71);
    }
  } else {
    let K4 = dims.K / 4u;
    for (var k4 = 0u; k4 < K4; k4++) {
      let a0 = A[r0 * K4 + k4]; let a1 = A[r1 * K4 + k4]; let a2 = A[r2 * K4 + k4]; let a3 = A[r3 * K4 + k4];
      let a4 = A[r4 * K4 + k4]; let a5 = A[r5 * K4 + k4]; let a6 = A[r6 * K4 + k4]; let a7 = A[r7 * K4 + k4];
      if (TRANS_B) {
        // op(B) = Bᵀ, B stored N×K: vec4s along K of the 8 output columns.
        let n0 = q0 * 4u; let n1 = q1 * 4u;
        let b00 = B[(n0 + 0u) * K4 + k4]; let b01 = B[(n0 + 1u) * K4 + k4]; let b02 = B[(n0 + 2u) * K4 + k4]; let b03 = B[(n0 + 3u) * K4 + k4];
        let b10 = B[(n1 + 0u) * K4 + k4]; let b11 = B[(n1 + 1u) * K4 + k4]; let b12 = B[(n1 + 2u) * K4 + k4]; let b13 = B[(n1 + 3u) * K4 + k4];
        c00 = mac_nt(a0, b00, b01, b02, b03, c00); c01 = mac_nt(a0, b10, b11, b12, b13, c01);
        c10 = mac_nt(a1, b00, b01, b02, b03, c10); c11 = mac_nt(a1, b10, b11, b12, b13, c11);
        c20 = mac_nt(a2, b00, b01, b02, b03, c20); c21 = mac_nt(a2, b10, b11, b12, b13, c21);
        c30 = mac_nt(a3, b00, b01, b02, b03, c30); c31 = mac_nt(a3, b10, b11, b12, b13, c31);
        c40 = mac_nt(a4, b00, b01, b02, b03, c40); c41 = mac_nt(a4, b10, b11, b12, b13, c41);
        c50 = mac_nt(a5, b00, b01, b02, b03, c50); c51 = mac_nt(a5, b10, b11, b12, b13, c51);
        c60 = mac_nt(a6, b00, b01, b02, b03, c60); c61 = mac_nt(a6, b10, b11, b12, b13, c61);
        c70 = mac_nt(a7, b00, b01, b02, b03, c70); c71 = mac_nt(a7, b10, b11, b12, b13, c71);
      } else {
        let k = k4 * 4u;
        let b00 = B[(k + 0u) * N4 + q0]; let b01 = B[(k + 1u) * N4 + q0]; let b02 = B[(k + 2u) * N4 + q0]; let b03 = B[(k + 3u) * N4 + q0];
        let b10 = B[(k + 0u) * N4 + q1]; let b11 = B[(k + 1u) * N4 + q1]; let b12 = B[(k + 2u) * N4 + q1]; let b13 = B[(k + 3u) * N4 + q1];
        c00 = mac_nn(a0, b00, b01, b02, b03, c00); c01 = mac_nn(a0, b10, b11, b12, b13, c01);
        c10 = mac_nn(a1, b00, b01, b02, b03, c10); c11 = mac_nn(a1, b10, b11, b12, b13, c11);
        c20 = mac_nn(a2, b00, b01, b02, b03, c20); c21 = mac_nn(a2, b10, b11, b12, b13, c21);
        c30 = mac_nn(a3, b00, b01, b02, b03, c30); c31 = mac_nn(a3, b10, b11, b12, b13, c31);
        c40 = mac_nn(a4, b00, b01, b02, b03, c40); c41 = mac_nn(a4, b10, b11, b12, b13, c41);
        c50 = mac_nn(a5, b00, b01, b02, b03, c50); c51 = mac_nn(a5, b10, b11, b12, b13, c51);
        c60 = mac_nn(a6, b00, b01, b02, b03, c60); c61 = mac_nn(a6, b10, b11, b12, b13, c61);
        c70 = mac_nn(a7, b00, b01, b02, b03, c70); c71 = mac_nn(a7, b10, b11, b12, b13, c71);
      }
    }
  }
  var bias0 = vec4<f32>(0.0);
  var bias1 = vec4<f32>(0.0);
  if (HAS_BIAS) { bias0 = bias[q0]; bias1 = bias[q1]; }
  store(m0 + 0u, q0, c00, bias0); store(m0 + 0u, q0 + 1u, c01, bias1);
  store(m0 + 1u, q0, c10, bias0); store(m0 + 1u, q0 + 1u, c11, bias1);
  store(m0 + 2u, q0, c20, bias0); store(m0 + 2u, q0 + 1u, c21, bias1);
  store(m0 + 3u, q0, c30, bias0); store(m0 + 3u, q0 + 1u, c31, bias1);
  store(m0 + 4u, q0, c40, bias0); store(m0 + 4u, q0 + 1u, c41, bias1);
  store(m0 + 5u, q0, c50, bias0); store(m0 + 5u, q0 + 1u, c51, bias1);
  store(m0 + 6u, q0, c60, bias0); store(m0 + 6u, q0 + 1u, c61, bias1);
  store(m0 + 7u, q0, c70, bias0); store(m0 + 7u, q0 + 1u, c71, bias1);
}
