// Active units (Burda et al. 2016, §5.2): latent u is active when A_u = Cov_x(E_{q(z|x)}[z_u]) > 0.01,
// the variance over the data set of the encoder's mean μ_u (population variance, 1/N). Means arrive
// in chunks (an evaluation runs the encoder batch by batch), merged exactly with Chan et al.'s
// pairwise update, so the result does not depend on the chunking beyond rounding.

export const ACTIVE_UNIT_THRESHOLD = 0.01;

/** Per-latent running moments: examples seen, mean of μ_u, Σ (μ_u − mean)². */
export interface LatentMoments {
  count: number;
  mean: Float64Array;
  m2: Float64Array;
}

export function latentMoments(latent: number): LatentMoments {
  if (!Number.isInteger(latent) || latent < 1) throw new Error(`active units: latent must be a positive integer, got ${latent}`);
  return { count: 0, mean: new Float64Array(latent), m2: new Float64Array(latent) };
}

/**
 * Folds `rows` encoder outputs into `m`. Row n's μ_u is means[n·stride + u]: stride = Z for a
 * rows×Z array of means, 2Z for the encoder's μ | logvar head (the default).
 */
export function addMeans(m: LatentMoments, means: ArrayLike<number>, rows: number, stride = 2 * m.mean.length): void {
  const Z = m.mean.length;
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`active units: rows must be a non-negative integer, got ${rows}`);
  if (stride < Z) throw new Error(`active units: stride ${stride} is less than the latent size ${Z}`);
  if (rows > 0 && means.length < (rows - 1) * stride + Z) {
    throw new Error(`active units: ${rows} rows of stride ${stride} need ${(rows - 1) * stride + Z} values, got ${means.length}`);
  }
  if (rows === 0) return;
  for (let u = 0; u < Z; u++) {
    let mean = 0;
    for (let n = 0; n < rows; n++) {
      const v = means[n * stride + u];
      if (!Number.isFinite(v)) throw new Error(`active units: encoder mean ${u} of row ${n} is ${v}`);
      mean += v;
    }
    mean /= rows;
    let m2 = 0;
    for (let n = 0; n < rows; n++) m2 += (means[n * stride + u] - mean) ** 2;
    const total = m.count + rows;
    const delta = mean - m.mean[u];
    m.m2[u] += m2 + (delta * delta * m.count * rows) / total;
    m.mean[u] += (delta * rows) / total;
  }
  m.count += rows;
}

export interface ActiveUnits {
  /** How many latents have A_u above the threshold. */
  active: number;
  /** A_u per latent. */
  variances: Float64Array;
}

export function activeUnits(m: LatentMoments, threshold = ACTIVE_UNIT_THRESHOLD): ActiveUnits {
  if (m.count < 1) throw new Error('active units: no encoder means were added');
  const variances = m.m2.map((v) => v / m.count);
  return { active: variances.reduce((n, v) => n + (v > threshold ? 1 : 0), 0), variances };
}
