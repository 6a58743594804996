// `npm run train` on the user's own data (issue 23): a tiny folder of colour PNGs and a tiny .npy
// train the MLP a few steps and write a run folder recording the data's H×W×C; --test and
// --test-fraction; what the current models cannot take is refused naming the shape; and hostile data
// (a 1 MB gzip bomb, a 1 GB sparse IDX, an .npz whose header claims 1 GB) is refused by name from
// its headers with the process's peak RSS, read from process.resourceUsage(), under 300 MB.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { encodeNpy } from '../../src/data/npy';
import { tintDigits } from '../../src/data/tinted-digits';
import { encodePngNode } from '../../src/util/png-node';
import { buildCli, expectRunFolder, runCli, type CliResult } from './cli-harness';

const exec = promisify(execFile);
let bundle: string;
let dir: string;
const cli = (args: string[]): Promise<CliResult> => runCli(bundle, args);
const tiny = ['--hidden', '8', '--latent', '2', '--batch', '8', '--epochs', '1', '--eval-k', '2', '--no-tune'];

/** Runs the CLI's main in a fresh Node process and returns its output, exit code and peak RSS in MB. */
async function cliRss(args: string[]): Promise<CliResult & { rssMB: number }> {
  const code = `const m = await import(${JSON.stringify(bundle)});
let code = 1;
try { code = await m.main(${JSON.stringify(args)}); } catch (e) { console.error('error: ' + e.message); }
console.log('maxRSS ' + process.resourceUsage().maxRSS);
process.exit(code);`;
  let out: string, exit = 0;
  try {
    const r = await exec('node', ['--input-type=module', '-e', code], { timeout: 240_000, maxBuffer: 1 << 24 });
    out = r.stdout + r.stderr;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    out = (err.stdout ?? '') + (err.stderr ?? '');
    exit = typeof err.code === 'number' ? err.code : -1;
  }
  const kb = Number(/maxRSS (\d+)/.exec(out)?.[1]);
  return { code: exit, out, rssMB: kb / 1024 };
}

function idxHeader(dims: number[]): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((v, i) => h.writeUInt32BE(v, 4 + 4 * i));
  return h;
}

/** About 1 MB of gzip that inflates to 1 GiB: 16 members of 64 MiB of zeros, the first after `header`. */
function gzipBomb(header: Buffer): Buffer {
  const zeros = Buffer.alloc(64 << 20);
  const member = gzipSync(zeros, { level: 9 });
  return Buffer.concat([gzipSync(Buffer.concat([header, zeros]), { level: 9 }), ...Array<Buffer>(15).fill(member)]);
}

beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-data-test');
  dir = await mkdtemp(join(tmpdir(), 'vae-data-cli-'));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train on your own data', () => {
  it('a folder of 32×32 colour PNGs: the MLP takes 3072 inputs, a fixed 10 % test part, H×W×C in the run', async () => {
    const set = tintDigits((await loadEmbeddedMnist()).train, 30, 1);
    const pngs = join(dir, 'pngs');
    await mkdir(pngs);
    for (let i = 0; i < set.count; i++) {
      await writeFile(join(pngs, `${String(i).padStart(2, '0')}.png`), encodePngNode({ width: 32, height: 32, channels: 3, pixels: set.pixels.subarray(i * 3072, (i + 1) * 3072) as Uint8Array }));
    }
    const out = join(dir, 'run-png');
    const r = await cli([...tiny, '--data', pngs, '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/test part: 3 of 30 images held out \(fraction 0\.1, fixed seed 0\); 27 train/);
    expect(r.out).toMatch(/model: 3072-8-2 \/ 2-8-3072/);
    await expectRunFolder(out, true);
    const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(m.dataShape).toEqual({ height: 32, width: 32, channels: 3 });
    expect(m.config.inputDim).toBe(3072);
    expect(m.data).toMatch(/PNG images in .*pngs \(27 train \/ 3 test, fraction 0\.1\)/);
    expect(Number.isFinite(m.final.testNegElbo)).toBe(true);
    // The same data, the same split: a resume continues; another fraction is another test part, refused.
    const again = await cli(['--resume', out, '--epochs', '2', '--no-tune']);
    expect(again.code, again.out).toBe(0);
    const other = await cli(['--resume', out, '--epochs', '3', '--no-tune', '--test-fraction', '0.3']);
    expect(other.code).toBe(2);
    expect(other.out).toMatch(/--resume: --test-fraction 0\.3 conflicts with the checkpoint, which has --test-fraction 0\.1/);
    // conv takes any H×W×C whose height and width divide by 4: a 30×30 array is refused naming its shape.
    await writeFile(join(dir, 'odd.npy'), encodeNpy(new Uint8Array(4 * 900), [4, 30, 30]));
    const conv = await cli(['--arch', 'conv', '--data', join(dir, 'odd.npy'), '--out', join(dir, 'never')]);
    expect(conv.code).toBe(2);
    expect(conv.out).toMatch(/--arch conv: the image's height and width must be multiples of 4 \(two stride-2 layers\), got 30×30×1.*; this data is 30×30×1/);
  });

  it('a tiny .npy with --test-fraction, and with --test; --test-fraction is refused where it cannot apply', async () => {
    const digits = (await loadEmbeddedMnist()).train;
    const u8 = Uint8Array.from(digits.images.subarray(0, 20 * 784), (v) => Math.round(v * 255));
    await writeFile(join(dir, 'x.npy'), encodeNpy(u8, [20, 28, 28]));
    await writeFile(join(dir, 't.npy'), encodeNpy(u8.subarray(0, 4 * 784), [4, 28, 28]));
    const a = await cli([...tiny, '--data', join(dir, 'x.npy'), '--test-fraction', '0.25', '--out', join(dir, 'run-npy')]);
    expect(a.code, a.out).toBe(0);
    expect(a.out).toMatch(/test part: 5 of 20 images held out \(fraction 0\.25/);
    await expectRunFolder(join(dir, 'run-npy'), true);
    const conv = ['--arch', 'conv', '--channels', '2,3', '--latent', '2', '--batch', '8', '--epochs', '1', '--eval-k', '0', '--no-tune'];
    const b = await cli([...conv, '--data', join(dir, 'x.npy'), '--test', join(dir, 't.npy'), '--out', join(dir, 'run-npy-test')]);
    expect(b.code, b.out).toBe(0);
    expect(b.out).toMatch(/on \.npy array .*x\.npy, test \.npy array .*t\.npy/);
    const both = await cli([...tiny, '--data', join(dir, 'x.npy'), '--test', join(dir, 't.npy'), '--test-fraction', '0.2']);
    expect(both.code).toBe(2);
    expect(both.out).toMatch(/with --test there is nothing to split/);
    const mnist = await cli([...tiny, '--test-fraction', '0.2']);
    expect(mnist.code).toBe(2);
    expect(mnist.out).toMatch(/--data mnist has its fixed split of 9,000 training and 1,000 test digits/);
    const size = await cli([...tiny, '--data', join(dir, 'x.npy'), '--max-memory', 'lots']);
    expect(size.code).toBe(2);
    expect(size.out).toMatch(/--max-memory must be a size such as 512M/);
  });
});

describe('hostile data is refused by name from its headers, in bounded memory', () => {
  it('a 1 MB gzip bomb (both a huge claim and a small one), a 1 GB sparse IDX and an .npz claiming 1 GB', async () => {
    const runs: [string, string[], RegExp][] = [];
    const claim = join(dir, 'bomb-claim');
    await mkdir(claim);
    const bomb = gzipBomb(idxHeader([1_000_000, 32, 32]));
    expect(bomb.length).toBeLessThan(1.2e6);
    await writeFile(join(claim, 'train-images-idx3-ubyte.gz'), bomb);
    runs.push(['gzip bomb, header claims 1 GB', ['--data', claim], /train-images-idx3-ubyte\.gz claims 1000000 images of 32×32×1 uint8 = 976\.6 MiB in memory, over the --max-memory cap of 512\.0 MiB; refused before reading it/]);
    const small = join(dir, 'bomb-small');
    await mkdir(small);
    await writeFile(join(small, 'train-images-idx3-ubyte.gz'), gzipBomb(idxHeader([100, 28, 28])));
    // Refused before inflating: 1 MB of gzip is more than 78,416 bytes of IDX data can compress to.
    runs.push(['gzip bomb, header claims 100 digits', ['--data', small], /gzipped IDX file .*train-images-idx3-ubyte\.gz is 10\d{5} bytes; expected at most 143962 bytes \(what 78416 bytes of IDX data can compress to\)/]);
    const sparse = join(dir, 'sparse.idx');
    await writeFile(sparse, idxHeader([976_563, 32, 32]));
    await truncate(sparse, 16 + 976_563 * 1024);
    runs.push(['1 GB sparse IDX', ['--data', sparse], /sparse\.idx claims 976563 images of 32×32×1 uint8 = 953\.7 MiB in memory, over the --max-memory cap/]);
    // An .npz whose x_train.npy header and zip directory both claim 1 GB: a 1 KB deflated entry that lies.
    const fake = encodeNpy(new Uint8Array(1024), [1, 32, 32]);
    const lying = fake.slice();
    lying.set(new TextEncoder().encode(new TextDecoder().decode(fake.subarray(10, 128)).replace('(1, 32, 32), ', '(1000000, 32, 32), ').slice(0, 117)), 10);
    lying[127] = 0x0a;
    const npz = zipSync({ 'x_train.npy': [lying, { level: 9 }] });
    const central = npz.findIndex((_, o) => npz[o] === 0x50 && npz[o + 1] === 0x4b && npz[o + 2] === 1 && npz[o + 3] === 2);
    new DataView(npz.buffer).setUint32(central + 24, 128 + 1_000_000 * 1024, true);
    await writeFile(join(dir, 'lying.npz'), npz);
    runs.push(['.npz claiming 1 GB', ['--data', join(dir, 'lying.npz')], /lying\.npz: x_train\.npy claims 1000000 images of 32×32×1 uint8 = 976\.6 MiB in memory, over the --max-memory cap/]);
    for (const [what, args, re] of runs) {
      const r = await cliRss([...tiny, ...args, '--out', join(dir, 'never-' + what.replace(/\W+/g, '-'))]);
      expect(r.code, `${what}: ${r.out}`).toBe(1);
      expect(r.out, what).toMatch(re);
      console.log(`${what}: refused, peak RSS ${r.rssMB.toFixed(0)} MB`);
      expect(r.rssMB, what).toBeLessThan(300);
    }
  }, 240_000);
});
