// lib/im2col.wgsl: the implicit im2col matrix of the conv input X (no im2col buffer), for conv2d.wgsl
// (rows m = (n, oh, ow), depth k = (kh, kw, c)) and conv2d_weight_grad.wgsl (the same matrix read
// transposed). The includer declares the storage binding `X`.

//#include lib/conv

// X at output position pos = (n, oh, ow) and tap kc = (kh, kw, c): X[n, oh·sh − ph + kh, ow·sw − pw + kw, c],
// 0 where the tap falls in the padding.
fn im2col(pos: u32, kc: u32) -> f32 {
  let c = kc % dims.in_c;
  let khw = kc / dims.in_c;
  let ow = pos % dims.out_w;
  let t = pos / dims.out_w;
  let ih = i32((t % dims.out_h) * dims.stride_h + khw / dims.k_w) - i32(dims.pad_h);
  let iw = i32(ow * dims.stride_w + khw % dims.k_w) - i32(dims.pad_w);
  if (ih < 0 || iw < 0 || ih >= i32(dims.in_h) || iw >= i32(dims.in_w)) { return 0.0; }
  return X[((t / dims.out_h * dims.in_h + u32(ih)) * dims.in_w + u32(iw)) * dims.in_c + c];
}
