// Moments of noise drawn in groups of four (the reparameterization's stream: one Philox call gives
// four normals): each output's mean and variance, and the correlations within a pair (n0/n1, n2/n3:
// cosine and sine of one Box–Muller angle) and across pairs (n0/n2, n1/n3).
export interface GroupMoments {
  groups: number;
  mean: number[];
  variance: number[];
  corr: { n0n1: number; n2n3: number; n0n2: number; n1n3: number };
}

/** ε[4g + q] is output q of group g; a trailing partial group is ignored. */
export function groupMoments(eps: ArrayLike<number>): GroupMoments {
  const groups = Math.floor(eps.length / 4);
  const s1 = [0, 0, 0, 0], s2 = [0, 0, 0, 0];
  let s01 = 0, s23 = 0, s02 = 0, s13 = 0;
  for (let g = 0; g < groups; g++) {
    const n = [eps[4 * g], eps[4 * g + 1], eps[4 * g + 2], eps[4 * g + 3]];
    for (let q = 0; q < 4; q++) { s1[q] += n[q]; s2[q] += n[q] * n[q]; }
    s01 += n[0] * n[1]; s23 += n[2] * n[3]; s02 += n[0] * n[2]; s13 += n[1] * n[3];
  }
  const mean = s1.map((s) => s / groups);
  const variance = s2.map((s, q) => s / groups - mean[q] ** 2);
  const corr = (sxy: number, x: number, y: number) => (sxy / groups - mean[x] * mean[y]) / Math.sqrt(variance[x] * variance[y]);
  return { groups, mean, variance, corr: { n0n1: corr(s01, 0, 1), n2n3: corr(s23, 2, 3), n0n2: corr(s02, 0, 2), n1n3: corr(s13, 1, 3) } };
}

/**
 * Limits for 2^16 groups, about five standard errors: the mean's is 1/√n ≈ 0.0039, the variance's
 * √(2/n) ≈ 0.0055, a correlation's (of independent normals) 1/√n ≈ 0.0039.
 */
export const GROUP_LIMITS = { mean: 0.02, variance: 0.03, corr: 0.02 };
