// From a run's results to the targets and the markdown tables (bench-results/<date>.md, and what
// docs/BENCHMARKS.md quotes).
import { table } from './timing';
import { tuningMarkdown } from './tuned';
import { convMarkdown, convTargets } from './conv-report';
import type { BenchFile, EpochResult, Impl, KernelResult, StepResult, SuiteResults, Target } from './results';

const f = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)}%`);
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}×`);
const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

function peerKernel(s: SuiteResults, impl: Impl, k: KernelResult): KernelResult | undefined {
  return s.kernels.find((p) => p.impl === impl && p.name === k.name && p.shape === k.shape);
}

function stepOf(s: SuiteResults, impl: Impl, batch: number): StepResult | undefined {
  return s.steps.find((p) => p.impl === impl && p.batch === batch);
}

/** `N× (ours vs theirs ms/step)`: how many times faster our step is than a peer's at one batch. */
export function stepRatioText(ours: StepResult, theirs: StepResult): string {
  return `${(theirs.msPerStep / ours.msPerStep).toFixed(2)}× (${ms(ours.msPerStep)} vs ${ms(theirs.msPerStep)} ms/step)`;
}

function stepTarget(s: SuiteResults, impl: Impl, label: string, batch: number, goal: string, atLeast: number): Target {
  const ours = stepOf(s, 'webgpu-vae', batch), theirs = stepOf(s, impl, batch);
  return {
    name: `training step, batch ${batch}, vs ${label} on the same adapter`,
    goal,
    measured: ours && theirs ? stepRatioText(ours, theirs) : 'not measured',
    met: ours && theirs ? theirs.msPerStep / ours.msPerStep >= atLeast : null,
  };
}

/** Every step figure where a peer was faster than ours: the peer, the batch, and by how much. */
export function slowerSteps(s: SuiteResults): { impl: Impl; batch: number; oursMs: number; theirsMs: number; factor: number }[] {
  return s.steps.flatMap((p) => {
    const o = p.impl === 'webgpu-vae' ? undefined : stepOf(s, 'webgpu-vae', p.batch);
    return o && p.msPerStep < o.msPerStep ? [{ impl: p.impl, batch: p.batch, oursMs: o.msPerStep, theirsMs: p.msPerStep, factor: o.msPerStep / p.msPerStep }] : [];
  });
}

/** The peers' −ELBO on our weights with zero noise, against ours. */
export function agreementTable(s: SuiteResults): string | undefined {
  if (!s.agreement?.length) return undefined;
  return table(['impl', 'batch', 'ours (nats)', 'theirs (nats)', 'rel diff', 'tolerance', 'agrees'],
    s.agreement.map((a) => [a.impl, a.batch, f(a.ours, 4), f(a.theirs, 4), a.relDiff.toExponential(1), a.tolerance.toExponential(0), a.ok ? 'yes' : 'NO']));
}

export function computeTargets(r: BenchFile): Target[] {
  const s = r.suite;
  const targets: Target[] = [];
  const ours128 = stepOf(s, 'webgpu-vae', 128);
  targets.push(stepTarget(s, 'tfjs-webgpu', 'tfjs WebGPU', 128, '≥ 3× faster (aim 10×)', 3));
  if (s.steps.some((x) => x.impl === 'jax-js-webgpu')) {
    // The jax-js target holds at batch 128 and above: one row per such batch measured.
    const batches = [...new Set(s.steps.filter((x) => x.impl === 'jax-js-webgpu' && x.batch >= 128).map((x) => x.batch))].sort((a, b) => a - b);
    for (const batch of batches.length ? batches : [128]) targets.push(stepTarget(s, 'jax-js-webgpu', 'jax-js WebGPU', batch, '≥ 3× faster', 3));
  }
  const vae = s.kernels.filter((k) => k.impl === 'webgpu-vae' && k.kind === 'matmul' && k.primary && !k.name.startsWith('square'));
  const ratios = vae.flatMap((k) => {
    const p = peerKernel(s, 'tfjs-webgpu', k);
    const wall = wallGflops(k);
    return p && p.gflops && wall ? [{ name: k.name, r: wall / p.gflops }] : [];
  });
  if (ratios.length) {
    const sorted = [...ratios].sort((a, b) => a.r - b.r);
    const ok = ratios.filter((x) => x.r >= 1.5).length;
    targets.push({
      name: 'VAE matmul shapes vs tf.matMul (webgpu) GFLOP/s, both by wall time',
      goal: '≥ 1.5× on every shape',
      measured: `${ok} of ${ratios.length} shapes ≥ 1.5×; lowest ${sorted[0].r.toFixed(2)}× (${sorted[0].name}), median ${sorted[Math.floor(sorted.length / 2)].r.toFixed(2)}×, highest ${sorted[sorted.length - 1].r.toFixed(2)}× (${sorted[sorted.length - 1].name})`,
      met: ok === ratios.length,
    });
  } else {
    targets.push({ name: 'VAE matmul shapes vs tf.matMul (webgpu) GFLOP/s', goal: '≥ 1.5× on every shape', measured: 'not measured', met: null });
  }
  targets.push(...convTargets(s));
  const ew = s.kernels.filter((k) => k.impl === 'webgpu-vae' && k.kind === 'elementwise' && k.primary);
  if (ew.length) {
    const ok = ew.filter((k) => (k.ofCeiling ?? 0) >= 0.6);
    targets.push({
      name: 'bandwidth-bound kernels vs the copy kernel moving the same bytes',
      goal: '≥ 60%',
      measured: ew.map((k) => `${k.name} ${k.shape.replace(/, Z=\d+|, D=\d+| params/g, '')} ${pct(k.ofCeiling)}`).join(', '),
      met: ok.length === ew.length,
    });
  }
  if (r.mode === 'node') {
    const pt = stepOf(s, 'pytorch-cpu', 128);
    targets.push({
      name: 'Node (Dawn on this adapter): default step at batch 128 vs PyTorch CPU',
      goal: 'faster than PyTorch (~130 ms/step measured earlier)',
      measured: ours128 && pt ? `${ms(ours128.msPerStep)} vs ${ms(pt.msPerStep)} ms/step (${(pt.msPerStep / ours128.msPerStep).toFixed(2)}×)` : 'not measured',
      met: ours128 && pt ? ours128.msPerStep < pt.msPerStep : null,
    });
  }
  const ourEpoch = s.epochs?.find((e) => e.impl === 'webgpu-vae');
  const cudaEpoch = s.epochs?.find((e) => e.impl === 'pytorch-cuda');
  if (!s.adapterInfo.isSoftware) {
    const squares = s.kernels.filter((k) => k.impl === 'webgpu-vae' && k.kind === 'matmul' && k.primary && k.name.startsWith('square'));
    const best = squares.sort((a, b) => (b.ofCeiling ?? 0) - (a.ofCeiling ?? 0))[0];
    targets.push({
      name: 'GPU: square f32 matmul vs the FMA peak measured in the same run',
      goal: '≥ 45%',
      measured: best ? `${pct(best.ofCeiling)} (${best.name}: ${f(best.gflops, 0)} of ${f(s.ceilings.fmaGflops, 0)} GFLOP/s)` : 'not measured',
      met: best ? (best.ofCeiling ?? 0) >= 0.45 : null,
    });
    targets.push({
      name: 'GPU: training epoch of the default model vs PyTorch CUDA (vae/main.py protocol)',
      goal: '≥ 1.5× faster',
      measured: ourEpoch && cudaEpoch
        ? `${(cudaEpoch.medianSeconds / ourEpoch.medianSeconds).toFixed(2)}× (${f(ourEpoch.medianSeconds)} vs ${f(cudaEpoch.medianSeconds)} s per ${ourEpoch.examples}-example epoch)`
        : 'not measured (needs a full run and torch with CUDA)',
      met: ourEpoch && cudaEpoch ? cudaEpoch.medianSeconds / ourEpoch.medianSeconds >= 1.5 : null,
    });
  }
  return targets;
}

/** Whole epochs: ours through the library's training loop, PyTorch's through vae/main.py's. */
export function epochTable(s: SuiteResults): string | undefined {
  if (!s.epochs?.length) return undefined;
  const ours = s.epochs.find((e) => e.impl === 'webgpu-vae');
  const rows = s.epochs.map((e: EpochResult) => [
    e.impl, String(e.examples), String(e.batch), String(e.steps), f(e.medianSeconds), e.seconds.map((x) => f(x)).join(', '),
    f((1000 * e.medianSeconds) / e.steps), ours && e !== ours ? ratio(e.medianSeconds / ours.medianSeconds) : '–', e.note ?? '',
  ]);
  return table(['impl', 'examples', 'batch', 'steps', 'seconds per epoch', 'timed epochs (s)', 'ms per step', 'ours faster by', 'note'], rows);
}

export function stepTable(s: SuiteResults): string {
  const impls = (['tfjs-webgpu', 'tfjs-wasm', 'jax-js-webgpu', 'jax-js-wasm', 'pytorch-cpu', 'pytorch-cuda'] as Impl[]).filter((i) => s.steps.some((x) => x.impl === i));
  const batches = [...new Set(s.steps.map((x) => x.batch))].sort((a, b) => a - b);
  const headers = ['batch', 'webgpu-vae ms/step', 'examples/s', 'GFLOP/s (% FMA peak)', 'first step ms'];
  for (const i of impls) headers.push(`${i} ms/step`, `speed-up vs ${i}`);
  const rows = batches.map((batch) => {
    const o = stepOf(s, 'webgpu-vae', batch);
    const row = [String(batch), ms(o?.msPerStep), f(o?.examplesPerSecond, 0), o ? `${f(o.gflops, 1)} (${pct(o.ofCeiling)})` : '–', ms(o?.firstStepMs)];
    for (const i of impls) {
      const p = stepOf(s, i, batch);
      row.push(ms(p?.msPerStep), p && o ? ratio(p.msPerStep / o.msPerStep) : '–');
    }
    return row;
  });
  return table(headers, rows);
}

export function stepDetailTable(s: SuiteResults): string {
  return table(
    ['impl', 'batch', 'ms/step', 'examples/s', 'GFLOP/s', 'spread', 'samples × steps', 'first step ms', 'loss first → last', 'leaked tensors', 'note'],
    s.steps.map((x) => [x.impl, x.batch, ms(x.msPerStep), f(x.examplesPerSecond, 0), f(x.gflops, 1), pct(x.spread), `${x.runs} × ${x.inner}`, ms(x.firstStepMs),
      x.lossFirst !== undefined ? `${f(x.lossFirst, 1)} → ${f(x.lossLast, 1)}` : '–', x.leakedTensors ?? '–', x.note ?? '']),
  );
}

/** Ours by wall time (the protocol the peers are timed with), for like-for-like ratios. */
export function wallGflops(k: KernelResult): number | undefined {
  return k.flops !== undefined ? k.flops / (k.wallMs * 1e6) : undefined;
}

export function matmulTable(s: SuiteResults): string {
  const impls = (['tfjs-webgpu', 'tfjs-wasm', 'jax-js-webgpu', 'jax-js-wasm'] as Impl[]).filter((i) => s.kernels.some((k) => k.impl === i));
  const headers = ['matmul', 'op(A)·op(B)', 'op, schedule', 'ours ms', 'GFLOP/s', '% FMA peak', 'cold first use ms', 'ours GFLOP/s, wall'];
  for (const i of impls) headers.push(`${i} GFLOP/s`, `ours / ${i}`);
  const rows = s.kernels.filter((k) => k.impl === 'webgpu-vae' && k.kind === 'matmul' && k.primary).map((k) => {
    const wall = wallGflops(k);
    const row = [k.name, k.shape, k.detail, ms(k.ms), f(k.gflops, 1), pct(k.ofCeiling), ms(k.firstUseMs), f(wall, 1)];
    for (const i of impls) {
      const p = peerKernel(s, i, k);
      row.push(f(p?.gflops, 1), p?.gflops && wall ? ratio(wall / p.gflops) : '–');
    }
    return row;
  });
  return table(headers, rows);
}

export function peerMatmulTable(s: SuiteResults): string {
  const rows = s.kernels.filter((k) => k.impl !== 'webgpu-vae').map((k) => [k.impl, k.name, k.shape, k.detail, ms(k.ms), f(k.gflops, 1),
    k.ofCeiling !== undefined ? pct(k.ofCeiling) : '–', ms(k.firstUseMs), k.maxRelDiff !== undefined ? k.maxRelDiff.toExponential(1) : '–', `${k.runs} × ${k.inner}`]);
  return table(['impl', 'matmul', 'op(A)·op(B)', 'op', 'ms', 'GFLOP/s', '% FMA peak', 'first use ms', 'max rel diff vs ours', 'samples × reps'], rows);
}

export function alternatesTable(s: SuiteResults): string | undefined {
  const alts = s.kernels.filter((k) => k.impl === 'webgpu-vae' && k.kind === 'matmul' && !k.primary);
  if (!alts.length) return undefined;
  return table(['matmul', 'op(A)·op(B)', 'schedule used', 'GFLOP/s', 'other schedule', 'GFLOP/s', 'used / other'], alts.map((a) => {
    const used = s.kernels.find((k) => k.impl === 'webgpu-vae' && k.primary && k.name === a.name && k.shape === a.shape);
    return [a.name, a.shape, used?.detail ?? '–', f(used?.gflops, 1), a.detail, f(a.gflops, 1), used?.gflops && a.gflops ? ratio(used.gflops / a.gflops) : '–'];
  }));
}

export function elementwiseTable(s: SuiteResults): string {
  const rows = s.kernels.filter((k) => k.kind === 'elementwise').map((k) => {
    const copy = s.ceilings.copy.find((c) => Math.abs(c.bytes - (k.bytes ?? 0)) <= 32);
    return [k.name, k.shape, `${((k.bytes ?? 0) / 2 ** 20).toFixed(2)}`, ms(k.ms), f(k.gbps, 2), f(copy?.gbps, 2), pct(k.ofCeiling), pct(k.ofPeakCopy), ms(k.firstUseMs), k.detail];
  });
  return table(['kernel', 'size', 'MiB moved', 'ms', 'GB/s', 'copy, same bytes GB/s', '% of that copy', '% of peak copy', 'cold first use ms', 'how'], rows);
}

export function breakdownTable(s: SuiteResults): string | undefined {
  const b = s.breakdown;
  if (!b) return undefined;
  const kinds = new Map<string, number>();
  for (const r of b.rows) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + r.ms);
  const byKind = table(['kernel', 'ms', 'share'], [...kinds].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, ms(v), pct(v / b.totalMs)]));
  const rows = table(['dispatch', 'kernel', 'ms', 'share'], b.rows.map((r) => [r.label, r.kind, ms(r.ms), pct(r.share)]));
  return `${byKind}\n\n${rows}`;
}

/** Each peer profile: a summary line beside our dispatch count, and its kernels, the most expensive first. */
export function peerProfileSections(s: SuiteResults, top = 12): string[] {
  return (s.peerProfiles ?? []).flatMap((p) => {
    const ours = s.breakdown;
    const head = `${p.impl} at batch ${p.batch}, from its own profiler (jax.profiler: GPU timestamps around each kernel's passes; mean of ${p.steps} steps): ` +
      `${f(p.kernels, 0)} kernels in ${f(p.passes, 0)} compute passes and ${f(p.submits, 0)} queue submits per step; the kernels' GPU time ${ms(p.gpuMs)} ms of ${ms(p.wallMs)} ms wall per step (profiling on)` +
      (ours ? `. Ours: ${ours.rows.length} dispatches in one pass and one submit per step, ${ms(ours.totalMs)} ms of GPU time.` : '.');
    const rows = p.rows.slice(0, top).map((r) => [r.what, f(r.count, r.count < 10 ? 1 : 0), ms(r.ms), pct(r.ms / p.gpuMs)]);
    const rest = p.rows.slice(top);
    if (rest.length) rows.push([`${rest.length} other kinds`, f(rest.reduce((a, r) => a + r.count, 0), 0), ms(rest.reduce((a, r) => a + r.ms, 0)), pct(rest.reduce((a, r) => a + r.ms, 0) / p.gpuMs)]);
    return [head, '', table(['kernel (jax-js label, reduction, inputs)', 'per step', 'ms', 'share'], rows), ''];
  });
}

export function ceilingTable(s: SuiteResults): string {
  const c = s.ceilings;
  const rows: string[][] = c.fma.map((x) => [`FMA loop ${x.form ?? 'vec4×8'}, workgroup ${x.workgroupSize}`, `${x.invocations} invocations × ${x.iters} iterations × ${x.flopsPerIter ?? 64} FLOP`, ms(x.ms), `${f(x.gflops, 1)} GFLOP/s`]);
  for (const p of c.copy) rows.push([`copy, ${p.perInvocation} vec4/invocation`, `${(p.bytes / 2 ** 20).toFixed(2)} MiB moved (read + write)`, ms(p.ms), `${f(p.gbps, 2)} GB/s`]);
  return table(['ceiling', 'size', 'ms', 'throughput'], rows);
}

export function targetTable(targets: Target[]): string {
  return table(['target', 'goal', 'measured', 'met'], targets.map((t) => [t.name, t.goal, t.measured, t.met === null ? 'n/a' : t.met ? 'yes' : 'no']));
}

export function markdown(r: BenchFile): string {
  const s = r.suite;
  const load = r.load;
  const waits = load.pauses.filter((p) => p.kind === 'wait');
  const retries = load.pauses.filter((p) => p.kind === 'retry');
  const unguarded = load.pauses.filter((p) => p.kind === 'unguarded');
  const during = load.during.length ? Math.max(...load.during.map((x) => x.others.reduce((a, p) => a + p.cpu, 0))) : 0;
  const lines = [
    `# webgpu-vae benchmark — ${r.mode === 'browser' ? 'headless Chromium' : 'Node (Dawn)'}${r.quick ? ' (quick)' : ''}`,
    '',
    `- date: ${r.date}${r.commit ? `; commit ${r.commit}` : ''}`,
    `- adapter: ${s.adapter}; execution profile '${s.profile}'; features: ${s.features.join(', ') || 'none'}`,
    `- timing of our kernels: ${s.timestamps ? 'GPU timestamps around a pass of repeated dispatches (wall time kept in the JSON)' : 'wall time around queue completion'}; ` +
      'training steps and every peer figure: wall time around queue completion (same protocol on both sides)',
    `- machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memGiB} GiB, ${r.machine.gpu}; ${r.machine.os}; Node ${r.machine.node}`,
    ...(r.browser ? [`- browser: ${r.browser.version}; flags ${r.browser.args.join(' ')}`] : []),
    `- peers: ${s.peers.map((p) => `${p.impl} ${p.version} (${p.detail})`).join('; ') || 'none'}`,
    `- load before: ${load.before.loadavg.map((x) => x.toFixed(2)).join(' ')} (1/5/15 min), other processes ${load.before.others.map((p) => `${p.command.split(' ')[0]} ${p.cpu}%`).join(', ') || 'idle'}; ` +
      `waited ${load.waitedS} s for quiet (${load.quiet ? 'quiet' : 'NOT quiet'}); worst other-process CPU in the 30 s samples during the run ${during}% of a core; ` +
      `${waits.length} measurement(s) held back while others ran (${waits.reduce((a, p) => a + p.waitedS, 0)} s in all)` +
      `${waits.some((p) => !p.quiet) ? `, ${waits.filter((p) => !p.quiet).length} measured while still busy (${waits.filter((p) => !p.quiet).map((p) => p.before).join(', ')})` : ''}; ` +
      `${retries.length} taken again because others ran during them${retries.length ? ` (${retries.map((p) => p.before).join(', ')})` : ''}` +
      `${unguarded.length ? `; ${unguarded.length} disturbed by others and kept once the gate's budget was spent (${unguarded.map((p) => p.before).join(', ')})` : ''}`,
    `- command: \`${r.command}\`; suite took ${s.durationS.toFixed(0)} s`,
    '',
    '## Targets',
    '',
    targetTable(r.targets),
    '',
    '## Training step (default model 784-400-20, Bernoulli, Adam)',
    '',
    stepTable(s),
    '',
    stepDetailTable(s),
    '',
    ...(agreementTable(s) ? ['Agreement: each peer\'s −ELBO on our model\'s initial weights and the same 128 images with the noise at zero (z = μ), against ours (our encode and decode on the GPU, the loss summed in float64):', '', agreementTable(s)!, ''] : []),
    ...(slowerSteps(s).length ? ['Where a peer\'s step was faster than ours: ' + slowerSteps(s).map((x) => `${x.impl} at batch ${x.batch}, ${x.factor.toFixed(2)}× (${ms(x.theirsMs)} vs our ${ms(x.oursMs)} ms)`).join('; ') + '.', ''] : []),
    ...(epochTable(s) ? ['## Training epoch (60,000 synthetic examples, batch 128, after one warm-up epoch)', '', epochTable(s)!, ''] : []),
    '## Matmuls (ours as the model runs them; peers on the same operands)',
    '',
    matmulTable(s),
    '',
  ];
  const alt = alternatesTable(s);
  if (alt) lines.push('Our other matmul schedule (not used by the model on this adapter):', '', alt, '');
  if (s.kernels.some((k) => k.impl !== 'webgpu-vae')) lines.push('Peer matmuls in detail:', '', peerMatmulTable(s), '');
  const bd = breakdownTable(s);
  if (bd) {
    const step = stepOf(s, 'webgpu-vae', s.breakdown!.batch);
    lines.push(`## Where our step's time goes (batch ${s.breakdown!.batch})`, '',
      `Each dispatch of one step in its own compute pass between GPU timestamps (median of ${s.breakdown!.samples} steps): ${ms(s.breakdown!.totalMs)} ms in all` +
      `${step ? `, against ${ms(step.msPerStep)} ms/step measured end to end (one pass, steps queued back to back)` : ''}.`, '', bd, '');
  }
  lines.push(...convMarkdown(s));
  const profiles = peerProfileSections(s);
  if (profiles.length) lines.push('## Where the peers\' step time goes', '', ...profiles);
  if (s.tuning) lines.push('## Tuned against untuned (same run)', '', tuningMarkdown(s.tuning), '');
  lines.push('## Element-wise kernels', '', elementwiseTable(s), '', '## Ceilings on this adapter', '', ceilingTable(s), '');
  if (s.errors.length) lines.push('## Errors', '', ...s.errors.map((e) => `- ${e}`), '');
  return lines.join('\n');
}
