// --resume against the checkpoint's objective spec (no GPU, no run): the same kind continues (its k
// from the checkpoint, or the same k again), another kind or another k is refused naming both, and a
// checkpoint from before the spec (objective 'iwae', kTrain 3) is compared as { kind: 'iwae', k: 3 }.
import { describe, expect, it } from 'vitest';
import { parseCli, type Cli } from '../../src/cli/args';
import { planResume } from '../../src/cli/resume-check';
import { resolveConfig, type VaeConfigInput } from '../../src/model/config';
import type { TrainingState } from '../../src/model/checkpoint';

const small = { encoderHidden: [8], decoderHidden: [8], latent: 2 };
const ckpt = (c: VaeConfigInput): TrainingState => ({ config: resolveConfig({ ...small, ...c }), params: new Float32Array(0), step: 10 });
const cli = (args: string[]) => parseCli(['--resume', 'x', ...args]) as Cli;
const meta = { batch: 32, binarize: false, dataSpec: 'mnist' };

describe('--resume and the objective spec', () => {
  const saved = ckpt({ objective: { kind: 'iwae', k: 3 } });

  it('continues the same objective, with its k or the same k again', () => {
    for (const args of [[], ['--objective', 'iwae'], ['--objective', 'iwae', '--k-train', '3']]) {
      expect(planResume(cli(args), saved, meta).config.objective, args.join(' ')).toEqual({ kind: 'iwae', k: 3 });
    }
    // k at its default either way: a spec without k and one with k = 5.
    expect(planResume(cli(['--objective', 'iwae', '--k-train', '5']), ckpt({ objective: 'iwae' }), meta).config.objective).toEqual({ kind: 'iwae' });
  });

  it('refuses another kind or another k, naming both', () => {
    expect(() => planResume(cli(['--objective', 'elbo']), saved, meta)).toThrow(/--objective elbo conflicts with the checkpoint, which has objective iwae k=3/);
    expect(() => planResume(cli(['--objective', 'iwae-dreg', '--k-train', '3']), saved, meta)).toThrow(/--objective iwae-dreg conflicts .* objective iwae k=3/);
    expect(() => planResume(cli(['--objective', 'iwae', '--k-train', '4']), saved, meta)).toThrow(/--k-train 4 conflicts with the checkpoint, which has objective iwae k=3; it would make another model/);
    expect(() => planResume(cli(['--objective', 'iwae']), ckpt({}), meta)).toThrow(/--objective iwae conflicts with the checkpoint, which has objective elbo/);
  });

  it('reads a checkpoint written before the spec as the spec', () => {
    const old = ckpt({ objective: 'iwae', kTrain: 3 });
    expect(old.config.objective).toEqual({ kind: 'iwae', k: 3 });
    expect(() => planResume(cli(['--objective', 'iwae', '--k-train', '4']), old, meta)).toThrow(/--k-train 4 conflicts/);
    expect(planResume(cli(['--objective', 'iwae', '--k-train', '3']), old, meta).config.objective).toEqual({ kind: 'iwae', k: 3 });
  });
});
