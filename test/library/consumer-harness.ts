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
  aborts: { threw: boolean; isTrainingStopped?: boolean; message?: string; step?: number; stepBefore?: number; stepAfter?: number; reason?: string | null; cause?: string | null };
  inference: { bytes: number; trainingBytes: number; testLoss: number[]; trainError: string | null };
  samples: { length: number; inRange: boolean; distinct: number; callsDiffer: boolean; seededSame: boolean };
  customLayer: {
    params: string[]; worstRelativeLoss: number; gain: number[];
    reloaded: { step: number; paramDiff: number; testLoss: number[] };
    withoutRegistry?: string;
  };
  indexedDb?: { bytes: number; testLoss: number[] };
}

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

  it('continues training: fit({ epochs: 1 }) adds epoch 3 to the model and to a copy loaded from its bytes, the same weights', () => {
    const r = results().continues;
    expect(r.epochs).toEqual([3]);
    expect([r.steps, r.copySteps]).toEqual([24, 24]);
    expect(r.checkpointBytes).toBeGreaterThan(1000);
    expect(r.paramDiff).toBe(0);
    expect(r.testLoss[0]).toBe(r.testLoss[1]);
  });

  it('aborts through an AbortSignal with TrainingStopped at a step boundary, reason aborted, the signal’s reason as cause', () => {
    const r = results().aborts;
    expect(r.threw).toBe(true);
    expect(r.isTrainingStopped).toBe(true);
    expect(r.message).toMatch(/training cancelled at step \d+/);
    expect([r.reason, r.cause]).toEqual(['aborted', 'enough']);
    expect(r.step).toBe(r.stepAfter);
    expect(r.stepAfter).toBeGreaterThanOrEqual(r.stepBefore! + 4);
    expect(r.stepAfter).toBeLessThan(r.stepBefore! + 8 * 50);
  });

  it('loads a model for inference only: under 40% of the training plan’s bytes, the same test loss, training refused', () => {
    const r = results().inference;
    console.info(`inference-only ${r.bytes} bytes, training plan ${r.trainingBytes} bytes (${((100 * r.bytes) / r.trainingBytes).toFixed(1)}%)`);
    expect(r.bytes).toBeLessThan(0.4 * r.trainingBytes);
    expect(r.testLoss[1]).toBe(r.testLoss[0]);
    expect(r.trainError).toMatch(/fit: this model was made for inference only/);
  });

  it('samples 1,000 images in one call on a maxBatch-32 model; a second call draws others, a seed repeats', () => {
    const r = results().samples;
    expect(r.length).toBe(1000 * 784);
    expect(r.inRange).toBe(true);
    expect(r.distinct).toBeGreaterThan(100);
    expect([r.callsDiffer, r.seededSame]).toEqual([true, true]);
  });

  it('defines a layer kind of its own, trained on the GPU as the package’s CPU reference trains it', () => {
    const r = results().customLayer;
    expect(r.params).toEqual(['encoder.gain.a']);
    expect(r.worstRelativeLoss).toBeLessThan(1e-4);
    expect(Math.abs(r.gain[0]! - 1)).toBeGreaterThan(1e-4);
    expect(r.gain[0]).toBeCloseTo(r.gain[1]!, 4);
  });

  it('saves and reloads the model with its own layer kind through the registry (refused, naming the kind, without it)', () => {
    const r = results().customLayer;
    expect(r.reloaded).toEqual({ step: 8, paramDiff: 0, testLoss: [r.reloaded.testLoss[0], r.reloaded.testLoss[0]] });
    expect(Number.isFinite(r.reloaded.testLoss[0])).toBe(true);
    expect(r.withoutRegistry).toMatch(/unknown layer kind "scale"/);
  });
}
