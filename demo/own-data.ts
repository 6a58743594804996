// The user's own images on the page: a drop anywhere (files, folders, zips), or the pick files /
// pick folder controls; they are read (demo/data-read.ts, decoded by the browser in slices, so the
// page never freezes), split by the fixed seeded test fraction 0.1, handed to the model host, and a
// model of the preset that fits their shape is made (presetForShape). The data line says what was
// read; the banner names files left out (unreadable, of another size, over the cap). "Use MNIST"
// returns to the embedded digits.
import { datasetView } from '../src/data/dataset';
import { describeShape, splitImages, type ImageSet } from '../src/data/image-set';
import { DEFAULT_CONFIG, resolveConfig } from '../src/model/config';
import { readDataFiles, type DataFile } from './data-read';
import { decodeInBrowser, dropFiles, pickedFiles } from './data-decode';
import { $, dataClasses, page, say, showBanner, updateButtons } from './page';
import { presetForShape, type DemoArchitecture } from './settings';
import { offerConditional, writeControls } from './form';
import { newModel, reportError, warn } from './actions';

/** The test part of data without one: the CLI's --test-fraction default, split by DATA_SPLIT_SEED. */
export const TEST_FRACTION = 0.1;
/** Banner lines of left-out files beyond this are counted, not listed. */
const MAX_PROBLEM_LINES = 8;
/** The architecture chosen for MNIST before the user's images came: "Use MNIST" goes back to it. */
let mnistArch: DemoArchitecture = 'mlp';

const count = (n: number) => n.toLocaleString('en-US');

/** The architectures the model picker offers for these images (the others disabled). */
function offerArchitectures(fits: readonly DemoArchitecture[]) {
  for (const o of Array.from($<HTMLSelectElement>('arch').options)) o.disabled = !fits.includes(o.value as DemoArchitecture);
}

/** Replaces the banner's data lines (kept apart from the page's other warnings). */
function showDataProblems(lines: string[]) {
  const shown = lines.slice(0, MAX_PROBLEM_LINES);
  if (lines.length > shown.length) shown.push(`… and ${lines.length - shown.length} more`);
  page.warnings = page.warnings.filter((w) => !w.startsWith('Your data'));
  page.warnings.push(...shown.map((l) => `Your data: ${l}`));
  showBanner(page.warnings, 'warn');
}

/** Stops training (the old model is replaced next) and waits until it has stopped. */
async function stopTraining() {
  if (page.host?.view.running) await page.host.call('pause');
}

/** Resolves once the page is not making a model (a drop may come at any time); false after `ms`. */
async function idle(ms = 300_000): Promise<boolean> {
  for (const until = performance.now() + ms; page.busy || !page.host || !page.mnist; ) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Reads dropped or picked files and trains a fresh model on them; on failure the current data stays. */
export async function useOwnData(files: DataFile[]) {
  if (page.busy) say('Your files wait until the model being made is ready…');
  if (!(await idle()) || !page.host) {
    say('The page is still starting or making a model: drop the files again in a moment.', 'error');
    return;
  }
  page.busy = true;
  updateButtons();
  const bar = $('progress-bar');
  $('progress').hidden = false;
  let set: ImageSet;
  try {
    say(`Reading ${count(files.length)} file${files.length === 1 ? '' : 's'}…`);
    const read = await readDataFiles(files, {
      decode: decodeInBrowser,
      maxBytes: page.options.maxData,
      progress: (done, total, what) => {
        bar.style.width = `${((100 * done) / Math.max(total, 1)).toFixed(1)}%`;
        say(`Reading your data: ${what}, ${count(done)} of ${count(total)}…`);
      },
    });
    set = read.set;
    if (set.count < 2) throw new Error(`only 1 image could be read (${read.describe}); the page needs at least 2, to hold one out for testing`);
    const split = splitImages(set, TEST_FRACTION);
    showDataProblems([...read.problems, ...read.notes.filter((n) => n.startsWith('float pixels'))]);
    await stopTraining();
    await page.host.call('setImages', split.train, split.test);
    page.data = { train: datasetView(split.train), test: datasetView(split.test) };
    const preset = presetForShape(set.shape);
    // The classes a conditional model of them takes: the labels' (0: none, and the setting is off).
    const classes = set.labels ? Math.max(set.classNames?.length ?? 0, set.labels.reduce((m, l) => Math.max(m, l + 1), 0)) : 0;
    // Remember MNIST's architecture before dataInfo says 'own', so useMnist() can give it back.
    if (page.dataInfo.kind === 'mnist') mnistArch = page.controls.arch;
    page.dataInfo = {
      kind: 'own', describe: read.describe, count: set.count, shape: describeShape(set.shape), train: split.train.count, test: split.test.count,
      classes: set.labels ? classes : undefined, preset: preset.arch, problems: [...read.problems], notes: [...read.notes],
    };
    $('data-line').textContent = `Read ${read.describe}: ${count(set.count)} of ${describeShape(set.shape)}` +
      `${set.classNames ? `, ${set.classNames.length} classes` : ''} · ${count(split.train.count)} train / ${count(split.test.count)} test ` +
      `(fixed seeded split, test fraction ${TEST_FRACTION}) · preset ${preset.why}.`;
    $('data-line').title = read.notes.join('\n');
    page.baseConfig = resolveConfig({ ...DEFAULT_CONFIG, inputDim: set.dim, image: { ...set.shape } });
    page.controls = { ...page.controls, arch: preset.arch, decoder: null, conditional: page.controls.conditional && classes >= 2 };
    offerArchitectures(preset.fits);
    offerConditional(classes);
    writeControls(page.controls);
    page.loaded = null;
  } catch (e) {
    warn(`Your data was not used: ${(e as Error).message}`, 'error');
    say(`Your data was not used: ${(e as Error).message}`, 'error');
    return;
  } finally {
    $('progress').hidden = true;
    page.busy = false;
    updateButtons();
  }
  await newModel({ ...page.controls });
}

/** Back to the embedded MNIST digits (a fresh model with the controls' settings). */
export async function useMnist() {
  if (!(await idle()) || !page.host || !page.mnist || page.dataInfo.kind === 'mnist') return;
  await stopTraining();
  await page.host.call('setData', page.mnist);
  page.data = page.mnist;
  page.dataInfo = { kind: 'mnist' };
  page.baseConfig = DEFAULT_CONFIG;
  page.controls = { ...page.controls, arch: mnistArch, decoder: null };
  offerArchitectures(['mlp', 'conv']);
  offerConditional(dataClasses());
  writeControls(page.controls);
  showDataProblems([]);
  $('data-line').title = '';
  $('data-line').textContent = `MNIST: ${count(page.mnist.train.count)} training and ${count(page.mnist.test.count)} test digits, 28×28×1.`;
  await newModel({ ...page.controls });
}

/** Drops anywhere on the page, the two pickers and "use MNIST". */
export function wireOwnData() {
  const overlay = $('drop-overlay');
  const hasFiles = (e: DragEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
  let depth = 0;
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    depth++;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer!.dropEffect = 'copy';
  });
  window.addEventListener('drop', (e) => {
    depth = 0;
    overlay.hidden = true;
    if (!e.dataTransfer || !hasFiles(e)) return;
    e.preventDefault();
    const files = dropFiles(e.dataTransfer);
    void files().then(useOwnData).catch(reportError);
  });
  for (const id of ['pick-files', 'pick-folder']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      let files: DataFile[];
      try {
        files = pickedFiles(input);
      } catch (e) {
        reportError(e);
        return;
      } finally {
        input.value = '';
      }
      if (files.length) void useOwnData(files).catch(reportError);
    });
  }
  $('use-mnist').addEventListener('click', () => void useMnist().catch(reportError));
}
