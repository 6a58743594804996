// The training worker: acquires WebGPU here (self.navigator.gpu), fetches the MNIST split, trains a
// small VAE with fit() and posts its progress, stops when the page asks (an AbortSignal), and sends
// why it stopped early (TrainingStopped.reason), the prior samples and the checkpoint bytes (transferred, not copied) when done.
import { createRuntime, describeAdapter, GpuVae, subset, TrainingStopped } from 'webgpu-vae';
import { fetchMnist } from 'webgpu-vae/mnist';

let stop;
self.onmessage = ({ data: msg }) => {
  if (msg.type === 'stop') stop?.abort(new Error('stopped from the page'));
  else if (msg.type === 'train') train(msg).catch((e) => self.postMessage({ type: 'error', message: e.message }));
};

async function train({ epochs, batch, trainCount, dataUrl }) {
  const gpu = await createRuntime();
  self.postMessage({ type: 'ready', adapter: describeAdapter(gpu.adapterInfo) });
  const data = await fetchMnist(dataUrl);
  const first = (n) => Array.from({ length: n }, (_, i) => i);
  const train = subset(data.train, first(Math.min(trainCount, data.train.count)));
  const test = subset(data.test, first(200));
  const vae = new GpuVae(gpu.runtime, { encoderHidden: [64], decoderHidden: [64], latent: 4, seed: 3 }, { maxBatch: batch });
  stop = new AbortController();
  let stopped = null;
  try {
    await vae.fit({
      epochs, batch, train, test, signal: stop.signal, readEvery: 5,
      onProgress: (p) => self.postMessage({ type: 'progress', ...p }),
      onEpoch: (m) => self.postMessage({ type: 'epoch', epoch: m.epoch, step: m.step, testNegElbo: m.test.elbo }),
    });
  } catch (e) {
    if (!(e instanceof TrainingStopped)) throw e;
    stopped = e.reason; // 'aborted' | 'non-finite' | 'device-lost'
  }
  const testNegElbo = (await vae.evaluate(test.images, test.count)).loss;
  const samples = await vae.sample(8);
  const checkpoint = await vae.save();
  self.postMessage({ type: 'done', step: vae.step, stopped, testNegElbo, samples, checkpoint }, [samples.buffer, checkpoint.buffer]);
  vae.dispose();
  gpu.destroy();
}
