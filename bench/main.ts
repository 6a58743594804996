// The benchmark driver behind `npm run bench` (bench/run.ts) and `npm run bench:node` (bench/node.ts):
// the suite (bench/suite.ts) in headless Chromium against TensorFlow.js, or in Node on Dawn with
// --node. Writes bench-results/<date>[-node][-quick].json and .md.
//
//   npm run bench                      # headless Chromium (SwiftShader here), tfjs webgpu + wasm peers
//   npm run bench -- --quick           # a short run (a few minutes on two cores)
//   npm run bench -- --node            # Node on Dawn (lavapipe here, a GPU where there is one),
//                                      #   tfjs webgpu (on Dawn) + wasm peers, PyTorch CPU if installed
// Options: --out DIR (bench-results), --peers tfjs-webgpu,tfjs-wasm|none, --no-pytorch,
//   --driver auto|lavapipe|swiftshader (Node), --wait-quiet SECONDS (default 600; 0 with --quick),
//   --max-load X (quiet means 1-min load < X, default 0.8), --only ceilings,kernels,steps,epoch,
//   --no-tune (skip tuned against untuned), --no-gate (do not pause before a measurement while other processes use the CPU), --json FILE.
//
// This file is bundled by scripts/build-node.mjs (esbuild), which cannot bundle Vite, Puppeteer or
// TensorFlow.js: those are imported at run time from node_modules, never through the bundle.
import { nodeImplementation } from '../src/tune/node-cache';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Page } from 'puppeteer-core';
import { acquireDevice, type GpuContext, type SoftwareDriver } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { GpuVae } from '../src/model/gpu-vae';
import { stepsPerEpoch, train } from '../src/train/trainer';
import type { Dataset } from '../src/data/dataset';
import { machineInfo, monitorLoad, othersCpu, quietGate, sampleLoad, waitForQuiet } from './machine';
import { computeTargets, markdown } from './report';
import { runSuite, stepFlops, syntheticImages } from './suite';
import { tfjsPeer } from './tfjs-peer';
import { stats } from './timing';
import { serveStatic } from '../test/browser/static-server';
import type { Peer } from './peer';
import type { BenchFile, EpochResult, LoadSample, StepResult, SuiteResults } from './results';

/** The project root: the bundle runs from dist/bench/ (else the working directory). */
const ROOT = ((): string => {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  return existsSync(join(up, 'package.json')) && existsSync(join(up, 'bench')) ? up : process.cwd();
})();
/** A module from node_modules at run time (kept out of the esbuild bundle). */
const runtimeImport = <T>(specifier: string): Promise<T> => import(specifier) as Promise<T>;

const log = (line: string) => console.log(line);

/** Around each measurement: wait for a quiet machine before, say whether it stayed quiet after. */
type Gate = { before(what: string): Promise<void>; after(what: string): Promise<boolean> };

// ---- Browser ------------------------------------------------------------------------------------
const CHROMIUM_EXTRA_ARGS = [
  // Un-quantised timestamps and the full adapter description.
  '--enable-webgpu-developer-features',
  '--enable-dawn-features=allow_unsafe_apis',
];

/** Builds bench/index.html with Vite into dist/bench-page, with the tfjs wasm binaries beside it. */
async function buildPage(): Promise<string> {
  const vite = await runtimeImport<typeof import('vite')>('vite');
  const outDir = join(ROOT, 'dist/bench-page');
  log('building the benchmark page (vite)...');
  await vite.build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    base: '/',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      chunkSizeWarningLimit: 8192,
      // tfjs-wasm starts its pthread workers from the source text of a bundled function, which
      // minification breaks ("e is not defined" in the workers): keep the bundle unminified.
      minify: false,
      // The library's Node-only paths (Dawn's `webgpu` addon, node: modules) are never taken in a browser.
      rolldownOptions: { input: join(ROOT, 'bench/index.html'), external: ['webgpu', /^node:/] },
    } as import('vite').BuildOptions,
  });
  const wasmSrc = join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  await mkdir(join(outDir, 'tfjs-wasm'), { recursive: true });
  for (const f of await readdir(wasmSrc)) if (f.endsWith('.wasm')) await copyFile(join(wasmSrc, f), join(outDir, 'tfjs-wasm', f));
  return outDir;
}

/** The page's server: cross-origin isolated (COOP/COEP) so tfjs-wasm may use threads. */
const serve = (root: string) => serveStatic(root, {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cache-control': 'no-store',
});

/** test/browser/chromium.ts (shared with the browser tests), compiled at run time with its imports left to node_modules. */
async function loadChromiumLauncher(): Promise<typeof import('../test/browser/chromium')> {
  const esbuild = await runtimeImport<typeof import('esbuild')>('esbuild');
  const out = join(ROOT, 'dist/bench/chromium.mjs');
  await esbuild.build({
    entryPoints: [join(ROOT, 'test/browser/chromium.ts')], outfile: out, bundle: true, packages: 'external',
    platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  });
  return runtimeImport(pathToFileURL(out).href);
}

async function runBrowser(o: Options, gate: Gate): Promise<{ suite: SuiteResults; browser: BenchFile['browser'] }> {
  const pageDir = await buildPage();
  const server = await serve(pageDir);
  const { launchChromium } = await loadChromiumLauncher();
  const chromium = await launchChromium({ extraArgs: CHROMIUM_EXTRA_ARGS });
  let page: Page | undefined;
  try {
    const version = await chromium.browser.version();
    log(`browser: ${chromium.executablePath} (${version}); page server ${server.url}`);
    page = await chromium.browser.newPage();
    await page.exposeFunction('__benchGateBefore', (what: string) => gate.before(what));
    await page.exposeFunction('__benchGateAfter', (what: string) => gate.after(what));
    const problems: string[] = [];
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) log(text.slice(8));
      else if (m.type() === 'error' || m.type() === 'warn') log(`  (page ${m.type()}: ${text.slice(0, 300)})`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    const query = new URLSearchParams({ quick: o.quick ? '1' : '0', peers: o.peers.join(',') || 'none' });
    if (o.only) query.set('only', o.only.join(','));
    if (o.noTune) query.set('notune', '1');
    await page.goto(`${server.url}bench/index.html?${query}`, { waitUntil: 'load' });
    const userAgent = await page.evaluate(() => navigator.userAgent);
    // Poll from here: one long in-page wait would hit Puppeteer's protocol timeout.
    const deadline = performance.now() + (o.quick ? 20 : 120) * 60_000;
    while (!(await page.evaluate(() => window.__bench !== undefined))) {
      if (performance.now() > deadline) throw new Error(`the benchmark page did not finish in ${o.quick ? 20 : 120} minutes`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const outcome = await page.evaluate(() => window.__bench!);
    if (outcome.state !== 'done' || !outcome.results) throw new Error(`the benchmark page failed: ${outcome.error}\n${problems.join('\n')}`);
    outcome.results.errors.push(...problems);
    return { suite: outcome.results, browser: { version, userAgent, args: CHROMIUM_EXTRA_ARGS } };
  } finally {
    await page?.close().catch(() => {});
    await chromium.close();
    await server.close();
  }
}

// ---- Node ---------------------------------------------------------------------------------------
/** Dawn GPU objects made here live as long as the process (dropping one while in use crashes Dawn). */
const keepAlive: unknown[] = [];

async function nodePeers(o: Options, errors: string[]): Promise<Peer[]> {
  if (!o.peers.length) return [];
  type Tf = typeof import('@tensorflow/tfjs');
  const mod = await runtimeImport<Tf & { default?: Tf }>('@tensorflow/tfjs');
  const tf = (mod.default ?? mod) as Tf;
  tf.enableProdMode();
  const peers: Peer[] = [];
  for (const name of o.peers) {
    try {
      if (name === 'tfjs-webgpu') {
        // tfjs-backend-webgpu registers itself when navigator.gpu exists: give it a Dawn instance
        // (the Vulkan driver acquireDevice chose is still in the environment: the same adapter).
        const webgpu = await runtimeImport<{ create(flags: string[]): GPU }>('webgpu');
        const gpu = webgpu.create([]);
        keepAlive.push(gpu);
        const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
        if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
        else g.navigator = { gpu };
        await runtimeImport('@tensorflow/tfjs-backend-webgpu');
        peers.push(await tfjsPeer(tf, 'webgpu', 'Node, Dawn (npm webgpu), own GPUDevice on the same adapter'));
      } else if (name === 'tfjs-wasm') {
        await runtimeImport('@tensorflow/tfjs-backend-wasm');
        peers.push(await tfjsPeer(tf, 'wasm', 'Node'));
      } else {
        errors.push(`unknown peer '${name}'`);
      }
    } catch (e) {
      errors.push(`${name} did not start: ${(e as Error).message}`);
      log(`${name} did not start: ${(e as Error).message}`);
    }
  }
  return peers;
}

/** A Python interpreter that has torch, or undefined. */
function findTorchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Whether this python's torch sees a CUDA device. */
function torchHasCuda(py: string): boolean {
  const r = spawnSync(py, ['-c', 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * PyTorch training steps of the same model (scripts/pytorch_vae.py --bench-steps): on the CPU for
 * context on a software adapter, on CUDA when the adapter is a GPU and torch sees one.
 */
async function pytorchSteps(o: Options, batches: number[], errors: string[], gpu: boolean): Promise<StepResult[]> {
  const script = join(ROOT, 'scripts/pytorch_vae.py');
  if (!existsSync(script)) {
    errors.push('PyTorch context skipped: scripts/pytorch_vae.py is missing');
    return [];
  }
  const py = findTorchPython();
  if (!py) {
    errors.push('PyTorch context skipped: no python3 with torch (Debian: apt-get install python3-torch)');
    return [];
  }
  const tmp = await mkdtemp(join(tmpdir(), 'webgpu-vae-pt-'));
  const out: StepResult[] = [];
  const threads = Math.max(1, machineInfo().cpus);
  const cuda = gpu && torchHasCuda(py);
  const impl = cuda ? 'pytorch-cuda' : 'pytorch-cpu';
  // Debian's torch calls whichever BLAS the alternatives system points at; it decides the figure.
  let blas = 'BLAS unknown';
  try {
    blas = `BLAS ${realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3')}`;
  } catch { /* not Debian x86-64 */ }
  if (process.env.OPENBLAS_NUM_THREADS) blas += `, OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS}`;
  log(`\nPyTorch ${cuda ? 'CUDA' : 'CPU'} (${py} scripts/pytorch_vae.py --bench-steps N --batch B --threads ${threads} --device ${cuda ? 'cuda' : 'cpu'} --synthetic 4096), three runs each, median`);
  try {
    for (const batch of batches) {
      // About 2-3 s of steps per run at ~1 µs/example-FLOP-ish rates; three runs, the median kept.
      const steps = Math.max(5, Math.round((o.quick ? 3000 : 8000) / batch));
      const runs: number[] = [];
      let version = '';
      for (let rep = 0; rep < 3; rep++) {
        const file = join(tmp, `b${batch}-${rep}.json`);
        execFileSync(py, [script, '--bench-steps', String(steps), '--warmup', String(Math.max(3, Math.min(10, steps))), '--batch', String(batch),
          '--threads', String(threads), '--device', cuda ? 'cuda' : 'cpu', '--synthetic', '4096', '--out', file], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
        const j = JSON.parse(await readFile(file, 'utf8')) as { bench: { ms_per_step: number }; torch_version: string; cuda_device: string | null };
        runs.push(j.bench.ms_per_step);
        version = j.torch_version + (j.cuda_device ? ` on ${j.cuda_device}` : '');
      }
      runs.sort((a, b) => a - b);
      const msPerStep = runs[1];
      const spread = Math.max(...runs.map((r) => Math.abs(r - msPerStep))) / msPerStep;
      out.push({
        impl, batch, msPerStep, examplesPerSecond: (1000 * batch) / msPerStep, spread, runs: 3, inner: steps,
        gflops: stepFlops(batch) / (msPerStep * 1e6), note: cuda ? `torch ${version}` : `torch ${version}, ${threads} threads, ${blas}`,
      });
      log(`  batch ${String(batch).padStart(4)} ${impl} ${msPerStep.toFixed(2).padStart(9)} ms/step (runs ${runs.map((r) => r.toFixed(1)).join(', ')}; torch ${version}; ${blas})`);
    }
  } catch (e) {
    errors.push(`PyTorch context failed: ${(e as Error).message}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return out;
}

/** Timing-only data: the suite's MNIST-like synthetic images (timings do not depend on pixel values). */
function syntheticDataset(n: number, seed: number): Dataset {
  return { images: syntheticImages(n, seed), labels: new Uint8Array(n), count: n, rows: 28, cols: 28, dim: 784 };
}

const EPOCH = { examples: 60000, batch: 128, timed: 1 };

/**
 * One training epoch of the default model through the library's own loop (`train()`: gather the
 * shuffled batch on the CPU, upload, one submit per step, a loss readback every 10 steps, the
 * epoch's totals at its end), after one warm-up epoch: `vae/main.py`'s protocol (60,000 examples,
 * batch 128), on synthetic data since timings do not depend on pixel values.
 */
async function ourEpoch(ctx: GpuContext): Promise<EpochResult> {
  const trainSet = syntheticDataset(EPOCH.examples, 1);
  const testSet = syntheticDataset(1000, 2);
  const rt = Runtime.forContext(ctx);
  const vae = new GpuVae(rt, {}, { maxBatch: EPOCH.batch });
  try {
    const metrics = await train(vae, { epochs: 1 + EPOCH.timed, batch: EPOCH.batch, train: trainSet, test: testSet });
    const seconds = metrics.slice(1).map((m) => m.seconds);
    log(`  webgpu-vae epoch: ${seconds.map((x) => x.toFixed(2)).join(', ')} s (${metrics.at(-1)!.step - metrics[0].step} steps; train −ELBO ${metrics.map((m) => m.train.elbo.toFixed(1)).join(' → ')})`);
    return { impl: 'webgpu-vae', examples: EPOCH.examples, batch: EPOCH.batch, steps: stepsPerEpoch(EPOCH.examples, EPOCH.batch), seconds, medianSeconds: stats(seconds).median };
  } finally {
    vae.dispose();
    rt.destroy();
  }
}

async function pytorchEpoch(errors: string[], gpu: boolean): Promise<EpochResult | undefined> {
  const script = join(ROOT, 'scripts/pytorch_vae.py');
  const py = findTorchPython();
  if (!py || !existsSync(script)) return undefined;
  const cuda = gpu && torchHasCuda(py);
  const threads = Math.max(1, machineInfo().cpus);
  const tmp = await mkdtemp(join(tmpdir(), 'webgpu-vae-pt-'));
  try {
    const file = join(tmp, 'epoch.json');
    execFileSync(py, [script, '--bench-epochs', String(EPOCH.timed), '--synthetic', String(EPOCH.examples), '--batch', String(EPOCH.batch),
      '--threads', String(threads), '--device', cuda ? 'cuda' : 'cpu', '--out', file], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
    const j = JSON.parse(await readFile(file, 'utf8')) as { bench_epochs: { seconds: number[]; steps: number }; torch_version: string; cuda_device: string | null };
    const seconds = j.bench_epochs.seconds;
    log(`  pytorch-${cuda ? 'cuda' : 'cpu'} epoch: ${seconds.map((x) => x.toFixed(2)).join(', ')} s (torch ${j.torch_version}${j.cuda_device ? ` on ${j.cuda_device}` : `, ${threads} threads`})`);
    return {
      impl: cuda ? 'pytorch-cuda' : 'pytorch-cpu', examples: EPOCH.examples, batch: EPOCH.batch, steps: j.bench_epochs.steps, seconds,
      medianSeconds: stats(seconds).median,
      note: `torch ${j.torch_version}${j.cuda_device ? ` on ${j.cuda_device}` : `, ${threads} threads`}`,
    };
  } catch (e) {
    errors.push(`PyTorch epoch failed: ${(e as Error).message}`);
    return undefined;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function runNode(o: Options, gate: Gate): Promise<SuiteResults> {
  const ctx = await acquireDevice({ softwareDriver: o.driver });
  const errors: string[] = [];
  const peers = await nodePeers(o, errors);
  const suite = await runSuite(ctx, { quick: o.quick, peers, log, errors, only: o.only, gate, noTune: o.noTune, implementation: nodeImplementation() });
  const gpu = !ctx.adapterInfo.isSoftware;
  if (o.pytorch && (!o.only || o.only.includes('steps'))) {
    const batches = [...new Set(suite.steps.map((s) => s.batch))];
    suite.steps.push(...(await pytorchSteps(o, batches, suite.errors, gpu)));
  }
  if (!o.quick && (!o.only || o.only.includes('epoch'))) {
    log(`\nepoch (${EPOCH.examples} synthetic examples, batch ${EPOCH.batch}, one warm-up epoch then ${EPOCH.timed} timed)`);
    suite.epochs = [];
    try {
      await gate.before('epoch webgpu-vae');
      suite.epochs.push(await ourEpoch(ctx));
    } catch (e) {
      suite.errors.push(`our epoch failed: ${(e as Error).message}`);
    }
    if (o.pytorch) {
      await gate.before('epoch pytorch');
      const pt = await pytorchEpoch(suite.errors, gpu);
      if (pt) suite.epochs.push(pt);
    }
  }
  ctx.destroy();
  return suite;
}

// ---- Main ---------------------------------------------------------------------------------------
export interface Options {
  quick: boolean;
  mode: 'browser' | 'node';
  outDir: string;
  /** Also write the JSON here. */
  json?: string;
  peers: string[];
  pytorch: boolean;
  driver: SoftwareDriver;
  waitQuietS: number;
  maxLoad: number;
  only?: string[];
  /** Do not pause measurements while other processes are busy. */
  noGate: boolean;
  /** Skip the tuned-against-untuned section. */
  noTune: boolean;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      node: { type: 'boolean' },
      out: { type: 'string' },
      json: { type: 'string' },
      peers: { type: 'string' },
      'no-pytorch': { type: 'boolean' },
      driver: { type: 'string' },
      'wait-quiet': { type: 'string' },
      'max-load': { type: 'string' },
      only: { type: 'string' },
      'no-gate': { type: 'boolean' },
      'no-tune': { type: 'boolean' },
    },
  });
  const quick = !!values.quick;
  const driver = values.driver ?? 'auto';
  if (!['auto', 'lavapipe', 'swiftshader'].includes(driver)) throw new Error(`--driver must be auto, lavapipe or swiftshader, got '${driver}'`);
  const waitQuietS = Number(values['wait-quiet'] ?? (quick ? 0 : 600));
  const maxLoad = Number(values['max-load'] ?? 0.8);
  if (!Number.isFinite(waitQuietS) || waitQuietS < 0) throw new Error(`--wait-quiet must be a number of seconds ≥ 0, got '${values['wait-quiet']}'`);
  if (!Number.isFinite(maxLoad) || maxLoad <= 0) throw new Error(`--max-load must be a positive number, got '${values['max-load']}'`);
  return {
    quick,
    mode: values.node ? 'node' : 'browser',
    outDir: resolve(ROOT, values.out ?? 'bench-results'),
    json: values.json,
    peers: (values.peers ?? 'tfjs-webgpu,tfjs-wasm').split(',').filter((p) => p && p !== 'none'),
    pytorch: !values['no-pytorch'],
    driver: driver as SoftwareDriver,
    waitQuietS,
    maxLoad,
    only: values.only?.split(',').filter(Boolean),
    noGate: !!values['no-gate'],
    noTune: !!values['no-tune'],
  };
}

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
    : quietGate(t0, log);
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
