// matmul_vec4.wgsl: C = act(op(A) · op(B) + bias) for CPU-backed adapters (lavapipe, SwiftShader).
// Same contract as matmul.wgsl, other schedule: no workgroup memory and no barriers (a CPU's caches
// already do what staging tiles do on a GPU, and its barriers are costly); each invocation reads
// vec4s straight from the buffers and keeps a 4×4 block of C in registers. Needs 4 | N and 4 | the
// contiguous axis of each operand (NN, NT: 4 | K; TN: 4 | M); TT is not provided. Rows of op(A)
// past M are clamped on load and skipped on store. CPU twin: src/cpu/matmul.ts.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACT: u32 = 0u;

struct Dims { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> C: array<vec4<f32>>;

fn activate(v: vec4<f32>) -> vec4<f32> {
  switch ACT {
    case 1u: { return max(v, vec4<f32>(0.0)); }
    case 2u: {
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case 3u: {
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
    }
    case 4u: { return max(v, vec4<f32>(0.0)) + log(1.0 + exp(-abs(v))); }
    default: { return v; }
  }
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n4 = gid.x;          // output columns 4·n4 .. 4·n4 + 3
  let m0 = gid.y * 4u;     // output rows m0 .. m0 + 3
  let N4 = dims.N / 4u;
  if (n4 >= N4 || m0 >= dims.M) { return; }
  let last = dims.M - 1u;
  let r0 = m0; let r1 = min(m0 + 1u, last); let r2 = min(m0 + 2u, last); let r3 = min(m0 + 3u, last);
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  if (TRANS_A) {
    // op(A) = Aᵀ, A stored K×M: one vec4 holds rows m0..m0+3 of op(A) at depth k.
    let M4 = dims.M / 4u;
    for (var k = 0u; k < dims.K; k++) {
      let a = A[k * M4 + m0 / 4u];
      let b = B[k * N4 + n4];
      c0 = fma(vec4<f32>(a.x), b, c0);
      c1 = fma(vec4<f32>(a.y), b, c1);
      c2 = fma(vec4<f32>(a.z), b, c2);
      c3 = fma(vec4<f32>(a.w), b, c3);
    }
  } else {
    let K4 = dims.K / 4u;
    for (var k4 = 0u; k4 < K4; k4++) {
      let a0 = A[r0 * K4 + k4]; let a1 = A[r1 * K4 + k4]; let a2 = A[r2 * K4 + k4]; let a3 = A[r3 * K4 + k4];
      if (TRANS_B) {
        // op(B) = Bᵀ, B stored N×K: vec4s along K of four output columns; dot products.
        let n = n4 * 4u;
        let b0 = B[n * K4 + k4]; let b1 = B[(n + 1u) * K4 + k4]; let b2 = B[(n + 2u) * K4 + k4]; let b3 = B[(n + 3u) * K4 + k4];
        c0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
        c1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
        c2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
        c3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
      } else {
        let k = k4 * 4u;
        let b0 = B[k * N4 + n4]; let b1 = B[(k + 1u) * N4 + n4]; let b2 = B[(k + 2u) * N4 + n4]; let b3 = B[(k + 3u) * N4 + n4];
        c0 = fma(vec4<f32>(a0.x), b0, fma(vec4<f32>(a0.y), b1, fma(vec4<f32>(a0.z), b2, fma(vec4<f32>(a0.w), b3, c0))));
        c1 = fma(vec4<f32>(a1.x), b0, fma(vec4<f32>(a1.y), b1, fma(vec4<f32>(a1.z), b2, fma(vec4<f32>(a1.w), b3, c1))));
        c2 = fma(vec4<f32>(a2.x), b0, fma(vec4<f32>(a2.y), b1, fma(vec4<f32>(a2.z), b2, fma(vec4<f32>(a2.w), b3, c2))));
        c3 = fma(vec4<f32>(a3.x), b0, fma(vec4<f32>(a3.y), b1, fma(vec4<f32>(a3.z), b2, fma(vec4<f32>(a3.w), b3, c3))));
      }
    }
  }
  var b = vec4<f32>(0.0);
  if (HAS_BIAS) { b = bias[n4]; }
  C[m0 * N4 + n4] = activate(c0 + b);
  if (m0 + 1u < dims.M) { C[(m0 + 1u) * N4 + n4] = activate(c1 + b); }
  if (m0 + 2u < dims.M) { C[(m0 + 2u) * N4 + n4] = activate(c2 + b); }
  if (m0 + 3u < dims.M) { C[(m0 + 3u) * N4 + n4] = activate(c3 + b); }
}
