// `npm run convert` and `npm run evaluate` as a user runs them (bundled, in a child process): a round
// trip through PyTorch's layout is exact; evaluate repeats the training's own test −ELBO; a converted
// model resumes in `npm run train` saying Adam starts fresh; every malformed or mismatched input is
// refused with a message naming what is wrong, and nothing is written (nor an existing file touched).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { decodePytorchModel, toPytorchStateDict } from '../../src/model/pytorch-layout';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';

const exec = promisify(execFile);
const cache = 'node_modules/.cache/webgpu-vae-test/convert-cli';
const bundles = { train: `${cache}/train.mjs`, convert: `${cache}/convert.mjs`, evaluate: `${cache}/evaluate.mjs` };
let dir: string;

async function cli(which: keyof typeof bundles, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bundles[which], ...args], { timeout: 240_000, maxBuffer: 1 << 24 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

const run = () => join(dir, 'run');
const model = () => join(dir, 'run', 'model.safetensors');

beforeAll(async () => {
  await Promise.all(Object.entries(bundles).map(([name, out]) => exec(process.execPath, ['scripts/build-node.mjs', `src/cli/${name}.ts`, out])));
  dir = await mkdtemp(join(tmpdir(), 'vae-convert-'));
  const r = await cli('train', ['--hidden', '32', '--latent', '3', '--batch', '256', '--epochs', '1', '--eval-k', '5', '--seed', '6', '--out', run()]);
  expect(r.code, r.out).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convert and evaluate CLIs', () => {
  it('prints help', async () => {
    expect((await cli('convert', ['--help'])).out).toMatch(/--to webgpu-vae IN OUT \[--config FILE\]/);
    expect((await cli('evaluate', ['--help'])).out).toMatch(/--json OUT/);
  });

  it('round-trips a checkpoint through PyTorch layout exactly, and evaluate repeats the training’s test −ELBO and L_k', async () => {
    const pt = join(dir, 'pt.safetensors'), back = join(dir, 'back.safetensors');
    const to = await cli('convert', ['--to', 'pytorch', run(), pt]);
    expect(to.code, to.out).toBe(0);
    expect(to.out).toMatch(/vae\/main\.py names; Adam moments not carried/);
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(pt)));
    expect(Object.keys(tensors).sort()).toEqual(['fc1', 'fc21', 'fc22', 'fc3', 'fc4'].flatMap((m) => [`${m}.bias`, `${m}.weight`]).sort());
    expect(tensors['fc1.weight'].shape).toEqual([32, 784]);
    expect(metadata).toMatchObject({ format: 'pt', layout: 'vae/main.py', step: '36', batch: '256' });
    const fro = await cli('convert', ['--to', 'webgpu-vae', pt, back]);
    expect(fro.code, fro.out).toBe(0);
    expect(fro.out).toMatch(/config from its metadata.*weights only.*starts Adam fresh/);
    const original = decodeCheckpoint(new Uint8Array(await readFile(model())));
    const returned = decodeCheckpoint(new Uint8Array(await readFile(back)));
    expect(returned.config).toEqual(original.config);
    expect(Buffer.from(returned.params.buffer).equals(Buffer.from(original.params.buffer))).toBe(true);
    expect(returned.adam).toBeUndefined();

    const metrics = JSON.parse(await readFile(join(run(), 'metrics.json'), 'utf8'));
    const json = join(dir, 'eval.json');
    const ev = await cli('evaluate', [model(), '--k', '5', '--json', json]);
    expect(ev.code, ev.out).toBe(0);
    const got = JSON.parse(await readFile(json, 'utf8'));
    expect(got).toMatchObject({ k: 5, samples: 1, count: 1000, from: 'webgpu-vae', batch: 256 });
    // Same weights, batches and noise as the training's own evaluation: the same figures.
    expect(Math.abs(got.testNegElbo - metrics.final.testNegElbo)).toBeLessThan(1e-3);
    expect(Math.abs(got.testNegLk - metrics.final.testNegLk)).toBeLessThan(1e-3);
    // The PyTorch file evaluates to the same (its metadata keeps the batch).
    const ev2 = await cli('evaluate', [pt, '--k', '0', '--json', json]);
    expect(ev2.code, ev2.out).toBe(0);
    const got2 = JSON.parse(await readFile(json, 'utf8'));
    expect(got2.from).toBe('vae/main.py');
    expect(got2.testNegElbo).toBe(got.testNegElbo);
    expect(got2.testNegLk).toBeUndefined();
  });

  it('a converted model resumes in npm run train, which says Adam starts fresh', async () => {
    const pt = join(dir, 'pt.safetensors');
    const folder = join(dir, 'resumed');
    await exec('mkdir', ['-p', folder]);
    expect((await cli('convert', ['--to', 'webgpu-vae', pt, join(folder, 'model.safetensors')])).code).toBe(0);
    const r = await cli('train', ['--resume', folder, '--epochs', '1', '--eval-k', '0']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/weights only .*Adam starts fresh/);
    expect(r.out).toMatch(/resuming at step 0/);
    expect(decodeCheckpoint(new Uint8Array(await readFile(join(folder, 'model.safetensors')))).step).toBe(36);
  });

  it('reads a bare vae/main.py state_dict off its shapes, and any other with --config', async () => {
    const original = decodeCheckpoint(new Uint8Array(await readFile(model())));
    const bare = join(dir, 'bare.safetensors');
    await writeFile(bare, encodeSafetensors(toPytorchStateDict(original.config, original.params)));
    const a = await cli('convert', ['--to', 'webgpu-vae', bare, join(dir, 'bare-back.safetensors')]);
    expect(a.code, a.out).toBe(0);
    expect(a.out).toMatch(/config from vae\/main\.py's shapes/);
    const mlp = { ...original.config, activation: 'tanh' as const };
    const bareMlp = join(dir, 'bare-mlp.safetensors');
    await writeFile(bareMlp, encodeSafetensors(toPytorchStateDict(mlp, original.params)));
    const cfg = join(dir, 'mlp.json');
    await writeFile(cfg, JSON.stringify({ config: mlp })); // as metrics.json holds it
    const b = await cli('convert', ['--to', 'webgpu-vae', bareMlp, join(dir, 'mlp-back.safetensors'), '--config', cfg]);
    expect(b.code, b.out).toBe(0);
    expect(b.out).toMatch(/torch_vae\.MlpVAE names, config from --config/);
    expect(decodeCheckpoint(new Uint8Array(await readFile(join(dir, 'mlp-back.safetensors')))).config.activation).toBe('tanh');
  });

  it('refuses malformed and mismatched files and bad arguments, writing nothing', async () => {
    const original = decodeCheckpoint(new Uint8Array(await readFile(model())));
    const sd = toPytorchStateDict(original.config, original.params);
    const meta = { format: 'pt', config: JSON.stringify(original.config) };
    const files: Record<string, Uint8Array> = {
      'junk.safetensors': new TextEncoder().encode('not a model at all'),
      'truncated.safetensors': (await readFile(join(dir, 'pt.safetensors'))).subarray(0, 500),
      'transposed.safetensors': encodeSafetensors({ ...sd, 'fc1.weight': { ...sd['fc1.weight'], shape: [784, 32] } }, meta),
      'renamed.safetensors': encodeSafetensors(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k.replace('fc21', 'fc_mu'), v])), meta),
      'bad-config.safetensors': encodeSafetensors(sd, { format: 'pt', config: '{"activation": "gelu"}' }),
      'no-config.json': new TextEncoder().encode('[1, 2'),
    };
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    const f = (name: string) => join(dir, name);
    const out = f('out.safetensors');
    const cases: [keyof typeof bundles, string[], RegExp][] = [
      ['convert', ['--to', 'pytorch', f('junk.safetensors'), out], /junk\.safetensors: safetensors: header length \d+ is over the 100000000-byte limit/],
      ['convert', ['--to', 'pytorch', f('truncated.safetensors'), out], /truncated\.safetensors: safetensors: header length \d+ runs past the end of the 500-byte file/],
      ['convert', ['--to', 'pytorch', join(dir, 'pt.safetensors'), out], /metadata format is "pt"; expected "webgpu-vae\/1"/],
      ['convert', ['--to', 'webgpu-vae', model(), out], /is a webgpu-vae checkpoint .* not a PyTorch state_dict/],
      ['convert', ['--to', 'webgpu-vae', f('transposed.safetensors'), out], /tensor fc1\.weight is F32 \[784, 32\]; expected F32 \[32, 784\] \(nn\.Linear stores \[out, in\]\)/],
      ['convert', ['--to', 'webgpu-vae', f('renamed.safetensors'), out], /unexpected tensor fc_mu\.weight; .*missing tensor fc21\.weight: expected F32 \[3, 32\]/],
      ['convert', ['--to', 'webgpu-vae', f('bad-config.safetensors'), out], /its config metadata is invalid: config: activation must be one of/],
      ['convert', ['--to', 'webgpu-vae', f('transposed.safetensors'), out, '--config', f('no-config.json')], /--config .*no-config\.json: cannot read a JSON config/],
      ['convert', ['--to', 'webgpu-vae', f('missing.safetensors'), out], /missing\.safetensors: no such file/],
      ['convert', ['--to', 'torch', model(), out], /--to must be pytorch or webgpu-vae, got 'torch'/],
      ['convert', ['--to', 'pytorch', model()], /expected IN and OUT, got 1 argument/],
      ['convert', ['--to', 'pytorch', model(), model()], /OUT is IN/],
      ['evaluate', [f('transposed.safetensors'), '--json', f('out.json')], /tensor fc1\.weight is F32 \[784, 32\]; expected F32 \[32, 784\]/],
      ['evaluate', [f('junk.safetensors'), '--json', f('out.json')], /junk\.safetensors: safetensors: header length/],
      ['evaluate', [model(), '--k=-1', '--json', f('out.json')], /--k must be an integer ≥ 0, got '-1'/],
      ['evaluate', [model(), '--samples', '0', '--json', f('out.json')], /--samples must be an integer ≥ 1, got '0'/],
      ['evaluate', [model(), '--data', f('nowhere'), '--json', f('out.json')], /--data .*nowhere: .*nowhere: no such file or folder/],
    ];
    const before = (await readdir(dir)).sort();
    const modelBytes = await readFile(model());
    for (const [which, args, message] of cases) {
      const r = await cli(which, args);
      expect(r.code, `${which} ${args.join(' ')}: ${r.out}`).not.toBe(0);
      expect(r.out, `${which} ${args.join(' ')}`).toMatch(message);
      expect(r.out).toMatch(/^error: /m);
    }
    // Nothing written: no OUT, no JSON, no temp files; the inputs untouched.
    expect((await readdir(dir)).sort()).toEqual(before);
    expect(existsSync(out)).toBe(false);
    expect((await readFile(model())).equals(modelBytes)).toBe(true);

    // An existing OUT is kept unless --force.
    const keep = f('keep.safetensors');
    await writeFile(keep, 'precious');
    const r = await cli('convert', ['--to', 'pytorch', model(), keep]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/keep\.safetensors exists; pass --force to replace it/);
    expect(await readFile(keep, 'utf8')).toBe('precious');
    const forced = await cli('convert', ['--to', 'pytorch', model(), keep, '--force']);
    expect(forced.code, forced.out).toBe(0);
    expect(decodePytorchModel(new Uint8Array(await readFile(keep))).layout).toBe('vae/main.py');
  });
});
