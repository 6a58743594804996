// `npm run train` against a hostile user (issue 11), each class of defect at the CLI:
// - run folders never overwrite each other (unique default folder, an existing run refused unless
//   resumed or --overwrite, a lock so two runs on one --out cannot both succeed, stale locks taken);
// - what can be checked is checked before the first step (eval-k, unwritable --out, step budget,
//   model size);
// - reads are bounded by what the file claims to be (/dev/zero, sparse tails, gzip past its header);
// - resume flags that conflict with the checkpoint are refused, changes announced, defaults taken
//   from the checkpoint;
// - lying metadata and corrupt metrics.json get named messages, and nothing on disk is touched.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';
import { createDefaultRunFolder, LOCK_FILE } from '../../src/cli/run-folder';
import { buildCli, expectRunFolder, idxFolder, runCli, type CliResult } from './cli-harness';

let bundle: string;
let dir: string;
const cli = (args: string[], cwd?: string): Promise<CliResult> => runCli(bundle, args, cwd);
// One step per epoch on the embedded set: the cheapest run that writes a whole folder.
const quick = ['--hidden', '8', '--latent', '2', '--batch', '9000', '--epochs', '1', '--eval-k', '0'];
let base: string;

beforeAll(async () => {
  bundle = await buildCli('webgpu-vae-hostile-test');
  dir = await mkdtemp(join(tmpdir(), 'vae-hostile-'));
  base = join(dir, 'base');
  const r = await cli([...quick, '--out', base]);
  if (r.code !== 0) throw new Error(`base run failed: ${r.out}`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyRun(name: string, from = base): Promise<string> {
  const to = join(dir, name);
  await cp(from, to, { recursive: true });
  return to;
}

/** Rewrites a checkpoint's metadata (tensors unchanged). */
async function editMetadata(path: string, edit: (m: Record<string, string>) => void) {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(path)));
  edit(metadata);
  await writeFile(path, encodeSafetensors(tensors, metadata));
}

describe('run folders never overwrite each other', () => {
  it('default folders are unique, even for two runs in the same second', async () => {
    const root = join(dir, 'same-second');
    const at = new Date('2026-12-01T12:00:00Z');
    const a = await createDefaultRunFolder(root, at), b = await createDefaultRunFolder(root, at);
    expect(a).not.toBe(b);
    expect([a, b].map((p) => p.slice(root.length + 1))).toEqual(['2026-12-01T12-00-00', '2026-12-01T12-00-00-2']);
    // Two CLI runs started together without --out: two folders, both complete.
    const cwd = join(dir, 'cwd');
    await mkdir(cwd);
    const [r1, r2] = await Promise.all([cli(quick, cwd), cli(quick, cwd)]);
    expect(r1.code, r1.out).toBe(0);
    expect(r2.code, r2.out).toBe(0);
    const folders = await readdir(join(cwd, 'runs'));
    expect(folders).toHaveLength(2);
    for (const f of folders) await expectRunFolder(join(cwd, 'runs', f), true);
  });

  it('an existing run at --out is refused untouched; --overwrite replaces it without stale files', async () => {
    const out = await copyRun('existing');
    const before = await readFile(join(out, 'model.safetensors'));
    const r = await cli([...quick, '--seed', '1', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/the folder already holds a run \(manifold\.png, metrics\.json, model\.safetensors.*\); pass --resume .* to continue it, or --overwrite/);
    expect(Buffer.compare(await readFile(join(out, 'model.safetensors')), before)).toBe(0);
    // A 3-D latent writes no manifold: --overwrite must not leave the old one beside the new files.
    const o = await cli([...quick, '--latent', '3', '--overwrite', '--out', out]);
    expect(o.code, o.out).toBe(0);
    expect(o.out).toMatch(/--overwrite: removed manifold\.png, metrics\.json, model\.safetensors, reconstructions\.png, samples\.png/);
    expect(existsSync(join(out, 'manifold.png'))).toBe(false);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    const resumeOver = await cli(['--resume', out, '--overwrite']);
    expect(resumeOver.code).toBe(2);
    expect(resumeOver.out).toMatch(/would delete the run being resumed/);
  });

  it('two runs on one --out: exactly one succeeds', async () => {
    const out = join(dir, 'race');
    const results = await Promise.all([cli([...quick, '--out', out]), cli([...quick, '--out', out])]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 2]);
    expect(results.find((r) => r.code === 2)!.out).toMatch(/in use by another run \(pid \d+|already holds a run/);
    await expectRunFolder(out, true);
  });

  it('a lock left by a killed run is taken over; a live one is refused', async () => {
    const out = join(dir, 'stale');
    await mkdir(out);
    const { hostname } = await import('node:os');
    await writeFile(join(out, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'then' }));
    const r = await cli([...quick, '--out', out]);
    expect(r.code, r.out).toBe(0);
    const live = join(dir, 'live');
    await mkdir(live);
    await writeFile(join(live, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), started: 'now' }));
    const l = await cli([...quick, '--out', live]);
    expect(l.code).toBe(2);
    expect(l.out).toMatch(new RegExp(`in use by another run \\(pid ${process.pid}`));
  });
});

describe('checks before the first step', () => {
  it('eval-k, unwritable or impossible --out, step budget and model size fail at once', async () => {
    for (const k of ['1e6', '100001', '-1', '2.5']) {
      const out = join(dir, `evalk-${k}`);
      const r = await cli([...quick, '--eval-k', k, '--out', out]);
      expect(r.code, k).toBe(2);
      expect(r.out).toMatch(/--eval-k must be an integer (from 0 to 100000|≥ 0)|Option '--eval-k' argument is ambiguous/);
      expect(existsSync(out)).toBe(false);
    }
    // /proc takes no files (even for root); a path under a regular file cannot be a folder.
    const proc = await cli([...quick, '--out', '/proc']);
    expect(proc.code).toBe(2);
    expect(proc.out).toMatch(/--out \/proc: the folder is not writable/);
    expect(proc.out).not.toMatch(/epoch 1/);
    await writeFile(join(dir, 'a-file'), 'x');
    const under = await cli([...quick, '--out', join(dir, 'a-file', 'run')]);
    expect(under.code).toBe(2);
    expect(under.out).toMatch(/cannot create the run folder/);
    const steps = await cli(['--batch', '1', '--epochs', '4294967295', '--out', join(dir, 'steps')]);
    expect(steps.code).toBe(2);
    expect(steps.out).toMatch(/--epochs 4294967295 × 9000 steps per epoch = \d+ steps, more than the 4294967295 a run can count/);
    const huge = await cli(['--hidden', '65536,65536', '--out', join(dir, 'huge')]);
    expect(huge.code).toBe(2);
    expect(huge.out).toMatch(/would have [\d,]+ parameters, more than the 134,217,728 allowed/);
  });
});

describe('reads bounded by what a file claims to be', () => {
  it('checkpoints: /dev/zero, a symlink to it, a sparse 4 GiB tail', async () => {
    const z = await cli(['--resume', '/dev/zero']);
    expect(z.code).toBe(1);
    expect(z.out).toMatch(/\/dev\/zero is a character device; expected a regular file/);
    const link = join(dir, 'zero-run');
    await mkdir(link);
    await symlink('/dev/zero', join(link, 'model.safetensors'));
    const l = await cli(['--resume', link]);
    expect(l.code).toBe(1);
    expect(l.out).toMatch(/is a character device/);
    const tail = await copyRun('tail');
    const size = (await readFile(join(tail, 'model.safetensors'))).length;
    await truncate(join(tail, 'model.safetensors'), 2 ** 32);
    const t = await cli(['--resume', tail, '--epochs', '2']);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(new RegExp(`the file is ${2 ** 32} bytes but its header describes ${size}; ${2 ** 32 - size} bytes at the end belong to no tensor`));
  });

  it('IDX data: a symlink to /dev/zero, a sparse tail past the header dims, gzip longer than its header', async () => {
    const d = await idxFolder(join(dir, 'idx-zero'), 10, 2);
    await rm(join(d, 'train-images-idx3-ubyte'));
    await symlink('/dev/zero', join(d, 'train-images-idx3-ubyte'));
    const z = await cli([...quick, '--data', d, '--out', join(dir, 'idx-zero-run')]);
    expect(z.code).toBe(1);
    expect(z.out).toMatch(/train-images-idx3-ubyte is a character device; expected a regular file/);
    const t = await idxFolder(join(dir, 'idx-tail'), 10, 2);
    await truncate(join(t, 'train-images-idx3-ubyte'), 2 ** 32);
    const tr = await cli([...quick, '--data', t, '--out', join(dir, 'idx-tail-run')]);
    expect(tr.code).toBe(1);
    expect(tr.out).toMatch(new RegExp(`${2 ** 32 - 7856} bytes of trailing garbage: its header's dims say the file is 7856 bytes`));
    const g = await idxFolder(join(dir, 'idx-gz'), 10, 2);
    const raw = await readFile(join(g, 'train-images-idx3-ubyte'));
    await rm(join(g, 'train-images-idx3-ubyte'));
    await writeFile(join(g, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([raw, Buffer.alloc(1 << 20)])));
    const gz = await cli([...quick, '--data', g, '--out', join(dir, 'idx-gz-run')]);
    expect(gz.code).toBe(1);
    expect(gz.out).toMatch(/gzip data decompresses to more than 7857 bytes; more than its IDX header says/);
  });

  it('metrics.json: /dev/zero and corrupt JSON stop a resume before training, touching nothing', async () => {
    const zero = await copyRun('metrics-zero');
    await rm(join(zero, 'metrics.json'));
    await symlink('/dev/zero', join(zero, 'metrics.json'));
    const z = await cli(['--resume', zero, '--epochs', '2']);
    expect(z.code).toBe(2);
    expect(z.out).toMatch(/metrics file .*metrics\.json is a character device/);
    const bad = await copyRun('metrics-bad');
    const text = await readFile(join(bad, 'metrics.json'), 'utf8');
    await writeFile(join(bad, 'metrics.json'), text.slice(0, text.length >> 1));
    const ckpt = await readFile(join(bad, 'model.safetensors'));
    const r = await cli(['--resume', bad, '--epochs', '2']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/metrics\.json: not valid JSON .*; move the file away to resume without the earlier epochs' history/);
    expect(r.out).not.toMatch(/epoch 2\/2/);
    expect(await readFile(join(bad, 'metrics.json'), 'utf8')).toBe(text.slice(0, text.length >> 1));
    expect(Buffer.compare(await readFile(join(bad, 'model.safetensors')), ckpt)).toBe(0);
  });
});

describe('resume: conflicting flags refused, changes announced, defaults from the checkpoint', () => {
  let idxRun: string, data: string;
  beforeAll(async () => {
    data = await idxFolder(join(dir, 'idx40'), 40, 5);
    idxRun = join(dir, 'idx-run');
    const r = await cli(['--hidden', '8', '--latent', '2', '--batch', '20', '--epochs', '1', '--eval-k', '0', '--seed', '4', '--binarize', '--data', data, '--out', idxRun]);
    if (r.code !== 0) throw new Error(r.out);
  });

  it('refuses seed, batch, architecture, data and binarization that differ', async () => {
    const cases: [string[], RegExp][] = [
      [['--seed', '7'], /--seed 7 conflicts with the checkpoint, which has seed 4; the seed fixes initialisation, noise and data order/],
      [['--batch', '10'], /--batch 10 conflicts with the checkpoint, which has batch 20; the batch size fixes the data order/],
      [['--hidden', '16'], /--hidden 16 conflicts with the checkpoint, which has encoderHidden 8/],
      [['--likelihood', 'gaussian'], /--likelihood gaussian conflicts with the checkpoint, which has likelihood bernoulli/],
      [['--data', 'mnist'], /the training data \(embedded MNIST .*: 9000 images, digest [0-9a-f]+\) is not the checkpoint's \(IDX files in .*idx40: 40 images/],
      [['--data', await idxFolder(join(dir, 'idx40-other'), 40, 5, 100)], /the training data \(IDX files in .*idx40-other: 40 images, digest [0-9a-f]+\) is not the checkpoint's/],
    ];
    const before = await readFile(join(idxRun, 'model.safetensors'));
    for (const [flags, message] of cases) {
      const r = await cli(['--resume', idxRun, '--epochs', '2', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.out).toMatch(message);
    }
    expect(Buffer.compare(await readFile(join(idxRun, 'model.safetensors')), before)).toBe(0);
    // Binarization can only be turned on by a flag: a run without it refuses --binarize.
    const plain = await copyRun('plain');
    const b = await cli(['--resume', plain, '--epochs', '2', '--binarize']);
    expect(b.code).toBe(2);
    expect(b.out).toMatch(/--binarize conflicts with the checkpoint, which has binarization off/);
  });

  it('takes data, batch and binarization from the checkpoint, announces --lr and moved data', async () => {
    const run = await copyRun('idx-resume', idxRun);
    const r = await cli(['--resume', run, '--epochs', '2', '--lr', '0.002']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/learning rate changed on resume: 0\.001 → 0\.002/);
    expect(r.out).toMatch(/dynamic binarization on, as in the checkpoint/);
    expect(r.out).toMatch(/data: .*idx40 \(from the checkpoint\)/);
    expect(r.out).toMatch(/batch 20, 2 epochs on IDX files in .*idx40, binarized/);
    const metrics = JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8'));
    expect(metrics.epochs.map((m: { step: number }) => m.step)).toEqual([2, 4]);
    const moved = await copyRun('idx40-moved', data);
    const m = await cli(['--resume', run, '--epochs', '3', '--data', moved]);
    expect(m.code, m.out).toBe(0);
    expect(m.out).toMatch(/data: the same training images as the checkpoint's \(IDX files in .*idx40\), now from IDX files in .*idx40-moved/);
  });
});

describe('named messages for lying metadata', () => {
  it('batch "-5" and enormous layers in a checkpoint', async () => {
    const neg = await copyRun('batch-neg');
    await editMetadata(join(neg, 'model.safetensors'), (m) => { m.batch = '-5'; });
    const r = await cli(['--resume', neg, '--epochs', '2']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/metadata batch is "-5"; expected an integer from 1 to 2147483647/);
    const huge = await copyRun('huge-config');
    await editMetadata(join(huge, 'model.safetensors'), (m) => {
      m.config = JSON.stringify({ ...JSON.parse(m.config!), encoderHidden: [65536, 65536, 65536, 65536], decoderHidden: [65536] });
    });
    const h = await cli(['--resume', huge, '--epochs', '2']);
    expect(h.code).toBe(1);
    expect(h.out).toMatch(/its config metadata describes the model 784-65536-65536-65536-65536-2 .* with \d+ parameters, but the file's F32 tensors hold only \d+ values/);
  });
});
