// concat_label.wgsl: a conditional VAE's one-hot label joined to each row of an activation (the
// encoder's input or flattened features, the decoder's z), and its backward, which passes on the
// activation's columns (the label takes no gradient).
//   forward:  y[r, j] = x[r, j] (j < D);  y[r, D + c] = 1 if c == label[r / R] else 0 (c < C)
//   backward: dx[r, j] = dy[r, j] (j < D)
// Shapes: x, dx rows×D; y, dy rows×(D+C); label B u32 (rows = B·R: R rows per example, the samples
// dimension inner, as reparameterize.wgsl writes z). A label ≥ C gives a zero one-hot (the host
// refuses those before upload). One invocation per output element; the grid folds into y.
// CPU twin: src/cpu/concat-label.ts.

struct Params {
  rows: u32,
  width: u32,    // D
  classes: u32,  // C
  repeat: u32,   // R
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  let W = params.width + params.classes;
  if (i >= params.rows * W) { return; }
  let r = i / W;
  let j = i % W;
  if (j < params.width) {
    y[i] = x[r * params.width + j];
  } else {
    y[i] = select(0.0, 1.0, labels[r / params.repeat] == j - params.width);
  }
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.rows * params.width) { return; }
  let r = i / params.width;
  dx[i] = dy[r * (params.width + params.classes) + i % params.width];
}
