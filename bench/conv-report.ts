// The conv VAE section of a run's report: the target (≥ 10× the fastest peer at batch 128), the
// step table with the peers that could not train it, the agreement table, the conv kernels against
// the FMA ceiling, and our conv step dispatch by dispatch.
import { table } from './timing';
import type { ConvResults, Impl, SuiteResults, Target } from './results';

const f = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pct = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(digits)}%`);
const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The fastest peer's step at a batch (any backend that trained it), and ours. */
function fastestPeer(c: ConvResults, batch: number) {
  const ours = c.steps.find((s) => s.impl === 'webgpu-vae' && s.batch === batch);
  const peers = c.steps.filter((s) => s.impl !== 'webgpu-vae' && s.batch === batch).sort((a, b) => a.msPerStep - b.msPerStep);
  return { ours, best: peers[0] };
}

export function convTargets(s: SuiteResults): Target[] {
  const c = s.conv;
  if (!c) return [];
  // The goal is set at batch 128; a quick run (batch 32 only) reports its largest batch, named as such.
  const batch = c.batches.includes(128) ? 128 : Math.max(...c.batches);
  return [batch].map((batch) => {
    const { ours, best } = fastestPeer(c, batch);
    return {
      name: `conv VAE training step, batch ${batch}, vs the fastest peer on the same adapter`,
      goal: '≥ 10× faster',
      measured: ours && best ? `${(best.msPerStep / ours.msPerStep).toFixed(2)}× (${ms(ours.msPerStep)} vs ${best.impl} ${ms(best.msPerStep)} ms/step)` : 'not measured',
      met: ours && best ? best.msPerStep / ours.msPerStep >= 10 : null,
    };
  });
}

export function convMarkdown(s: SuiteResults): string[] {
  const c = s.conv;
  if (!c) return [];
  const ourStep = (batch: number) => c.steps.find((x) => x.impl === 'webgpu-vae' && x.batch === batch);
  const steps = table(
    ['impl', 'batch', 'ms/step', 'examples/s', 'ours faster by', 'GFLOP/s', '% FMA peak', 'samples × steps', 'first step ms', 'loss first → last', 'leaked tensors'],
    [
      ...c.steps.map((x) => {
        const o = ourStep(x.batch);
        return [x.impl, x.batch, ms(x.msPerStep), f(x.examplesPerSecond, 1), x.impl !== 'webgpu-vae' && o ? `${(x.msPerStep / o.msPerStep).toFixed(2)}×` : '–',
          f(x.gflops, 2), x.ofCeiling !== undefined ? pct(x.ofCeiling, 1) : '–', `${x.runs} × ${x.inner}`, ms(x.firstStepMs),
          x.lossFirst !== undefined ? `${f(x.lossFirst, 1)} → ${f(x.lossLast, 1)}` : '–', x.leakedTensors ?? '–'];
      }),
      ...c.failures.map((x) => [x.impl, x.batch, `cannot train it: ${x.error.replace(/\s+/g, ' ').slice(0, 160)}`, '', '', '', '', '', '', '', '']),
    ],
  );
  const lines = [
    '## Conv VAE training step (the `conv` preset: Conv 32 → Conv 64 → Dense μ | log σ²; Dense 7·7·64 → ConvT 32 → ConvT 1; Bernoulli, Adam)',
    '',
    'Every implementation starts from our model\'s initial weights (tfjs runs them as they are, NHWC/HWIO; jax-js in NCHW with the kernels and the dense rows at the flatten permuted). ' +
      'Peers: one compiling first step, one warm-up, then the timed steps (their steps take seconds here). GFLOP/s: the step\'s conv and dense FLOPs (nominal) over its time.',
    '',
    steps,
    '',
  ];
  if (c.agreement.length) {
    lines.push('Agreement: each peer\'s conv −ELBO on our initial weights and the same images with the noise at zero (z = μ), against ours:', '',
      table(['impl', 'batch', 'ours (nats)', 'theirs (nats)', 'rel diff', 'tolerance', 'agrees'],
        c.agreement.map((a) => [a.impl as Impl, a.batch, f(a.ours, 4), f(a.theirs, 4), a.relDiff.toExponential(1), a.tolerance.toExponential(0), a.ok ? 'yes' : 'NO'])), '');
  }
  if (c.kernels.length) {
    lines.push(`Conv kernels in our step at batch ${c.breakdown?.batch ?? 128} (each dispatch in its own pass between GPU timestamps; FLOPs 2·B·OH·OW·O·KH·KW·C of the relation, padding taps counted; ceiling: the FMA loop of this run, ${f(s.ceilings.fmaGflops, 1)} GFLOP/s):`, '',
      table(['layer', 'pass', 'kernel', 'relation', 'ms', 'GFLOP/s', '% FMA peak'],
        c.kernels.map((k) => [k.layer, k.pass, k.kernel, k.shape, ms(k.ms), f(k.gflops, 2), pct(k.ofCeiling, 1)])), '');
  }
  const b = c.breakdown;
  if (b) {
    const kinds = new Map<string, number>();
    for (const r of b.rows) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + r.ms);
    const step = ourStep(b.batch);
    lines.push(`Our conv step dispatch by dispatch (batch ${b.batch}, median of ${b.samples}): ${ms(b.totalMs)} ms in all` +
      `${step ? `, against ${ms(step.msPerStep)} ms/step end to end` : ''}.`, '',
      table(['kernel', 'ms', 'share'], [...kinds].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, ms(v), pct(v / b.totalMs)])), '',
      table(['dispatch', 'kernel', 'ms', 'share'], b.rows.map((r) => [r.label, r.kind, ms(r.ms), pct(r.share)])), '');
  }
  return lines;
}
