// The library as a consumer gets it: `npm pack` into a temporary folder (dist/lib is built by
// test/global-setup.ts, so no lifecycle scripts run) and projects that depend on the tarball alone,
// installed from npm's cache where it has their other packages.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export interface PackedLibrary {
  /** The temporary folder holding the tarball and the projects made beside it. */
  dir: string;
  tarball: string;
  /** npm's account of the tarball: its gzipped size, unpacked size and files. */
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
  close(): Promise<void>;
}

export async function packLibrary(): Promise<PackedLibrary> {
  const dir = await mkdtemp(join(tmpdir(), 'vae-consumer-'));
  // --ignore-scripts: stdout is npm's JSON alone, and the build of global-setup.ts is what is packed.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { maxBuffer: 1 << 26, timeout: 180_000 });
  const info = JSON.parse(stdout)[0];
  return {
    dir, tarball: join(dir, info.filename), size: info.size, unpackedSize: info.unpackedSize, files: info.files,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A project in `lib.dir/name` with `pkg` as its package.json (its webgpu-vae dependency pointed at
 * the tarball) and `files` (path in the project → file here, or { text }), installed.
 */
export async function installProject(lib: PackedLibrary, name: string, pkg: Record<string, unknown>, files: Record<string, string | { text: string }>): Promise<string> {
  const app = join(lib.dir, name);
  await mkdir(app, { recursive: true });
  const deps = { ...(pkg.dependencies as Record<string, string> | undefined), 'webgpu-vae': `file:${lib.tarball}` };
  await writeFile(join(app, 'package.json'), JSON.stringify({ ...pkg, dependencies: deps }, null, 2));
  for (const [to, from] of Object.entries(files)) {
    await mkdir(dirname(join(app, to)), { recursive: true });
    if (typeof from === 'string') await copyFile(from, join(app, to));
    else await writeFile(join(app, to), from.text);
  }
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, timeout: 300_000, maxBuffer: 1 << 26 });
  return app;
}

/** One of examples/: its package.json and files, installed against the tarball. */
export async function installExample(lib: PackedLibrary, example: string, files: string[]): Promise<string> {
  const pkg = JSON.parse(await readFile(`examples/${example}/package.json`, 'utf8'));
  return installProject(lib, example, pkg, Object.fromEntries(files.map((f) => [f, `examples/${example}/${f}`])));
}
