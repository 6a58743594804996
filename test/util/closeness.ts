// |got − want| ≤ atol + rtol·|want| element by element, with the worst element described: shared by
// the Node tests (through compare.ts) and the browser test page, so both judge kernels the same way.

export interface Closeness {
  worstIndex: number;
  worstAbs: number;
  /** Largest |Δ| / (atol + rtol·|want|): ≤ 1 passes; a NaN (an unwritten element) is Infinity. */
  worstRatio: number;
  failures: number;
  /** One line: where the worst element is, its values, and the share of the tolerance used. */
  line: string;
}

export function closeness(label: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): Closeness {
  if (got.length < want.length) {
    return { worstIndex: 0, worstAbs: Infinity, worstRatio: Infinity, failures: want.length, line: `${label}: got ${got.length} values, want ${want.length}` };
  }
  let worstIndex = 0, worstAbs = 0, worstRatio = 0, failures = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const ratio = Number.isNaN(d) ? Infinity : d / (atol + rtol * Math.abs(want[i]));
    if (ratio > 1) failures++;
    if (ratio > worstRatio || (i === 0 && Number.isNaN(d))) {
      worstRatio = ratio;
      worstIndex = i;
      worstAbs = Number.isNaN(d) ? Infinity : d;
    }
  }
  const i = worstIndex;
  const line =
    `${label}: worst |Δ| ${worstAbs.toExponential(2)} at [${i}] (got ${got[i]}, want ${want[i]}), ` +
    `${(worstRatio * 100).toFixed(1)}% of tolerance atol=${atol} rtol=${rtol}` +
    (failures > 0 ? `; ${failures} of ${want.length} elements out of tolerance` : '');
  return { worstIndex, worstAbs, worstRatio, failures, line };
}
