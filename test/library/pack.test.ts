// The library as a consumer gets it: `npm pack` (which builds dist/ first), install the tarball
// into a fresh project beside `webgpu`, and run examples/node there: a few training steps on Dawn,
// a finite loss, and a checkpoint that reloads to the same test −ELBO.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('packed library', () => {
  it('installs from its tarball and trains in a consumer project', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vae-consumer-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { maxBuffer: 1 << 26, timeout: 180_000 });
    const info = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
    const files: string[] = info.files.map((f: { path: string }) => f.path);
    expect(files).toContain('dist/lib/index.js');
    expect(files).toContain('dist/lib/types/index.d.ts');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    const tarball = join(dir, info.filename);

    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    const pkg = JSON.parse(await readFile('examples/node/package.json', 'utf8'));
    pkg.dependencies['webgpu-vae'] = `file:${tarball}`;
    await writeFile(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    await copyFile('examples/node/index.mjs', join(app, 'index.mjs'));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, timeout: 300_000, maxBuffer: 1 << 26 });

    const out = await run('node', ['index.mjs', '20'], { cwd: app, timeout: 180_000 });
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    console.info(`consumer run: ${out.stderr.trim().split('\n').filter((l) => l.startsWith('adapter')).join('')} ${JSON.stringify(result)}`);
    expect(result.steps).toBe(20);
    for (const k of ['loss', 'rec', 'kl', 'testNegElbo']) expect(Number.isFinite(result[k]), k).toBe(true);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.reloadedTestNegElbo).toBe(result.testNegElbo);
    // It really came from the tarball, not this checkout.
    expect(resolve(app, 'node_modules/webgpu-vae')).not.toBe(resolve('.'));
  });
});
