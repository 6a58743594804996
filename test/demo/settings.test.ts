// The demo's settings without a browser (issue 11): a URL asking for a model too large for the page is
// refused with a message (size fields back to the defaults, no autostart) instead of freezing it; and
// every URL the page writes (for any model it makes or loads) parses back, without a warning, to the
// same model. Checkpoints the page would refuse (too large, lying batch metadata) are named.
import { describe, expect, it } from 'vitest';
import { configFor, DEFAULT_SETTINGS, sameRun, settingsFor, settingsFromUrl, settingsProblem, settingsToUrl } from '../../demo/settings';
import { demoModelProblem, DEMO_MAX_PARAMETERS } from '../../demo/model-limits';
import { resolveConfig, type VaeConfig } from '../../src/model/config';
import { ACTIVATIONS } from '../../src/kernels/activation';
import { parameterCount } from '../../src/model/model-size';
import { presetConfig } from '../../src/model/presets';
import { readCheckpointBlob } from '../../src/model/checkpoint-extent';
import { encodeSafetensors } from '../../src/model/safetensors';
import { CheckpointError } from '../../src/index';
import { rng } from '../util/random';

describe('URL size bounds', () => {
  it('refuses ?hidden=4096,4096,4096,4096 with a message, without autostart', () => {
    const p = settingsFromUrl('?hidden=4096,4096,4096,4096&autostart=1');
    expect(p.autostart).toBe(false);
    expect(p.settings.hidden).toEqual(DEFAULT_SETTINGS.hidden);
    expect(p.warnings.join('\n')).toMatch(/URL settings latent, hidden, decoder and batch ignored: the model 784-4096-4096-4096-4096-20 .* has [\d,]+ parameters, more than the 4,194,304 this page trains/);
    const mem = settingsFromUrl('?hidden=1024&batch=9000&autostart=1');
    expect(mem.autostart).toBe(false);
    expect(mem.warnings.join('\n')).toMatch(/at batch 9000 needs about \d+ MiB of GPU memory, more than the 256 MiB/);
    // Within the bounds: accepted as asked.
    const ok = settingsFromUrl('?hidden=1024,1024&latent=2&autostart=1');
    expect(ok.warnings).toEqual([]);
    expect(ok.autostart).toBe(true);
    expect(ok.settings.hidden).toEqual([1024, 1024]);
  });
});

describe('every URL the page writes is one it accepts', () => {
  /** Random configs across everything the page can make or load. */
  function randomConfig(r: () => number): { config: VaeConfig; batch: number } {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    for (;;) {
      const depth = Math.floor(r() * 5);
      const width = () => 1 + Math.floor(r() ** 3 * 3000);
      const enc = Array.from({ length: depth }, width);
      const dec = r() < 0.5 ? [...enc].reverse() : Array.from({ length: Math.floor(r() * 4) }, width);
      const config = resolveConfig({
        latent: 1 + Math.floor(r() ** 2 * 600), encoderHidden: enc, decoderHidden: dec,
        activation: pick(ACTIVATIONS), likelihood: pick(['bernoulli', 'gaussian'] as const),
        beta: pick([0, 1, 0.25, 250, 1e-7]), seed: pick([0, 7, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]),
        adam: { lr: pick([1e-3, 0.002, 1000, 3.5e-9, 0.1 + 0.2]) },
        ...(r() < 0.3 ? { conditional: { classes: pick([2, 3, 10, 256]) } } : {}),
      });
      const batch = 1 + Math.floor(r() ** 2 * 9000);
      const problem = settingsProblem(config, batch);
      // Only size refuses a model: every field the config allows is expressible.
      if (problem === null) return { config, batch };
      expect(problem).toMatch(/parameters, more than|MiB of GPU memory|at most 16 hidden layers/);
    }
  }

  it('600 seeded configs: settingsToUrl → settingsFromUrl gives the same model, no warnings', () => {
    const r = rng(11);
    let noHidden = 0;
    for (let i = 0; i < 600; i++) {
      const { config, batch } = randomConfig(r);
      if (config.encoderHidden.length === 0 || config.decoderHidden.length === 0) noHidden++;
      const steps = r() < 0.5 ? null : 1 + Math.floor(r() * 1e6);
      const url = settingsToUrl(settingsFor(config, batch, steps));
      const back = settingsFromUrl(url + '&autostart=1');
      expect(back.warnings, url).toEqual([]);
      expect(back.autostart).toBe(true);
      // The classes are the data's, not the URL's: the page passes its data's (MNIST's 10 by default).
      const made = configFor(back.settings, undefined, config.conditional?.classes);
      expect({ ...made, sigma: config.sigma, adam: config.adam }, url).toEqual(config);
      expect(made.adam.lr).toBe(config.adam.lr);
      expect(back.settings.batch).toBe(batch);
      expect(back.settings.steps).toBe(steps);
    }
    expect(noHidden, 'models without hidden layers were among them').toBeGreaterThan(50);
  });

  it('the model picker: ?arch=conv is the conv preset for the latent, round-trips, and other layer lists are refused', () => {
    const parsed = settingsFromUrl('?arch=conv&latent=2');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.settings.arch).toBe('conv');
    const c = configFor(parsed.settings);
    expect(c.encoder).toEqual(presetConfig('conv', { latent: 2 }).encoder);
    expect(c.decoder).toEqual(presetConfig('conv', { latent: 2 }).decoder);
    expect(settingsToUrl(parsed.settings)).toBe('?arch=conv&latent=2');
    expect(settingsFor(c, 128, null).arch).toBe('conv');
    expect(settingsProblem(c, 128)).toBeNull();
    // Back to the MLP: the layer lists of a conv base config are dropped.
    expect(configFor({ ...parsed.settings, arch: 'mlp' }, c).encoder).toBeUndefined();
    expect(settingsFromUrl('?arch=resnet').warnings[0]).toMatch(/URL parameter arch="resnet" ignored: must be one of mlp, conv/);
    expect(settingsProblem(resolveConfig(presetConfig('keras')), 128)).toMatch(/layer lists are not an architecture this page offers/);
  });

  it('?conditional=1: a conditional model of the data’s classes; refused for unlabelled data; a checkpoint’s is kept', () => {
    const p = settingsFromUrl('?latent=2&conditional=1');
    expect(p.warnings).toEqual([]);
    expect(p.settings.conditional).toBe(true);
    expect(configFor(p.settings).conditional, 'MNIST’s 10 classes by default').toEqual({ classes: 10 });
    expect(configFor(p.settings, undefined, 4).conditional).toEqual({ classes: 4 });
    expect(configFor({ ...p.settings, conditional: false }).conditional).toBeUndefined();
    // A conditional base (a loaded checkpoint) does not make an unticked setting conditional.
    expect(configFor({ ...p.settings, conditional: false }, configFor(p.settings)).conditional).toBeUndefined();
    expect(() => configFor(p.settings, undefined, 0)).toThrow(/conditional needs labelled data of at least 2 classes; these images have no labels/);
    expect(() => configFor(p.settings, undefined, 1)).toThrow(/these images have 1 class/);
    expect(settingsToUrl(p.settings)).toBe('?latent=2&conditional=1');
    expect(settingsToUrl({ ...p.settings, conditional: false })).toBe('?latent=2');
    expect(settingsFromUrl('?conditional=0').settings.conditional).toBe(false);
    expect(settingsFromUrl('?conditional=yes').warnings[0]).toMatch(/URL parameter conditional="yes" ignored: must be 1 or 0/);
    // settingsFor and sameRun know the field; the page takes conditional models (one picker entry per class, at most 256).
    const c = configFor(p.settings);
    expect(settingsFor(c, 128, null).conditional).toBe(true);
    expect(settingsFor(configFor(DEFAULT_SETTINGS), 128, null).conditional).toBe(false);
    expect(sameRun(p.settings, { ...p.settings, conditional: false })).toBe(false);
    expect(sameRun(p.settings, { ...p.settings })).toBe(true);
    expect(settingsProblem(c, 128)).toBeNull();
    expect(settingsProblem(resolveConfig({ conditional: { classes: 300 } }), 128)).toMatch(/conditional on 300 classes; the page's class picker takes at most 256/);
  });

  it('kernel tuning: on by default with a 10 s budget, ?notune=1 turns it off, ?tuneBudget=S bounds it, both round-trip; bad budgets are named', () => {
    expect(settingsFromUrl('').tune).toEqual({ enabled: true, budgetS: 10 });
    const p = settingsFromUrl('?latent=2&notune=1&tuneBudget=4.5');
    expect(p.warnings).toEqual([]);
    expect(p.tune).toEqual({ enabled: false, budgetS: 4.5 });
    const url = settingsToUrl(p.settings, p.tune);
    expect(url).toBe('?latent=2&notune=1&tuneBudget=4.5');
    expect(settingsFromUrl(url).tune).toEqual(p.tune);
    expect(settingsFromUrl('?notune=0').tune.enabled).toBe(true);
    expect(settingsFromUrl('?tuneBudget=-1').warnings).toEqual(['URL parameter tuneBudget="-1" ignored: expected seconds from 0 to 600']);
    expect(settingsFromUrl('?tuneBudget=abc').tune.budgetS).toBe(10);
  });

  it('settingsProblem names what the page will not load', () => {
    const big = resolveConfig({ encoderHidden: [2048, 2048], decoderHidden: [2048, 2048] });
    expect(parameterCount(big)).toBeGreaterThan(DEMO_MAX_PARAMETERS);
    expect(settingsProblem(big, 128)).toMatch(/parameters, more than the 4,194,304/);
    const deep = resolveConfig({ encoderHidden: Array(17).fill(4), decoderHidden: [4] });
    expect(settingsProblem(deep, 128)).toMatch(/hidden 4,4,.* at most 16 hidden layers/);
    expect(demoModelProblem(resolveConfig({}), 128)).toBeNull();
  });
});

describe('checkpoint files read in the page (Blob)', () => {
  it('reads a good file; refuses one larger than its header says before reading it', async () => {
    const good = encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2, 3) } }, { step: '0' });
    expect(await readCheckpointBlob(new Blob([good as BlobPart]), 'good')).toEqual(good);
    const padded = new Blob([good as BlobPart, new Uint8Array(1000)]);
    await expect(readCheckpointBlob(padded, 'padded.safetensors')).rejects.toThrow(/padded\.safetensors: the file is \d+ bytes but its header describes \d+; 1000 bytes at the end belong to no tensor/);
    await expect(readCheckpointBlob(new Blob([new Uint8Array(3)]), 'x')).resolves.toHaveLength(3);
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setBigUint64(0, 2n ** 40n, true);
    await expect(readCheckpointBlob(new Blob([lying]), 'lying')).rejects.toThrow(CheckpointError);
  });
});

describe('objective, k and KL warm-up', () => {
  it('ride in the URL and make the config the library trains', () => {
    const p = settingsFromUrl('?objective=iwae-dreg&k=7&klWarmup=300&latent=2');
    expect(p.warnings).toEqual([]);
    expect(p.settings).toMatchObject({ objective: 'iwae-dreg', k: 7, klWarmup: 300 });
    const c = configFor(p.settings);
    expect(c).toMatchObject({ objective: { kind: 'iwae-dreg', k: 7 }, schedule: { klWarmup: 300 } });
    expect(settingsFromUrl(settingsToUrl(settingsFor(c, 128, null))).settings).toEqual(p.settings);
    const elbo = configFor(DEFAULT_SETTINGS);
    expect(elbo.objective).toBeUndefined();
    expect(settingsFromUrl('?objective=vae&k=0').warnings).toHaveLength(2);
    // k samples per example count in the page's memory bound.
    expect(settingsProblem(configFor({ ...DEFAULT_SETTINGS, hidden: [1024], objective: 'iwae', k: 64 }), 1024)).toMatch(/MiB of GPU memory/);
  });
});
