// The CLIs with tuning: `npm run train` tunes the model's shapes by default (its share of the run) into
// its cache, a later run resumes and finds them there, `--no-tune` runs the rule; `npm run tune` prints
// the table of candidates and the gain per step.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idxFolder } from '../cli/cli-harness';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'webgpu-vae-tune-cli-'));
const cache = join(dir, 'tune.json');
const bundles = { train: resolve('node_modules/.cache/webgpu-vae-tune-cli/train.mjs'), tune: resolve('node_modules/.cache/webgpu-vae-tune-cli/tune.mjs') };
// Without the suite's WEBGPU_VAE_NO_TUNE (test/global-setup.ts): these runs tune unless told not to.
const env = { ...process.env, WEBGPU_VAE_NO_TUNE: '' };

async function run(bundle: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await exec('node', [bundle, ...args], { env, timeout: 240_000, maxBuffer: 1 << 24 });
  return stdout + stderr;
}

let data: string;
beforeAll(async () => {
  await exec('node', ['scripts/build-node.mjs', 'src/cli/train.ts', bundles.train]);
  await exec('node', ['scripts/build-node.mjs', 'src/cli/tune.ts', bundles.tune]);
  data = await idxFolder(join(dir, 'data'), 40, 8);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tuning from the CLIs', () => {
  const train = (out: string, extra: string[] = []) =>
    run(bundles.train, ['--data', data, '--epochs', '1', '--batch', '8', '--hidden', '16', '--latent', '4', '--eval-k', '0', '--out', join(dir, out), '--tune-cache', cache, ...extra]);

  it('npm run train tunes by default for its share of the run, keeps what it measured, finds the choices later, and --no-tune runs the rule', async () => {
    const summary = /kernel schedules: (\d+) shape classes \((\d+) from the cache, (\d+) tuned now(?:, (\d+) left to the rule: time budget spent)?\)/;
    const counts = (text: string) => {
      const m = summary.exec(text);
      expect(m, text).not.toBeNull();
      return { classes: Number(m![1]), cached: Number(m![2]), tuned: Number(m![3]), budget: Number(m![4] ?? 0) };
    };
    const stored = () => {
      const doc = JSON.parse(readFileSync(cache, 'utf8'));
      const [key] = Object.keys(doc.adapters);
      return { choices: Object.keys(doc.adapters[key]).length, partial: Object.keys(doc.partial?.[key] ?? {}).length };
    };
    // The default: 5% of this 5-step run, so the 2 s floor. What it decides or begins is stored, however
    // far the machine's load lets it get (not asserted: that is timing).
    const out1 = await train('a');
    expect(out1).toMatch(/tuning budget [\d.]+ s: 5% of 5 steps × [\d.]+ ms \([\d.]+ s; at least 2 s, at most 60 s/);
    const first = counts(out1);
    expect(first.classes).toBeGreaterThan(3);
    expect(first.cached).toBe(0);
    expect(first.tuned + first.budget).toBe(first.classes);
    if (existsSync(cache)) expect(stored().choices).toBe(first.tuned);
    else expect(first.tuned).toBe(0);
    // A generous budget: the rest is tuned (partly timed classes resumed), what the first run decided is found.
    const second = counts(await train('b', ['--tune-budget', '180']));
    expect(second).toEqual({ classes: first.classes, cached: first.tuned, tuned: first.classes - first.tuned, budget: 0 });
    expect(stored()).toEqual({ choices: first.classes, partial: 0 });
    // Every class remembered: no step is measured and nothing is timed.
    const out3 = await train('c');
    expect(out3).toMatch(/tuning: every shape class remembered/);
    expect(counts(out3)).toEqual({ classes: first.classes, cached: first.classes, tuned: 0, budget: 0 });
    const off = await train('d', ['--no-tune']);
    expect(off).not.toMatch(/kernel schedules/);
  }, 600_000);

  it('npm run tune prints every candidate per shape class and uses the cache', async () => {
    const out = await run(bundles.tune, ['--batch', '8', '--hidden', '16', '--latent', '4', '--cache', cache, '--rounds', '2']);
    expect(out).toMatch(/\| kernel \| shape \(class\) \| rule \| rule ms \| choice \| choice ms \|/);
    // What the choices gain per step: every class of the step with its dispatch count, and the total.
    expect(out).toMatch(/what the choices gain in a training step \(batch 8\):\n\| kernel \| shape class \| rule → choice \| dispatches per step \|/);
    expect(out).toMatch(/\| matmul \| NNv4 M8 N16 K1024 \| .* \| 1 \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|/);
    expect(out).toMatch(/per training step: these kernels take [\d.]+ ms on the rule and [\d.]+ ms on the choices: -?[\d.]+ ms gained, -?[\d.]+% of the step on the rule/);
    expect(out).toMatch(/\| matmul \| M=8 N=16 K=784 .*vec4-l8 .*tiled [\d.]+, tiled-w8x8 [\d.]+, tiled-w16x4 [\d.]+, tiled-b4x8 [\d.]+, tiled-k8 [\d.]+, vec4-l4 [\d.]+, vec4-l8 [\d.]+, vec4-l16 [\d.]+, vec4-l32 [\d.]+, vec4w-l8 [\d.]+(?:, tiled-f16 [\d.]+, tiled-b4x8-f16 [\d.]+)? \| cache \|/);
    // The reductions are tuned too: serial and tree, and subgroup where the device has subgroups.
    expect(out).toMatch(/\| bias_grad \| rows=8 cols=784 act=0 .*\| serial [\d.]+, tree [\d.]+(?:, subgroup [\d.]+)? \| cache \|/);
    const fresh = await run(bundles.tune, ['--batch', '8', '--hidden', '16', '--latent', '4', '--cache', cache, '--rounds', '2', '--fresh']);
    expect(fresh).toMatch(/\(0 from the cache, \d+ tuned now\)/);
  }, 400_000);
});
