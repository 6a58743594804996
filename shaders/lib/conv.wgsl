// lib/conv.wgsl: the geometry uniform at binding 0 that the three conv kernels share (conv2d.wgsl,
// conv2d_transpose.wgsl, conv2d_weight_grad.wgsl; lib/im2col.wgsl reads through it).
// NHWC activations, HWIO weights; the geometry is that of the convolution relation
//   out[n, oh, ow, o] ← in[n, oh·stride_h − pad_h + kh, ow·stride_w − pad_w + kw, c]·W[kh, kw, c, o],
// in B×in_h×in_w×in_c, out B×out_h×out_w×out_c (src/kernels/conv-shape.ts, ConvGeometry).
// M, K and chunk are the kernel's GEMM view where it has one (0 where not): conv2d's rows and depth,
// the weight gradient's rows, depth and depth per split.

struct ConvDims {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, pad_h: u32,
  pad_w: u32, M: u32, K: u32, chunk: u32,
}

@group(0) @binding(0) var<uniform> dims: ConvDims;
