// Element-wise comparison |got − want| ≤ atol + rtol·|want| that reports the worst element, and
// logs each kernel's worst error so the test output shows how close every kernel came.
import { expect } from 'vitest';

export interface Closeness {
  worstIndex: number;
  worstAbs: number;
  /** Largest |Δ| / (atol + rtol·|want|): ≤ 1 passes. */
  worstRatio: number;
  failures: number;
}

export function closeness(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): Closeness {
  if (got.length < want.length) throw new Error(`got ${got.length} values, want ${want.length}`);
  let worstIndex = 0, worstAbs = 0, worstRatio = 0, failures = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const ratio = Number.isNaN(d) ? Infinity : d / (atol + rtol * Math.abs(want[i]));
    if (ratio > 1) failures++;
    if (ratio > worstRatio || (i === 0 && Number.isNaN(d))) {
      worstRatio = ratio;
      worstIndex = i;
      worstAbs = d;
    }
  }
  return { worstIndex, worstAbs, worstRatio, failures };
}

export function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): Closeness {
  const c = closeness(got, want, atol, rtol);
  const i = c.worstIndex;
  const line = `${label}: worst |Δ| ${c.worstAbs.toExponential(2)} at [${i}] (got ${got[i]}, want ${want[i]}), ${(c.worstRatio * 100).toFixed(1)}% of tolerance atol=${atol} rtol=${rtol}`;
  console.info(line);
  if (c.failures > 0) {
    expect.fail(`${line}; ${c.failures} of ${want.length} elements out of tolerance`);
  }
  return c;
}
