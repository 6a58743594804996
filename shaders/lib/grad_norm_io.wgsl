// lib/grad_norm_io.wgsl: the uniforms and bindings of grad_norm.wgsl and of its subgroup schedule
// (grad_norm_subgroup.wgsl), which must stay one set, and the clip both write from the sum of squares:
// [n, scale, Σ g², 1 if n is not finite else 0]. Include lib/finite first.

struct Params {
  count4: u32,
  partials: u32,   // P
  chunk: u32,      // vec4s per partial in the serial schedule: ⌈count4 / P⌉
  _pad0: u32,
  max_norm: f32,
  _pad1: f32,
  _pad2: f32,
  _pad3: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> clip: array<f32>;

fn write_clip(sum: f32) {
  let n = sqrt(sum);
  clip[0] = n;
  clip[1] = min(1.0, params.max_norm / (n + 1e-6));
  clip[2] = sum;
  clip[3] = select(1.0, 0.0, is_finite(n));
}
