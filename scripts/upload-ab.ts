// A/B of the training step's input upload on uint8 data: 'floats' (the batch converted on the host and
// written as 4 bytes a value) against 'bytes' (written packed 4 per word, unpacked on the GPU by
// shaders/unpack_u8.wgsl), interleaved floats, bytes, floats, bytes... on one device, each round a fresh
// model of the same seed stepping through the StepDriver (host gather included), the GPU waited for
// at the end of each timed run; then the input's part alone, the same way interleaved: a batch gathered
// on the host and written to the GPU (floats), or gathered as bytes, written packed and unpacked by
// shaders/unpack_u8.wgsl (bytes), 50 batches a round, the queue waited for at the end.
// Data: the embedded digits as uint8 (28×28×1) and the tinted digits (32×32×3).
//   node scripts/build-node.mjs scripts/upload-ab.ts dist/scripts/upload-ab.mjs
//   node dist/scripts/upload-ab.mjs [--rounds 5] [--steps 40] [--batch 128] [--hidden 400] [--driver lavapipe|swiftshader]
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { datasetView, fillRowBytes, fillRows, type Dataset } from '../src/data/dataset';
import { storageBuffer, storageFrom } from '../src/gpu/buffers';
import { encodeDispatches } from '../src/gpu/runtime';
import { prepareUnpackU8 } from '../src/kernels/unpack-u8';
import { U8_TO_FLOAT } from '../src/data/image-set';
import { makeImageSet } from '../src/data/image-set';
import { loadEmbeddedMnist } from '../src/data/mnist';
import { tintDigits } from '../src/data/tinted-digits';
import { StepDriver } from '../src/train/driver';
import { GpuVae } from '../src/vae/gpu-vae';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, hidden: { type: 'string' }, driver: { type: 'string' } } });
const rounds = Number(values.rounds ?? 5), steps = Number(values.steps ?? 40), batch = Number(values.batch ?? 128), hidden = Number(values.hidden ?? 400);

const mnist = (await loadEmbeddedMnist()).train;
const digitBytes = Uint8Array.from(mnist.images.subarray(0, 2048 * 784), (v) => Math.round(v * 255));
const sets: [string, Dataset][] = [
  ['digits 28×28×1 uint8', datasetView(makeImageSet({ count: 2048, shape: { height: 28, width: 28, channels: 1 }, pixels: digitBytes, source: 'digits as uint8' }))],
  ['tinted 32×32×3 uint8', datasetView(tintDigits(mnist, 2048, 0))],
];

const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
const rt = Runtime.forContext(ctx);
console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}; MLP ${hidden}, latent 20, batch ${batch}, ${steps} timed steps after 3 warm-up, ${rounds} rounds`);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const [name, data] of sets) {
  const D = data.dim;
  const times: Record<string, number[]> = { floats: [], bytes: [] }, bytes: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const upload of ['floats', 'bytes'] as const) {
      const vae = new GpuVae(rt, { inputDim: D, encoderHidden: [hidden], decoderHidden: [hidden], seed: 0 }, { maxBatch: batch });
      const driver = new StepDriver(vae, data, batch, { upload });
      for (let i = 0; i < 3; i++) await driver.step(i === 2);
      await driver.drain();
      const before = vae.inputBytesUploaded;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await driver.step(i === steps - 1);
      await driver.drain();
      times[upload]!.push((performance.now() - t0) / steps);
      bytes[upload] = (vae.inputBytesUploaded - before) / steps;
      vae.dispose();
    }
  }
  // The input's part alone: gather + write (+ unpack), 50 batches a round.
  const device = ctx.device, count = batch * D, order = Uint32Array.from({ length: data.count }, (_, i) => (i * 7919) % data.count);
  const out = storageBuffer(device, count, 'input floats'), packed = storageBuffer(device, Math.ceil(count / 4), 'input bytes'), table = storageFrom(device, U8_TO_FLOAT, 'table');
  const unpack = prepareUnpackU8(rt, { count }, { packed, table, out });
  const f32 = new Float32Array(count), u8 = new Uint8Array(4 * Math.ceil(count / 4));
  const input: Record<string, number[]> = { floats: [], bytes: [] };
  for (let r = 0; r < rounds; r++) {
    for (const upload of ['floats', 'bytes'] as const) {
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) {
        const start = (i * batch) % (data.count - batch);
        if (upload === 'floats') {
          const x = fillRows(data, order, start, batch, f32);
          device.queue.writeBuffer(out, 0, x.buffer, x.byteOffset, x.byteLength);
        } else {
          fillRowBytes(data, order, start, batch, u8);
          device.queue.writeBuffer(packed, 0, u8.buffer, 0, u8.byteLength);
          const e = device.createCommandEncoder(), pass = e.beginComputePass();
          encodeDispatches(pass, unpack.dispatches);
          pass.end();
          device.queue.submit([e.finish()]);
        }
      }
      await device.queue.onSubmittedWorkDone();
      input[upload]!.push((performance.now() - t0) / 50);
    }
  }
  unpack.destroy();
  for (const b of [out, packed, table]) b.destroy();
  console.log(`${name}, the input alone (gather, write; bytes also unpack): floats ${median(input.floats!).toFixed(3)} ms/batch · bytes ${median(input.bytes!).toFixed(3)} ms/batch (medians of ${rounds} rounds of 50: floats ${input.floats!.map((t) => t.toFixed(3)).join(' ')}; bytes ${input.bytes!.map((t) => t.toFixed(3)).join(' ')})`);
  const f = median(times.floats!), b = median(times.bytes!);
  console.log(`${name}: floats ${bytes.floats} B/step ${f.toFixed(2)} ms/step · bytes ${bytes.bytes} B/step ${b.toFixed(2)} ms/step · upload ×${(bytes.floats! / bytes.bytes!).toFixed(2)} smaller, step ${((100 * (f - b)) / f).toFixed(1)} % faster (medians of ${rounds}: floats ${times.floats!.map((t) => t.toFixed(2)).join(' ')}; bytes ${times.bytes!.map((t) => t.toFixed(2)).join(' ')})`);
}
rt.destroy();
ctx.destroy();
