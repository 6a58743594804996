// The CLI's training data: 'mnist' (the embedded 9,000 / 1,000 split, as always) or any path the data
// readers take (src/data/load-node.ts), with --test / --test-fraction for the test part and the
// --max-memory cap. Planned from headers first (shape known, every claim checked against the cap),
// so the model can be sized to the data before anything is read; then loaded as uint8-backed views.
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { datasetView, validateDataset, type Dataset } from '../data/dataset';
import { describeShape, splitImages, DATA_SPLIT_SEED, type ImageSet, type ImageShape } from '../data/image-set';
import { planImages } from '../data/load-node';
import { defaultMaxMemory, formatBytes, MemoryBudget } from '../data/memory-cap';
import { loadEmbeddedMnist, MNIST_COLS, MNIST_ROWS } from '../data/mnist';
import { describeInput, type VaeConfig, type VaeConfigInput } from '../model/config';
import { presetConfig, type Architecture } from '../model/presets';
import type { Cli } from './args';
import { dataDigest, EMBEDDED_DATA_NAME } from './resume-check';
import { fail } from './usage-error';

export interface LoadedData {
  train: Dataset;
  test: Dataset;
  name: string;
  /** 'mnist' or the data's absolute path (what a resume without --data reads). */
  spec: string;
  digest: string;
  shape: ImageShape;
  /** --test's absolute path, when the test set came from it. */
  testSpec?: string;
  /** The fraction held out as the test part, when the data was split (the flag's or the default). */
  testFraction?: number;
}

export interface DataPlan {
  shape: ImageShape;
  /** What was found and chosen, one line each (printed before training). */
  notes: string[];
  load(config: VaeConfig): Promise<LoadedData>;
}

export const DEFAULT_TEST_FRACTION = 0.1;
const MNIST_SHAPE: ImageShape = { height: MNIST_ROWS, width: MNIST_COLS, channels: 1 };

/** Reads the data's headers (nothing more) and checks the test flags against what the data holds. */
export async function planData(cli: Pick<Cli, 'test' | 'testFraction' | 'maxMemory'>, spec: string): Promise<DataPlan> {
  if (spec === 'mnist') {
    if (cli.test !== undefined || cli.testFraction !== undefined) fail(`--data mnist has its fixed split of 9,000 training and 1,000 test digits; --test and --test-fraction are for other data`);
    return { shape: MNIST_SHAPE, notes: [], load: (config) => loadMnist(config) };
  }
  const cap = cli.maxMemory ?? defaultMaxMemory(totalmem());
  const budget = new MemoryBudget(cap, '--max-memory');
  const data = await planImages(spec, budget);
  const test = cli.test !== undefined ? await planImages(cli.test, budget) : undefined;
  const notes = [...data.notes, ...(test?.notes ?? [])];
  if (test && describeShape(test.shape) !== describeShape(data.shape)) {
    fail(`--test ${cli.test}: its images are ${describeShape(test.shape)} but the training images (${data.describe}) are ${describeShape(data.shape)}; expected one shape`);
  }
  return {
    shape: data.shape,
    notes: [...notes, `data: ${formatBytes(budget.used)} claimed by the headers (cap ${formatBytes(cap)})`],
    load: async (config) => {
      const parts = await data.load();
      let train = parts.train, testSet: ImageSet;
      let name = data.describe, split: Pick<LoadedData, 'testSpec' | 'testFraction'> = {};
      if (test) {
        testSet = (await test.load()).train;
        if (parts.test) console.log(`--test ${cli.test}: replaces the test part ${data.describe} has of its own`);
        name = `${data.describe}, test ${test.describe}`;
        split = { testSpec: resolve(cli.test!) };
      } else if (parts.test) {
        if (cli.testFraction !== undefined) fail(`--test-fraction: ${data.describe} has a test part of its own (${parts.test.count} images); leave --test-fraction out, or give --test`);
        testSet = parts.test;
      } else {
        const f = cli.testFraction ?? DEFAULT_TEST_FRACTION;
        ({ train, test: testSet } = splitImages(parts.train, f, DATA_SPLIT_SEED));
        console.log(`test part: ${testSet.count} of ${parts.train.count} images held out (fraction ${f}, fixed seed ${DATA_SPLIT_SEED}); ${train.count} train`);
        name = `${data.describe} (${train.count} train / ${testSet.count} test, fraction ${f})`;
        split = { testFraction: f };
      }
      if (describeShape(testSet.shape) !== describeShape(train.shape)) {
        fail(`the test images (${testSet.source}) are ${describeShape(testSet.shape)} but the training images are ${describeShape(train.shape)}; expected one shape`);
      }
      checkInput(config, train.shape);
      const [tr, te] = [datasetView(train), datasetView(testSet)];
      validateDataset(tr, { likelihood: config.likelihood });
      validateDataset(te, { likelihood: config.likelihood });
      return { train: tr, test: te, name, spec: resolve(spec), digest: dataDigest(tr), shape: train.shape, ...split };
    },
  };
}

async function loadMnist(config: VaeConfig): Promise<LoadedData> {
  const split = await loadEmbeddedMnist();
  checkInput(config, MNIST_SHAPE);
  validateDataset(split.train, { likelihood: config.likelihood });
  validateDataset(split.test, { likelihood: config.likelihood });
  return { ...split, name: EMBEDDED_DATA_NAME, spec: 'mnist', digest: dataDigest(split.train), shape: MNIST_SHAPE };
}

function checkInput(config: VaeConfig, shape: ImageShape): void {
  const dim = shape.height * shape.width * shape.channels;
  if (config.inputDim !== dim) fail(`the data's images are ${describeShape(shape)} = ${dim} values; the model takes ${describeInput(config)} (a checkpoint's model keeps its input size)`);
  if (config.image && describeShape(config.image) !== describeShape(shape)) {
    fail(`the data's images are ${describeShape(shape)}; the model takes ${describeInput(config)}: the same number of values in another shape (a checkpoint's model keeps its image shape)`);
  }
}

/**
 * The config the flags ask for, sized to the data: its inputDim and image become the data's shape;
 * --arch conv or keras builds its layers for that shape (H and W divisible by 4, any channels) with
 * --channels' widths; the MLP takes any H×W×C (its input is the flattened image).
 */
export function configForData(config: VaeConfigInput, arch: Architecture | undefined, shape: ImageShape, channels?: [number, number]): VaeConfigInput {
  const sized = { ...config, inputDim: shape.height * shape.width * shape.channels, image: { ...shape } };
  if (arch === undefined || arch === 'mlp') return sized;
  try {
    const preset = presetConfig(arch, sized, { shape, ...(channels ? { channels } : {}) });
    return { ...sized, latent: preset.latent, encoder: preset.encoder, decoder: preset.decoder };
  } catch (e) {
    fail(`--arch ${arch}: ${(e as Error).message.replace(/^\w+ preset: /, '')}; this data is ${describeShape(shape)}`);
  }
}
