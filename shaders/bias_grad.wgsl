// bias_grad.wgsl: the activation backward and the bias gradient of a linear layer, fused in one pass.
//   dPre = dY ⊙ f'(pre), with f' taken from the layer's output Y (ReLU: Y > 0, tanh: 1 − Y²,
//   sigmoid: Y(1 − Y), softplus: 1 − exp(−Y)), so the pre-activation never needs storing;
//   dBias[n] = Σ_r dPre[r, n].  Shapes: dY, Y, dPre are rows×cols; dBias is cols.
// ACT picks f (lib/activation.wgsl). With ACT = 0 (identity) dPre is dY and is not written.
// Entry `main` (GPUs): a workgroup owns 16 columns, its 16 row lanes sum fixed strides joined by a
// fixed tree; `main_serial` (CPU adapters): one invocation per four columns, each summed over its
// rows in order. Both deterministic (no atomics). CPU twin: src/cpu/bias-grad.ts.

//#include lib/activation

//#include lib/bias_grad_io

var<workgroup> partial: array<f32, 256>;

// GPU schedule: 16 columns per workgroup, 16 row lanes each summing a fixed stride, joined by a tree.
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wid.x * 16u + lid.x;
  var sum = 0.0;
  if (col < dims.cols) {
    for (var r = lid.y; r < dims.rows; r += 16u) { sum += grad_at(r * dims.cols + col); }
  }
  partial[lid.y * 16u + lid.x] = sum;
  workgroupBarrier();
  for (var s = 8u; s > 0u; s >>= 1u) {
    if (lid.y < s) {
      partial[lid.y * 16u + lid.x] += partial[(lid.y + s) * 16u + lid.x];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && col < dims.cols) {
    dBias[col] = partial[lid.x];
  }
}

// CPU-adapter schedule: one invocation per four adjacent columns, each summed over the rows in order
// (the same sums as one invocation per column); no barriers. Four columns: a CPU adapter runs a SIMD
// group's lanes in step, so they read whole cache lines of a row instead of a sliver of each.
@compute @workgroup_size(16)
fn main_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = 4u * gid.x;
  if (col >= dims.cols) { return; }
  let cols = dims.cols;
  var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0;
  if (col + 4u <= cols) {
    for (var r = 0u; r < dims.rows; r++) {
      let at = r * cols + col;
      s0 += grad_at(at); s1 += grad_at(at + 1u); s2 += grad_at(at + 2u); s3 += grad_at(at + 3u);
    }
    dBias[col + 1u] = s1; dBias[col + 2u] = s2; dBias[col + 3u] = s3;
  } else {
    // The last, partial group: one column at a time.
    for (var c = col; c < cols; c++) {
      var t = 0.0;
      for (var r = 0u; r < dims.rows; r++) { t += grad_at(r * cols + c); }
      dBias[c] = t;
    }
    return;
  }
  dBias[col] = s0;
}
