// The demo page (demo/index.html): `npm run demo` serves it, `npm run build:demo` writes a static site
// to dist/demo with relative asset paths, so any static server (or a sub-folder of one) can host it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnistPlugin } from './mnist-plugin.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [mnistPlugin()],
  // The training worker (demo/worker.ts) as an ES module: the library's Node-only paths are dynamic
  // imports that a classic worker bundle cannot hold; they stay out of it as out of the page's.
  worker: { format: 'es', rolldownOptions: { external: ['webgpu', /^node:/] } },
  build: {
    outDir: fileURLToPath(new URL('../dist/demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The page is one small module graph; the 7.8 MB data file is fetched, not bundled.
    chunkSizeWarningLimit: 1024,
    // The library's Node-only paths (Dawn's `webgpu` addon, reading files) are dynamic imports that a
    // browser never takes: leave them out of the bundle instead of shimming them.
    rolldownOptions: { external: ['webgpu', /^node:/] },
  },
});
