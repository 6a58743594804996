// Library build: src/index.ts → dist/lib/index.js and the optional embedded-MNIST entry
// src/data/mnist.ts → dist/lib/mnist.js (ESM), every WGSL source inlined as a string so consumers
// need no loader. Node-only modules (the `webgpu` addon, node: built-ins) stay external.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: { index: 'src/index.ts', mnist: 'src/data/mnist.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.js` },
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    rollupOptions: { external: ['webgpu', /^node:/], output: { chunkFileNames: 'shared.js' } },
  },
});
