// Issue 25's MLP step, dispatch by dispatch (bench/breakdown.ts: GPU timestamps, one pass each) at
// the batches given, with each matmul's GFLOP/s against the FMA ceiling measured in the same run.
//   node scripts/build-node.mjs scripts/mlp-profile.ts dist/bench/mlp-profile.mjs
//   node dist/bench/mlp-profile.mjs [--driver lavapipe|swiftshader] [--batches 32,128,512] [--samples 5]
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { stepBreakdown } from '../bench/breakdown';
import { measureCeilings, copyMeter } from '../bench/ceilings';
import { suiteContext } from '../bench/suite-context';
import { syntheticImages, vaeMatmuls } from '../bench/shapes';

const { values } = parseArgs({ options: { driver: { type: 'string' }, batches: { type: 'string' }, samples: { type: 'string' } } });
const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}`);
const sc = suiteContext(ctx, { quick: true, peers: [], log: (l) => console.log(l) });
const fma = await measureCeilings(sc, copyMeter(sc));
const peak = Math.max(...fma.map((f) => f.gflops));
sc.timer?.destroy();
sc.rt.destroy();
for (const batch of (values.batches ?? '32,128,512').split(',').map(Number)) {
  const flops = new Map(vaeMatmuls(batch).map((c) => [c.name.replace('enc.', 'encoder.').replace('dec.', 'decoder.').replace(' fwd', ' forward'), 2 * c.M * c.N * c.K]));
  const bd = await stepBreakdown(ctx, batch, Number(values.samples ?? 5), syntheticImages(batch));
  const mm = bd.rows.filter((r) => r.kind === 'matmul').reduce((s, r) => s + r.ms, 0);
  const total = [...flops.values()].reduce((s, f) => s + f, 0);
  console.log(`\nbatch ${batch}: ${bd.totalMs.toFixed(2)} ms (matmuls ${mm.toFixed(2)} ms); step ${(total / (bd.totalMs * 1e6)).toFixed(1)} GFLOP/s = ${(100 * total / (bd.totalMs * 1e6) / peak).toFixed(1)}% of ${peak.toFixed(1)}`);
  for (const r of bd.rows) {
    const f = flops.get(r.label);
    const g = f ? ` ${(f / (r.ms * 1e6)).toFixed(1).padStart(6)} GFLOP/s ${(100 * f / (r.ms * 1e6) / peak).toFixed(0).padStart(3)}%` : '';
    console.log(`  ${r.label.padEnd(28)} ${r.kind.padEnd(10)} ${r.ms.toFixed(3).padStart(9)} ms ${(100 * r.share).toFixed(1).padStart(5)}%${g}`);
  }
}
ctx.destroy();
