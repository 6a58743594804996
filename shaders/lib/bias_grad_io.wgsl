// lib/bias_grad_io.wgsl: the bindings of bias_grad.wgsl and of its subgroup schedule
// (bias_grad_subgroup.wgsl), which must stay one set, and the fused activation backward both read.
// Include lib/activation first (activation_derivative, ACT).

struct Dims { rows: u32, cols: u32, _pad0: u32, _pad1: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> dPre: array<f32>;
@group(0) @binding(4) var<storage, read_write> dBias: array<f32>;

// dY ⊙ f'(Y) at element i, stored in dPre when the activation is not the identity.
fn grad_at(i: u32) -> f32 {
  var g = dY[i];
  if (ACT != 0u) {
    g *= activation_derivative(Y[i]);
    dPre[i] = g;
  }
  return g;
}
