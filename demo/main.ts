// The demo page: finds WebGPU (or says which browser or flag is needed), fetches the embedded MNIST
// split (mnist.bin, built by demo/mnist-plugin.ts) with a progress bar, and wires the controls to a
// Session (demo/session.ts) that trains a GpuVae step by step. Charts redraw at most a few times a
// second and the pictures (reconstructions, prior samples, manifold or interpolation) every ~1.5 s,
// between training slices, so the page stays responsive while it trains. The page's state is one
// object (demo/page.ts); pictures and charts have their own modules (demo/pictures.ts, loss-charts.ts).
//
// URL parameters (all optional): arch (mlp | conv), latent, hidden ("400" or "512,256"), batch, lr, beta, seed, steps
// (stop at that step), autostart=1, and for the kernels notune=1 (run the rule's schedules) and
// tuneBudget=S (seconds a tuning may take, default 10; demo/tuning.ts), e.g. ?latent=2&hidden=64&batch=64&lr=0.002&beta=1&steps=200&autostart=1.
// An autostarted run that reaches `steps` evaluates the test set, shows the last test −ELBO in #elbo
// and sets document.body.dataset.state = "done".
//
// window.__demo is the only global: a read-only getter returning a fresh snapshot of the page's status
// (for tests and the curious; it controls nothing):
//   { state, busy, step, epoch, adapter, software, model, batch, stepsPerSecond, examplesPerSecond,
//     train: LossPoint[], test: LossPoint[], lastTestElbo, lk, loaded, saves, message, warnings, tune }
// where LossPoint = { step, objective, elbo, rec, kl } in nats per example (the objective's bound
// under its key and its parts by name, demo/session.ts), `test` are full test-set evaluations,
// `loaded` = { name, step } of the last checkpoint loaded, `lk` = { k, value, step, elbo } and `tune` the
// kernel tuning's TuneStatus (demo/tuning.ts).
import { acquireDevice, describeAdapter } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { unpackMnistU8, type MnistSplit } from '../src/data/mnist';
import { describeConfig } from '../src/model/config';
import { Session, type StopReason } from './session';
import { LossCharts } from './loss-charts';
import { cellAt } from './digits';
import { Pictures, recLayout } from './pictures';
import { $, fmt, page, say, setState, showBanner, snapshot, updateButtons, updateStatus } from './page';
import { configFor, FIELD_PARSERS, hiddenText, sameRun, settingsFor, settingsFromUrl, settingsProblem, settingsToUrl, type Settings } from './settings';
import { compilingText, initialTuneStatus, openPageTuner, precompileTuned } from './tuning';
import { importModel } from './pytorch-import';
import { readCheckpointBlob } from '../src/model/checkpoint-extent';

Object.defineProperty(window, '__demo', { get: snapshot, enumerable: false, configurable: false });
const charts = new LossCharts(() => page.session, () => updateStatus());
const pictures = new Pictures({ session: () => page.session, data: () => page.data, generation: () => page.generation });

// ---- the model ---------------------------------------------------------------------------------
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
async function newModel(s: Settings) {
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

function startTraining() {
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

async function saveCheckpoint() {
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

async function loadCheckpoint(file: File) {
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

async function computeLk() {
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

// ---- controls ----------------------------------------------------------------------------------
const FIELDS = ['arch', 'latent', 'hidden', 'beta', 'objective', 'k', 'klWarmup', 'lr', 'batch', 'steps'] as const;

function writeControls(s: Settings) {
  $<HTMLSelectElement>('arch').value = s.arch;
  // The conv preset has its own layers: the hidden widths are the MLP's.
  $<HTMLInputElement>('hidden').disabled = s.arch !== 'mlp';
  $<HTMLInputElement>('latent').value = String(s.latent);
  $<HTMLInputElement>('hidden').value = hiddenText(s.hidden);
  $<HTMLInputElement>('beta').value = String(s.beta);
  $<HTMLInputElement>('lr').value = String(s.lr);
  $<HTMLInputElement>('batch').value = String(s.batch);
  $<HTMLInputElement>('steps').value = s.steps === null ? '' : String(s.steps);
  $<HTMLSelectElement>('objective').value = s.objective;
  $<HTMLInputElement>('k').value = String(s.k);
  $<HTMLInputElement>('klWarmup').value = String(s.klWarmup);
}

let applyTimer: number | undefined;
function onControlChange(field: (typeof FIELDS)[number]) {
  const input = $<HTMLInputElement>(field);
  try {
    const value = FIELD_PARSERS[field](input.value);
    const next = { ...page.controls, [field]: value, ...(field === 'hidden' ? { decoder: null } : {}) };
    // The model as a whole must fit the page (a huge one would stall it while it is made).
    const problem = field === 'steps' ? null : settingsProblem(configFor(next, page.baseConfig), Math.min(next.batch, page.data?.train.count ?? next.batch));
    if (problem) throw new Error(problem);
    page.controls = next;
    if (field === 'arch') $<HTMLInputElement>('hidden').disabled = next.arch !== 'mlp';
    input.classList.remove('invalid');
    input.title = '';
  } catch (e) {
    input.classList.add('invalid');
    input.title = `${field} ${(e as Error).message}`;
    say(`${input.labels?.[0]?.textContent?.trim() ?? field}: ${(e as Error).message}.`, 'error');
    return;
  }
  if (field === 'steps') {
    if (page.session) page.session.budget = page.controls.steps;
    return;
  }
  updateButtons();
  // An untouched model follows the controls at once; a trained one waits for Reset.
  const s = page.session;
  if (s && s.step === 0 && !s.isRunning && !page.loaded && !sameRun(page.controls, page.modelSettings)) {
    clearTimeout(applyTimer);
    applyTimer = window.setTimeout(() => { if (!page.busy && page.session?.step === 0 && !page.session.isRunning) void newModel({ ...page.controls }).catch(reportError); }, 350);
  }
}

function reportError(e: unknown) {
  const text = e instanceof Error ? e.message : String(e);
  console.error(e);
  say(text, 'error');
}

function wire() {
  for (const f of FIELDS) $(f).addEventListener('change', () => onControlChange(f));
  $('start').addEventListener('click', () => {
    const s = page.session;
    if (!s) return;
    if (s.isRunning) {
      say('Pausing…');
      void s.pause();
    } else if (s.step === 0 && !page.loaded && !sameRun(page.controls, page.modelSettings)) {
      void newModel({ ...page.controls }).then(startTraining, reportError);
    } else {
      startTraining();
    }
  });
  $('reset').addEventListener('click', () => void newModel({ ...page.controls }).catch(reportError));
  $('save').addEventListener('click', () => void saveCheckpoint().catch(reportError));
  const load = $<HTMLInputElement>('load');
  load.addEventListener('change', () => {
    const file = load.files?.[0];
    load.value = '';
    if (file) void loadCheckpoint(file).catch(reportError);
  });
  $('lk').addEventListener('click', () => void computeLk());
  $('more').addEventListener('click', () => {
    pictures.shownOffset = (pictures.shownOffset + 1) % page.data!.test.count;
    void pictures.refresh().catch(reportError);
  });
  $('scatter').addEventListener('change', () => void pictures.refresh().catch(reportError));
  $('resample').addEventListener('click', () => {
    pictures.sampleSeed++;
    void pictures.refresh().catch(reportError);
  });
  const recon = $<HTMLCanvasElement>('recon');
  recon.addEventListener('click', (e) => {
    const cell = cellAt(recon, recLayout, e);
    if (cell === undefined || !pictures.choose(recLayout.cells[cell]!.image)) return;
    pictures.draw();
    void pictures.refreshInterpolation().catch(reportError);
  });
  new ResizeObserver(() => {
    charts.draw();
    pictures.draw();
  }).observe($('app'));
}

// ---- start-up ----------------------------------------------------------------------------------
function noWebGpu(reason: string) {
  $('nogpu-reason').textContent = reason;
  $('nogpu').hidden = false;
  setState('no-webgpu');
}

async function fetchData(url: URL): Promise<MnistSplit> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch the digits (${url.pathname}): ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length')) || 0;
  const bar = $('progress-bar');
  $('progress').hidden = false;
  let bytes: Uint8Array;
  if (response.body) {
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      bar.style.width = total ? `${Math.min(100, (100 * received) / total).toFixed(1)}%` : '50%';
      say(`Loading the digits: ${(received / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB…`);
    }
    bytes = new Uint8Array(received);
    let o = 0;
    for (const c of chunks) { bytes.set(c, o); o += c.byteLength; }
  } else {
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  bar.style.width = '100%';
  const split = unpackMnistU8(bytes);
  $('progress').hidden = true;
  return split;
}

async function main() {
  const parsed = settingsFromUrl(location.search);
  page.controls = { ...parsed.settings, hidden: [...parsed.settings.hidden] };
  page.autostartRun = parsed.autostart;
  page.warnings = parsed.warnings;
  page.tuneSettings = parsed.tune;
  page.tune = initialTuneStatus(parsed.tune);
  writeControls(page.controls);
  if (page.warnings.length) showBanner(page.warnings, 'warn');
  charts.draw();
  wire();

  if (!('gpu' in navigator) || !navigator.gpu) {
    noWebGpu(window.isSecureContext
      ? 'This browser does not offer WebGPU (navigator.gpu is undefined).'
      : `This page was opened from ${location.origin}, which is not a secure context; browsers offer WebGPU only over https:// or on localhost.`);
    return;
  }
  say('Looking for a WebGPU adapter…');
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) {
    noWebGpu('navigator.gpu exists, but the browser offered no GPU adapter: WebGPU may be disabled or blocklisted for this GPU or driver.');
    return;
  }
  const dataPromise = fetchData(new URL('mnist.bin', document.baseURI));
  page.gpu = await acquireDevice();
  // A tuner's warnings (a corrupt cache ignored, storage unavailable) go to the banner.
  const tuneWarning = (m: string) => {
    console.warn(`webgpu-vae tuning: ${m}`);
    page.warnings.push(`Kernel tuning: ${m}`);
    showBanner(page.warnings, 'warn');
  };
  page.rt = Runtime.forContext(page.gpu, { schedules: await openPageTuner(page.gpu.adapterInfo, page.tuneSettings, page.tune, tuneWarning) });
  page.software = page.gpu.adapterInfo.isSoftware;
  page.adapterText = describeAdapter(page.gpu.adapterInfo);
  $('adapter').textContent = page.adapterText.replace(' [software]', '');
  $('software').hidden = !page.software;
  page.gpu.device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    showBanner([`The GPU device was lost (${info.message || info.reason}). Reload the page to start again; save checkpoints often on unstable drivers.`], 'error');
    setState('error');
  });
  page.data = await dataPromise;
  say(`Loaded ${page.data.train.count.toLocaleString('en-US')} training and ${page.data.test.count.toLocaleString('en-US')} test digits.`);
  await newModel({ ...page.controls });
  if (page.autostartRun) startTraining();
}

window.addEventListener('unhandledrejection', (e) => reportError(e.reason));
main().catch((e) => {
  reportError(e);
  showBanner([`The demo could not start: ${(e as Error).message}`], 'error');
  setState('error');
});

