// The default model's training step with the matmul rule as it is against the rule with the 8×8
// vec4 block everywhere (as before matmul_vec4_wide), alternating step batches in one process (the
// machine is shared: each round times both, the figure is the median of the rounds' ratios).
//   node scripts/build-node.mjs scripts/mlp-ab.ts dist/bench/mlp-ab.mjs
//   node dist/bench/mlp-ab.mjs [--driver lavapipe|swiftshader] [--batches 32,128,512] [--rounds 9] [--steps 3]
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import type { ScheduleChooser } from '../src/gpu/schedule';
import { GpuVae } from '../src/vae/gpu-vae';
import { syntheticImages } from '../bench/shapes';

const { values } = parseArgs({ options: { driver: { type: 'string' }, batches: { type: 'string' }, rounds: { type: 'string' }, steps: { type: 'string' } } });
const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
const rounds = Number(values.rounds ?? 9), steps = Number(values.steps ?? 3);
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}; ${rounds} rounds of ${steps} steps each side`);
// The rule before: the wide block never chosen.
const before: ScheduleChooser = {
  choose: (r) => (r.kernel === 'matmul' && r.rule === 'vec4w-l8' ? 'vec4-l8' : undefined),
  tune: () => { throw new Error('mlp-ab: no tuning'); },
};
const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
for (const batch of (values.batches ?? '32,128,512').split(',').map(Number)) {
  const x = syntheticImages(batch);
  const sides = [Runtime.forContext(ctx, { schedules: before }), Runtime.forContext(ctx)].map((rt) => ({ rt, vae: new GpuVae(rt, {}, { maxBatch: batch }), ms: [] as number[] }));
  const losses: number[] = [];
  for (const s of sides) losses.push((await s.vae.trainStep(x, true))!.loss);
  for (let r = 0; r < rounds; r++) for (const s of sides) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) s.vae.trainStep(x);
    await ctx.device.queue.onSubmittedWorkDone();
    s.ms.push((performance.now() - t0) / steps);
  }
  const ratio = med(sides[1].ms.map((t, i) => t / sides[0].ms[i]));
  console.log(`batch ${batch}: before ${med(sides[0].ms).toFixed(2)} ms, now ${med(sides[1].ms).toFixed(2)} ms per step; now/before ${ratio.toFixed(3)} (median of ${rounds} rounds); first-step losses ${losses.join(' / ')}`);
  for (const s of sides) { s.vae.dispose(); s.rt.destroy(); }
}
ctx.destroy();
