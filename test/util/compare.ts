// Element-wise comparison for vitest: logs each kernel's worst error (so the test output shows how
// close every kernel came) and fails with the worst element named.
import { expect } from 'vitest';
import { closeness, type Closeness } from './closeness';
import type { Comparison } from '../kernels/cases';

export function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): Closeness {
  const c = closeness(label, got, want, atol, rtol);
  console.info(c.line);
  if (c.failures > 0) expect.fail(c.line);
  return c;
}

export function expectComparisons(comparisons: readonly Comparison[]): void {
  for (const c of comparisons) expectClose(c.name, c.got, c.want, c.atol, c.rtol);
}
