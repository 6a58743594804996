// webgpu-vae in the browser: acquire WebGPU, fetch the embedded MNIST split (public/mnist.bin, written
// by make-mnist.mjs before the build), train a small VAE for a few steps, report the test −ELBO and
// draw samples from the prior.
import { createRuntime, describeAdapter, GpuVae } from 'webgpu-vae';
import { fetchMnist } from 'webgpu-vae/mnist';

const status = document.getElementById('status');
const say = (text) => { status.textContent = text; };

async function main() {
  const gpu = await createRuntime();   // without WebGPU: an error naming the browsers and flags that have it
  const { train, test } = await fetchMnist(new URL('mnist.bin', document.baseURI));
  const steps = Number(new URLSearchParams(location.search).get('steps') ?? 40);
  const batch = 32;
  const vae = new GpuVae(gpu.runtime, { encoderHidden: [64], decoderHidden: [64], latent: 4, seed: 2 }, { maxBatch: batch });
  const before = (await vae.evaluate(test.images, 200)).loss;
  for (let step = 0; step < steps; step++) {
    const start = (step * batch) % (train.count - batch);
    const done = vae.trainStep(train.images.subarray(start * train.dim, (start + batch) * train.dim), step % 10 === 9);
    if (done) say(`step ${(await done).step}: loss ${(await done).loss.toFixed(1)} nats`);
  }
  const after = (await vae.evaluate(test.images, 200)).loss;
  // Eight samples from the prior, side by side.
  const images = await vae.sample(8);
  const ctx = document.getElementById('samples').getContext('2d');
  const pixels = ctx.createImageData(224, 28);
  for (let i = 0; i < 8; i++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const v = Math.round(255 * images[i * 784 + y * 28 + x]);
    const o = 4 * (y * 224 + i * 28 + x);
    pixels.data.set([v, v, v, 255], o);
  }
  ctx.putImageData(pixels, 0, 0);
  say(`${describeAdapter(gpu.adapterInfo)} · ${steps} steps · test −ELBO ${before.toFixed(1)} → ${after.toFixed(1)} nats per digit`);
  window.__result = { adapter: describeAdapter(gpu.adapterInfo), steps: vae.step, before, after };
  vae.dispose();
  gpu.destroy();
}

main().then(
  () => { document.body.dataset.state = 'done'; },
  (e) => { say(`error: ${e.message}`); window.__result = { error: e.message }; document.body.dataset.state = 'error'; },
);
