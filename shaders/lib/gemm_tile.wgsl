// lib/gemm_tile.wgsl: the workgroup-memory GEMM tile of matmul.wgsl and the three conv kernels.
// A workgroup of WG_X×WG_Y invocations computes a TM×TN block of C = op(A)·op(B) (TM = 4·WG_Y rows,
// TN = RN·WG_X columns), each invocation a 4×RN register block (RN = 4 or 8: one or two vec4
// columns, the second WG_X vec4s to the right so neighbours read neighbouring words), stepping the
// depth by TK through workgroup memory held as vec4 rows. The sizes are overrides, so every
// schedule the tuner may pick (src/kernels/matmul.ts, TILED_SCHEDULES) runs in each includer; the
// defaults (16×16, 4×4, TK 16: a 64×64 tile) are the rule's.
// The includer defines, for rows m, columns n and depths k (the tile reads only k < its k_end):
//   fn load_a(m: u32, k: u32) -> f32              op(A)[m, k], 0 past the rows
//   fn load_b(k: u32, n: u32) -> f32              op(B)[k, n], 0 past the columns
//   fn store_tile(m: u32, n: u32, v: vec4<f32>)   C[m, n..n+3] with its epilogue, bounds-checked
// TRANS_A (op(A) is contiguous along m) and TRANS_B (op(B) contiguous along k) only choose which
// invocation stages which element, so that neighbouring invocations read neighbouring words.
// The staged tiles' element type is tile_t (lib/tile_precision): f32, or f16 in the kernels'
// f16 variants (kernels/shader-lib.ts's shaderF16, only on devices with shader-f16), where the
// tiles take half the workgroup memory and the products, exact in f32 (11-bit × 11-bit mantissas),
// are still accumulated in f32.

//#include lib/tile_precision

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override RN: u32 = 4u;
override TK: u32 = 16u;

// As[k * WG_Y + i] holds op(A) rows 4i..4i+3 of the tile at depth k; Bs[k * (TN / 4) + j] columns 4j..4j+3.
var<workgroup> As: array<vec4<tile_t>, TK * WG_Y>;
var<workgroup> Bs: array<vec4<tile_t>, TK * WG_X * RN / 4u>;

// The tile with top-left corner (row0, col0) over depths k_begin ≤ k < k_end, stored by store_tile.
// Every invocation of the workgroup must call it (it has barriers).
fn gemm_tile(row0: u32, col0: u32, k_begin: u32, k_end: u32, lid: vec3<u32>, li: u32) {
  let TM = 4u * WG_Y;
  let TN = RN * WG_X;
  let TN4 = TN / 4u;
  let WG = WG_X * WG_Y;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // The second vec4 column of the block (RN = 8 only).
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);

  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    // The WG invocations stage the TM·TK elements of A's tile and the TK·TN of B's, each element
    // order following the stored layout's contiguous axis so neighbouring invocations read neighbouring words.
    for (var e = li; e < TM * TK; e += WG) {
      var m: u32; var ka: u32;
      if (TRANS_A) { m = e % TM; ka = e / TM; } else { ka = e % TK; m = e / TK; }
      var v = 0.0;
      if (k0 + ka < k_end) { v = load_a(row0 + m, k0 + ka); }
      As[ka * WG_Y + m / 4u][m % 4u] = tile_t(v);
    }
    for (var e = li; e < TK * TN; e += WG) {
      var n: u32; var kb: u32;
      if (TRANS_B) { kb = e % TK; n = e / TK; } else { n = e % TN; kb = e / TN; }
      var v = 0.0;
      if (k0 + kb < k_end) { v = load_b(k0 + kb, col0 + n); }
      Bs[kb * TN4 + n / 4u][n % 4u] = tile_t(v);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let a = vec4<f32>(As[k * WG_Y + lid.y]);
      let b = vec4<f32>(Bs[k * TN4 + lid.x]);
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
      if (RN == 8u) {
        let b2 = vec4<f32>(Bs[k * TN4 + WG_X + lid.x]);
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
  store_tile(m, n, acc0);
  store_tile(m + 1u, n, acc1);
  store_tile(m + 2u, n, acc2);
  store_tile(m + 3u, n, acc3);
  if (RN == 8u) {
    let n2 = n + 4u * WG_X;
    store_tile(m, n2, acc4);
    store_tile(m + 1u, n2, acc5);
    store_tile(m + 2u, n2, acc6);
    store_tile(m + 3u, n2, acc7);
  }
}
