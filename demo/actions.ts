// The demo's actions on its model, through the model host (demo/host.ts: the training worker, or the
// page's own thread): a new model from the controls' settings, start and its stop, save and load of
// checkpoints, L_k on the test set; each says what it did in the message line. The pictures and
// explanations they refresh live in demo/explain.ts.
import { describeConfig } from '../src/model/config';
import { readCheckpointBlob } from '../src/model/checkpoint-extent';
import type { ModelInfo, LoadResult } from './service';
import type { StopReason } from './session';
import { $, dataClasses, fmt, page, say, setState, showBanner, updateButtons, updateStatus, view } from './page';
import { configFor, settingsFor, settingsToUrl, type Settings } from './settings';
import { compilingText, type TuneStatus } from './tuning';
import { importModel } from './pytorch-import';
import { writeControls } from './form';
import { charts, pictures, refreshAll, refreshDue, reportError, resetViews } from './explain';

export { reportError } from './explain';

/** The host's events: history redraws the charts, a stop finishes the run, tuning shows in the status line. */
export function listen() {
  page.host!.listener = {
    onHistory: () => charts.schedule(),
    onStop: (reason, text) => void onStop(reason, text),
    onTune: (t) => mergeTune(t),
    onWarning: (m) => warn(`Kernel tuning: ${m}`),
    onLost: (m) => {
      warn(`The GPU device was lost (${m}). Reload the page to start again; save checkpoints often on unstable drivers.`, 'error');
      setState('error');
    },
  };
}

/** A line added to the banner (and the snapshot's warnings). */
export function warn(line: string, kind: 'warn' | 'error' = 'warn') {
  console.warn(`webgpu-vae demo: ${line}`);
  page.warnings.push(line);
  showBanner(page.warnings, kind);
}

/** The tuning status from the host, timed on the page's own clock (startedAt, endedAt). */
function mergeTune(t: TuneStatus) {
  const { startedAt, endedAt } = page.tune;
  Object.assign(page.tune, t, { startedAt, endedAt });
  updateStatus();
}

/** The page's URL for settings, with the tuning and page parameters it was opened with. */
const urlFor = (s: Settings) => location.pathname + settingsToUrl(s, page.tuneSettings, page.options);
const compiling = () => compilingText(page.tune.enabled, page.tuneSettings.budgetS);

/** Compiles (and tunes on first use) the model's kernels, where the model lives. */
async function precompile() {
  page.tune.startedAt = performance.now();
  if (page.tune.enabled) page.tune.state = 'tuning';
  updateStatus();
  try {
    mergeTune(await page.host!.call('precompile'));
  } finally {
    page.tune.endedAt = performance.now();
    updateStatus();
  }
}

/** The page forgets its old model's pictures and answers: a new one is in place. */
function replaced(info: ModelInfo) {
  page.generation++;
  page.lk = null;
  stopStatusTimer();
  resetViews();
  return info;
}

/** A fresh model from the controls' settings: evaluated at step 0, pictures drawn. */
export async function newModel(s: Settings) {
  page.busy = true;
  updateButtons();
  try {
    page.generation++;
    const info = replaced(await page.host!.call('create', configFor(s, page.baseConfig, dataClasses()), s.batch));
    page.modelSettings = { ...s };
    page.loaded = null;
    history.replaceState(null, '', urlFor(s));
    say(`New model: ${describeConfig(info.config)}, seeded initialisation. ${compiling()}`);
    setState('ready');
    charts.draw();
    await precompile();
    say(`New model: ${describeConfig(info.config)}, seeded initialisation. Evaluating the test set…`);
    await page.host!.call('evaluateTest');
    await refreshAll(true);
    say(`New model ready: test −ELBO ${fmt(view()?.test.at(-1)?.elbo)} nats at initialisation. Press Start to train.`);
  } finally {
    page.busy = false;
    updateButtons();
    updateStatus();
  }
}

export function startTraining() {
  const v = view();
  if (!v || v.running) return;
  const budget = page.controls.steps;
  if (budget !== null && v.step >= budget) {
    say(`Already at step ${v.step}: raise “Stop at step” (or clear it) to train further.`);
    return;
  }
  page.runStart = { step: v.step, time: performance.now() };
  page.host!.call('start', budget).catch(reportError);
  setState('training');
  say(budget !== null ? `Training to step ${budget}…` : 'Training… (Pause stops after the current slice and evaluates the test set)');
  statusTimer ??= window.setInterval(() => {
    updateStatus();
    if (refreshDue()) void refreshAll().catch(reportError);
  }, 300);
}

let statusTimer: number | undefined;
function stopStatusTimer() {
  if (statusTimer !== undefined) clearInterval(statusTimer);
  statusTimer = undefined;
}

async function onStop(reason: StopReason, text: string) {
  const v = view();
  if (!v) return;
  const gen = page.generation;
  stopStatusTimer();
  const t = v.test.at(-1);
  const first = v.test[0];
  const seconds = page.runStart ? (performance.now() - page.runStart.time) / 1000 : 0;
  const steps = page.runStart ? v.step - page.runStart.step : 0;
  if (reason === 'diverged' || reason === 'error') {
    setState(reason);
    say(`Training stopped: ${text}.`, 'error');
    return;
  }
  await refreshAll(true).catch((e) => reportError(e));
  if (gen !== page.generation) return;
  if (reason === 'budget') {
    say(`Done: ${steps} steps in ${seconds.toFixed(1)} s (${(steps / Math.max(seconds, 1e-9)).toFixed(1)} steps/s overall, test evaluations included). ` +
      `Test −ELBO ${fmt(first?.elbo)} → ${fmt(t?.elbo)} nats.`);
    setState('done');
  } else {
    say(`Paused at step ${v.step} (epoch ${v.epoch.toFixed(2)}). Test −ELBO ${fmt(t?.elbo)} nats.`);
    setState('paused');
  }
  page.autostartRun = false;
}

export async function saveCheckpoint() {
  const v = view();
  if (!v) return;
  const bytes = await page.host!.call('save');
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'model.safetensors';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  page.saves++;
  say(`Saved model.safetensors at step ${v.step} (${(bytes.byteLength / 1e6).toFixed(2)} MB, weights + Adam state, batch ${v.info!.batch}). ` +
    `Continue it with: npm run train -- --resume <folder of the file> --epochs N`);
}

export async function loadCheckpoint(file: File) {
  page.busy = true;
  updateButtons();
  try {
    // Made before the current model is touched: a file that does not load leaves it as it was.
    let result: LoadResult;
    try {
      // Read no further than its header says (a huge or lying file is refused before it is read);
      // a PyTorch state_dict becomes a weights-only checkpoint.
      const bytes = await readCheckpointBlob(file, file.name);
      result = await page.host!.call('load', importModel(bytes, file.name), page.controls.batch, file.name);
    } catch (e) {
      say(`Could not load ${file.name}: ${(e as Error).message}`, 'error');
      return;
    }
    const { info, step, hasAdam, batchFrom } = result;
    replaced(info);
    page.baseConfig = info.config;
    const settings = settingsFor(info.config, info.batch, page.controls.steps);
    page.controls = { ...settings };
    page.modelSettings = { ...settings };
    writeControls(settings);
    page.loaded = { name: file.name, step };
    history.replaceState(null, '', urlFor(settings));
    setState('ready');
    say(`Loaded ${file.name}: ${describeConfig(info.config)} at step ${step}. ${compiling()}`);
    await precompile();
    say(`Loaded ${file.name}: ${describeConfig(info.config)} at step ${step}… evaluating the test set.`);
    const t = await page.host!.call('evaluateTest');
    await refreshAll(true);
    say(`Loaded ${file.name}: step ${step} (epoch ${(step / info.perEpoch).toFixed(2)}), ${hasAdam ? 'Adam state restored' : 'no Adam state (weights only)'}, ` +
      `batch ${info.batch}${batchFrom === 'checkpoint' ? ' from the checkpoint' : ' (not in the checkpoint: the page’s)'}. Test −ELBO ${fmt(t.elbo)} nats.`);
  } finally {
    page.busy = false;
    updateButtons();
    updateStatus();
    charts.draw();
  }
}

export async function computeLk() {
  const v = view();
  if (!v) return;
  const gen = page.generation;
  const k = Number($<HTMLSelectElement>('lk-k').value);
  const button = $<HTMLButtonElement>('lk');
  button.disabled = true;
  const before = page.message;
  say(`Computing L_${k} on the 1,000 test digits (${k} decoder passes each)…${v.running ? ' Training waits meanwhile.' : ''}`);
  try {
    const t0 = performance.now();
    const step = v.step;
    const value = await page.host!.call('evaluateLk', k);
    const point = await page.host!.call('evaluateTest');
    if (gen !== page.generation) return;
    page.lk = { k, value, step: point.step, elbo: point.elbo };
    say(`−L_${k} = ${fmt(-value)} nats ≤ test −ELBO ${fmt(point.elbo)} nats at step ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s).`);
  } catch (e) {
    say(`L_${k} failed: ${(e as Error).message}`, 'error');
  } finally {
    updateButtons();
    updateStatus();
    if (v.running && page.message.startsWith('−L')) setTimeout(() => { if (page.message.startsWith('−L')) say(before); }, 8000);
  }
}

export { pictures, charts };
