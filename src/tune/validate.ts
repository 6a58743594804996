// Before a tuner may pick a candidate it checks the candidate's output against the kernel's CPU
// twin, on the adapter: every candidate of a class runs once on seeded scratch operands of a
// (possibly smaller) shape of the class, and each output entry must lie within its tolerance of
// the twin's float64 value. A candidate that disagrees is never picked, whatever its time. The
// twins live a floor above (src/cpu/tune-twins.ts) and are handed to the tuner (TunerOptions.twins).
import { readFloats } from '../gpu/buffers';
import { encodeDispatches, type Runtime } from '../gpu/runtime';
import type { Tolerance, Tunable, TunableSetup } from './tunables';

export type { Tolerance };

/** A kernel's CPU twin for validation: the output in float64 and each entry's sum of absolute terms. */
export interface TwinReference {
  want: Float64Array;
  scale: Float64Array;
}

export interface Twin {
  /** The shape validated for a class's shape (default itself): a smaller batch keeps the twin cheap. */
  shape?(shape: Readonly<Record<string, number | boolean>>): Readonly<Record<string, number | boolean>>;
  /** The twin on the setup's scratch inputs (TunableSetup.io.inputs). */
  reference(shape: Readonly<Record<string, number | boolean>>, inputs: Readonly<Record<string, Float32Array>>): TwinReference;
}

/** What the check found for one candidate. */
export interface Verdict {
  ok: boolean;
  /** Whether it was compared with a twin (false: passed or rejected unchecked, for want of one). */
  checked: boolean;
  /** The largest |got − want| over the entry's allowance (≤ 1 agrees; NaN or ∞ for a non-finite entry). */
  worst: number;
  /** Entries outside their allowance. */
  bad: number;
  /** Why it was rejected, for reports. */
  reason?: string;
}

/** Compares an output with its reference entry by entry. */
export function agreement(got: ArrayLike<number>, ref: TwinReference, tol: Tolerance): Verdict {
  let worst = 0, bad = 0, at = -1;
  if (got.length < ref.want.length) return { ok: false, checked: true, worst: Infinity, bad: ref.want.length, reason: `output has ${got.length} entries, the twin ${ref.want.length}` };
  for (let i = 0; i < ref.want.length; i++) {
    const allowed = tol.rel * ref.scale[i] + tol.abs;
    const err = Math.abs(got[i] - ref.want[i]);
    const q = Number.isFinite(err) ? err / allowed : Infinity;
    if (!(q <= 1)) bad++;
    if (!(q <= worst)) { worst = q; at = i; }
  }
  const ok = bad === 0;
  return ok ? { ok, checked: true, worst, bad } : {
    ok, checked: true, worst, bad,
    reason: `${bad} of ${ref.want.length} entries outside the tolerance (rel ${tol.rel.toExponential(2)} of Σ|terms| + abs ${tol.abs.toExponential(2)}); ` +
      `worst at ${at}: ${got[at]} against the twin's ${ref.want[at]} (${worst.toPrecision(3)}× its allowance)`,
  };
}

/** The outputs of one candidate's dispatches on a setup's scratch operands (each zeroed first), end to end. */
async function runOnce(rt: Runtime, setup: TunableSetup, candidate: string): Promise<Float32Array> {
  const io = setup.io!;
  const op = setup.prepare(candidate);
  try {
    const outputs = [{ buffer: io.output, floats: io.outputFloats }, ...(io.more ?? [])];
    const enc = rt.device.createCommandEncoder({ label: `validate ${candidate}` });
    for (const o of outputs) enc.clearBuffer(o.buffer);
    const pass = enc.beginComputePass();
    encodeDispatches(pass, op.dispatches);
    pass.end();
    rt.device.queue.submit([enc.finish()]);
    // The outputs end to end, in order (the twin's want is laid out the same way).
    const got = new Float32Array(outputs.reduce((n, o) => n + o.floats, 0));
    let at = 0;
    for (const o of outputs) {
      got.set(await readFloats(rt.device, o.buffer, o.floats), at);
      at += o.floats;
    }
    return got;
  } finally {
    op.destroy();
  }
}

/**
 * Runs each candidate once on the twin's shape of `shape` and checks it against the twin. Without
 * a twin, or a tunable that exposes no scratch i/o, candidates that `setup.inexact` names (other
 * precisions or reduction orders) are rejected: they are never picked unchecked; the rest pass.
 */
export async function validateCandidates(
  rt: Runtime, tunable: Tunable, twin: Twin | undefined, shape: Readonly<Record<string, number | boolean>>, candidates: readonly string[],
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  const vshape = twin?.shape?.(shape) ?? shape;
  const setup = tunable(rt, vshape);
  try {
    if (!twin || !setup.io || !setup.tolerance) {
      for (const c of candidates) {
        const inexact = setup.inexact?.(c) ?? false;
        verdicts.set(c, inexact ? { ok: false, checked: false, worst: NaN, bad: 0, reason: 'changes precision or summation order, and the tuner has no CPU twin of this kernel to validate it against' } : { ok: true, checked: false, worst: NaN, bad: 0 });
      }
      return verdicts;
    }
    const ref = twin.reference(vshape, setup.io.inputs);
    for (const c of candidates) {
      rt.device.pushErrorScope('validation');
      let got: Float32Array | null = null;
      let failure = '';
      try {
        got = await runOnce(rt, setup, c);
      } catch (e) {
        failure = (e as Error).message;
      }
      const err = await rt.device.popErrorScope();
      if (err) failure = `WebGPU validation: ${err.message}`;
      verdicts.set(c, got && !failure ? agreement(got, ref, setup.tolerance(c)) : { ok: false, checked: true, worst: Infinity, bad: 0, reason: `did not run: ${failure}` });
    }
    return verdicts;
  } finally {
    setup.destroy();
  }
}
