// webgpu-vae from Node: acquire a device (a GPU, else a software Vulkan driver), train a small VAE on
// the embedded MNIST (webgpu-vae/mnist, reading the `mnist` package) for a few steps, evaluate it,
// save it as safetensors and load it back.
import { createRuntime, GpuVae, describeAdapter } from 'webgpu-vae';
import { loadEmbeddedMnist } from 'webgpu-vae/mnist';

const steps = Number(process.argv[2] ?? 30);
const gpu = await createRuntime();
console.error(`adapter: ${describeAdapter(gpu.adapterInfo)}`);

const { train, test } = await loadEmbeddedMnist();
const batch = 64;
const vae = new GpuVae(gpu.runtime, { encoderHidden: [128], decoderHidden: [128], latent: 8, seed: 1 }, { maxBatch: batch });
for (let step = 0; step < steps; step++) {
  const start = (step * batch) % (train.count - batch);
  vae.trainStep(train.images.subarray(start * train.dim, (start + batch) * train.dim));
}
const [loss, rec, kl] = await vae.readLoss();
const testElbo = await vae.evaluate(test.images, 256);

const bytes = await vae.save();
const again = GpuVae.load(gpu.runtime, bytes, { maxBatch: batch });
const reloaded = await again.evaluate(test.images, 256);

console.log(JSON.stringify({ steps: vae.step, loss, rec, kl, testNegElbo: testElbo.loss, reloadedTestNegElbo: reloaded.loss, checkpointBytes: bytes.length }));
again.dispose();
vae.dispose();
gpu.destroy();
