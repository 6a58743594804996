// The tuner's check of every candidate against the kernel's CPU twin (src/tune/validate.ts) before
// it may be picked: a deliberately wrong candidate, made the fastest by a fake timer, is rejected
// and never chosen, while a right one (an f16 tile within its stated tolerance) still is; the f16
// tile's real rounding fails an f32 tolerance (the check has teeth); without a twin the inexact
// candidates are never picked; the ELBO's and IWAE's schedules (subgroup ones included) pass their
// twins on awkward shapes and one that skips examples does not. On lavapipe (or whatever adapter the harness finds).
import { describe, expect, it } from 'vitest';
import { TUNE_TWINS } from '../../src/cpu/tune-twins';
import { Runtime } from '../../src/gpu/runtime';
import type { ScheduleRequest } from '../../src/gpu/schedule';
import { f16Candidates } from '../../src/kernels/matmul';
import type { SampleTimer } from '../../src/tune/timing';
import { hasSubgroups, reductionCandidates } from '../../src/kernels/bias-grad';
import { elboTunable, gemmTolerance, iwaeObjectiveTunable, matmulTunable, type Tunable } from '../../src/tune/tunables';
import { Tuner } from '../../src/tune/tuner';
import { agreement, validateCandidates } from '../../src/tune/validate';
import { useGpu } from '../gpu/harness';

const gpu = useGpu();

/** The real matmul tunable plus 'broken': the rule's dispatch over only the first column of workgroups (the rest of C stays 0). */
const withBroken: Tunable = (rt, shape) => {
  const inner = matmulTunable(rt, shape);
  return {
    ...inner,
    prepare(c) {
      if (c !== 'broken') return inner.prepare(c);
      const op = inner.prepare('tiled');
      const d = op.dispatches[0];
      return { ...op, dispatches: [{ ...d, label: 'broken', workgroups: [1, d.workgroups[1], 1] as const }] };
    },
    tolerance: (c) => inner.tolerance!(c === 'broken' ? 'tiled' : c),
  };
};

/** A timer that says each candidate (by its dispatch label's last word) takes `speed[c]` ms. */
const fakeTimer = (speed: Record<string, number>) => (): SampleTimer => ({
  method: 'wall',
  sample: async (dispatches) => speed[dispatches[0].label.split(' ').pop()!],
  destroy() {},
});

describe('validation against the CPU twin', () => {
  it('agreement: entries within rel·scale + abs pass; one outside, or NaN, fails with where and by how much', () => {
    const ref = { want: Float64Array.of(1, -2, 0), scale: Float64Array.of(1, 2, 0) };
    const tol = { rel: 1e-3, abs: 1e-9 };
    expect(agreement([1.0009, -2.0019, 0], ref, tol).ok).toBe(true);
    const off = agreement([1, -2.01, 0], ref, tol);
    expect(off).toMatchObject({ ok: false, bad: 1 });
    expect(off.reason).toMatch(/1 of 3 entries outside the tolerance.*worst at 1: -2\.01.* -2 /);
    expect(agreement([1, -2, NaN], ref, tol)).toMatchObject({ ok: false, bad: 1, worst: Infinity });
  });

  it('never picks a wrong candidate, however fast; a right f16 one faster than the rule still wins', async ({ skip }) => {
    const { device, rt: base } = gpu();
    const f16 = f16Candidates(base);
    if (!f16.length) skip();
    const warnings: string[] = [];
    const tuner = await Tuner.open({
      adapterKey: 'validate test', store: null, rounds: 3, budgetMs: 600_000, twins: TUNE_TWINS, tunables: { matmul: withBroken },
      timer: fakeTimer({ tiled: 1, broken: 0.1, 'tiled-f16': 0.5 }), warn: (m) => warnings.push(m),
    });
    const rt = new Runtime(device, { profile: base.profile, schedules: tuner });
    const req: ScheduleRequest = { kernel: 'matmul', shapeClass: 'test M128 N64 K128', rule: 'tiled', candidates: ['tiled', 'broken', 'tiled-f16'], shape: { M: 100, N: 200, K: 70, transA: false, transB: false } };
    const report = await tuner.tune(rt, [req]);
    const r = report.results[0];
    expect(r.source).toBe('tuned');
    expect(r.rejected?.map((x) => x.candidate)).toEqual(['broken']);
    expect(r.rejected![0].reason).toMatch(/entries outside the tolerance/);
    expect(r.times.find((t) => t.candidate === 'broken')!.samples).toBe(0);
    expect(r.choice).toBe('tiled-f16');
    expect(warnings).toEqual([]);
    rt.destroy();
  }, 120_000);

  it('the f16 tile passes its own tolerance on the adapter and fails an f32 one', async ({ skip }) => {
    const { rt } = gpu();
    if (!f16Candidates(rt).length) skip();
    const shape = { M: 40, N: 64, K: 300, transA: false, transB: false };
    const own = await validateCandidates(rt, matmulTunable, TUNE_TWINS.matmul, shape, ['tiled', 'tiled-f16']);
    expect([...own.values()].map((v) => v.ok)).toEqual([true, true]);
    const strict: Tunable = (r, s) => ({ ...matmulTunable(r, s), tolerance: () => gemmTolerance('tiled', Number(s.K)) });
    const v = (await validateCandidates(rt, strict, TUNE_TWINS.matmul, shape, ['tiled-f16'])).get('tiled-f16')!;
    expect(v.ok).toBe(false);
    expect(v.worst).toBeGreaterThan(1);
  }, 60_000);

  it('without a twin, the inexact candidates are rejected and the exact ones pass unchecked', async ({ skip }) => {
    const { rt } = gpu();
    if (!f16Candidates(rt).length) skip();
    const v = await validateCandidates(rt, matmulTunable, undefined, { M: 8, N: 8, K: 8, transA: false, transB: false }, ['tiled', 'vec4-l8', 'tiled-f16']);
    expect(Object.fromEntries([...v].map(([c, x]) => [c, x.ok]))).toEqual({ tiled: true, 'vec4-l8': true, 'tiled-f16': false });
    expect(v.get('tiled-f16')!.reason).toMatch(/no CPU twin of this kernel/);
  });
});

describe('the fused objectives\' schedules against their twins', () => {
  // Awkward shapes: odd D and Z, a batch past one 256-wide workgroup's stride, k = 1 and k > 1.
  const elboShapes = [{ batch: 37, dim: 129, latent: 13 }, { batch: 300, dim: 784, latent: 20 }, { batch: 1, dim: 3, latent: 300 }];
  const iwaeShapes = [{ batch: 3, samples: 5, dim: 129, latent: 13 }, { batch: 7, samples: 1, dim: 784, latent: 20 }, { batch: 2, samples: 50, dim: 31, latent: 7 }];

  it('every ELBO and IWAE candidate (subgroup where the device has it) agrees with the CPU twin within its tolerance', async () => {
    const { rt } = gpu();
    const candidates = reductionCandidates(rt);
    expect(candidates.includes('subgroup')).toBe(hasSubgroups(rt));
    for (const [kernel, tunable, shapes] of [['elbo', elboTunable, elboShapes], ['iwae_objective', iwaeObjectiveTunable, iwaeShapes]] as const) {
      for (const shape of shapes) {
        const v = await validateCandidates(rt, tunable, TUNE_TWINS[kernel], shape, candidates);
        for (const [c, x] of v) {
          expect(x.checked, `${kernel} ${c} ${JSON.stringify(shape)}`).toBe(true);
          expect(x.ok, `${kernel} ${c} ${JSON.stringify(shape)}: ${x.reason}`).toBe(true);
        }
      }
    }
  }, 120_000);

  it('a candidate that leaves examples out of the reduction is rejected (the check has teeth)', async () => {
    const { rt } = gpu();
    const schedule = hasSubgroups(rt) ? 'subgroup' : 'tree';
    // The schedule's own dispatches, the per-example pass over only the first half of the batch.
    const halved = (inner: Tunable): Tunable => (r, shape) => {
      const t = inner(r, shape);
      return {
        ...t,
        prepare(c) {
          const op = t.prepare(c === 'halved' ? schedule : c);
          if (c !== 'halved') return op;
          const [per, mean] = op.dispatches;
          return { ...op, dispatches: [{ ...per, workgroups: [Math.ceil(per.workgroups[0] / 2), 1, 1] as const }, mean] };
        },
        tolerance: () => t.tolerance!(schedule),
      };
    };
    for (const [kernel, tunable, shape] of [['elbo', elboTunable, elboShapes[0]], ['iwae_objective', iwaeObjectiveTunable, iwaeShapes[0]]] as const) {
      const v = await validateCandidates(rt, halved(tunable), TUNE_TWINS[kernel], shape, [schedule, 'halved']);
      expect(v.get(schedule)!.ok, kernel).toBe(true);
      expect(v.get('halved')!.ok, kernel).toBe(false);
      expect(v.get('halved')!.reason, kernel).toMatch(/entries outside the tolerance/);
    }
  }, 60_000);
});
