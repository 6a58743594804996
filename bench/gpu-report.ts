// The GPU run's results (bench/gpu.ts) as types and markdown, and the summary beside PyTorch's
// (scripts/torch_cuda_bench.py) with issue 25's two GPU targets: square matmul ≥ 45% of the run's FMA
// peak, and an epoch ≥ 1.5× faster than PyTorch eager on the same GPU.
import type { AdapterSummary } from '../src/gpu/device';
import type { FmaResult, MatmulPoint } from './gpu-measure';
import type { ModelEpoch } from './gpu-train';

export interface GpuRun {
  tool: 'bench/gpu.ts';
  startedAt: string;
  finishedAt?: string;
  elapsedSeconds?: number;
  quick: boolean;
  args: string[];
  deadlineSeconds: number;
  /** The global deadline stopped the run: what is here was measured before it. */
  timedOut?: boolean;
  adapter?: AdapterSummary & { features: string[]; limits: Record<string, number> };
  /** A hardware adapter (not SwiftShader, lavapipe or another software one). */
  gpu?: boolean;
  implementation: string;
  machine: { cpus: number; cpuModel: string; node: string; os: string };
  fma?: FmaResult;
  matmul?: MatmulPoint[];
  epochs?: ModelEpoch[];
  /** Seconds per section. */
  sections: Record<string, number>;
  errors: string[];
}

/** What scripts/torch_cuda_bench.py writes. */
export interface TorchRun {
  torch?: string;
  cuda: boolean;
  device?: string;
  reason?: string;
  matmul?: { n: number; dtype: string; tf32: boolean; ms: number; tflops: number }[];
  epochs?: { model: string; batch: number; examples: number; steps: number; first_epoch_s: number; epoch_s: number; steps_per_s: number; test_neg_elbo: number }[];
  errors?: string[];
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

export function gpuMarkdown(r: GpuRun): string {
  const a = r.adapter;
  const lines = [
    `# GPU run (${r.quick ? 'quick' : 'full'}), ${r.startedAt}`,
    '',
    a ? `Adapter: **${[a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unknown'}** (${a.description || 'no description'}) via ${a.via}` +
      `${a.isSoftware ? ' — **a software adapter, not a GPU: these figures say nothing about one**' : ''}. Features: ${a.features.join(', ') || 'none'}.` : 'Adapter: none found (see the diagnostics in the log).',
    `Implementation: ${r.implementation}; machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.os}, node ${r.machine.node}.`,
    `Elapsed ${f(r.elapsedSeconds, 1)} s of a ${r.deadlineSeconds} s deadline${r.timedOut ? ' (**the deadline stopped the run**)' : ''}; sections: ${Object.entries(r.sections).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ') || 'none'}.`,
  ];
  if (r.fma) {
    lines.push('', `## FMA peak (${r.fma.method === 'timestamp' ? 'GPU timestamps' : 'wall time'}; wall time beside)`, '', '| form | workgroup | invocations × iterations | ms | wall ms | GFLOP/s |', '|---|---|---|---|---|---|');
    for (const p of r.fma.points) lines.push(`| ${p.form} | ${p.workgroupSize} | ${p.invocations} × ${p.iters} | ${f(p.ms, 3)} | ${f(p.wallMs, 3)} | ${f(p.gflops, 0)}${p === r.fma.best ? ' (peak)' : ''} |`);
  }
  if (r.matmul?.length) {
    lines.push('', '## Square f32 matmul, the tuner\'s choice (all candidates timed in interleaved rounds)', '', '| n | choice (rule) | ms | GFLOP/s | % of FMA peak | rows check | candidates (GFLOP/s) |', '|---|---|---|---|---|---|---|');
    for (const m of r.matmul) {
      if (m.skipped) { lines.push(`| ${m.n} | skipped: ${m.skipped} | | | | | |`); continue; }
      const cands = (m.candidates ?? []).map((c) => `${c.candidate} ${f(c.gflops, 0)}`).join(', ');
      lines.push(`| ${m.n} | ${m.choice} (${m.rule}; ${m.source}) | ${f(m.ms, 3)} | ${f(m.gflops, 0)} | ${m.pctOfFma === undefined ? '–' : `${f(m.pctOfFma, 1)}%`} | ${m.check ? `${m.check.ok ? 'ok' : 'FAILED'} ${m.check.maxRelErr.toExponential(1)}` : '–'} | ${cands} |`);
    }
  }
  if (r.epochs?.length) {
    lines.push('', '## One epoch per model (GpuVae.fit: a first epoch, then the timed one)', '', '| model | batch | train / test | precompile s (tuned/classes) | first epoch s | epoch s | steps/s | test −ELBO |', '|---|---|---|---|---|---|---|---|');
    for (const e of r.epochs) {
      if (e.error && !e.epoch) { lines.push(`| ${e.model} | ${e.batch} | ${e.trainCount} / ${e.testCount} | ${e.error} | | | | |`); continue; }
      lines.push(`| ${e.model} ${e.describe} | ${e.batch} | ${e.trainCount} / ${e.testCount} | ${f(e.precompileSeconds, 1)} (${e.tuned?.tuned}/${e.tuned?.classes}) | ${f(e.firstEpoch?.seconds, 3)} | ${f(e.epoch?.seconds, 3)} | ${f(e.epoch?.stepsPerSecond, 1)} | ${f(e.testNegElbo)} |`);
    }
  }
  if (r.errors.length) lines.push('', '## Errors', '', ...r.errors.map((e) => `- ${e}`));
  return `${lines.join('\n')}\n`;
}

/** The two GPU targets from our run and PyTorch's, plus the figures beside them. */
export function summaryMarkdown(r: GpuRun | undefined, t: TorchRun | undefined): string {
  const lines = ['# GPU targets (issue 25)', ''];
  if (!r) lines.push('No bench/gpu.ts results (gpu.json missing).');
  else if (!r.gpu) lines.push(`**The adapter was not a GPU** (${r.adapter ? r.adapter.description || r.adapter.vendor : 'none found'}): the targets below are not measured on one.`);
  const largest = r?.matmul?.filter((m) => m.pctOfFma !== undefined).at(-1);
  lines.push('', '| target | measured | met |', '|---|---|---|');
  lines.push(`| square f32 matmul ≥ 45% of the run's FMA peak | ${largest ? `${f(largest.pctOfFma, 1)}% at n = ${largest.n} (${f(largest.gflops, 0)} of ${f(r?.fma?.best?.gflops, 0)} GFLOP/s, ${largest.choice})` : 'not measured'} | ${largest && r?.gpu ? (largest.pctOfFma! >= 45 ? 'yes' : 'no') : '–'} |`);
  const ours = r?.epochs?.find((e) => e.model === 'mlp' && e.epoch);
  const theirs = t?.epochs?.find((e) => e.model === 'mlp');
  const ratio = ours && theirs ? theirs.epoch_s / ours.epoch!.seconds : undefined;
  lines.push(`| an epoch ≥ 1.5× faster than PyTorch eager on the same GPU (default MLP, batch ${ours?.batch ?? '?'}) | ${ratio !== undefined ? `${f(ratio)}× (ours ${f(ours!.epoch!.seconds, 3)} s, PyTorch ${f(theirs!.epoch_s, 3)} s on ${t!.device})` : t && !t.cuda ? `PyTorch has no CUDA here: ${t.reason ?? 'unknown'}` : 'not measured'} | ${ratio !== undefined && r?.gpu && t?.cuda ? (ratio >= 1.5 ? 'yes' : 'no') : '–'} |`);
  if (r?.epochs?.length || t?.epochs?.length) {
    lines.push('', '| model | ours epoch s | ours test −ELBO | PyTorch epoch s | PyTorch test −ELBO | PyTorch / ours |', '|---|---|---|---|---|---|');
    const names = [...new Set([...(r?.epochs ?? []).map((e) => e.model), ...(t?.epochs ?? []).map((e) => e.model)])];
    for (const m of names) {
      const o = r?.epochs?.find((e) => e.model === m), p = t?.epochs?.find((e) => e.model === m);
      lines.push(`| ${m} | ${f(o?.epoch?.seconds, 3)} | ${f(o?.testNegElbo)} | ${f(p?.epoch_s, 3)} | ${f(p?.test_neg_elbo)} | ${o?.epoch && p ? `${f(p.epoch_s / o.epoch.seconds)}×` : '–'} |`);
    }
  }
  if (t?.matmul?.length) {
    lines.push('', '| n | ours GFLOP/s | PyTorch GFLOP/s (dtype) |', '|---|---|---|');
    for (const m of t.matmul) {
      const o = r?.matmul?.find((x) => x.n === m.n);
      lines.push(`| ${m.n} | ${f(o?.gflops, 0)} | ${f(m.tflops * 1000, 0)} (${m.dtype}${m.tf32 ? ', tf32' : ''}) |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
