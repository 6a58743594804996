// scripts/conv-ab/direct.wgsl: the direct convolution the A/B measures the implicit GEMMs against
// (not a library kernel): one invocation per output element, loops over every tap and channel.
//   TRANSPOSED = false: Y = conv(X, W), Y[.., oh, ow, o] = Σ X[.., oh·s − p + kh, ow·s − p + kw, c]·W[kh, kw, c, o]
//   TRANSPOSED = true:  R = convᵀ(G, W) gathered: every tap tested for (ih + p − kh) % s == 0.
// NHWC selects the activation layout (NHWC or NCHW); weights are HWIO in both. dims: lib/conv.wgsl's.

//#include lib/conv

override NHWC: bool = true;
override TRANSPOSED: bool = false;

@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

fn at(n: u32, h: u32, w: u32, c: u32, H: u32, W: u32, C: u32) -> u32 {
  if (NHWC) { return ((n * H + h) * W + w) * C + c; }
  return ((n * C + c) * H + h) * W + w;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  // Output element i in the output's own layout.
  var H = dims.out_h; var W = dims.out_w; var C = dims.out_c;
  if (TRANSPOSED) { H = dims.in_h; W = dims.in_w; C = dims.in_c; }
  if (i >= dims.batch * H * W * C) { return; }
  var n: u32; var h: u32; var w: u32; var c: u32;
  if (NHWC) { c = i % C; w = (i / C) % W; h = (i / (C * W)) % H; n = i / (C * W * H); }
  else { w = i % W; h = (i / W) % H; c = (i / (W * H)) % C; n = i / (W * H * C); }
  var acc = 0.0;
  if (!TRANSPOSED) {
    for (var kh = 0u; kh < dims.k_h; kh++) {
      let ih = i32(h * dims.stride_h + kh) - i32(dims.pad_h);
      if (ih < 0 || ih >= i32(dims.in_h)) { continue; }
      for (var kw = 0u; kw < dims.k_w; kw++) {
        let iw = i32(w * dims.stride_w + kw) - i32(dims.pad_w);
        if (iw < 0 || iw >= i32(dims.in_w)) { continue; }
        for (var ci = 0u; ci < dims.in_c; ci++) {
          acc = fma(X[at(n, u32(ih), u32(iw), ci, dims.in_h, dims.in_w, dims.in_c)], Wt[((kh * dims.k_w + kw) * dims.in_c + ci) * dims.out_c + c], acc);
        }
      }
    }
  } else {
    for (var kh = 0u; kh < dims.k_h; kh++) {
      let th = i32(h + dims.pad_h) - i32(kh);
      if (th < 0 || th % i32(dims.stride_h) != 0 || th / i32(dims.stride_h) >= i32(dims.out_h)) { continue; }
      for (var kw = 0u; kw < dims.k_w; kw++) {
        let tw = i32(w + dims.pad_w) - i32(kw);
        if (tw < 0 || tw % i32(dims.stride_w) != 0 || tw / i32(dims.stride_w) >= i32(dims.out_w)) { continue; }
        for (var o = 0u; o < dims.out_c; o++) {
          acc = fma(X[at(n, u32(th) / dims.stride_h, u32(tw) / dims.stride_w, o, dims.out_h, dims.out_w, dims.out_c)], Wt[((kh * dims.k_w + kw) * dims.in_c + c) * dims.out_c + o], acc);
        }
      }
    }
  }
  Y[i] = acc;
}
