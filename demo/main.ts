// The demo page: finds WebGPU (or says which browser or flag is needed), fetches the embedded MNIST
// split (mnist.bin, built by demo/mnist-plugin.ts) with a progress bar, and wires the controls to a
// Session (demo/session.ts) that trains a GpuVae step by step. Charts redraw at most a few times a
// second and the pictures (reconstructions, prior samples, manifold or interpolation) every ~1.5 s,
// between training slices, so the page stays responsive while it trains.
//
// URL parameters (all optional): latent, hidden ("400" or "512,256"), batch, lr, beta, seed, steps
// (stop at that step) and autostart=1, e.g. ?latent=2&hidden=64&batch=64&lr=0.002&beta=1&steps=200&autostart=1.
// An autostarted run that reaches `steps` evaluates the test set, shows the last test −ELBO in #elbo
// and sets document.body.dataset.state = "done".
//
// window.__demo is the only global: a read-only getter returning a fresh snapshot of the page's status
// (for tests and the curious; it controls nothing):
//   { state, busy, step, epoch, adapter, software, model, batch, stepsPerSecond, examplesPerSecond,
//     train: LossPoint[], test: LossPoint[], lastTestElbo, lk, loaded, saves, message, warnings }
// where LossPoint = { step, elbo, rec, kl } in nats per example, `test` are full test-set evaluations,
// `loaded` = { name, step } of the last checkpoint loaded and `lk` = { k, value, step, elbo }.
import { acquireDevice, describeAdapter, type GpuContext } from '../src/gpu/device';
import { Runtime } from '../src/gpu/runtime';
import { unpackMnistU8, type MnistSplit } from '../src/data/mnist';
import { DEFAULT_CONFIG, describeConfig, type VaeConfig } from '../src/model/config';
import { STREAMS } from '../src/model/init';
import { gaussianNoise } from '../src/cpu/philox';
import { manifoldLatents } from '../src/util/image-grid';
import { Session, type StopReason } from './session';
import { importModel } from './pytorch-import';
import { drawChart } from './chart';
import { drawScatter } from './scatter';
import { cellAt, drawLayout, gridLayout, pairLayout, SIDE } from './digits';
import { configFor, DEFAULT_SETTINGS, FIELD_PARSERS, hiddenText, sameRun, settingsFor, settingsFromUrl, settingsProblem, settingsToUrl, type Settings } from './settings';
import { readCheckpointBlob } from '../src/model/checkpoint-extent';

type PageState = 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'diverged' | 'error' | 'no-webgpu';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const fmt = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

const MANIFOLD_STEPS = 15;
const MANIFOLD_LO = 0.05, MANIFOLD_HI = 0.95;
const SHOWN_DIGITS = 24;
const INTERPOLATION_FRAMES = 10;
/** Pictures refresh at most this often while training, and take at most ~1/6 of the time. */
const PICTURES_EVERY_MS = 1500;
const COLORS = { train: '#3f6fd8', test: '#e0762b', a: '#2f7de1', b: '#e8590c' };

// ---- page state ------------------------------------------------------------------------------
let state: PageState = 'loading';
let gpu: GpuContext | undefined;
let rt: Runtime | undefined;
let data: MnistSplit | undefined;
let session: Session | null = null;
/** Bumped whenever the session is replaced: results computed for an older one are dropped. */
let generation = 0;
let busy = false;
/** The settings the controls hold (valid values only) and those the current model was made with. */
let controls: Settings = { ...DEFAULT_SETTINGS };
let modelSettings: Settings = { ...DEFAULT_SETTINGS };
/** Config fields the controls do not set: defaults, or the last loaded checkpoint's. */
let baseConfig: VaeConfig = DEFAULT_CONFIG;
let loaded: { name: string; step: number } | null = null;
let lk: { k: number; value: number; step: number; elbo: number } | null = null;
let saves = 0;
let autostartRun = false;
let warnings: string[] = [];
let message = '';
let adapterText = '';
let software = false;
let runStart: { step: number; time: number } | null = null;

// Pictures: which test digits are shown, which two are the interpolation ends, what was last drawn.
let shownOffset = 0;
let pick: [number, number] = [0, 17];
let nextPick: 0 | 1 = 0;
let sampleSeed = 0;
let pictures: {
  gen: number;
  x: Float32Array;
  mu: Float32Array;
  recon: Float32Array;
  samples: Float32Array;
  latent: Float32Array | null;
  /** μ of every test digit (2-D latent, when asked for). */
  testMu: Float32Array | null;
} | null = null;
let lastPicturesAt = 0;
let picturesEvery = PICTURES_EVERY_MS;

const recLayout = pairLayout(SHOWN_DIGITS, 4);
const sampleLayout = gridLayout(64, 8, 2);
const manifoldLayout = gridLayout(MANIFOLD_STEPS * MANIFOLD_STEPS, MANIFOLD_STEPS, 0);
const interpLayout = gridLayout(INTERPOLATION_FRAMES + 2, 4, 3);

// ---- status ----------------------------------------------------------------------------------
function snapshot() {
  const s = session;
  const sps = s?.stepsPerSecond ?? 0;
  return Object.freeze({
    state,
    busy,
    step: s?.step ?? 0,
    epoch: s ? s.epoch : 0,
    adapter: adapterText,
    software,
    model: s ? describeConfig(s.config) : '',
    batch: s?.batch ?? controls.batch,
    stepsPerSecond: sps,
    examplesPerSecond: sps * (s?.batch ?? 0),
    train: (s?.train ?? []).map((p) => ({ ...p })),
    test: (s?.test ?? []).map((p) => ({ ...p })),
    lastTestElbo: s?.test.at(-1)?.elbo ?? null,
    lk: lk && { ...lk },
    loaded: loaded && { ...loaded },
    saves,
    message,
    warnings: [...warnings],
  });
}
Object.defineProperty(window, '__demo', { get: snapshot, enumerable: false, configurable: false });

function setState(next: PageState) {
  state = next;
  document.body.dataset.state = next;
  $('state-pill').textContent = next === 'no-webgpu' ? 'no WebGPU' : next;
  updateButtons();
  updateStatus();
}

function say(text: string, kind: 'info' | 'error' = 'info') {
  message = text;
  const el = $('message');
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
}

function showBanner(lines: string[], kind: 'warn' | 'error') {
  const el = $('banner');
  el.hidden = lines.length === 0;
  el.textContent = lines.join('\n');
  el.classList.toggle('error', kind === 'error');
}

function updateButtons() {
  const hasModel = !!session && !busy;
  const running = !!session?.isRunning;
  const start = $<HTMLButtonElement>('start');
  start.disabled = !hasModel || state === 'diverged' || state === 'error';
  start.textContent = running ? 'Pause' : (session?.step ?? 0) > 0 ? 'Resume' : 'Start';
  $<HTMLButtonElement>('reset').disabled = !rt || !data || busy;
  $<HTMLButtonElement>('save').disabled = !hasModel || state === 'diverged';
  $<HTMLButtonElement>('lk').disabled = !hasModel || state === 'diverged';
  const loadOk = !!rt && !!data && !busy;
  $('load-label').setAttribute('aria-disabled', String(!loadOk));
  $<HTMLInputElement>('load').disabled = !loadOk;
  const pending = !!session && !sameRun(controls, modelSettings);
  $('pending').hidden = !pending;
  $('reset').classList.toggle('attention', pending);
}

function updateStatus() {
  const s = session;
  $('step').textContent = String(s?.step ?? 0);
  $('epoch').textContent = s ? s.epoch.toFixed(2) : '0.00';
  // The last measured rate stays up while paused.
  const sps = s?.stepsPerSecond ?? 0;
  $('sps').textContent = sps > 0 ? (sps >= 100 ? sps.toFixed(0) : sps.toFixed(1)) : '–';
  $('eps').textContent = sps > 0 ? Math.round(sps * s!.batch).toLocaleString('en-US') : '–';
  if (s) {
    const params = s.vae.graph.params.reduce((a, p) => a + p.size, 0);
    $('model').textContent = `${describeConfig(s.config)} · ${params.toLocaleString('en-US')} parameters · batch ${s.batch} · lr ${s.config.adam.lr}`;
  }
  const t = s?.test.at(-1);
  $('elbo').textContent = fmt(t?.elbo);
  const beta = s?.config.beta ?? 1;
  $('objective').hidden = beta === 1 || !t;
  $('objective').textContent = t ? `training objective rec + ${beta}·KL = ${fmt(t.objective)}` : '';
  $('rec').textContent = fmt(t?.rec);
  $('kl').textContent = fmt(t?.kl);
  $('train-elbo').textContent = fmt(s?.train.at(-1)?.elbo);
  $('lk-label').innerHTML = lk ? `−L<sub>${lk.k}</sub> at step ${lk.step}` : '−L<sub>k</sub>';
  $('lk-value').textContent = fmt(lk?.value === undefined ? undefined : -lk.value);
}

// ---- charts ----------------------------------------------------------------------------------
let chartFrame = 0;
let lastChartDraw = 0;
function scheduleCharts() {
  if (chartFrame) return;
  const wait = Math.max(0, 250 - (performance.now() - lastChartDraw));
  chartFrame = window.setTimeout(() => requestAnimationFrame(() => {
    chartFrame = 0;
    lastChartDraw = performance.now();
    drawCharts();
    updateStatus();
  }), wait);
}

function drawCharts() {
  const s = session;
  const series = (key: 'elbo' | 'rec' | 'kl') => [
    { name: 'train', color: COLORS.train, points: (s?.train ?? []).map((p) => ({ x: p.step, y: p[key] })), lineWidth: 1.25 },
    { name: 'test', color: COLORS.test, points: (s?.test ?? []).map((p) => ({ x: p.step, y: p[key] })), markers: true, lineWidth: 2 },
  ];
  const empty = s ? 'press Start to train' : 'waiting for the model';
  drawChart($<HTMLCanvasElement>('chart-elbo'), { series: series('elbo'), xLabel: 'step', yLabel: 'nats', empty });
  drawChart($<HTMLCanvasElement>('chart-rec'), { series: series('rec'), xLabel: 'step', yLabel: 'nats', empty });
  drawChart($<HTMLCanvasElement>('chart-kl'), { series: series('kl'), xLabel: 'step', yLabel: 'nats', empty });
}

// ---- pictures --------------------------------------------------------------------------------
function shownIndices(): number[] {
  const n = data!.test.count;
  // Evenly spaced through the test set (ordered by class), so every class shows; offset for others.
  return Array.from({ length: SHOWN_DIGITS }, (_, i) => (Math.floor((i * n) / SHOWN_DIGITS) + shownOffset) % n);
}

function gatherShown(): Float32Array {
  const D = data!.test.dim;
  const x = new Float32Array(SHOWN_DIGITS * D);
  shownIndices().forEach((j, i) => x.set(data!.test.images.subarray(j * D, (j + 1) * D), i * D));
  return x;
}

function priorLatents(n: number, latent: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * latent }, (_, i) => gaussianNoise(seed, 0, STREAMS.prior, i));
}

function interpolationLatents(mu: Float32Array, latent: number): Float32Array {
  const [a, b] = pick;
  const z = new Float32Array(INTERPOLATION_FRAMES * latent);
  for (let f = 0; f < INTERPOLATION_FRAMES; f++) {
    const t = f / (INTERPOLATION_FRAMES - 1);
    for (let d = 0; d < latent; d++) z[f * latent + d] = (1 - t) * mu[a * latent + d]! + t * mu[b * latent + d]!;
  }
  return z;
}

let refreshing: Promise<void> | null = null;
let refreshAgain = false;
/** Recomputes every picture on the GPU (coalesced: one refresh at a time, one more if asked meanwhile). */
function refreshPictures(): Promise<void> {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      await computePictures();
    } while (refreshAgain);
  })().finally(() => { refreshing = null; });
  return refreshing;
}

async function computePictures() {
  const s = session;
  if (!s || !data) return;
  const gen = generation;
  const Z = s.config.latent;
  const x = gatherShown();
  const t0 = performance.now();
  try {
    const { mu, recon } = await s.encodeAndReconstruct(x);
    const samples = await s.decode(priorLatents(64, Z, s.config.seed + sampleSeed));
    const latent = Z === 2
      ? await s.decode(manifoldLatents(MANIFOLD_STEPS, 2, { lo: MANIFOLD_LO, hi: MANIFOLD_HI }))
      : await s.decode(interpolationLatents(mu, Z));
    const testMu = Z === 2 && $<HTMLInputElement>('scatter').checked ? await s.encodeMeans(data.test.images) : null;
    if (gen !== generation) return;
    pictures = { gen, x, mu, recon, samples, latent, testMu };
    lastPicturesAt = performance.now();
    picturesEvery = Math.max(PICTURES_EVERY_MS, 6 * (lastPicturesAt - t0));
    drawPictures();
  } catch (e) {
    if (gen === generation) throw e;
  }
}

/** Redraws from the last computed pictures (selection changes need no GPU for the manifold). */
function drawPictures() {
  const p = pictures;
  const s = session;
  if (!p || !s) return;
  const Z = s.config.latent;
  const recFrames: [number, string][] = [[2 * pick[0], COLORS.a], [2 * pick[1], COLORS.b]];
  drawLayout($<HTMLCanvasElement>('recon'), recLayout, [p.x, p.recon], { frames: recFrames });
  drawLayout($<HTMLCanvasElement>('samples'), sampleLayout, [p.samples], { background: '#ffffff' });
  const canvas = $<HTMLCanvasElement>('latent-canvas');
  if (Z === 2) {
    $('latent-title').textContent = 'Latent manifold (decoder means)';
    $('scatter-toggle').hidden = false;
    $('latent-hint').innerHTML =
      `z₁ (→) and z₂ (↑) at the prior's ${MANIFOLD_LO * 100}%…${MANIFOLD_HI * 100}% quantiles, ${MANIFOLD_STEPS}×${MANIFOLD_STEPS}. ` +
      'Dots: μ of the chosen digits <b class="a">A</b> and <b class="b">B</b>. Tick “scatter” for all test digits’ μ by class.';
    $('pick-target').textContent = 'path marked on the manifold';
    if (!p.latent) return;
    if (p.testMu) {
      $('latent-title').textContent = 'Latent space: μ of the test digits';
      $('latent-hint').innerHTML =
        'μ of q(z|x) for all 1,000 test digits, coloured by class, with the chosen digits <b class="a">A</b> and <b class="b">B</b>. ' +
        'Untick “scatter” for the decoder’s manifold.';
      const m = (i: number, label: string, color: string) => ({ x: p.mu[2 * i]!, y: p.mu[2 * i + 1]!, label, color });
      drawScatter(canvas, p.testMu, data!.test.labels, [m(pick[0], 'A', COLORS.a), m(pick[1], 'B', COLORS.b)]);
    } else {
      drawLayout(canvas, manifoldLayout, [p.latent], { overlay: (ctx, scale) => drawPath(ctx, scale, p.mu) });
    }
  } else {
    $('latent-title').textContent = 'Interpolation A → B in latent space';
    $('scatter-toggle').hidden = true;
    $('latent-hint').innerHTML =
      `<b class="a">A</b>, then decode((1 − t)·μ<sub>A</sub> + t·μ<sub>B</sub>) for t = 0 … 1 in ${INTERPOLATION_FRAMES} steps, then <b class="b">B</b>. ` +
      'With a 2-D latent the manifold shows here instead.';
    $('pick-target').textContent = 'interpolation';
    if (!p.latent) return;
    const [a, b] = pick;
    const D = SIDE * SIDE;
    const frames = new Float32Array((INTERPOLATION_FRAMES + 2) * D);
    frames.set(p.x.subarray(a * D, (a + 1) * D), 0);
    frames.set(p.latent.subarray(0, INTERPOLATION_FRAMES * D), D);
    frames.set(p.x.subarray(b * D, (b + 1) * D), (INTERPOLATION_FRAMES + 1) * D);
    drawLayout(canvas, interpLayout, [frames], { frames: [[0, COLORS.a], [INTERPOLATION_FRAMES + 1, COLORS.b]] });
  }
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Where latent point i of `mu` (2-D) sits on the manifold picture: at its prior quantiles, in canvas pixels. */
function manifoldPlace(mu: Float32Array, i: number, scale: number, margin: number): [number, number] {
  const span = (MANIFOLD_STEPS - 1) * SIDE;
  const size = MANIFOLD_STEPS * SIDE;
  const u = (normalCdf(mu[2 * i]!) - MANIFOLD_LO) / (MANIFOLD_HI - MANIFOLD_LO);
  const v = (normalCdf(mu[2 * i + 1]!) - MANIFOLD_LO) / (MANIFOLD_HI - MANIFOLD_LO);
  const clamp = (q: number) => Math.max(margin, Math.min(size - margin, q));
  return [clamp(SIDE / 2 + u * span) * scale, clamp(SIDE / 2 + (1 - v) * span) * scale];
}

/** μ_A → μ_B drawn on the manifold. */
function drawPath(ctx: CanvasRenderingContext2D, scale: number, mu: Float32Array) {
  const [ax, ay] = manifoldPlace(mu, pick[0], scale, 6);
  const [bx, by] = manifoldPlace(mu, pick[1], scale, 6);
  ctx.lineWidth = 2;
  ctx.setLineDash([5, 4]);
  ctx.strokeStyle = 'rgba(255,255,255,0.9)';
  ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
  ctx.setLineDash([]);
  ctx.font = 'bold 12px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const [x, y, colour, label] of [[ax, ay, COLORS.a, 'A'], [bx, by, COLORS.b, 'B']] as const) {
    ctx.beginPath();
    ctx.arc(x, y, 8, 0, 2 * Math.PI);
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.strokeStyle = '#fff';
    ctx.stroke();
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x, y + 0.5);
  }
}

async function refreshInterpolation() {
  const s = session;
  if (!s || !pictures) return;
  if (s.config.latent === 2) {
    drawPictures();
    return;
  }
  const gen = generation;
  const latent = await s.decode(interpolationLatents(pictures.mu, s.config.latent));
  if (gen !== generation || !pictures) return;
  pictures.latent = latent;
  drawPictures();
}

// ---- the model ---------------------------------------------------------------------------------
function attach(s: Session) {
  s.budget = controls.steps;
  s.on({
    onHistory: scheduleCharts,
    onStop: (reason, text) => void onStop(s, reason, text),
  });
}

/** Stops and releases the page's model (no closing evaluation), then installs `make()`. */
async function replaceSession(make: () => Session): Promise<Session> {
  const old = session;
  generation++;
  session = null;
  pictures = null;
  lk = null;
  stopStatusTimer();
  if (old) await old.dispose();
  const next = make();
  session = next;
  attach(next);
  return next;
}

/** A fresh model from the controls' settings: evaluated at step 0, pictures drawn. */
async function newModel(s: Settings) {
  busy = true;
  updateButtons();
  try {
    const next = await replaceSession(() => Session.create(rt!, data!, configFor(s, baseConfig), s.batch));
    modelSettings = { ...s };
    loaded = null;
    history.replaceState(null, '', location.pathname + settingsToUrl(s));
    say(`New model: ${describeConfig(next.config)}, seeded initialisation. Compiling its GPU kernels…`);
    setState('ready');
    drawCharts();
    // Off the main thread (createComputePipelineAsync): compiling on first use froze the tab for a while.
    await next.vae.precompile();
    say(`New model: ${describeConfig(next.config)}, seeded initialisation. Evaluating the test set…`);
    await next.evaluateTest();
    await refreshPictures();
    say(`New model ready: test −ELBO ${fmt(next.test.at(-1)?.elbo)} nats at initialisation. Press Start to train.`);
  } finally {
    busy = false;
    updateButtons();
    updateStatus();
  }
}

function startTraining() {
  const s = session;
  if (!s || s.isRunning) return;
  s.budget = controls.steps;
  if (s.budget !== null && s.step >= s.budget) {
    say(`Already at step ${s.step}: raise “Stop at step” (or clear it) to train further.`);
    return;
  }
  runStart = { step: s.step, time: performance.now() };
  s.start(async () => {
    updateStatus();
    if (performance.now() - lastPicturesAt > picturesEvery) await refreshPictures();
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
  if (s !== session) return;
  stopStatusTimer();
  const t = s.test.at(-1);
  const first = s.test[0];
  const seconds = runStart ? (performance.now() - runStart.time) / 1000 : 0;
  const steps = runStart ? s.step - runStart.step : 0;
  if (reason === 'diverged' || reason === 'error') {
    setState(reason);
    say(`Training stopped: ${text}.`, 'error');
    return;
  }
  await refreshPictures().catch((e) => reportError(e));
  if (s !== session) return;
  if (reason === 'budget') {
    say(`Done: ${steps} steps in ${seconds.toFixed(1)} s (${(steps / Math.max(seconds, 1e-9)).toFixed(1)} steps/s overall, test evaluations included). ` +
      `Test −ELBO ${fmt(first?.elbo)} → ${fmt(t?.elbo)} nats.`);
    setState('done');
  } else {
    say(`Paused at step ${s.step} (epoch ${s.epoch.toFixed(2)}). Test −ELBO ${fmt(t?.elbo)} nats.`);
    setState('paused');
  }
  autostartRun = false;
}

async function saveCheckpoint() {
  const s = session;
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
  saves++;
  say(`Saved model.safetensors at step ${s.step} (${(bytes.byteLength / 1e6).toFixed(2)} MB, weights + Adam state, batch ${s.batch}). ` +
    `Continue it with: npm run train -- --resume <folder of the file> --epochs N`);
}

async function loadCheckpoint(file: File) {
  busy = true;
  updateButtons();
  try {
    // Made before the current model is touched: a file that does not load leaves it as it was.
    let result: ReturnType<typeof Session.load>;
    try {
      // Read no further than its header says (a huge or lying file is refused before it is read);
      // a PyTorch state_dict becomes a weights-only checkpoint.
      const bytes = await readCheckpointBlob(file, file.name);
      result = Session.load(rt!, data!, importModel(bytes, file.name), controls.batch, file.name);
    } catch (e) {
      say(`Could not load ${file.name}: ${(e as Error).message}`, 'error');
      return;
    }
    const { state: ckpt, batchFrom } = result;
    const next = await replaceSession(() => result.session);
    baseConfig = ckpt.config;
    const settings = settingsFor(ckpt.config, next.batch, controls.steps);
    controls = { ...settings };
    modelSettings = { ...settings };
    writeControls(settings);
    loaded = { name: file.name, step: ckpt.step };
    history.replaceState(null, '', location.pathname + settingsToUrl(settings));
    setState('ready');
    say(`Loaded ${file.name}: ${describeConfig(ckpt.config)} at step ${ckpt.step}… evaluating the test set.`);
    await next.vae.precompile();
    const t = await next.evaluateTest();
    await refreshPictures();
    say(`Loaded ${file.name}: step ${ckpt.step} (epoch ${next.epoch.toFixed(2)}), ${ckpt.adam ? 'Adam state restored' : 'no Adam state (weights only)'}, ` +
      `batch ${next.batch}${batchFrom === 'checkpoint' ? ' from the checkpoint' : ' (not in the checkpoint: the page’s)'}. Test −ELBO ${fmt(t.elbo)} nats.`);
  } finally {
    busy = false;
    updateButtons();
    updateStatus();
    drawCharts();
  }
}

async function computeLk() {
  const s = session;
  if (!s) return;
  const k = Number($<HTMLSelectElement>('k').value);
  const button = $<HTMLButtonElement>('lk');
  button.disabled = true;
  const before = message;
  say(`Computing L_${k} on the 1,000 test digits (${k} decoder passes each)…${s.isRunning ? ' Training waits meanwhile.' : ''}`);
  try {
    const t0 = performance.now();
    const step = s.step;
    const value = await s.evaluateLk(k);
    const point = await s.evaluateTest();
    if (s !== session) return;
    lk = { k, value, step: point.step, elbo: point.elbo };
    say(`−L_${k} = ${fmt(-value)} nats ≤ test −ELBO ${fmt(point.elbo)} nats at step ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s).`);
  } catch (e) {
    say(`L_${k} failed: ${(e as Error).message}`, 'error');
  } finally {
    updateButtons();
    updateStatus();
    if (s.isRunning && message.startsWith('−L')) setTimeout(() => { if (message.startsWith('−L')) say(before); }, 8000);
  }
}

// ---- controls ----------------------------------------------------------------------------------
const FIELDS = ['latent', 'hidden', 'beta', 'lr', 'batch', 'steps'] as const;

function writeControls(s: Settings) {
  $<HTMLInputElement>('latent').value = String(s.latent);
  $<HTMLInputElement>('hidden').value = hiddenText(s.hidden);
  $<HTMLInputElement>('beta').value = String(s.beta);
  $<HTMLInputElement>('lr').value = String(s.lr);
  $<HTMLInputElement>('batch').value = String(s.batch);
  $<HTMLInputElement>('steps').value = s.steps === null ? '' : String(s.steps);
}

let applyTimer: number | undefined;
function onControlChange(field: (typeof FIELDS)[number]) {
  const input = $<HTMLInputElement>(field);
  try {
    const value = FIELD_PARSERS[field](input.value);
    const next = { ...controls, [field]: value, ...(field === 'hidden' ? { decoder: null } : {}) };
    // The model as a whole must fit the page (a huge one would stall it while it is made).
    const problem = field === 'steps' ? null : settingsProblem(configFor(next, baseConfig), Math.min(next.batch, data?.train.count ?? next.batch));
    if (problem) throw new Error(problem);
    controls = next;
    input.classList.remove('invalid');
    input.title = '';
  } catch (e) {
    input.classList.add('invalid');
    input.title = `${field} ${(e as Error).message}`;
    say(`${input.labels?.[0]?.textContent?.trim() ?? field}: ${(e as Error).message}.`, 'error');
    return;
  }
  if (field === 'steps') {
    if (session) session.budget = controls.steps;
    return;
  }
  updateButtons();
  // An untouched model follows the controls at once; a trained one waits for Reset.
  const s = session;
  if (s && s.step === 0 && !s.isRunning && !loaded && !sameRun(controls, modelSettings)) {
    clearTimeout(applyTimer);
    applyTimer = window.setTimeout(() => { if (!busy && session?.step === 0 && !session.isRunning) void newModel({ ...controls }).catch(reportError); }, 350);
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
    const s = session;
    if (!s) return;
    if (s.isRunning) {
      say('Pausing…');
      void s.pause();
    } else if (s.step === 0 && !loaded && !sameRun(controls, modelSettings)) {
      void newModel({ ...controls }).then(startTraining, reportError);
    } else {
      startTraining();
    }
  });
  $('reset').addEventListener('click', () => void newModel({ ...controls }).catch(reportError));
  $('save').addEventListener('click', () => void saveCheckpoint().catch(reportError));
  const load = $<HTMLInputElement>('load');
  load.addEventListener('change', () => {
    const file = load.files?.[0];
    load.value = '';
    if (file) void loadCheckpoint(file).catch(reportError);
  });
  $('lk').addEventListener('click', () => void computeLk());
  $('more').addEventListener('click', () => {
    shownOffset = (shownOffset + 1) % data!.test.count;
    void refreshPictures().catch(reportError);
  });
  $('scatter').addEventListener('change', () => void refreshPictures().catch(reportError));
  $('resample').addEventListener('click', () => {
    sampleSeed++;
    void refreshPictures().catch(reportError);
  });
  const recon = $<HTMLCanvasElement>('recon');
  recon.addEventListener('click', (e) => {
    const cell = cellAt(recon, recLayout, e);
    if (cell === undefined || !pictures) return;
    const digit = recLayout.cells[cell]!.image;
    if (pick.includes(digit)) return;
    pick[nextPick] = digit;
    nextPick = nextPick === 0 ? 1 : 0;
    drawPictures();
    void refreshInterpolation().catch(reportError);
  });
  new ResizeObserver(() => {
    drawCharts();
    drawPictures();
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
  controls = { ...parsed.settings, hidden: [...parsed.settings.hidden] };
  autostartRun = parsed.autostart;
  warnings = parsed.warnings;
  writeControls(controls);
  if (warnings.length) showBanner(warnings, 'warn');
  drawCharts();
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
  gpu = await acquireDevice();
  rt = Runtime.forContext(gpu);
  software = gpu.adapterInfo.isSoftware;
  adapterText = describeAdapter(gpu.adapterInfo);
  $('adapter').textContent = adapterText.replace(' [software]', '');
  $('software').hidden = !software;
  gpu.device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    showBanner([`The GPU device was lost (${info.message || info.reason}). Reload the page to start again; save checkpoints often on unstable drivers.`], 'error');
    setState('error');
  });
  data = await dataPromise;
  say(`Loaded ${data.train.count.toLocaleString('en-US')} training and ${data.test.count.toLocaleString('en-US')} test digits.`);
  await newModel({ ...controls });
  if (autostartRun) startTraining();
}

window.addEventListener('unhandledrejection', (e) => reportError(e.reason));
main().catch((e) => {
  reportError(e);
  showBanner([`The demo could not start: ${(e as Error).message}`], 'error');
  setState('error');
});

