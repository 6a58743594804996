import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GpuVae } from '../src/vae/gpu-vae';
import { loadEmbeddedMnist } from '../src/data/mnist';
import { useGpu } from './gpu/harness';
const gpu = useGpu();
it('labels matter', async () => {
  const { rt } = gpu();
  const vae = GpuVae.load(rt, new Uint8Array(readFileSync('/tmp/cond-run/model.safetensors')), { inference: true });
  const { test } = await loadEmbeddedMnist();
  const right = test.labels;
  const wrong = right.map((l) => (l + 3) % 10);
  const a = await vae.evaluate(test.images, test.count, { labels: right });
  const b = await vae.evaluate(test.images, test.count, { labels: wrong });
  console.log('right', a.loss, 'wrong', b.loss);
  const z = new Float32Array(20);
  for (let c = 0; c < 10; c++) {
    const img = await vae.decode(z, { labels: [c] });
    let s = ''; for (let r = 4; r < 24; r += 2) { for (let q = 4; q < 24; q += 1) s += img[r * 28 + q]! > 0.3 ? '#' : '.'; s += '\n'; }
    console.log(`class ${c}\n${s}`);
  }
  vae.dispose();
});
