// The consumer project of consumer-node.test.ts and consumer-browser.test.ts: test/library/consumer/
// (a program that knows webgpu-vae only as an installed package) made into a project of its own with
// the tarball, and the judgement of what its checks saw, shared by both platforms.
import { expect, it } from 'vitest';
import { installProject, type PackedLibrary } from './tarball';

/** What the checks report (test/library/consumer/checks.js). */
export interface ConsumerResults {
  adapter: string;
  error?: string;
  trains: { epochs: number[]; steps: number; testLoss: number[] };
  continues: { epochs: number[]; steps: number; copySteps: number; checkpointBytes: number; paramDiff: number; testLoss: number[] };
  aborts: { threw: boolean; isTrainingStopped?: boolean; message?: string; step?: number; stepBefore?: number; stepAfter?: number; reason?: string | null };
  samples: { length: number; inRange: boolean; distinct: number };
  customLayer: {
    params: string[]; worstRelativeLoss: number; gain: number[];
    /** Today's refusal; once save() takes the registry, `reloaded` instead. */
    saveError?: string;
    reloaded?: { step: number; paramDiff: number; testLoss: number[] };
  };
  indexedDb?: { bytes: number; testLoss: number[] };
}

/** What the package cannot do yet (issue 24's second round): reported as to-do until a check covers it. */
export const PENDING = [
  'loads a model for inference only (no optimizer state, no training buffers)',
  'samples 1,000 images in one call whatever maxBatch is (today: with maxBatch ≥ 1,000)',
  'gives on TrainingStopped the reason the AbortSignal was aborted with',
  'continues training with fit() counting epochs from where it stopped, without restating the total',
  'saves and reloads a model with a layer kind of its own (save() and load() through the registry)',
];

/** The consumer project: its program, its runner's files, `pkg`'s dependencies beside the tarball. */
export function installConsumer(lib: PackedLibrary, name: string, runner: string[], pkg: Record<string, unknown>): Promise<string> {
  const files = Object.fromEntries(['checks.js', ...runner].map((f) => [f, `test/library/consumer/${f}`]));
  return installProject(lib, name, { name: `webgpu-vae-consumer-${name}`, private: true, type: 'module', ...pkg }, files);
}

/** One test per check, each judging its part of the consumer's one run. */
export function judgeChecks(results: () => ConsumerResults): void {
  it('trains: two epochs of fit, the test loss falling', () => {
    const r = results().trains;
    expect(r.epochs).toEqual([1, 2]);
    expect(r.steps).toBe(16);
    expect(r.testLoss.every(Number.isFinite)).toBe(true);
    expect(r.testLoss[1]).toBeLessThan(r.testLoss[0]!);
  });

  it('continues training: the model and a copy loaded from its bytes reach the same weights', () => {
    const r = results().continues;
    expect(r.epochs).toEqual([3]);
    expect([r.steps, r.copySteps]).toEqual([24, 24]);
    expect(r.checkpointBytes).toBeGreaterThan(1000);
    expect(r.paramDiff).toBe(0);
    expect(r.testLoss[0]).toBe(r.testLoss[1]);
  });

  it('aborts through an AbortSignal with TrainingStopped at a step boundary', () => {
    const r = results().aborts;
    expect(r.threw).toBe(true);
    expect(r.isTrainingStopped).toBe(true);
    expect(r.message).toMatch(/training cancelled at step \d+/);
    expect(r.step).toBe(r.stepAfter);
    expect(r.stepAfter).toBeGreaterThanOrEqual(r.stepBefore! + 4);
    expect(r.stepAfter).toBeLessThan(r.stepBefore! + 8 * 50);
  });

  it('samples 1,000 images in one call (a model loaded with maxBatch 1000)', () => {
    const r = results().samples;
    expect(r.length).toBe(1000 * 784);
    expect(r.inRange).toBe(true);
    expect(r.distinct).toBeGreaterThan(100);
  });

  it('defines a layer kind of its own, trained on the GPU as the package’s CPU reference trains it', () => {
    const r = results().customLayer;
    expect(r.params).toEqual(['encoder.gain.a']);
    expect(r.worstRelativeLoss).toBeLessThan(1e-4);
    expect(Math.abs(r.gain[0]! - 1)).toBeGreaterThan(1e-4);
    expect(r.gain[0]).toBeCloseTo(r.gain[1]!, 4);
  });

  it('is refused today, naming the kind, when it saves a model with its own layer kind (a to-do below)', () => {
    // When save() takes the registry, the consumer's check reloads the model instead (checks.js):
    // assert then reloaded.step 8, reloaded.paramDiff 0 and equal test losses, and drop the to-do.
    const r = results().customLayer;
    expect(r.reloaded).toBeUndefined();
    expect(r.saveError).toMatch(/unknown layer kind "scale"/);
  });

  for (const todo of PENDING) it.todo(todo);
}
