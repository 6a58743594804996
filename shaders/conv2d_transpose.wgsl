// conv2d_transpose.wgsl: R = act(convᵀ(G, W) + bias), NHWC: the transposed convolution's forward and
// the convolution's input gradient, which are the same sum.
//   R[n, ih, iw, c] = act(b[c] + Σ G[n, oh, ow, o] · W[kh, kw, c, o]  over ih = oh·sh − ph + kh,
//                                                                         iw = ow·sw − pw + kw)
// Shapes (named for the convolution this transposes, lib/conv.wgsl's ConvDims): R is B×H×W×C (the conv's
// input side; H, W given, so output padding and rows a strided conv drops are just sizes), G is
// B×OH×OW×O, W is KH×KW×C×O, bias is C.
// Sub-pixel phases: R's rows with ih ≡ a (mod sh) only meet taps kh ≡ (a + ph) (mod sh), so each
// phase (a, b) (workgroup_id.z = a·sw + b) is a dense GEMM — rows (n, i, j) with ih = a + sh·i,
// iw = b + sw·j; depth (th, tw, o) with kh = kh0 + sh·th; oh = i + qh − th — and no multiply-add
// is spent on a stride's zeros. Entry `main` (GPUs): lib/gemm_tile.wgsl's workgroup-memory tile per
// phase; `main_cpu` (CPU-backed adapters): 8 rows × 8 channels per invocation in registers.
// CPU twin: src/cpu/conv2d.ts (conv2dTranspose, a scatter, written from the definition).

//#include lib/activation
//#include lib/conv
//#include lib/gemm_tile

override HAS_BIAS: bool = false;
// main_cpu only: lanes take consecutive 8-row blocks (workgroup y the channel block; W loads are
// then broadcasts) instead of 8-channel blocks, which leave lanes idle below 64 channels.
override LANES_ALONG_ROWS: bool = false;

@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> R: array<f32>;

struct Phase {
  a: u32, b: u32,       // ih ≡ a (mod sh), iw ≡ b (mod sw)
  nh: u32, nw: u32,     // rows and columns of R in this phase
  kh0: u32, kw0: u32,   // first tap of the phase
  qh: u32, qw: u32,     // oh = i + qh − th
  nth: u32, ntw: u32,   // taps of the phase along h, w
  M: u32, K: u32,
}

fn count(n: u32, first: u32, step: u32) -> u32 {
  return select(0u, (n - first + step - 1u) / step, first < n);
}

fn phase_of(z: u32) -> Phase {
  var p: Phase;
  p.a = z / dims.stride_w;
  p.b = z % dims.stride_w;
  p.nh = count(dims.in_h, p.a, dims.stride_h);
  p.nw = count(dims.in_w, p.b, dims.stride_w);
  p.kh0 = (p.a + dims.pad_h) % dims.stride_h;
  p.kw0 = (p.b + dims.pad_w) % dims.stride_w;
  p.qh = (p.a + dims.pad_h) / dims.stride_h;
  p.qw = (p.b + dims.pad_w) / dims.stride_w;
  p.nth = count(dims.k_h, p.kh0, dims.stride_h);
  p.ntw = count(dims.k_w, p.kw0, dims.stride_w);
  p.M = dims.batch * p.nh * p.nw;
  p.K = p.nth * p.ntw * dims.out_c;
  return p;
}

// Index into R of phase row m.
fn row_index(p: Phase, m: u32) -> u32 {
  let j = m % p.nw;
  let t = m / p.nw;
  return ((t / p.nh) * dims.in_h + p.a + dims.stride_h * (t % p.nh)) * dims.in_w + p.b + dims.stride_w * j;
}

fn store(p: Phase, m: u32, c: u32, v: f32) {
  if (m >= p.M || c >= dims.in_c) { return; }
  var r = v;
  if (HAS_BIAS) { r += bias[c]; }
  R[row_index(p, m) * dims.in_c + c] = activate_f32(r);
}

// The tile's operands in the phase `main` works on: G gathered at the phase's taps (depth k =
// (th, tw, o), 0 outside G or past the phase's rows) and W at those taps as K×C; k < the phase's K.
var<private> phase: Phase;

fn load_a(m: u32, k: u32) -> f32 {
  let p = phase;
  if (m >= p.M) { return 0.0; }
  let o = k % dims.out_c;
  let tt = k / dims.out_c;
  let j = m % p.nw;
  let t = m / p.nw;
  let oh = i32(t % p.nh + p.qh) - i32(tt / p.ntw);
  let ow = i32(j + p.qw) - i32(tt % p.ntw);
  if (oh < 0 || ow < 0 || oh >= i32(dims.out_h) || ow >= i32(dims.out_w)) { return 0.0; }
  return G[(((t / p.nh) * dims.out_h + u32(oh)) * dims.out_w + u32(ow)) * dims.out_c + o];
}

fn load_b(k: u32, c: u32) -> f32 {
  let p = phase;
  if (c >= dims.in_c) { return 0.0; }
  let o = k % dims.out_c;
  let tt = k / dims.out_c;
  let kh = p.kh0 + dims.stride_h * (tt / p.ntw);
  let kw = p.kw0 + dims.stride_w * (tt % p.ntw);
  return Wt[((kh * dims.k_w + kw) * dims.in_c + c) * dims.out_c + o];
}

fn store_tile(m: u32, c: u32, v: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) { store(phase, m, c + j, v[j]); }
}

// Both operands are contiguous along o, the fastest part of k (TRANS_B: W is read as C×K).
@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  // From workgroup_id, so uniform (a private variable would not count as uniform for the barriers).
  let p = phase_of(wid.z);
  phase = p;
  let row0 = wid.y * 4u * WG_Y;
  if (row0 >= p.M) { return; }
  gemm_tile(row0, wid.x * RN * WG_X, 0u, p.K, lid, li);
}

// CPU-adapter schedule: an invocation owns channels c0..c0+7 of 8 rows of phase z; the lanes step
// the rows (LANES_ALONG_ROWS) or the channels, workgroup y the other;
// accumulators in named registers as in conv2d.wgsl.
@compute @workgroup_size(8)
fn main_cpu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = phase_of(wid.z);
  let c0 = select(gid.x, wid.y, LANES_ALONG_ROWS) * 8u;
  let m0 = select(wid.y, gid.x, LANES_ALONG_ROWS) * 8u;
  if (c0 >= dims.in_c || m0 >= p.M) { return; }
  let lc = dims.in_c - 1u;
  let oc = dims.out_c;
  // Offsets of the lane's channels in a tap's C×O block of W (past C: repeats, not stored).
  let w0 = c0 * oc; let w1 = min(c0 + 1u, lc) * oc; let w2 = min(c0 + 2u, lc) * oc; let w3 = min(c0 + 3u, lc) * oc;
  let w4 = min(c0 + 4u, lc) * oc; let w5 = min(c0 + 5u, lc) * oc; let w6 = min(c0 + 6u, lc) * oc; let w7 = min(c0 + 7u, lc) * oc;
  var img: array<u32, 8>;
  var oh0: array<i32, 8>;
  var ow0: array<i32, 8>;
  for (var r = 0u; r < 8u; r++) {
    let m = min(m0 + r, p.M - 1u);
    let t = m / p.nw;
    img[r] = (t / p.nh) * dims.out_h;
    oh0[r] = i32(t % p.nh + p.qh);
    ow0[r] = i32(m % p.nw + p.qw);
  }
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  var a4 = vec4<f32>(0.0); var a5 = vec4<f32>(0.0); var a6 = vec4<f32>(0.0); var a7 = vec4<f32>(0.0);
  var b0 = vec4<f32>(0.0); var b1 = vec4<f32>(0.0); var b2 = vec4<f32>(0.0); var b3 = vec4<f32>(0.0);
  var b4 = vec4<f32>(0.0); var b5 = vec4<f32>(0.0); var b6 = vec4<f32>(0.0); var b7 = vec4<f32>(0.0);
  for (var th = 0u; th < p.nth; th++) {
    for (var tw = 0u; tw < p.ntw; tw++) {
      var off: array<u32, 8>;
      var ok: array<bool, 8>;
      for (var r = 0u; r < 8u; r++) {
        let oh = oh0[r] - i32(th);
        let ow = ow0[r] - i32(tw);
        ok[r] = oh >= 0 && ow >= 0 && oh < i32(dims.out_h) && ow < i32(dims.out_w);
        off[r] = select(0u, ((img[r] + u32(oh)) * dims.out_w + u32(ow)) * oc, ok[r]);
      }
      let f0 = off[0]; let f1 = off[1]; let f2 = off[2]; let f3 = off[3]; let f4 = off[4]; let f5 = off[5]; let f6 = off[6]; let f7 = off[7];
      let k0 = ok[0]; let k1 = ok[1]; let k2 = ok[2]; let k3 = ok[3]; let k4 = ok[4]; let k5 = ok[5]; let k6 = ok[6]; let k7 = ok[7];
      let wr = ((p.kh0 + dims.stride_h * th) * dims.k_w + p.kw0 + dims.stride_w * tw) * dims.in_c * oc;
      for (var o = 0u; o < oc; o++) {
        let q = wr + o;
        let w = vec4<f32>(Wt[q + w0], Wt[q + w1], Wt[q + w2], Wt[q + w3]);
        let u = vec4<f32>(Wt[q + w4], Wt[q + w5], Wt[q + w6], Wt[q + w7]);
        let x0 = vec4<f32>(select(0.0, G[f0 + o], k0)); let x1 = vec4<f32>(select(0.0, G[f1 + o], k1));
        let x2 = vec4<f32>(select(0.0, G[f2 + o], k2)); let x3 = vec4<f32>(select(0.0, G[f3 + o], k3));
        let x4 = vec4<f32>(select(0.0, G[f4 + o], k4)); let x5 = vec4<f32>(select(0.0, G[f5 + o], k5));
        let x6 = vec4<f32>(select(0.0, G[f6 + o], k6)); let x7 = vec4<f32>(select(0.0, G[f7 + o], k7));
        a0 = fma(x0, w, a0); a1 = fma(x1, w, a1); a2 = fma(x2, w, a2); a3 = fma(x3, w, a3);
        a4 = fma(x4, w, a4); a5 = fma(x5, w, a5); a6 = fma(x6, w, a6); a7 = fma(x7, w, a7);
        b0 = fma(x0, u, b0); b1 = fma(x1, u, b1); b2 = fma(x2, u, b2); b3 = fma(x3, u, b3);
        b4 = fma(x4, u, b4); b5 = fma(x5, u, b5); b6 = fma(x6, u, b6); b7 = fma(x7, u, b7);
      }
    }
  }
  store8(p, m0 + 0u, c0, a0, b0); store8(p, m0 + 1u, c0, a1, b1); store8(p, m0 + 2u, c0, a2, b2); store8(p, m0 + 3u, c0, a3, b3);
  store8(p, m0 + 4u, c0, a4, b4); store8(p, m0 + 5u, c0, a5, b5); store8(p, m0 + 6u, c0, a6, b6); store8(p, m0 + 7u, c0, a7, b7);
}

fn store8(p: Phase, m: u32, c0: u32, a: vec4<f32>, b: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) { store(p, m, c0 + j, a[j]); store(p, m, c0 + 4u + j, b[j]); }
}
