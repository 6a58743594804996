// lib/likelihood.wgsl: the decoder's likelihood terms of one value, shared by elbo.wgsl,
// iwae_objective.wgsl and likelihood_scale_grad.wgsl. The overrides pick the likelihood:
//   Bernoulli with logit l (stable BCE):  −log p(t|l) = max(l, 0) − l·t + log(1 + e^−|l|),  ∂/∂l = σ(l) − t
//   GAUSSIAN, fixed σ²:                   −log p(t|l) = ½(t − l)²/σ² + ½ log 2πσ²,          ∂/∂l = (l − t)/σ²
//     (inv_var = 1/σ² and log_norm = ½ log 2πσ² come from the kernel's uniforms)
//   GAUSSIAN && LEARNED, s = log σ_c:     −log p = ½(t − l)² e^−2s + s + ½ log 2π,
//                                         ∂/∂l = (l − t) e^−2s,  ∂/∂s = 1 − (t − l)² e^−2s
//   LOGISTIC (always LEARNED), the discretized logistic on t ∈ [0, 1], 256 levels, mean l, log-scale s:
//     a = (t − l + h)/e^s, b = (t − l − h)/e^s, h = 1/510, δ = a − b:
//     inside −log P = softplus(a) + softplus(−b) − log(e^δ − 1);  lowest bin (t < h) softplus(−a);
//     highest bin (t > 1 − h) softplus(b). No difference of CDFs is formed, so none can underflow.
//     ∂/∂l inside (σ(−a) − σ(b))/e^s, lowest σ(−a)/e^s, highest −σ(b)/e^s;
//     ∂/∂s inside δ/(1 − e^−δ) − a·σ(a) + b·σ(−b), lowest a·σ(−a), highest −b·σ(b).
// s of channel c comes from `log_scale`, a uniform array<vec4<f32>, 16> (64 channels) the includer
// binds to the model's parameter `likelihood.log_scale`. CPU twin: src/cpu/likelihood.ts.

override GAUSSIAN: bool = false;
override LOGISTIC: bool = false;
override LEARNED: bool = false;

const HALF_LOG_2PI: f32 = 0.91893853320467274;
const HALF_BIN: f32 = 0.0019607843137254902; // 1/510

fn channel_scale(c: u32) -> f32 {
  return log_scale[c / 4u][c % 4u];
}

// log(1 + e) for e in [0, 1], accurate for small e too (WGSL has no log1p).
fn log1p_small(e: f32) -> f32 {
  if (e < 1e-3) { return e * (1.0 - e * (0.5 - e * (1.0 / 3.0))); }
  return log(1.0 + e);
}

fn lik_softplus(x: f32) -> f32 {
  return max(x, 0.0) + log1p_small(exp(-abs(x)));
}

fn lik_sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  let r = 1.0 / (1.0 + e);
  return select(e * r, r, x >= 0.0);
}

// e^δ − 1 for δ ≥ 0: a Taylor series to δ^9 below 0.5 (relative error < 3e-10), else exp.
fn expm1_pos(d: f32) -> f32 {
  if (d < 0.5) {
    return d * (1.0 + d / 2.0 * (1.0 + d / 3.0 * (1.0 + d / 4.0 * (1.0 + d / 5.0 * (1.0 + d / 6.0 * (1.0 + d / 7.0 * (1.0 + d / 8.0 * (1.0 + d / 9.0))))))));
  }
  return exp(d) - 1.0;
}

// (−log p(t | l, s), ∂/∂l, ∂/∂s) of a learned-scale likelihood.
fn learned_terms(l: f32, t: f32, s: f32) -> vec3<f32> {
  if (GAUSSIAN) {
    let r = t - l;
    let iv = exp(-2.0 * s);
    return vec3<f32>(0.5 * r * r * iv + s + HALF_LOG_2PI, -r * iv, 1.0 - r * r * iv);
  }
  let inv_s = exp(-s);
  let a = (t - l + HALF_BIN) * inv_s;
  let b = (t - l - HALF_BIN) * inv_s;
  if (t < HALF_BIN) {
    let sa = lik_sigmoid(-a);
    return vec3<f32>(lik_softplus(-a), sa * inv_s, a * sa);
  }
  if (t > 1.0 - HALF_BIN) {
    let sb = lik_sigmoid(b);
    return vec3<f32>(lik_softplus(b), -sb * inv_s, -b * sb);
  }
  let d = 2.0 * HALF_BIN * inv_s;
  var log_em1 = d;               // log(e^δ − 1) → δ once e^−δ is below f32's resolution
  var d_ratio = d;               // δ/(1 − e^−δ) = δ e^δ/(e^δ − 1)
  if (d < 15.0) {
    let em1 = expm1_pos(d);
    log_em1 = log(em1);
    d_ratio = d * (em1 + 1.0) / em1;
  }
  let sig_b = lik_sigmoid(b);
  let sig_nb = lik_sigmoid(-b);
  return vec3<f32>(
    lik_softplus(a) + lik_softplus(-b) - log_em1,
    (lik_sigmoid(-a) - sig_b) * inv_s,
    d_ratio - a * lik_sigmoid(a) + b * sig_nb,
  );
}

// (−log p(t | l), ∂/∂l, ∂/∂s) of value t in channel c (∂/∂s is 0 unless LEARNED).
fn lik_terms(l: f32, t: f32, c: u32, inv_var: f32, log_norm: f32) -> vec3<f32> {
  if (LEARNED) { return learned_terms(l, t, channel_scale(c)); }
  if (GAUSSIAN) {
    let diff = l - t;
    return vec3<f32>(0.5 * diff * diff * inv_var + log_norm, diff * inv_var, 0.0);
  }
  let e = exp(-abs(l));
  let r = 1.0 / (1.0 + e);                   // σ(|l|); σ(l) = e·r when l < 0
  return vec3<f32>(max(l, 0.0) - l * t + log(1.0 + e), select(e * r, r, l >= 0.0) - t, 0.0);
}

// (−log p(t | l), ∂(−log p(t | l))/∂l) of value t in channel c.
fn neg_log_lik(l: f32, t: f32, c: u32, inv_var: f32, log_norm: f32) -> vec2<f32> {
  return lik_terms(l, t, c, inv_var, log_norm).xy;
}
