// A fixed, seeded binarization of an evaluation set (the protocol of Burda et al. and later papers:
// train with dynamic binarization, evaluate on one binarized copy of the test set). Pixel i becomes 1
// with probability equal to its value, from Philox(seed) on the binarize stream at a step word no
// training step uses, so every run with the same seed evaluates on the very same binary digits.
import { STREAMS, seedKey } from '../base/words';
import { philox4x32 } from '../cpu/philox';
import type { Dataset } from './dataset';

/** The step word of the fixed binarization (training batches use steps below it). */
const FIXED_STEP = 0xffffffff;
/** The seed every run uses unless told otherwise: runs of different seeds share one test set. */
export const TEST_BINARIZATION_SEED = 0;

export function binarizeFixed(ds: Dataset, seed = TEST_BINARIZATION_SEED): Dataset {
  const key = seedKey(seed);
  const src = ds.images, out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const r = philox4x32([i >>> 0, FIXED_STEP, STREAMS.binarize, Math.floor(i / 2 ** 32)], key);
    for (let k = 0; k < 4 && i + k < src.length; k++) out[i + k] = r[k] / 4294967296 < src[i + k] ? 1 : 0;
  }
  return { ...ds, images: out };
}
