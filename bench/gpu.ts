// The GPU run: one short run that measures what issue 25 asks of a real GPU, meant for a lent machine
// without node (scripts/pack-gpu.sh bench/gpu.ts packs it; scripts/gpu-check.sh runs it there).
// The adapter first (so a software one is never taken for a GPU), then the FMA peak, square f32
// matmuls through the tuned candidates as % of it, and an epoch of each model; gpu.json and gpu.md
// are written under --out after every section, and a global deadline always leaves them written.
//   bash .gpu/run.sh --out DIR [--quick] [--deadline S] [--sizes 1024,2048] [--models mlp,conv,iwae]
//   bash .gpu/run.sh --summarize DIR     # DIR/gpu.json + DIR/torch.json → DIR/summary.md (the targets)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type GpuContext, type SoftwareDriver } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { loadEmbeddedMnist } from '../src/data/mnist';
import { subset, type Dataset } from '../src/data/dataset';
import { adapterKey } from '../src/tune/cache';
import { fileTuneStore, nodeImplementation } from '../src/tune/node-cache';
import { TUNE_TWINS } from '../src/cpu/tune-twins';
import { Tuner } from '../src/tune/tuner';
import { fmaPeak, squareMatmuls } from './gpu-measure';
import { trainEpochs } from './gpu-train';
import { gpuMarkdown, summaryMarkdown, type GpuRun, type TorchRun } from './gpu-report';

const HELP = `Usage: bash .gpu/run.sh --out DIR [options]   (or: node dist/bench/gpu.mjs --out DIR)

  --out DIR          where gpu.json, gpu.md and tune.json go
  --quick            small sizes (a software adapter finishes in a few minutes)
  --deadline S       the whole run's limit in seconds (default 270; quick 240): results are always written
  --sizes LIST       square matmul sizes (default 1024,2048,4096,8192; quick 128,256)
  --models LIST      mlp,conv,iwae (default all three)
  --examples N       training examples (default all 9,000; quick 512); --test-examples N (default 1,000; quick 256)
  --batch N          batch size of the epochs (default 128; quick 32)
  --only LIST        fma,matmul,train (default all)
  --tune-budget S    seconds each model's tuning may take before its epochs (default 10; quick 3)
  --driver D         auto | lavapipe | swiftshader (Node's software drivers, when there is no GPU)
  --allow-software   run the full sizes on a software adapter (refused by default: exit 3)
  --summarize DIR    DIR/gpu.json + DIR/torch.json (scripts/torch_cuda_bench.py) → DIR/summary.md

Exit codes: 0 done, 1 a section failed (the rest ran), 2 no adapter, 3 a software adapter (full run), 4 the deadline.`;

const LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension'];
const ints = (name: string, v: string) => v.split(',').map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected positive integers separated by commas, got '${v}'`);
  return n;
});

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/** What Dawn offers (it prints the adapters it found when asked for one that does not exist). */
async function listAdapters(): Promise<void> {
  console.error('diagnostics: the adapters Dawn can see (VK_ICD_FILENAMES=%s, VK_DRIVER_FILES=%s, LD_LIBRARY_PATH=%s):',
    process.env.VK_ICD_FILENAMES ?? '<unset>', process.env.VK_DRIVER_FILES ?? '<unset>', process.env.LD_LIBRARY_PATH ?? '<unset>');
  try {
    const { create } = await import('webgpu');
    const gpu = create(['adapter=(list every adapter)']);
    await gpu.requestAdapter();
  } catch (e) {
    console.error(`  ${(e as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' }, quick: { type: 'boolean' }, deadline: { type: 'string' }, sizes: { type: 'string' }, models: { type: 'string' },
      examples: { type: 'string' }, 'test-examples': { type: 'string' }, batch: { type: 'string' }, only: { type: 'string' }, driver: { type: 'string' },
      'allow-software': { type: 'boolean' }, 'tune-budget': { type: 'string' }, summarize: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) { console.log(HELP); return 0; }
  if (v.summarize) {
    const text = summaryMarkdown(readJson<GpuRun>(join(v.summarize, 'gpu.json')), readJson<TorchRun>(join(v.summarize, 'torch.json')));
    writeFileSync(join(v.summarize, 'summary.md'), text);
    console.log(text);
    return 0;
  }
  if (!v.out) throw new Error('--out DIR is required (where gpu.json and gpu.md go)');
  const quick = !!v.quick;
  const deadlineS = v.deadline !== undefined ? Number(v.deadline) : quick ? 240 : 270;
  if (!(deadlineS > 0)) throw new Error(`--deadline must be a number of seconds > 0, got '${v.deadline}'`);
  const only = new Set((v.only ?? 'fma,matmul,train').split(','));
  const t0 = performance.now();
  const end = t0 + deadlineS * 1000;
  mkdirSync(v.out, { recursive: true });
  const run: GpuRun = {
    tool: 'bench/gpu.ts', startedAt: new Date().toISOString(), quick, args: argv, deadlineSeconds: deadlineS, implementation: nodeImplementation(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, os: `${osType()} ${release()}` }, sections: {}, errors: [],
  };
  const save = () => {
    run.elapsedSeconds = (performance.now() - t0) / 1000;
    run.finishedAt = new Date().toISOString();
    writeFileSync(join(v.out!, 'gpu.json'), `${JSON.stringify(run, null, 1)}\n`);
    writeFileSync(join(v.out!, 'gpu.md'), gpuMarkdown(run));
  };
  // The hard stop: whatever hangs, the results so far are written (the sections stop themselves sooner).
  setTimeout(() => { run.timedOut = true; run.errors.push(`the global deadline (${deadlineS} s + 20 s) stopped the run`); save(); process.exit(4); }, deadlineS * 1000 + 20_000).unref();

  let ctx: GpuContext;
  try {
    ctx = await acquireDevice({ softwareDriver: (v.driver ?? 'auto') as SoftwareDriver });
  } catch (e) {
    run.errors.push(`no adapter: ${(e as Error).message}`);
    console.error(`error: ${(e as Error).message}`);
    await listAdapters();
    save();
    return 2;
  }
  const info = ctx.adapterInfo;
  const limits = Object.fromEntries(LIMITS.map((k) => [k, Number((ctx.device.limits as unknown as Record<string, number>)[k])]));
  run.adapter = { ...info, features: [...ctx.features].sort(), limits };
  run.gpu = !info.isSoftware;
  console.log(`adapter: ${describeAdapter(info)}`);
  console.log(`  vendor '${info.vendor}', architecture '${info.architecture}', device '${info.device}', description '${info.description}'`);
  console.log(`  features: ${run.adapter.features.join(', ')}; ${Object.entries(limits).map(([k, x]) => `${k} ${x}`).join(', ')}`);
  console.log(`  ${run.implementation}; deadline ${deadlineS} s${quick ? ' (quick)' : ''}`);
  if (info.isSoftware) {
    console.error('WARNING: this is a software adapter (a CPU), not a GPU: its figures say nothing about a GPU.');
    await listAdapters();
    if (!quick && !v['allow-software']) {
      run.errors.push('a software adapter: the full run needs a GPU (--quick or --allow-software runs it anyway)');
      save();
      ctx.destroy();
      return 3;
    }
  }
  save();

  const key = adapterKey(info, run.implementation);
  const store = fileTuneStore(join(v.out, 'tune.json'));
  // Each section may take its share of what is left, and never past the deadline (a few seconds kept for writing).
  const section = async (name: string, share: number, body: (left: () => number) => Promise<void>) => {
    if (!only.has(name)) return;
    const s0 = performance.now();
    const stop = Math.min(end - 5000, s0 + share * (end - 5000 - s0));
    console.log(`\n${name}`);
    try {
      await body(() => stop - performance.now());
    } catch (e) {
      run.errors.push(`${name}: ${(e as Error).message}`);
      console.error(`  ${name} failed: ${(e as Error).stack ?? (e as Error).message}`);
    }
    run.sections[name] = (performance.now() - s0) / 1000;
    save();
  };
  try {
    await section('fma', 0.1, async (left) => {
      const rt = Runtime.forContext(ctx);
      run.fma = await fmaPeak(rt, { invocations: quick ? 1 << 15 : 1 << 20, iters: quick ? 128 : 2048, sampleMs: quick ? 10 : 30, samples: quick ? 3 : 7, left });
      for (const p of run.fma.points) console.log(`  fma ${p.form} wg ${p.workgroupSize}: ${p.ms.toFixed(3)} ms, ${p.gflops.toFixed(0)} GFLOP/s (wall ${p.wallMs.toFixed(3)} ms)`);
      rt.destroy();
    });
    await section('matmul', 0.5, async (left) => {
      const tuner = await Tuner.open({ adapterKey: key, store, twins: TUNE_TWINS, rounds: quick ? 2 : 3, sampleMs: quick ? 5 : 20, warn: (m) => console.warn(`  warning: ${m}`) });
      const rt = Runtime.forContext(ctx, { schedules: tuner });
      const sizes = v.sizes ? ints('sizes', v.sizes) : quick ? [128, 256] : [1024, 2048, 4096, 8192];
      run.matmul = await squareMatmuls(rt, tuner, { sizes, sampleMs: quick ? 10 : 50, samples: quick ? 3 : 5, checkRows: 4, peakGflops: run.fma?.best?.gflops, left, log: console.log });
      rt.destroy();
    });
    await section('train', 1, async (left) => {
      const split = await loadEmbeddedMnist();
      const first = (ds: Dataset, n: number | undefined) => (n === undefined || n >= ds.count ? ds : subset(ds, Array.from({ length: n }, (_, i) => i)));
      const examples = v.examples ? ints('examples', v.examples)[0] : quick ? 512 : undefined;
      const testExamples = v['test-examples'] ? ints('test-examples', v['test-examples'])[0] : quick ? 256 : undefined;
      run.epochs = await trainEpochs(ctx, {
        models: (v.models ?? 'mlp,conv,iwae').split(','), batch: v.batch ? ints('batch', v.batch)[0] : quick ? 32 : 128,
        train: first(split.train, examples), test: first(split.test, testExamples), adapterKey: key, store,
        tuneBudgetMs: 1000 * (v['tune-budget'] !== undefined ? Number(v['tune-budget']) : quick ? 3 : 10), left, log: console.log,
      });
    });
  } finally {
    save();
    ctx.destroy();
  }
  console.log(`\nwrote ${join(v.out, 'gpu.json')} and gpu.md (${run.elapsedSeconds!.toFixed(1)} s)`);
  return run.errors.length ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
