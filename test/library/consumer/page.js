// The consumer's page (bundled by esbuild from the installed package): the checks on navigator.gpu,
// and the page's own one: the model through IndexedDB and back. Results: window.__results.
import { createRuntime, describeAdapter, GpuVae, loadFromIndexedDB, saveToIndexedDB } from 'webgpu-vae';
import { runChecks } from './checks.js';

async function main() {
  const gpu = await createRuntime();
  const results = await runChecks(gpu.runtime, {
    async indexedDb({ model, bytes, test }) {
      await saveToIndexedDB('consumer-model', bytes);
      const back = GpuVae.load(gpu.runtime, await loadFromIndexedDB('consumer-model'), { maxBatch: 32 });
      const same = [(await model.evaluate(test.images, 32)).loss, (await back.evaluate(test.images, 32)).loss];
      back.dispose();
      return { bytes: bytes.length, testLoss: same };
    },
  });
  window.__results = { adapter: describeAdapter(gpu.adapterInfo), ...results };
  gpu.destroy();
}

main().then(
  () => { document.body.dataset.state = 'done'; },
  (e) => { window.__results = { error: `${e.message}\n${e.stack}` }; document.body.dataset.state = 'error'; },
);
