// CPU twin of shaders/concat_label.wgsl (float64): a conditional VAE's one-hot label joined to each
// row of an activation, and the backward, which passes on the activation's columns only.
//   forward:  y[r, j] = x[r, j] (j < D);  y[r, D + c] = [c == label[⌊r / R⌋]] (c < C)
//   backward: dx[r, j] = dy[r, j] (j < D)
// Shapes: x, dx rows×D; y, dy rows×(D+C); labels B (rows = B·R, R rows per example: the samples
// dimension inner, as z's rows are). A label ≥ C gives a zero one-hot (the callers refuse those).

export function concatLabelForward(x: ArrayLike<number>, labels: ArrayLike<number>, rows: number, D: number, C: number, R = 1): Float64Array {
  const W = D + C;
  const y = new Float64Array(rows * W);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) y[r * W + j] = x[r * D + j]!;
    const label = labels[Math.floor(r / R)]!;
    if (label < C) y[r * W + D + label] = 1;
  }
  return y;
}

export function concatLabelBackward(dy: ArrayLike<number>, rows: number, D: number, C: number): Float64Array {
  const W = D + C;
  const dx = new Float64Array(rows * D);
  for (let r = 0; r < rows; r++) for (let j = 0; j < D; j++) dx[r * D + j] = dy[r * W + j]!;
  return dx;
}
