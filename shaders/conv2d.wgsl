// conv2d.wgsl: Y = act(conv(X, W) + bias), NHWC, as an implicit GEMM (no im2col buffer).
//   Y[n, oh, ow, o] = act(b[o] + Σ_{kh, kw, c} X[n, oh·sh − ph + kh, ow·sw − pw + kw, c] · W[kh, kw, c, o])
// Shapes: X is B×H×W×C, W is KH×KW×C×O (HWIO), bias is O, Y is B×OH×OW×O; taps outside X read 0.
// As a GEMM: rows m = (n, oh, ow) (M = B·OH·OW), columns o (N = O), depth k = (kh, kw, c) (K = KH·KW·C),
// so Y's rows are the matmul's rows and the bias and activation epilogue is the matmul's.
// Also the transposed conv's input gradient (same W layout). Entry `main` (GPUs): lib/gemm_tile.wgsl's
// workgroup-memory tile (the rule's 64×64 or a tuned one); the bias and activation epilogue as matmul's.
// Entry `main_cpu` (CPU-backed adapters): no workgroup memory; an 8-row × 8-channel block per
// invocation in registers, lanes along 8-row blocks (LANES_ALONG_ROWS) or along channel blocks. CPU twin: src/cpu/conv2d.ts.

//#include lib/activation
//#include lib/im2col
//#include lib/gemm_tile

override HAS_BIAS: bool = false;
// main_cpu only: lanes take consecutive 8-row blocks (workgroup y the channel block; W loads are
// then broadcasts) instead of 8-channel blocks, which leave lanes idle below 64 channels.
override LANES_ALONG_ROWS: bool = false;

@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;

fn store(m: u32, o: u32, v: f32) {
  if (m >= dims.M || o >= dims.out_c) { return; }
  var r = v;
  if (HAS_BIAS) { r += bias[o]; }
  Y[m * dims.out_c + o] = activate_f32(r);
}

// The GEMM's operands: the implicit im2col matrix (row m = (n, oh, ow), depth k = (kh, kw, c); 0
// outside X or past M) and W as K×O; the tile asks only for k < K.
fn load_a(m: u32, k: u32) -> f32 {
  if (m >= dims.M) { return 0.0; }
  return im2col(m, k);
}

fn load_b(k: u32, o: u32) -> f32 {
  if (o >= dims.out_c) { return 0.0; }
  return Wt[k * dims.out_c + o];
}

fn store_tile(m: u32, o: u32, v: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) { store(m, o + j, v[j]); }
}

// Rows along k (c is contiguous in X) and W along o: the tile's default staging order.
@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  gemm_tile(wid.y * 4u * WG_Y, wid.x * RN * WG_X, 0u, dims.K, lid, li);
}

// CPU-adapter schedule: an invocation owns output channels o0..o0+7 (two vec4 accumulators per
// row) of rows m0..m0+7; the lanes step m0 (LANES_ALONG_ROWS) or o0, workgroup y the other; 16 accumulators in named registers (arrays indexed in loops cost
// lavapipe 1.5×: docs/CONV.md). Taps outer, channels inner: one bounds test per row and tap.
@compute @workgroup_size(8)
fn main_cpu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let o0 = select(gid.x, wid.y, LANES_ALONG_ROWS) * 8u;
  let m0 = select(wid.y, gid.x, LANES_ALONG_ROWS) * 8u;
  if (o0 >= dims.out_c || m0 >= dims.M) { return; }
  let lo = dims.out_c - 1u;
  let o1 = min(o0 + 1u, lo); let o2 = min(o0 + 2u, lo); let o3 = min(o0 + 3u, lo);
  let o4 = min(o0 + 4u, lo); let o5 = min(o0 + 5u, lo); let o6 = min(o0 + 6u, lo); let o7 = min(o0 + 7u, lo);
  // Each row's image base and top-left input corner (rows past M repeat the last row; not stored).
  var base: array<u32, 8>;
  var ih0: array<i32, 8>;
  var iw0: array<i32, 8>;
  for (var r = 0u; r < 8u; r++) {
    let m = min(m0 + r, dims.M - 1u);
    let t = m / dims.out_w;
    base[r] = t / dims.out_h * dims.in_h;
    ih0[r] = i32((t % dims.out_h) * dims.stride_h) - i32(dims.pad_h);
    iw0[r] = i32((m % dims.out_w) * dims.stride_w) - i32(dims.pad_w);
  }
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0); var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
  var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
  var b4 = vec4<f32>(0.0); var b5 = vec4<f32>(0.0); var b6 = vec4<f32>(0.0); var b7 = vec4<f32>(0.0);
  for (var kh = 0u; kh < dims.k_h; kh++) {
    for (var kw = 0u; kw < dims.k_w; kw++) {
      var off: array<u32, 8>;
      var ok: array<bool, 8>;
      for (var r = 0u; r < 8u; r++) {
        let ih = ih0[r] + i32(kh);
        let iw = iw0[r] + i32(kw);
        ok[r] = ih >= 0 && iw >= 0 && ih < i32(dims.in_h) && iw < i32(dims.in_w);
        off[r] = select(0u, ((base[r] + u32(ih)) * dims.in_w + u32(iw)) * dims.in_c, ok[r]);
      }
      let f0 = off[0]; let f1 = off[1]; let f2 = off[2]; let f3 = off[3]; let f4 = off[4]; let f5 = off[5]; let f6 = off[6]; let f7 = off[7];
      let k0 = ok[0]; let k1 = ok[1]; let k2 = ok[2]; let k3 = ok[3]; let k4 = ok[4]; let k5 = ok[5]; let k6 = ok[6]; let k7 = ok[7];
      let wbase = (kh * dims.k_w + kw) * dims.in_c * dims.out_c;
      for (var c = 0u; c < dims.in_c; c++) {
        let wr = wbase + c * dims.out_c;
        let w = vec4<f32>(Wt[wr + o0], Wt[wr + o1], Wt[wr + o2], Wt[wr + o3]);
        let u = vec4<f32>(Wt[wr + o4], Wt[wr + o5], Wt[wr + o6], Wt[wr + o7]);
        let x0 = vec4<f32>(select(0.0, X[f0 + c], k0)); let x1 = vec4<f32>(select(0.0, X[f1 + c], k1));
        let x2 = vec4<f32>(select(0.0, X[f2 + c], k2)); let x3 = vec4<f32>(select(0.0, X[f3 + c], k3));
        let x4 = vec4<f32>(select(0.0, X[f4 + c], k4)); let x5 = vec4<f32>(select(0.0, X[f5 + c], k5));
        let x6 = vec4<f32>(select(0.0, X[f6 + c], k6)); let x7 = vec4<f32>(select(0.0, X[f7 + c], k7));
        a0 = fma(x0, w, a0); a1 = fma(x1, w, a1); a2 = fma(x2, w, a2); a3 = fma(x3, w, a3);
        a4 = fma(x4, w, a4); a5 = fma(x5, w, a5); a6 = fma(x6, w, a6); a7 = fma(x7, w, a7);
        b0 = fma(x0, u, b0); b1 = fma(x1, u, b1); b2 = fma(x2, u, b2); b3 = fma(x3, u, b3);
        b4 = fma(x4, u, b4); b5 = fma(x5, u, b5); b6 = fma(x6, u, b6); b7 = fma(x7, u, b7);
      }
    }
  }
  store8(m0 + 0u, o0, a0, b0); store8(m0 + 1u, o0, a1, b1); store8(m0 + 2u, o0, a2, b2); store8(m0 + 3u, o0, a3, b3);
  store8(m0 + 4u, o0, a4, b4); store8(m0 + 5u, o0, a5, b5); store8(m0 + 6u, o0, a6, b6); store8(m0 + 7u, o0, a7, b7);
}

fn store8(m: u32, o0: u32, a: vec4<f32>, b: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) { store(m, o0 + j, a[j]); store(m, o0 + 4u + j, b[j]); }
}
