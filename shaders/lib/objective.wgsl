// lib/objective.wgsl: the output every fused objective kernel (elbo.wgsl, iwae_objective.wgsl) ends
// with, once the batch's per-example rows are summed: the batch means in `loss`, the running sums an
// epoch's mean is read from in `totals` (no readback per step), and in a training pass the health
// record, so divergence is caught on the GPU and named exactly at the next (rare) readback.
// The includer declares the storage bindings `loss` (4 f32), `totals` (4 f32) and `health` (2 u32:
// [steps taken, first step (1-based) whose loss was NaN or ±Inf, or 0]).

//#include lib/finite

// mean: the four loss words (mean.x the loss); sum: the batch's sums of loss, rec and kl.
fn write_objective(mean: vec4<f32>, sum: vec3<f32>, examples: u32, track: bool) {
  loss[0] = mean.x;
  loss[1] = mean.y;
  loss[2] = mean.z;
  loss[3] = mean.w;
  totals[0] += sum.x;
  totals[1] += sum.y;
  totals[2] += sum.z;
  totals[3] += f32(examples);
  if (track) {
    let step = health[0] + 1u;
    health[0] = step;
    if (health[1] == 0u && !is_finite(mean.x)) {
      health[1] = step;
    }
  }
}
