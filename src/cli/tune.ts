// `npm run tune`: tunes the kernel schedules of a model's shapes on this adapter (the default model
// at batch 128, or --arch/--batch/--hidden/--latent), prints every candidate's time per shape class and
// the choice, what the choices gain per training step, and remembers them for `npm run train`.
import { parseArgs } from 'node:util';
import { acquireDevice, describeAdapter, type SoftwareDriver } from '../gpu/device';
import { Runtime } from '../gpu/runtime';
import { resolveConfig, describeConfig, type VaeConfigInput } from '../model/config';
import { GpuVae } from '../vae/gpu-vae';
import { ARCHITECTURES, presetConfig } from '../model/presets';
import { CountingChooser, gainTable, stepGain } from '../tune/gain';
import { TUNE_TWINS } from '../cpu/tune-twins';
import { defaultTuneCachePath, openNodeTuner } from '../tune/node-cache';
import { describeTune, tuneTable } from '../tune/report';

const HELP = `Usage: npm run tune -- [options]

Times each kernel's candidate schedules on the shapes of a model (interleaved rounds, GPU timestamps
when the adapter has them), keeps the fastest (the rule's unless another is faster by the margin),
prints the table and what the choices gain per training step (each class's rule and choice times
the class's dispatches in one step, beside a step measured on the choices), and remembers the choices
per adapter and driver version for \`npm run train\`. A budget that runs out keeps what was measured:
the next run resumes it.

Options:
  --arch A         mlp | conv | keras: the model's layers (default mlp)
  --batch N        batch size (default 128)
  --hidden LIST    hidden widths (default 400)
  --latent N       latent dimensions (default 20)
  --cache FILE     the tune cache (default ${defaultTuneCachePath()})
  --fresh          time again even the shape classes the cache holds
  --rounds N       interleaved rounds per shape class (default 7)
  --budget S       seconds the tuning may take (default 300)
  --margin X       fraction by which a candidate must beat the rule's (default 0.05)
  --driver D       auto | lavapipe | swiftshader (default auto)
  --json FILE      also write the report as JSON`;

function positive(name: string, v: string | undefined, def: number, integer = true): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got '${v}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      arch: { type: 'string' }, batch: { type: 'string' }, hidden: { type: 'string' }, latent: { type: 'string' }, cache: { type: 'string' }, fresh: { type: 'boolean' },
      rounds: { type: 'string' }, budget: { type: 'string' }, margin: { type: 'string' }, driver: { type: 'string' }, json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { console.log(HELP); return 0; }
  const input: VaeConfigInput = {};
  if (values.hidden) input.encoderHidden = values.hidden.split(',').map((w) => positive('hidden', w.trim(), 400));
  if (input.encoderHidden) input.decoderHidden = [...input.encoderHidden].reverse();
  if (values.latent) input.latent = positive('latent', values.latent, 20);
  const arch = values.arch ?? 'mlp';
  if (!(ARCHITECTURES as readonly string[]).includes(arch)) throw new Error(`--arch must be ${ARCHITECTURES.join(', ')}, got '${arch}'`);
  if (arch !== 'mlp' && values.hidden) throw new Error(`--hidden is for --arch mlp; the ${arch} architecture has its own layers`);
  const config = resolveConfig(arch === 'mlp' ? input : presetConfig(arch, input));
  const batch = Math.max(1, positive('batch', values.batch, 128));
  const ctx = await acquireDevice({ softwareDriver: (values.driver ?? 'auto') as SoftwareDriver });
  try {
    console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}; timing: ${ctx.features.has('timestamp-query') ? 'GPU timestamps' : 'wall time around onSubmittedWorkDone'}`);
    const cachePath = values.cache ?? defaultTuneCachePath();
    const tuner = await openNodeTuner(ctx.adapterInfo, {
      cachePath, twins: TUNE_TWINS, fresh: !!values.fresh, rounds: positive('rounds', values.rounds, 7), budgetMs: 1000 * positive('budget', values.budget, 300, false),
      margin: positive('margin', values.margin, 0.05, false), warn: (m) => console.warn(`warning: ${m}`),
    });
    console.log(`model: ${describeConfig(config)}, batch ${batch}; cache ${cachePath}; adapter key ${tuner.adapterKey}`);
    const counter = new CountingChooser(tuner);
    const rt = Runtime.forContext(ctx, { schedules: counter });
    const vae = new GpuVae(rt, config, { maxBatch: batch });
    let stepMs: number;
    let counts: Map<string, number>;
    try {
      await vae.precompile();
      // One step's dispatches per class (counted while its pass is built), then a step on the choices:
      // three queued, the last read back, after the first.
      const x = new Float32Array(batch * config.inputDim).map((_, i) => ((i * 2654435761) >>> 0) % 5 === 0 ? 1 : 0);
      counts = await counter.count(() => vae.trainStep(x, true));
      const t0 = performance.now();
      vae.trainStep(x);
      vae.trainStep(x);
      await vae.trainStep(x, true);
      stepMs = (performance.now() - t0) / 3;
    } finally {
      vae.dispose();
    }
    const report = rt.lastTune!;
    const gain = stepGain(report, counts);
    console.log(tuneTable(report));
    console.log(`\nwhat the choices gain in a training step (batch ${batch}):\n${gainTable(gain, stepMs)}`);
    console.log(describeTune(report));
    if (values.json) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.json, `${JSON.stringify({ adapter: ctx.adapterInfo, config, batch, ...report, gain: { ...gain, stepMs } }, null, 1)}\n`);
    }
    rt.destroy();
    return 0;
  } finally {
    ctx.destroy();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
