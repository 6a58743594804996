// The benchmark driver behind `npm run bench` (bench/run.ts) and `npm run bench:node` (bench/node.ts):
// the suite (bench/suite.ts) in headless Chromium (bench/browser-run.ts) against TensorFlow.js and
// jax-js, or in Node on Dawn with --node (bench/node-run.ts). Writes
// bench-results/<date>[-node][-quick].json and .md (bench/report.ts).
//
//   npm run bench                      # headless Chromium (SwiftShader here): tfjs webgpu + wasm,
//                                      #   jax-js webgpu + wasm
//   npm run bench -- --quick           # a short run (a few minutes on two cores)
//   npm run bench -- --node            # Node on Dawn (lavapipe here, a GPU where there is one),
//                                      #   tfjs webgpu (on Dawn) + wasm peers, PyTorch CPU if installed
// Options (bench/options.ts): --out DIR (bench-results),
//   --peers tfjs-webgpu,tfjs-wasm,jax-js-webgpu,jax-js-wasm|none (Node: jax-js-wasm only), --no-pytorch,
//   --driver auto|lavapipe|swiftshader (Node), --wait-quiet SECONDS (default 600; 0 with --quick),
//   --max-load X (quiet means 1-min load < X, default 0.8), --only ceilings,kernels,steps,epoch,
//   --no-gate (do not pause before a measurement while other processes use the CPU),
//   --gate-budget SECONDS (the most the gate may hold measurements back in all, default 900; after
//   that it measures at once, and says so), --batches 32,128,512 (training-step batch sizes), --json FILE.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { machineInfo, monitorLoad, othersCpu, quietGate, sampleLoad, waitForQuiet } from './machine';
import { computeTargets, markdown } from './report';
import { runBrowser } from './browser-run';
import { runNode } from './node-run';
import { parseOptions } from './options';
import { ROOT, log } from './project';
import type { BenchFile, LoadSample, SuiteResults } from './results';

export { parseOptions, type Options } from './options';

function commit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'shaders', 'bench'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head} (with uncommitted changes in src/, shaders/ or bench/)` : head;
  } catch {
    return undefined;
  }
}

/** Runs the benchmark; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const t0 = performance.now();
  const quiet = o.waitQuietS > 0
    ? await waitForQuiet(o.waitQuietS, o.maxLoad, t0, log)
    : await sampleLoad(2000, t0).then((sample) => ({ sample, waitedS: 0, quiet: othersCpu(sample) < 15 && sample.loadavg[0] < o.maxLoad }));
  log(`load before: ${quiet.sample.loadavg.map((x) => x.toFixed(2)).join(' ')}; other processes: ${quiet.sample.others.map((p) => `${p.command.split(' ')[0]} ${p.cpu}%`).join(', ') || 'idle'}`);
  const monitor = monitorLoad(30, t0);
  // Before each measurement: wait while other processes use the CPU (two cores, shared machine).
  const quietness = o.noGate
    ? { before: async () => {}, after: async () => true, pauses: [] }
    : quietGate(t0, log, { budgetS: o.gateBudgetS });
  let suite: SuiteResults;
  let browser: BenchFile['browser'];
  let during: LoadSample[] = [];
  try {
    if (o.mode === 'browser') ({ suite, browser } = await runBrowser(o, quietness));
    else suite = await runNode(o, quietness);
  } finally {
    during = await monitor.stop();
  }
  const date = new Date();
  const file: BenchFile = {
    date: date.toISOString(),
    mode: o.mode,
    quick: o.quick,
    command: `npm run bench -- ${argv.join(' ')}`.replace(/ -- $/, ''),
    machine: machineInfo(),
    browser,
    commit: commit(),
    load: { before: quiet.sample, during, waitedS: quiet.waitedS, quiet: quiet.quiet, pauses: quietness.pauses },
    suite,
    targets: [],
  };
  file.targets = computeTargets(file);
  await mkdir(o.outDir, { recursive: true });
  const stamp = date.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = join(o.outDir, `${stamp}${o.mode === 'node' ? '-node' : ''}${o.quick ? '-quick' : ''}`);
  const md = markdown(file);
  await writeFile(`${base}.json`, JSON.stringify(file, null, 2));
  await writeFile(`${base}.md`, md);
  if (o.json) await writeFile(o.json, JSON.stringify(file, null, 2));
  log(`\n${md}`);
  log(`wrote ${base}.json and ${base}.md (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return suite.errors.length && !suite.kernels.length && !suite.steps.length ? 1 : 0;
}
