// Vite + Vitest configuration. Shaders are imported as strings with `?raw`; GPU tests run in
// the default forks pool (Dawn needs a process per file) with generous timeouts for software Vulkan.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The dev server's pages (the demo, the benchmark, the browser tests); examples/ are projects of
  // their own, built from the packed tarball, whose imports of 'webgpu-vae' this checkout cannot resolve.
  optimizeDeps: { entries: ['demo/**/*.html', 'bench/**/*.html', 'test/browser/**/*.html'] },
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/lib once for the packaging and API-docs tests.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more parallel GPU files only fight over them.
    maxWorkers: 2,
  },
});
