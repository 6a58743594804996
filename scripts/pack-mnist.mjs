// Writes the embedded MNIST split in its compact VAEMNIST form (7,850,028 bytes of u8 pixels) that
// fetchMnist reads in a browser: node scripts/pack-mnist.mjs OUT.bin (`npm run build:mnist` writes
// dist/mnist.bin). Uses the built `webgpu-vae/mnist` entry (dist/lib/mnist.js) and the `mnist` package.
import { writeFile } from 'node:fs/promises';

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/pack-mnist.mjs OUT.bin');
  process.exit(2);
}
const mnist = await import('../dist/lib/mnist.js');
await writeFile(out, mnist.packMnistU8(await mnist.loadEmbeddedMnist()));
