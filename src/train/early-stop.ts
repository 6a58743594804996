// Early stopping on a held-out validation bound. The validation split comes out of the training set
// (every 10th training example; never the test set), the criterion is the objective's loss on it,
// and the state (best value, its epoch, epochs since) is a function of the per-epoch history, so a
// resumed run that reads metrics.json back decides exactly as an uninterrupted one would.
import { subset, type Dataset } from '../data/dataset';

/** Training examples whose index % VALIDATION_EVERY == VALIDATION_EVERY − 1 form the validation split. */
export const VALIDATION_EVERY = 10;

export function validationSplit(train: Dataset): { train: Dataset; validation: Dataset } {
  const keep: number[] = [], held: number[] = [];
  for (let i = 0; i < train.count; i++) (i % VALIDATION_EVERY === VALIDATION_EVERY - 1 ? held : keep).push(i);
  if (held.length === 0 || keep.length === 0) {
    throw new Error(`early stopping: the training set of ${train.count} examples is too small for a validation split (every ${VALIDATION_EVERY}th example); use at least ${VALIDATION_EVERY}`);
  }
  return { train: subset(train, keep), validation: subset(train, held) };
}

export interface EarlyStopState {
  best: number;
  bestEpoch: number;
  /** Epochs since the best one. */
  since: number;
}

/** The state after the epochs of `history` (each with its validation loss under `key`). */
export function earlyStopState(history: readonly { epoch: number; validation?: Record<string, number> }[], key: string): EarlyStopState {
  let s: EarlyStopState = { best: Infinity, bestEpoch: 0, since: 0 };
  for (const m of history) {
    const v = m.validation?.[key];
    if (v === undefined) throw new Error(`early stopping: epoch ${m.epoch} of the history has no validation ${key}`);
    s = v < s.best ? { best: v, bestEpoch: m.epoch, since: 0 } : { ...s, since: s.since + 1 };
  }
  return s;
}
