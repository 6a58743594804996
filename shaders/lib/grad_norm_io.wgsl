// lib/grad_norm_io.wgsl: the uniforms and bindings of grad_norm.wgsl and of its subgroup schedule
// (grad_norm_subgroup.wgsl), which must stay one set.

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
