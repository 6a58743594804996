// conv2d_weight_grad.wgsl: the convolution's weight gradient, NHWC, as an implicit GEMM split along
// its long depth (batch × output positions) into `splits` partial sums added in a fixed order.
//   dW[kh, kw, c, o] = Σ_{n, oh, ow} X[n, oh·sh − ph + kh, ow·sw − pw + kw, c] · G[n, oh, ow, o]
// Shapes (lib/conv.wgsl's ConvDims): X is B×H×W×C, G is B×OH×OW×O (dPre of the conv's output), dW is
// KH×KW×C×O. As a GEMM: rows m = (kh, kw, c) (M = KH·KW·C), columns o, depth k = (n, oh, ow)
// (K = B·OH·OW); split z sums k in [z·chunk, (z + 1)·chunk) into partial[z] (dW itself when there
// is one split); `reduce_splits` then adds the splits in order. Deterministic, no atomics.
// The transposed conv's weight gradient is this kernel with X = its output's dPre and G = its input.
// Entry `main` (GPUs): lib/gemm_tile.wgsl's workgroup-memory tile; `main_cpu` (CPU-backed adapters):
// 8 rows from workgroup_id × 8 columns per invocation. CPU twin: src/cpu/conv2d.ts.

//#include lib/im2col
//#include lib/gemm_tile

@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read_write> dW: array<f32>;

fn store(z: u32, m: u32, o: u32, v: f32) {
  if (m < dims.M && o < dims.out_c) { partial[(z * dims.M + m) * dims.out_c + o] = v; }
}

// The tile's operands: the im2col matrix read transposed (row m = (kh, kw, c), depth k = (n, oh, ow);
// 0 outside X or past M) and G as K×O, for the split `main` works on.
var<private> split: u32;

fn load_a(m: u32, k: u32) -> f32 {
  if (m >= dims.M) { return 0.0; }
  return im2col(k, m);
}

fn load_b(k: u32, o: u32) -> f32 {
  if (o >= dims.out_c) { return 0.0; }
  return G[k * dims.out_c + o];
}

fn store_tile(m: u32, o: u32, v: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) { store(split, m, o + j, v[j]); }
}

// A is contiguous along m (c is X's fastest axis: TRANS_A), G along o.
@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  split = wid.z;
  let k_begin = wid.z * dims.chunk;
  gemm_tile(wid.y * 4u * WG_Y, wid.x * RN * WG_X, k_begin, min(dims.K, k_begin + dims.chunk), lid, li);
}

// CPU-adapter schedule: lane x owns columns 8x..8x+7, workgroup y owns rows 8y..8y+7, z the split;
// accumulators in named registers as in conv2d.wgsl. The depth walks (n, oh, ow) with counters.
@compute @workgroup_size(8)
fn main_cpu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let o0 = gid.x * 8u;
  let m0 = wid.y * 8u;
  if (o0 >= dims.out_c || m0 >= dims.M) { return; }
  let lo = dims.out_c - 1u;
  let o1 = min(o0 + 1u, lo); let o2 = min(o0 + 2u, lo); let o3 = min(o0 + 3u, lo);
  let o4 = min(o0 + 4u, lo); let o5 = min(o0 + 5u, lo); let o6 = min(o0 + 6u, lo); let o7 = min(o0 + 7u, lo);
  var kh: array<i32, 8>;
  var kw: array<i32, 8>;
  var ch: array<u32, 8>;
  for (var r = 0u; r < 8u; r++) {
    let m = min(m0 + r, dims.M - 1u);
    let tap = m / dims.in_c;
    ch[r] = m % dims.in_c;
    kh[r] = i32(tap / dims.k_w) - i32(dims.pad_h);
    kw[r] = i32(tap % dims.k_w) - i32(dims.pad_w);
  }
  let h0 = kh[0]; let h1 = kh[1]; let h2 = kh[2]; let h3 = kh[3]; let h4 = kh[4]; let h5 = kh[5]; let h6 = kh[6]; let h7 = kh[7];
  let v0 = kw[0]; let v1 = kw[1]; let v2 = kw[2]; let v3 = kw[3]; let v4 = kw[4]; let v5 = kw[5]; let v6 = kw[6]; let v7 = kw[7];
  let c0 = ch[0]; let c1 = ch[1]; let c2 = ch[2]; let c3 = ch[3]; let c4 = ch[4]; let c5 = ch[5]; let c6 = ch[6]; let c7 = ch[7];
  let k_begin = wid.z * dims.chunk;
  let k_end = min(dims.K, k_begin + dims.chunk);
  var ow = k_begin % dims.out_w;
  var oh = (k_begin / dims.out_w) % dims.out_h;
  var n = k_begin / (dims.out_w * dims.out_h);
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0); var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
  var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
  var b4 = vec4<f32>(0.0); var b5 = vec4<f32>(0.0); var b6 = vec4<f32>(0.0); var b7 = vec4<f32>(0.0);
  for (var k = k_begin; k < k_end; k++) {
    let g = k * dims.out_c;
    let w = vec4<f32>(G[g + o0], G[g + o1], G[g + o2], G[g + o3]);
    let u = vec4<f32>(G[g + o4], G[g + o5], G[g + o6], G[g + o7]);
    let ih0 = i32(oh * dims.stride_h);
    let iw0 = i32(ow * dims.stride_w);
    let img = n * dims.in_h;
    let x0 = vec4<f32>(tap(img, ih0 + h0, iw0 + v0, c0)); let x1 = vec4<f32>(tap(img, ih0 + h1, iw0 + v1, c1));
    let x2 = vec4<f32>(tap(img, ih0 + h2, iw0 + v2, c2)); let x3 = vec4<f32>(tap(img, ih0 + h3, iw0 + v3, c3));
    let x4 = vec4<f32>(tap(img, ih0 + h4, iw0 + v4, c4)); let x5 = vec4<f32>(tap(img, ih0 + h5, iw0 + v5, c5));
    let x6 = vec4<f32>(tap(img, ih0 + h6, iw0 + v6, c6)); let x7 = vec4<f32>(tap(img, ih0 + h7, iw0 + v7, c7));
    a0 = fma(x0, w, a0); a1 = fma(x1, w, a1); a2 = fma(x2, w, a2); a3 = fma(x3, w, a3);
    a4 = fma(x4, w, a4); a5 = fma(x5, w, a5); a6 = fma(x6, w, a6); a7 = fma(x7, w, a7);
    b0 = fma(x0, u, b0); b1 = fma(x1, u, b1); b2 = fma(x2, u, b2); b3 = fma(x3, u, b3);
    b4 = fma(x4, u, b4); b5 = fma(x5, u, b5); b6 = fma(x6, u, b6); b7 = fma(x7, u, b7);
    ow++;
    if (ow == dims.out_w) {
      ow = 0u;
      oh++;
      if (oh == dims.out_h) { oh = 0u; n++; }
    }
  }
  let z = wid.z;
  store8(z, m0 + 0u, o0, a0, b0); store8(z, m0 + 1u, o0, a1, b1); store8(z, m0 + 2u, o0, a2, b2); store8(z, m0 + 3u, o0, a3, b3);
  store8(z, m0 + 4u, o0, a4, b4); store8(z, m0 + 5u, o0, a5, b5); store8(z, m0 + 6u, o0, a6, b6); store8(z, m0 + 7u, o0, a7, b7);
}

// X at (image row base img, ih, iw, c), 0 outside the image. The bounds test joins with `&`, not
// `&&`: WGSL's short-circuit operators become branches, and with 8 taps per step of main_cpu's loop
// SwiftShader (Subzero) took 47 s to compile this kernel with them, 0.7 s without (measured
// 2026-12-06, loaded machine). conv2d's and conv2d_transpose's tests sit outside their inner loops.
fn tap(img: u32, ih: i32, iw: i32, c: u32) -> f32 {
  let ok = (ih >= 0) & (iw >= 0) & (ih < i32(dims.in_h)) & (iw < i32(dims.in_w));
  return select(0.0, X[select(0u, ((img + u32(ih)) * dims.in_w + u32(iw)) * dims.in_c + c, ok)], ok);
}

fn store8(z: u32, m: u32, o0: u32, a: vec4<f32>, b: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) { store(z, m, o0 + j, a[j]); store(z, m, o0 + 4u + j, b[j]); }
}

// dW = Σ_z partial[z], in order: one invocation per weight.
@compute @workgroup_size(64)
fn reduce_splits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  let size = dims.M * dims.out_c;
  if (i >= size) { return; }
  let splits = (dims.K + dims.chunk - 1u) / dims.chunk;
  var sum = 0.0;
  for (var z = 0u; z < splits; z++) { sum += partial[z * size + i]; }
  dW[i] = sum;
}
