// Our element-wise kernels (reparameterization forward and backward, the fused ELBO and its two
// dispatches, bias_grad, Adam over the default model's arena) at batch 128 and 2048, each against
// the copy kernel moving the same bytes; the reduction schedule this adapter's profile picks, and in
// full runs the other one too.
import type { Dispatch } from '../src/gpu/runtime';
import { storageBuffer, storageFrom } from '../src/gpu/buffers';
import { activationCode } from '../src/kernels/activation';
import { REPARAMETERIZE, prepareReparameterize } from '../src/kernels/reparameterize';
import { ELBO, prepareElbo } from '../src/kernels/elbo';
import { ADAM, prepareAdam } from '../src/kernels/adam';
import { BIAS_GRAD, prepareBiasGrad } from '../src/kernels/bias-grad';
import { DEFAULT_CONFIG } from '../src/model/config';
import { buildVaeGraph } from '../src/model/vae-graph';
import { uniformArray } from '../test/util/random';
import { coldFirstUseMs, dispatchRunner, validated, type PipelineSpec } from './gpu-timing';
import type { CopyMeter } from './ceilings';
import { D, H, Z, mb, syntheticImages } from './shapes';
import { sample } from './timing';
import { primaryOf, type SuiteContext } from './suite-context';
import type { KernelResult } from './results';

export async function measureElementwise(sc: SuiteContext, meter: CopyMeter): Promise<KernelResult[]> {
  const { device, rt, timer, b, o, errors, guarded } = sc;
  const kernels: KernelResult[] = [];

  o.log('\nelement-wise kernels (GB/s: bytes each must read and write; ceiling: the copy kernel moving the same bytes)');
  const elementwise = async (name: string, shape: string, detail: string, bytes: number, dispatches: Dispatch[], specs: PipelineSpec[], primary = true) => {
    try {
      const { firstUseMs, s } = await guarded(name, async () => ({
        firstUseMs: await coldFirstUseMs(device, dispatches, specs),
        s: await validated(device, name, () => sample(dispatchRunner(device, dispatches, timer), b.kernel)),
      }));
      const ms = primaryOf(s);
      const gbps = bytes / (ms * 1e6);
      const copy = await meter.at(bytes);
      kernels.push({
        impl: 'webgpu-vae', kind: 'elementwise', name, shape, detail, primary, bytes, ms, wallMs: s.wall.median, gpuMs: s.gpu?.median,
        spread: (s.gpu ?? s.wall).spread, runs: s.wall.runs, inner: s.inner, gbps, ofCeiling: gbps / copy.gbps, firstUseMs,
      });
      o.log(`  ${name.padEnd(16)} ${shape.padEnd(22)} ${ms.toFixed(4).padStart(9)} ms ${gbps.toFixed(2).padStart(7)} GB/s; copy of the same ${mb(bytes)}: ` +
        `${copy.gbps.toFixed(2)} GB/s (${((100 * gbps) / copy.gbps).toFixed(0)}%); cold first use ${firstUseMs.toFixed(1)} ms`);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
      o.log(`  ${name}: FAILED ${(e as Error).message}`);
    }
  };

  for (const B of [128, 2048]) {
    const stats = storageFrom(device, uniformArray(B * 2 * Z, 21, -1, 1), 'stats');
    const z = storageBuffer(device, B * Z, 'z'), dz = storageFrom(device, uniformArray(B * Z, 22), 'dz');
    const dstats = storageFrom(device, uniformArray(B * 2 * Z, 23), 'dstats');
    const r = prepareReparameterize(rt, { batch: B, latent: Z }, { stats, z, dz, dstats }, { seed: 1, stream: 0 });
    await elementwise('reparam fwd', `B=${B}, Z=${Z}`, 'Philox noise in-shader', 12 * B * Z, [r.forward], [{ kernel: REPARAMETERIZE, entry: 'forward' }]);
    await elementwise('reparam bwd', `B=${B}, Z=${Z}`, 'noise recomputed', 24 * B * Z, [r.backward!], [{ kernel: REPARAMETERIZE, entry: 'backward' }]);
    r.destroy();
    [stats, z, dz, dstats].forEach((x) => x.destroy());

    const logits = storageFrom(device, uniformArray(B * D, 24, -4, 4), 'logits');
    const x = storageFrom(device, syntheticImages(B), 'x');
    const st = storageFrom(device, uniformArray(B * 2 * Z, 25, -1, 1), 'stats');
    const dlogits = storageBuffer(device, B * D, 'dlogits'), dst = storageBuffer(device, B * 2 * Z, 'dstats');
    const terms = storageBuffer(device, 2 * B, 'terms'), loss = storageBuffer(device, 4, 'loss'), totals = storageBuffer(device, 4, 'totals');
    const health = storageBuffer(device, 4, 'health');
    // The reduction schedule this adapter's profile picks ('serial' on CPU adapters, 'tree' on GPUs),
    // and in full runs the other one too.
    const schedules: ('tree' | 'serial')[] = [rt.serial() ? 'serial' : 'tree'];
    if (b.alternates) schedules.push(schedules[0] === 'serial' ? 'tree' : 'serial');
    for (const schedule of schedules) {
      const primary = schedule === schedules[0];
      const tag = primary ? '' : ` [${schedule}, not used here]`;
      const e = prepareElbo(rt, { batch: B, dim: D, latent: Z, track: true, schedule },
        { logits, x, stats: st, dlogits, dstats: dst, perExample: terms, loss, totals, health });
      const perExample: PipelineSpec = { kernel: ELBO, entry: schedule === 'serial' ? 'per_example_serial' : 'per_example', overrides: { GAUSSIAN: false } };
      const batchMean: PipelineSpec = { kernel: ELBO, entry: schedule === 'serial' ? 'batch_mean_serial' : 'batch_mean', overrides: { GAUSSIAN: false } };
      const how = schedule === 'serial' ? 'one invocation per example' : 'one workgroup per example, tree reduction';
      await elementwise(`elbo (fused)${tag}`, `B=${B}, D=${D}, Z=${Z}`, `loss + gradients: per-example (${how}) + batch mean`, 4 * (3 * B * D + 4 * B * Z + 4 * B), e.dispatches, [perExample, batchMean], primary);
      // Its two dispatches apart, to show which one costs.
      await elementwise(`elbo per_example${tag}`, `B=${B}, D=${D}, Z=${Z}`, how, 4 * (3 * B * D + 4 * B * Z + 2 * B), [e.dispatches[0]], [perExample], false);
      if (primary) await elementwise('elbo batch_mean', `B=${B}`, schedule === 'serial' ? 'one invocation, in order' : 'one workgroup, tree reduction', 4 * (2 * B + 12), [e.dispatches[1]], [batchMean], false);
      e.destroy();
    }
    [logits, x, st, dlogits, dst, terms, loss, totals, health].forEach((t) => t.destroy());

    // bias_grad (in the step, not asked for by name): the ReLU layers' (400 columns) and the output layer's (784, identity).
    for (const [cols, act] of [[H, 'relu'], [D, 'identity']] as const) {
      const dY = storageFrom(device, uniformArray(B * cols, 26), 'dY'), y = storageFrom(device, uniformArray(B * cols, 27, 0, 1), 'Y');
      const dPre = storageBuffer(device, B * cols, 'dPre'), dBias = storageBuffer(device, cols, 'dBias');
      const bytes = 4 * ((act === 'identity' ? 1 : 3) * B * cols + cols);
      for (const schedule of schedules) {
        const primary = schedule === schedules[0];
        const op = prepareBiasGrad(rt, { rows: B, cols, activation: act, schedule }, { dY, y, dPre: act === 'identity' ? undefined : dPre, dBias });
        const how = schedule === 'serial' ? 'four columns per invocation, rows in order' : '16×16 workgroups, tree reduction';
        await elementwise(`bias_grad${primary ? '' : ` [${schedule}, not used here]`}`, `${B}×${cols}, ${act}`, `${act === 'identity' ? 'column sums' : "ReLU' fused, column sums"}; ${how}`, bytes, op.dispatches,
          [{ kernel: BIAS_GRAD, entry: schedule === 'serial' ? 'main_serial' : 'main', overrides: { ACT: activationCode(act) } }], primary);
        op.destroy();
      }
      [dY, y, dPre, dBias].forEach((t) => t.destroy());
    }
  }

  const arena = buildVaeGraph(DEFAULT_CONFIG).arenaSize;
  const p = storageFrom(device, uniformArray(arena, 31, -0.05, 0.05), 'params'), g = storageFrom(device, uniformArray(arena, 32, -0.01, 0.01), 'grads');
  const m = storageBuffer(device, arena, 'm'), v = storageBuffer(device, arena, 'v');
  const adam = prepareAdam(rt, arena, { lr: 1e-3 }, { params: p, grads: g, m, v });
  await elementwise('adam', `${arena} params`, 'p, m, v read+written, g read', 7 * 4 * arena, [adam.dispatch], [{ kernel: ADAM, entry: 'main' }]);
  adam.destroy();
  [p, g, m, v].forEach((t) => t.destroy());
  return kernels;
}
