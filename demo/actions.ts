// The demo's actions on its model: a new model from the controls' settings, start and its stop,
// save and load of checkpoints, L_k on the test set; each says what it did in the message line. The
// charts and pictures the actions refresh live here too (demo/loss-charts.ts, demo/pictures.ts).
import { describeConfig } from '../src/model/config';
import { readCheckpointBlob } from '../src/model/checkpoint-extent';
import { Session, type StopReason } from './session';
import { LossCharts } from './loss-charts';
import { Pictures } from './pictures';
import { $, fmt, page, say, setState, updateButtons, updateStatus } from './page';
import { configFor, settingsFor, settingsToUrl, type Settings } from './settings';
import { compilingText, precompileTuned } from './tuning';
import { importModel } from './pytorch-import';
import { writeControls } from './form';

export const charts = new LossCharts(() => page.session, () => updateStatus());
export const pictures = new Pictures({ session: () => page.session, data: () => page.data, generation: () => page.generation });

function attach(s: Session) {
  s.budget = page.controls.steps;
  s.on({
    onHistory: () => charts.schedule(),
    onStop: (reason, text) => void onStop(s, reason, text),
  });
}

/** Stops and releases the page's model (no closing evaluation), then installs `make()`. */
async function replaceSession(make: () => Session): Promise<Session> {
  const old = page.session;
  page.generation++;
  page.session = null;
  pictures.reset();
  page.lk = null;
  stopStatusTimer();
  if (old) await old.dispose();
  const next = make();
  page.session = next;
  attach(next);
  return next;
}

/** The page's URL for settings, with the tuning parameters it was opened with. */
const urlFor = (s: Settings) => location.pathname + settingsToUrl(s, page.tuneSettings);

const precompile = (s: Session) => precompileTuned(page.rt!, s.vae, page.tune, updateStatus);
const compiling = () => compilingText(!!page.rt?.schedules, page.tuneSettings.budgetS);

/** A fresh model from the controls' settings: evaluated at step 0, pictures drawn. */
export async function newModel(s: Settings) {
  page.busy = true;
  updateButtons();
  try {
    const next = await replaceSession(() => Session.create(page.rt!, page.data!, configFor(s, page.baseConfig), s.batch));
    page.modelSettings = { ...s };
    page.loaded = null;
    history.replaceState(null, '', urlFor(s));
    say(`New model: ${describeConfig(next.config)}, seeded initialisation. ${compiling()}`);
    setState('ready');
    charts.draw();
    await precompile(next);
    say(`New model: ${describeConfig(next.config)}, seeded initialisation. Evaluating the test set…`);
    await next.evaluateTest();
    await pictures.refresh();
    say(`New model ready: test −ELBO ${fmt(next.test.at(-1)?.elbo)} nats at initialisation. Press Start to train.`);
  } finally {
    page.busy = false;
    updateButtons();
    updateStatus();
  }
}

export function startTraining() {
  const s = page.session;
  if (!s || s.isRunning) return;
  s.budget = page.controls.steps;
  if (s.budget !== null && s.step >= s.budget) {
    say(`Already at step ${s.step}: raise “Stop at step” (or clear it) to train further.`);
    return;
  }
  page.runStart = { step: s.step, time: performance.now() };
  s.start(async () => {
    updateStatus();
    if (performance.now() - pictures.lastAt > pictures.every) await pictures.refresh();
  });
  setState('training');
  say(s.budget !== null ? `Training to step ${s.budget}…` : 'Training… (Pause stops after the current slice and evaluates the test set)');
  statusTimer ??= window.setInterval(updateStatus, 300);
}

let statusTimer: number | undefined;
function stopStatusTimer() {
  if (statusTimer !== undefined) clearInterval(statusTimer);
  statusTimer = undefined;
}

async function onStop(s: Session, reason: StopReason, text: string) {
  if (s !== page.session) return;
  stopStatusTimer();
  const t = s.test.at(-1);
  const first = s.test[0];
  const seconds = page.runStart ? (performance.now() - page.runStart.time) / 1000 : 0;
  const steps = page.runStart ? s.step - page.runStart.step : 0;
  if (reason === 'diverged' || reason === 'error') {
    setState(reason);
    say(`Training stopped: ${text}.`, 'error');
    return;
  }
  await pictures.refresh().catch((e) => reportError(e));
  if (s !== page.session) return;
  if (reason === 'budget') {
    say(`Done: ${steps} steps in ${seconds.toFixed(1)} s (${(steps / Math.max(seconds, 1e-9)).toFixed(1)} steps/s overall, test evaluations included). ` +
      `Test −ELBO ${fmt(first?.elbo)} → ${fmt(t?.elbo)} nats.`);
    setState('done');
  } else {
    say(`Paused at step ${s.step} (epoch ${s.epoch.toFixed(2)}). Test −ELBO ${fmt(t?.elbo)} nats.`);
    setState('paused');
  }
  page.autostartRun = false;
}

export async function saveCheckpoint() {
  const s = page.session;
  if (!s) return;
  const bytes = await s.save();
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'model.safetensors';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  page.saves++;
  say(`Saved model.safetensors at step ${s.step} (${(bytes.byteLength / 1e6).toFixed(2)} MB, weights + Adam state, batch ${s.batch}). ` +
    `Continue it with: npm run train -- --resume <folder of the file> --epochs N`);
}

export async function loadCheckpoint(file: File) {
  page.busy = true;
  updateButtons();
  try {
    // Made before the current model is touched: a file that does not load leaves it as it was.
    let result: ReturnType<typeof Session.load>;
    try {
      // Read no further than its header says (a huge or lying file is refused before it is read);
      // a PyTorch state_dict becomes a weights-only checkpoint.
      const bytes = await readCheckpointBlob(file, file.name);
      result = Session.load(page.rt!, page.data!, importModel(bytes, file.name), page.controls.batch, file.name);
    } catch (e) {
      say(`Could not load ${file.name}: ${(e as Error).message}`, 'error');
      return;
    }
    const { state: ckpt, batchFrom } = result;
    const next = await replaceSession(() => result.session);
    page.baseConfig = ckpt.config;
    const settings = settingsFor(ckpt.config, next.batch, page.controls.steps);
    page.controls = { ...settings };
    page.modelSettings = { ...settings };
    writeControls(settings);
    page.loaded = { name: file.name, step: ckpt.step };
    history.replaceState(null, '', urlFor(settings));
    setState('ready');
    say(`Loaded ${file.name}: ${describeConfig(ckpt.config)} at step ${ckpt.step}. ${compiling()}`);
    await precompile(next);
    say(`Loaded ${file.name}: ${describeConfig(ckpt.config)} at step ${ckpt.step}… evaluating the test set.`);
    const t = await next.evaluateTest();
    await pictures.refresh();
    say(`Loaded ${file.name}: step ${ckpt.step} (epoch ${next.epoch.toFixed(2)}), ${ckpt.adam ? 'Adam state restored' : 'no Adam state (weights only)'}, ` +
      `batch ${next.batch}${batchFrom === 'checkpoint' ? ' from the checkpoint' : ' (not in the checkpoint: the page’s)'}. Test −ELBO ${fmt(t.elbo)} nats.`);
  } finally {
    page.busy = false;
    updateButtons();
    updateStatus();
    charts.draw();
  }
}

export async function computeLk() {
  const s = page.session;
  if (!s) return;
  const k = Number($<HTMLSelectElement>('k').value);
  const button = $<HTMLButtonElement>('lk');
  button.disabled = true;
  const before = page.message;
  say(`Computing L_${k} on the 1,000 test digits (${k} decoder passes each)…${s.isRunning ? ' Training waits meanwhile.' : ''}`);
  try {
    const t0 = performance.now();
    const step = s.step;
    const value = await s.evaluateLk(k);
    const point = await s.evaluateTest();
    if (s !== page.session) return;
    page.lk = { k, value, step: point.step, elbo: point.elbo };
    say(`−L_${k} = ${fmt(-value)} nats ≤ test −ELBO ${fmt(point.elbo)} nats at step ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s).`);
  } catch (e) {
    say(`L_${k} failed: ${(e as Error).message}`, 'error');
  } finally {
    updateButtons();
    updateStatus();
    if (s.isRunning && page.message.startsWith('−L')) setTimeout(() => { if (page.message.startsWith('−L')) say(before); }, 8000);
  }
}

export function reportError(e: unknown) {
  const text = e instanceof Error ? e.message : String(e);
  console.error(e);
  say(text, 'error');
}
