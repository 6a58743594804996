// Soak benchmark: 20,000 training steps of a small model (784-64-8, batch 64) with the loss read back
// every 100 steps, printing every 1,000 steps the time per step, the process's resident memory and
// the number of live GPU buffers. Flat columns mean no leak and no slowdown.
//   npm run bench:soak [-- --steps 20000] [-- --json out.json]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { GpuVae } from '../src/vae/gpu-vae';
import { loadEmbeddedMnist } from '../src/data/mnist';

const { values } = parseArgs({ options: { steps: { type: 'string' }, json: { type: 'string' } } });
const total = Number(values.steps ?? 20000);
const ctx = await acquireDevice();
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}`);
const device = ctx.device;
// Count live buffers: wrap createBuffer and each buffer's destroy.
let live = 0;
const create = device.createBuffer.bind(device);
device.createBuffer = (d: GPUBufferDescriptor) => {
  const b = create(d);
  live++;
  const destroy = b.destroy.bind(b);
  b.destroy = () => { live--; destroy(); };
  return b;
};
const rt = Runtime.forContext(ctx);
const { train } = await loadEmbeddedMnist();
const batch = 64, D = 784;
const vae = new GpuVae(rt, { encoderHidden: [64], decoderHidden: [64], latent: 8, seed: 7 }, { maxBatch: batch });
const rows: { step: number; msPerStep: number; rssMiB: number; liveBuffers: number; loss: number }[] = [];
let pending: ReturnType<GpuVae['trainStep']> = null;
let t0 = performance.now();
let loss = NaN;
console.log('| step | ms/step (last 1,000) | RSS MiB | live GPU buffers | loss |\n|---|---|---|---|---|');
for (let step = 1; step <= total; step++) {
  const start = ((step - 1) * batch) % (train.count - batch);
  const p = vae.trainStep(train.images.subarray(start * D, (start + batch) * D), step % 100 === 0);
  if (p) {
    if (pending) loss = (await pending).loss;
    pending = p;
  }
  if (step % 1000 === 0) {
    if (pending) loss = (await pending).loss;
    pending = null;
    await device.queue.onSubmittedWorkDone();
    const now = performance.now();
    const row = { step, msPerStep: (now - t0) / 1000, rssMiB: process.memoryUsage().rss / 2 ** 20, liveBuffers: live, loss };
    rows.push(row);
    console.log(`| ${step} | ${row.msPerStep.toFixed(2)} | ${row.rssMiB.toFixed(0)} | ${live} | ${loss.toFixed(2)} |`);
    t0 = performance.now();
  }
}
if (values.json) await writeFile(values.json, JSON.stringify({ adapter: describeAdapter(ctx.adapterInfo), rows }, null, 2));
vae.dispose();
rt.destroy();
console.log(`after dispose: ${live} live GPU buffers`);
ctx.destroy();
