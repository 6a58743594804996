// lib/likelihood.wgsl: the decoder's likelihood terms of one value, shared by elbo.wgsl and
// iwae_objective.wgsl. The GAUSSIAN override picks the likelihood:
//   Bernoulli with logit l (stable BCE):  −log p(t|l) = max(l, 0) − l·t + log(1 + e^−|l|),  ∂/∂l = σ(l) − t
//   Gaussian with mean l, fixed σ²:       −log p(t|l) = ½(t − l)²/σ² + ½ log 2πσ²,          ∂/∂l = (l − t)/σ²
// inv_var = 1/σ² and log_norm = ½ log 2πσ² come from the kernel's uniforms. CPU twin: src/cpu/elbo.ts.

override GAUSSIAN: bool = false;

// (−log p(t | l), ∂(−log p(t | l))/∂l).
fn neg_log_lik(l: f32, t: f32, inv_var: f32, log_norm: f32) -> vec2<f32> {
  if (GAUSSIAN) {
    let diff = l - t;
    return vec2<f32>(0.5 * diff * diff * inv_var + log_norm, diff * inv_var);
  }
  let e = exp(-abs(l));
  let r = 1.0 / (1.0 + e);                   // σ(|l|); σ(l) = e·r when l < 0
  return vec2<f32>(max(l, 0.0) - l * t + log(1.0 + e), select(e * r, r, l >= 0.0) - t);
}
