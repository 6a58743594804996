// adam.wgsl: one Adam step over every parameter of a model in one dispatch (PyTorch's update rule).
//   g ← g + wd·p (L2, when not decoupled);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
//   p ← p·(1 − lr·wd) (AdamW, when decoupled);  p ← p − lr·(m / bc1) / (√(v / bc2) + ε),
// with bc1 = 1 − β1ᵗ, bc2 = 1 − β2ᵗ, 1 − β1 and 1 − β2 computed in double precision on the CPU
// (in float32, 1 − f32(0.999) is off by 1.3e-5 relative).
// The parameters in [fast_begin4, fast_end4) (vec4s) take lr·fast_lr_scale: a likelihood's learned
// log-scales, a few values whose optimum is far from their start, would otherwise move 1e-3 a step.
// The gradient is first multiplied by clip[1], the global-norm clip scale that grad_norm.wgsl wrote
// on the GPU (1 when not clipping; × 1 is exact, so the update is unchanged then).
// Shapes: params, grads, m, v are flat arenas of count4 vec4s (the model pads each tensor), so
// all layers update together. CPU twin: src/cpu/adam.ts.

struct Params {
  count4: u32,
  decoupled: u32,
  fast_begin4: u32,
  fast_end4: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  bc1: f32,
  bc2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  fast_lr_scale: f32,
  _pad3: f32,
  _pad4: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> clip: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= params.count4) { return; }
  var lr = params.lr;
  if (i >= params.fast_begin4 && i < params.fast_end4) { lr *= params.fast_lr_scale; }
  var w = p[i];
  var g = grad[i] * clip[1];
  if (params.decoupled == 0u) {
    g += params.weight_decay * w;
  } else {
    w *= 1.0 - lr * params.weight_decay;
  }
  let m1 = params.beta1 * m[i] + params.one_minus_beta1 * g;
  let v1 = params.beta2 * v[i] + params.one_minus_beta2 * g * g;
  m[i] = m1;
  v[i] = v1;
  p[i] = w - lr * (m1 / params.bc1) / (sqrt(v1 / params.bc2) + params.eps);
}
