// `npm run train -- --likelihood gaussian | logistic` on a tiny .npy of 8×8×3 colour images: the run
// folder is written, the per-channel σ (or log-scale) is learned unless --sigma fixes it, test
// bits/dim is printed beside nats and recorded in metrics.json (per epoch and in `final`, with its
// convention); the flags' and the data's errors. And bitsPerDim's two conventions on known numbers.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/data/npy';
import { bitsPerDim, reportsBits } from '../../src/eval/bits';
import { parseCli, type Cli } from '../../src/cli/args';
import { UsageError } from '../../src/cli/usage-error';
import { rng } from '../util/random';
import { buildCli, expectRunFolder, runCli, type CliResult } from './cli-harness';

let bundle: string;
let dir: string;
const cli = (args: string[]): Promise<CliResult> => runCli(bundle, args);
const tiny = ['--hidden', '8', '--latent', '2', '--batch', '8', '--epochs', '1', '--eval-k', '2', '--no-tune', '--test-fraction', '0.25'];

beforeAll(async () => {
  bundle = await buildCli('likelihood-cli');
  dir = await mkdtemp(join(tmpdir(), 'lik-cli-'));
  const r = rng(8);
  const u8 = Uint8Array.from({ length: 24 * 8 * 8 * 3 }, (_, i) => (i % 3 === 0 ? 255 * r() : 40 + 100 * r()));
  await writeFile(join(dir, 'x.npy'), encodeNpy(u8, [24, 8, 8, 3]));
  const f = Float32Array.from(u8, (v) => v / 255);
  f[5] = 1.5;
  await writeFile(join(dir, 'bad.npy'), encodeNpy(f, [24, 8, 8, 3]));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bitsPerDim', () => {
  it('is nats / (D ln 2) for a discrete likelihood and (nats/D + ln 256)/ln 2 for the Gaussian density', () => {
    expect(bitsPerDim(192 * Math.LN2 * 3, 192, 'logistic')).toBeCloseTo(3, 12);
    // A density of 1 on [0, 1]^D (0 nats) is 8 bits per dimension of 8-bit data.
    expect(bitsPerDim(0, 192, 'gaussian')).toBeCloseTo(8, 12);
    expect(bitsPerDim(-192 * Math.log(16), 192, 'gaussian')).toBeCloseTo(4, 12);
    expect(() => bitsPerDim(1, 0, 'logistic')).toThrow(/dim must be a positive integer, got 0/);
    expect([reportsBits('bernoulli', 1), reportsBits('bernoulli', 3), reportsBits('gaussian', 1), reportsBits('logistic', 1)]).toEqual([false, true, true, true]);
  });
});

describe('--likelihood and --sigma', () => {
  it('parses: gaussian learns σ unless --sigma gives it (on resume the checkpoint σ stands); bad values are refused', () => {
    const parse = (a: string[]) => (parseCli(a) as Cli).config;
    expect(parse(['--likelihood', 'gaussian'])).toMatchObject({ likelihood: 'gaussian', sigma: 'learned' });
    expect(parse(['--likelihood', 'gaussian', '--sigma', '0.25'])).toMatchObject({ likelihood: 'gaussian', sigma: 0.25 });
    expect(parse(['--likelihood', 'logistic']).sigma).toBeUndefined();
    expect(parse(['--likelihood', 'gaussian', '--resume', 'x']).sigma).toBeUndefined();
    expect(parse([]).likelihood).toBeUndefined();
    expect(() => parseCli(['--likelihood', 'poisson'])).toThrow(UsageError);
    expect(() => parseCli(['--likelihood', 'poisson'])).toThrow(/--likelihood must be bernoulli, gaussian, logistic, got 'poisson'/);
    expect(() => parseCli(['--sigma', '0.5'])).toThrow(/--sigma is the fixed σ of --likelihood gaussian/);
    expect(() => parseCli(['--likelihood', 'logistic', '--sigma', '0.5'])).toThrow(/--sigma is the fixed σ of --likelihood gaussian, not of logistic/);
    expect(() => parseCli(['--likelihood', 'gaussian', '--sigma', '0'])).toThrow(/--sigma must be a number > 0, got '0'/);
  });

  it('trains logistic and Gaussian (learned and fixed σ) runs on colour data, with bits/dim in the output and metrics.json', async () => {
    for (const [name, flags] of [['logistic', ['--likelihood', 'logistic']], ['gaussian', ['--likelihood', 'gaussian']], ['fixed', ['--likelihood', 'gaussian', '--sigma', '0.2']]] as const) {
      const out = join(dir, `run-${name}`);
      const r = await cli([...tiny, ...flags, '--data', join(dir, 'x.npy'), '--out', out]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/epoch 1\/1: .* nats \(−ELBO \d+\.\d{4} bits\/dim\)/);
      expect(r.out).toMatch(/test L_2 = .* nats .*, \d+\.\d{4} bits\/dim in/);
      await expectRunFolder(out, true);
      const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
      expect(m.config.likelihood).toBe(name === 'logistic' ? 'logistic' : 'gaussian');
      expect(m.config.sigma).toBe(name === 'fixed' ? 0.2 : name === 'gaussian' ? 'learned' : 1);
      const D = 192, lik = name === 'logistic' ? 'logistic' : 'gaussian';
      expect(m.epochs[0].testBitsPerDim).toBeCloseTo(bitsPerDim(m.final.testNegElbo, D, lik), 6);
      expect(m.final.testBitsPerDim).toBe(m.epochs[0].testBitsPerDim);
      expect(m.final.testNegLkBitsPerDim).toBeCloseTo(bitsPerDim(m.final.testNegLk, D, lik), 6);
      expect(m.final.bitsPerDim).toMatch(lik === 'gaussian' ? /ln 256/ : /nats\/\(D·ln 2\)/);
    }
  }, 240_000);

  it('refuses logistic data outside [0, 1], naming the value and what the likelihood expects', async () => {
    const r = await cli([...tiny, '--likelihood', 'logistic', '--data', join(dir, 'bad.npy')]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/is 1\.5; the logistic likelihood \(the discretized logistic over 256 levels of \[0, 1\]\) expects values in \[0, 1\]/);
  }, 120_000);
});
