// Node benchmark entry (Dawn): the default model's training step at batch 32, 128 and 512 and the
// VAE's matmul shapes, on the adapter acquireDevice finds. Prints tables; writes JSON with --json.
//   npm run bench:node [-- --quick] [-- --json out.json] [-- --driver swiftshader]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { loadEmbeddedMnist } from '../src/data/mnist';
import { benchMatmuls, benchTrainStep, VAE_MATMULS, withVariants } from './train-step';
import { table } from './timing';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'string' }, driver: { type: 'string' } } });
const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
const adapter = describeAdapter(ctx.adapterInfo);
console.log(`adapter: ${adapter}`);
const rt = Runtime.forContext(ctx);
const { train } = await loadEmbeddedMnist();
const quick = !!values.quick;

const matmuls = await benchMatmuls(rt, withVariants(VAE_MATMULS), quick ? 3 : 7);
console.log('\nmatmul (median of runs of 10 dispatches)\n' + table(['shape', 'ms', 'GFLOP/s'], matmuls.map((m) => [m.name, m.ms.toFixed(3), m.gflops.toFixed(2)])));

const steps = await benchTrainStep(rt, train.images, quick ? [128] : [32, 128, 512], quick ? 10 : 25);
console.log('\ntraining step, default model 784-400-20 (forward, ELBO, backward, Adam; one submit each)\n' +
  table(['batch', 'ms/step', 'steps/s', 'examples/s', 'µs/example'], steps.map((s) => [s.batch, s.msPerStep.toFixed(1), s.stepsPerSecond.toFixed(1), s.examplesPerSecond.toFixed(0), s.usPerExample.toFixed(1)])));

if (values.json) {
  await writeFile(values.json, JSON.stringify({ date: new Date().toISOString(), adapter, matmuls, steps }, null, 2));
}
rt.destroy();
ctx.destroy();
