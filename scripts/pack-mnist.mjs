// Writes the embedded MNIST split in its compact VAEMNIST form (≈7.8 MB of u8 pixels) for browsers:
// node scripts/pack-mnist.mjs OUT.bin. Uses the built library (dist/lib), so run after vite build.
import { writeFile } from 'node:fs/promises';

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/pack-mnist.mjs OUT.bin');
  process.exit(2);
}
const lib = await import('../dist/lib/index.js');
await writeFile(out, lib.packMnistU8(await lib.loadEmbeddedMnist()));
