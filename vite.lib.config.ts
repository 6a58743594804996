// Library build: src/index.ts → dist/lib/index.js (ESM) with every WGSL source inlined as a string,
// so consumers need no loader. Node-only modules (the `webgpu` addon, node: built-ins) stay external.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'index.js' },
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    rollupOptions: { external: ['webgpu', /^node:/] },
  },
});
