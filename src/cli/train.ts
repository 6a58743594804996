// `npm run train`: trains a VAE on the embedded MNIST split (or the user's data: src/cli/load-data.ts)
// on the best adapter found, with a progress bar and per-epoch train/test −ELBO, and writes a run
// folder: model.safetensors (weights, Adam moments, step, config, run metadata), metrics.json, reconstructions.png,
// samples.png (manifold.png when the latent is 2-D). `--resume` continues a run exactly where its
// checkpoint left it. Everything that can be checked is checked before the first step: flags, the
// checkpoint and its agreement with the flags, the run folder (free, locked, writable), the data,
// the model's size, the step budget and the earlier metrics.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { acquireDevice, describeAdapter } from '../gpu/device';
import { Runtime } from '../gpu/runtime';
import { TUNE_TWINS } from '../cpu/tune-twins';
import { openNodeTuner } from '../tune/node-cache';
import { describeTune } from '../tune/report';
import { tuneForRun } from '../tune/run-budget';
import { resolveConfig, describeConfig, imageChannels, objectiveKind, type VaeConfig } from '../model/config';
import { decodeCheckpoint, encodeCheckpoint, restoreState, type TrainingState } from '../model/checkpoint';
import { readCheckpointBytes, writeFileAtomic } from '../model/checkpoint-file';
import { parseRunMetadata, runMetadataStrings, type RunMetadata } from '../model/run-metadata';
import { modelSizeProblem } from '../model/model-size';
import { GpuVae } from '../vae/gpu-vae';
import { CpuBackend } from '../train/cpu-backend';
import { train, TrainingStopped, snapshotState, stepsPerEpoch, type EpochMetrics, type Progress, type TrainBackend } from '../train/trainer';
import { CheckpointError } from '../model/safetensors';
import { HELP, MAX_STEPS, parseCli } from './args';
import { fail, UsageError } from './usage-error';
import { createDefaultRunFolder, openRunFolder, type FolderMode } from './run-folder';
import { readRunMetrics } from './run-metrics';
import { binarizeFixed, TEST_BINARIZATION_SEED } from '../data/fixed-binarize';
import { parseObjective } from '../model/vae-graph';
import { checkSchedule } from '../optim/schedule';
import { earlyStopState, validationSplit } from '../train/early-stop';
import { checkResumeData, planResume, type ResumeDecision } from './resume-check';
import { configForData, planData } from './load-data';
import { pictureFiles, writeRunImages } from './run-images';
import { labelClasses } from '../train/labels';
import { bitsPerDim, reportsBits } from '../eval/bits';

export { parseCli };

function progressBar(p: Progress, tty: boolean): string {
  const width = 28;
  const frac = Math.min(1, p.step / p.totalSteps);
  const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·');
  const eta = Number.isFinite(p.etaSeconds) ? `${Math.max(0, Math.round(p.etaSeconds))}s` : '?';
  const loss = Number.isFinite(p.loss) ? p.loss.toFixed(2) : '…';
  const text = `${bar} ${(frac * 100).toFixed(0).padStart(3)}% step ${p.step}/${p.totalSteps} · ${p.stepsPerSecond.toFixed(1)} steps/s · loss ${loss} · ETA ${eta}`;
  return tty ? `\r${text}\x1b[K` : `${text}\n`;
}

const fmt = (v: number) => v.toFixed(2);

type CliBackend = TrainBackend & {
  reconstruct(x: Float32Array, options?: { labels?: ArrayLike<number> }): Promise<Float32Array>;
  decode(z: Float32Array, options?: { labels?: ArrayLike<number> }): Promise<Float32Array>;
  /** −L_k (a loss, the sign of evaluate's). */
  evaluateLk(i: Float32Array, c: number, k: number, options?: { onProgress?: (done: number, total: number) => void; labels?: ArrayLike<number> }): Promise<number>;
  activeUnits(i: Float32Array, c: number, options?: { labels?: ArrayLike<number> }): Promise<{ active: number }>;
};

export async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli === 'help') {
    console.log(HELP);
    return 0;
  }
  // The checkpoint (read no further than its header says) and what the flags may change of it.
  let resumed: TrainingState | undefined;
  let meta: RunMetadata = {};
  let plan: ResumeDecision | undefined;
  let resumeFolder: string | undefined;
  if (cli.resume) {
    let resumePath = resolve(cli.resume);
    if (existsSync(resumePath) && statSync(resumePath).isDirectory()) resumePath = join(resumePath, 'model.safetensors');
    if (!existsSync(resumePath)) fail(`--resume ${cli.resume}: no such checkpoint`);
    resumeFolder = join(resumePath, '..');
    resumed = decodeCheckpoint(await readCheckpointBytes(resumePath), undefined, resumePath);
    meta = parseRunMetadata(resumed.extra, resumePath);
    plan = planResume(cli, resumed, meta);
  }
  // The data's headers (shape, the --max-memory claims) before the model is sized to them.
  const dataPlan = await planData(plan ? { ...cli, ...plan.testFlags } : cli, plan?.dataSpec ?? cli.data ?? 'mnist');
  const config = plan?.config ?? resolveConfig(configForData(cli.config, cli.arch, dataPlan.shape, cli.channels));
  if (resumed && !resumed.adam) console.log('the checkpoint holds weights only (e.g. converted from PyTorch): Adam starts fresh, with zero moments');
  const tooBig = modelSizeProblem(config);
  if (tooBig) fail(tooBig);
  const batch = plan?.batch ?? cli.batch ?? 128;
  const binarize = plan?.binarize ?? !!cli.binarize;
  // With dynamic binarization of the training batches, evaluation uses one fixed seeded binary copy of the test set.
  const testBinarization = binarize ? `fixed (seed ${TEST_BINARIZATION_SEED})` : 'none';

  // The run folder: taken (locked) before anything is loaded or trained.
  const out = cli.out !== undefined ? resolve(cli.out) : resumeFolder ?? (await createDefaultRunFolder(resolve('runs')));
  if (cli.overwrite && resumeFolder !== undefined && out === resumeFolder) {
    fail(`--overwrite with --resume ${cli.resume} would delete the run being resumed; leave --overwrite out, or --out another folder`);
  }
  const mode: FolderMode = cli.overwrite ? 'overwrite' : resumeFolder !== undefined && out === resumeFolder ? 'resume' : 'new';
  const folder = await openRunFolder(out, mode, cli.out !== undefined ? '--out' : resumed ? '--resume' : 'run folder');
  if (folder.removed.length) console.log(`--overwrite: removed ${folder.removed.join(', ')} of the earlier run in ${out}`);
  let cleanup = () => {};
  try {
    for (const n of dataPlan.notes) console.log(n);
    const loaded = await dataPlan.load(config);
    if (plan && cli.conditional && !config.conditional) fail(`--conditional: the checkpoint ${cli.resume} is of an unconditional model; a resumed run keeps its model (leave --conditional out)`);
    if (!plan && cli.conditional) {
      // The classes the training labels span (their names' count where the data names them).
      try {
        config.conditional = { classes: Math.max(2, labelClasses(loaded.train, 'training')) };
      } catch (e) {
        fail(`--conditional: ${(e as Error).message}`);
      }
    }
    const data = binarize ? { ...loaded, test: binarizeFixed(loaded.test) } : loaded;
    // A conditional model's evaluation and pictures take the test images' own labels.
    const testLabels = config.conditional ? { labels: data.test.labels.subarray(0, data.test.count) } : {};
    const notes = [...(plan?.notes ?? []), ...(resumed ? checkResumeData(meta, data) : [])];
    for (const n of notes) console.log(n);
    const maxBatch = Math.min(batch, data.train.count);
    // Early stopping holds a validation split out of the training set (fixed by the data, so a resume splits alike).
    const split = (plan ? config.schedule?.earlyStop : cli.schedule?.earlyStop) ? validationSplit(data.train) : undefined;
    const perEpoch = stepsPerEpoch((split?.train ?? data.train).count, maxBatch);
    if (perEpoch * cli.epochs > MAX_STEPS) {
      fail(`--epochs ${cli.epochs} × ${perEpoch} steps per epoch = ${perEpoch * cli.epochs} steps, more than the ${MAX_STEPS} a run can count`);
    }
    if (cli.schedule) {
      const want = { ...cli.schedule, horizon: perEpoch * cli.epochs };
      if (plan) {
        const had = config.schedule ?? {};
        if ((had.lr ?? 'constant') !== want.lr || (had.lrWarmup ?? 0) !== want.lrWarmup || (had.klWarmup ?? 0) !== want.klWarmup || had.clipGrad !== want.clipGrad || had.earlyStop !== want.earlyStop) {
          fail(`--resume: --lr-schedule ${want.lr} --lr-warmup ${want.lrWarmup} --kl-warmup ${want.klWarmup} --clip-grad ${want.clipGrad ?? 'none'} conflicts with the checkpoint, which has ${had.lr ?? 'constant'}, lr warm-up ${had.lrWarmup ?? 0}, KL warm-up ${had.klWarmup ?? 0}, clip ${had.clipGrad ?? 'none'}, early stop ${had.earlyStop ?? 'none'}; leave them out to continue the run`);
        }
      } else config.schedule = checkSchedule(want);
    }
    if (resumed && resumed.step >= perEpoch * cli.epochs) {
      console.log(`checkpoint is already at step ${resumed.step} (epoch ${(resumed.step / perEpoch).toFixed(2)}); raise --epochs to train further`);
      return 0;
    }
    const history: EpochMetrics[] = resumed && resumeFolder ? await readRunMetrics(join(resumeFolder, 'metrics.json'), Math.ceil(resumed.step / perEpoch), resumed.step, metricKeys(config)) : [];

    let backend: CliBackend;
    if (cli.backend === 'gpu') {
      const ctx = await acquireDevice({ softwareDriver: cli.driver });
      console.log(`adapter: ${describeAdapter(ctx.adapterInfo)}`);
      const tuner = cli.tune ? await openNodeTuner(ctx.adapterInfo, { cachePath: cli.tuneCache, twins: TUNE_TWINS, warn: (m) => console.warn(`warning: ${m}`) }) : null;
      const rt = Runtime.forContext(ctx, { schedules: tuner });
      let vae: GpuVae;
      try {
        const make = (c: VaeConfig, params?: Float32Array) => new GpuVae(rt, c, { maxBatch, params });
        const build = () => (resumed ? restoreState({ ...resumed, config }, make) : make(config));
        if (tuner) {
          // Tuning takes a small share of the run (src/tune/run-budget.ts); the model is built after it.
          const t = await tuneForRun({
            tuner, build, lastTune: () => rt.lastTune!, batch: data.train.images.subarray(0, maxBatch * config.inputDim),
            ...(config.conditional ? { labels: Uint32Array.from(data.train.labels.subarray(0, maxBatch)) } : {}),
            plannedSteps: perEpoch * cli.epochs - (resumed?.step ?? 0), budgetMs: cli.tuneBudget === undefined ? undefined : 1000 * cli.tuneBudget,
          });
          vae = t.model;
          console.log(t.why);
          console.log(describeTune(t.report));
        } else vae = build();
      } catch (e) {
        rt.destroy();
        ctx.destroy();
        throw e;
      }
      console.log(`memory plan: ${(vae.bytes / 1e6).toFixed(2)} MB of GPU buffers (${vae.bytes} bytes)`);
      backend = vae;
      cleanup = () => { vae.dispose(); rt.destroy(); ctx.destroy(); };
    } else {
      const make = (c: VaeConfig, params?: Float32Array) => new CpuBackend(c, params, maxBatch);
      const cpu = resumed ? restoreState({ ...resumed, config }, make) : make(config);
      console.log('backend: CPU reference (float64)');
      backend = cpu;
    }

    const metricsPath = join(out, 'metrics.json');
    const writeMetrics = async (extra: Record<string, unknown> = {}) => {
      const body = { config, data: data.name, dataShape: data.shape, batch, binarize, binarization: { train: binarize ? 'dynamic' : 'none', test: testBinarization }, backend: cli.backend, epochs: history, ...extra };
      await writeFileAtomic(metricsPath, new TextEncoder().encode(JSON.stringify(body, null, 2) + '\n'));
    };
    const checkpointPath = join(out, 'model.safetensors');
    const extra = () => runMetadataStrings({
      batch, epochsPlanned: cli.epochs, data: data.name, dataSpec: data.spec, testSpec: data.testSpec, testFraction: data.testFraction, dataDigest: data.digest,
      trainCount: data.train.count, binarize, backend: cli.backend,
    });

    console.log(`model: ${describeConfig(config)}, batch ${batch}, ${cli.epochs} epochs on ${data.name}${binarize ? ', binarized' : ''}`);
    console.log(`run folder: ${out}${resumed ? ` (resuming at step ${resumed.step})` : ''}`);
    const tty = !!process.stderr.isTTY;
    let lastPrinted = -1;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    try {
      // train() counts epochs from the model's step: the ones still to do of --epochs (a resumed
      // checkpoint written inside an epoch finishes it as the first of them).
      await train(backend, {
        epochs: cli.epochs - Math.floor(backend.step / perEpoch),
        batch,
        train: split?.train ?? data.train,
        test: data.test,
        ...(split ? { earlyStop: { validation: split.validation, patience: config.schedule!.earlyStop!, history: [...history] } } : {}),
        binarize,
        readEvery: cli.readEvery,
        signal: controller.signal,
        extra,
        onProgress: (p) => {
          const decile = Math.floor((10 * p.step) / p.totalSteps);
          if (tty || decile !== lastPrinted) {
            process.stderr.write(progressBar(p, tty));
            lastPrinted = decile;
          }
        },
        onEpoch: async (m, state) => {
          if (tty) process.stderr.write('\n');
          const { labels, parts } = backend.objective;
          const line = (r: Record<string, number>) => `${labels.loss} ${fmt(r[labels.key])} (${parts.map((p) => `${labels.parts[p] ?? p} ${fmt(r[p])}`).join(', ')})`;
          const bits = bitsOf(config, backend.objective.bound(Object.fromEntries(parts.map((p) => [p, m.test[p]]))));
          if (bits !== undefined) m.testBitsPerDim = bits;
          console.log(`epoch ${m.epoch}/${cli.epochs}: train ${line(m.train)} · test ${line(m.test)} nats${bits !== undefined ? ` (−ELBO ${bits.toFixed(4)} bits/dim)` : ''} · ${m.stepsPerSecond.toFixed(1)} steps/s`);
          history.push(m);
          const snapshot = encodeCheckpoint(await state());
          await writeFileAtomic(checkpointPath, snapshot);
          if (split) {
            const s = earlyStopState(history, labels.key);
            console.log(`validation ${labels.loss} ${fmt(m.validation![labels.key])} (best ${fmt(s.best)} at epoch ${s.bestEpoch}${s.since ? `, ${s.since} epoch${s.since > 1 ? 's' : ''} without improvement` : ''})`);
            if (s.since === 0) await writeFileAtomic(join(out, 'best.safetensors'), snapshot);
          }
          await writeMetrics();
        },
      });
    } catch (e) {
      if (e instanceof TrainingStopped) {
        if (tty) process.stderr.write('\n');
        console.error(e.message);
        console.error(existsSync(checkpointPath) ? `last good checkpoint: ${checkpointPath}` : 'no checkpoint was written before the stop');
        return 3;
      }
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
    }

    let lk: number | undefined;
    if (cli.evalK > 0) {
      const t0 = performance.now();
      let shown = 0;
      lk = -(await backend.evaluateLk(data.test.images, data.test.count, cli.evalK, { ...testLabels, onProgress: (done, total) => {
        if (cli.evalK < 500 || done - shown < total / 10 && done < total) return;
        shown = done;
        process.stderr.write(`L_${cli.evalK}: ${Math.round((100 * done) / total)}% of ${total} sample passes\n`);
      } }));
      const lkBits = bitsOf(config, -lk);
      console.log(`test L_${cli.evalK} = ${fmt(lk)} nats (−L_${cli.evalK} = ${fmt(-lk)} ≤ ${backend.objective.labels.loss} ${fmt(history.at(-1)!.test[backend.objective.labels.key])})${lkBits !== undefined ? `, ${lkBits.toFixed(4)} bits/dim` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    if (split) {
      const s = earlyStopState(history, backend.objective.labels.key);
      if (history.length && history.at(-1)!.step < perEpoch * cli.epochs) console.log(`early stop after epoch ${history.at(-1)!.epoch}: no better validation loss for ${s.since} epochs; best.safetensors holds epoch ${s.bestEpoch}`);
    }
    const units = await backend.activeUnits(data.test.images, data.test.count, testLabels);
    console.log(`active units (Cov_x E_q[z_u|x] > 0.01): ${units.active} of ${config.latent}`);
    await writeMetrics({
      final: { step: backend.step, ...(split ? earlyStopFinal(history, backend.objective.labels.key, perEpoch * cli.epochs) : {}), activeUnits: units.active, testBinarization, objective: objectiveKind(config), ...finalTest(backend.objective, history.at(-1)?.test), ...(lk !== undefined ? { k: cli.evalK, testLk: lk, testNegLk: -lk } : {}), ...finalBits(config, history.at(-1), lk) },
    });
    await writeRunImages(out, backend, data.test, config, maxBatch);
    // The last epoch's checkpoint is the final state; write it again only if none exists yet.
    if (!existsSync(checkpointPath)) await writeFileAtomic(checkpointPath, encodeCheckpoint(await snapshotState(backend, extra())));
    console.log(`wrote ${['model.safetensors', 'metrics.json', ...pictureFiles(config)].join(', ')} to ${out}`);
    return 0;
  } finally {
    cleanup();
    folder.release();
  }
}

// Run when executed directly (the bundled dist/cli/train.mjs), not when imported by tests.
const invoked = process.argv[1] && /train\.(m?js|ts)$/.test(process.argv[1]);
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof UsageError || e instanceof CheckpointError) console.error(`error: ${e.message}\n(see --help)`);
      else console.error(e instanceof Error ? `error: ${e.message}` : e);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}

/**
 * The test figures of metrics.json's `final`: testNegElbo is the ELBO objective's loss; for an
 * importance-weighted objective it is the samples' mean rec + sampled KL (an unbiased −ELBO), beside
 * the objective's own −L_{k_train} (testNegLkTrain).
 */
function finalTest(o: CliBackend['objective'], test: Record<string, number> | undefined): Record<string, number | undefined> {
  if (!test) return { testNegElbo: undefined };
  if (o.labels.key === 'elbo') return { testNegElbo: test.elbo };
  return { testNegElbo: o.bound(Object.fromEntries(o.parts.map((p) => [p, test[p]]))), testNegLkTrain: test[o.labels.key] };
}

/** A test bound in bits per dimension, for the likelihoods and data that report it (else undefined). */
function bitsOf(config: VaeConfig, nats: number): number | undefined {
  return reportsBits(config.likelihood, imageChannels(config)) ? bitsPerDim(nats, config.inputDim, config.likelihood) : undefined;
}

/** metrics.json `final`'s bits per dimension: of the test −ELBO and of −L_k, and the convention used. */
function finalBits(config: VaeConfig, last: EpochMetrics | undefined, lk: number | undefined): Record<string, unknown> {
  if (!reportsBits(config.likelihood, imageChannels(config))) return {};
  const lkBits = lk !== undefined ? bitsOf(config, -lk) : undefined;
  return {
    ...(last?.testBitsPerDim !== undefined ? { testBitsPerDim: last.testBitsPerDim } : {}),
    ...(lkBits !== undefined ? { testNegLkBitsPerDim: lkBits } : {}),
    bitsPerDim: config.likelihood === 'gaussian' ? '(nats/D + ln 256)/ln 2: the density on [0, 1] data, dequantized 8-bit levels' : 'nats/(D·ln 2): a discrete likelihood',
  };
}

/** The keys of an epoch's loss entries for this config's objective: its loss key and its parts. */
function metricKeys(config: VaeConfig): string[] {
  const { kind, attrs } = parseObjective(config);
  return [kind.labels(attrs).key, ...kind.parts(attrs)];
}

/** metrics.json `final`'s early-stopping figures: the best epoch, its validation loss, whether it stopped early. */
function earlyStopFinal(history: EpochMetrics[], key: string, planned: number): Record<string, unknown> {
  if (!history.length) return {};
  const s = earlyStopState(history, key);
  return { bestEpoch: s.bestEpoch, bestValidation: s.best, stoppedEarly: history.at(-1)!.step < planned };
}
