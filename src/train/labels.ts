// A conditional model's training labels: a data set must have labels of its own (an image folder
// without class sub-folders, a bare .npy, IDX images without their labels file do not; the embedded
// MNIST does), each below the model's classes; and the classes a data set's labels span.
import { imageSetOf, type Dataset } from '../data/dataset';

/** Where a data set's images came from, for messages. */
function sourceOf(ds: Dataset): string {
  return imageSetOf(ds)?.source ?? 'the data set';
}

/** Throws, naming the set (`what`, e.g. 'training') and its source, unless its labels fit `classes`. */
export function checkConditionalData(ds: Dataset, classes: number, what: string, prefix = ''): void {
  const set = imageSetOf(ds);
  if (set && set.labels === undefined) {
    throw new Error(`${prefix}the ${what} set (${set.source}) has no labels, but a conditional model needs a label per image; give labelled data (e.g. one sub-folder per class, .npz with labels, IDX with its labels file) or leave conditional out`);
  }
  const labels = ds.labels;
  for (let i = 0; i < ds.count; i++) {
    if (labels[i]! >= classes) throw new Error(`${prefix}the ${what} set (${sourceOf(ds)}): image ${i} has label ${labels[i]}, but the model is conditional on ${classes} classes (0 to ${classes - 1})`);
  }
}

/** The classes a labelled data set spans: its class names' count, else its largest label + 1 (throws for unlabelled data). */
export function labelClasses(ds: Dataset, what: string): number {
  const set = imageSetOf(ds);
  if (set && set.labels === undefined) checkConditionalData(ds, 1, what);
  let max = 0;
  for (let i = 0; i < ds.count; i++) max = Math.max(max, ds.labels[i]!);
  return Math.max(set?.classNames?.length ?? 0, max + 1);
}
