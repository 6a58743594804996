// lib/activation.wgsl: the activations of the matmul and conv epilogues and their derivatives for the
// fused backward (included by matmul.wgsl, matmul_vec4.wgsl, bias_grad.wgsl and the conv kernels).
// The `ACT` override picks one by its code; the codes below are the index of each name in
// src/kernels/activation.ts's ACTIVATIONS, which reads them from this file and refuses to load if the
// two disagree. CPU twin: src/cpu/activation.ts.

override ACT: u32 = 0u;

const ACT_IDENTITY: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_TANH: u32 = 2u;
const ACT_SIGMOID: u32 = 3u;
const ACT_SOFTPLUS: u32 = 4u;

fn activate_f32(v: f32) -> f32 {
  switch ACT {
    case ACT_RELU: { return max(v, 0.0); }
    case ACT_TANH: {
      // tanh from exp(-2|v|): never overflows, unlike sinh/cosh for large |v|.
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case ACT_SIGMOID: {
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case ACT_SOFTPLUS: { return max(v, 0.0) + log(1.0 + exp(-abs(v))); }
    default: { return v; }
  }
}

fn activate_vec4(v: vec4<f32>) -> vec4<f32> {
  switch ACT {
    case ACT_RELU: { return max(v, vec4<f32>(0.0)); }
    case ACT_TANH: {
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case ACT_SIGMOID: {
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
    }
    case ACT_SOFTPLUS: { return max(v, vec4<f32>(0.0)) + log(1.0 + exp(-abs(v))); }
    default: { return v; }
  }
}

// f'(pre) from the output y = f(pre) (ReLU: y > 0, tanh: 1 − y², sigmoid: y(1 − y), softplus: 1 − e^(−y)).
fn activation_derivative(y: f32) -> f32 {
  switch ACT {
    case ACT_RELU: { return select(0.0, 1.0, y > 0.0); }
    case ACT_TANH: { return 1.0 - y * y; }
    case ACT_SIGMOID: { return y * (1.0 - y); }
    case ACT_SOFTPLUS: { return 1.0 - exp(-y); }
    default: { return 1.0; }
  }
}
