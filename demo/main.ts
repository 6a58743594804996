// The demo page's start-up: finds WebGPU (or says which browser or flag is needed), starts the
// training worker (demo/worker.ts, through demo/host.ts; where a worker gets no WebGPU the page says
// so and trains on its own thread), fetches the embedded MNIST split (mnist.bin, built by
// demo/mnist-plugin.ts) with a progress bar and hands it to the model, fills and wires the controls
// (demo/form.ts, demo/controls.ts) and makes the first model. The actions on it (demo/actions.ts)
// go to the model host; the pictures and explanations (demo/explain.ts) ask it between training
// slices, so the page stays responsive while it trains. The page's state is one object (demo/page.ts).
//
// URL parameters (all optional): arch (mlp | conv), latent, hidden ("400" or "512,256"), batch, lr, beta, seed, steps
// (stop at that step), autostart=1, likelihood, objective, k, klWarmup, conditional=1 (a conditional VAE on the
// data's labels; the class picker then chooses the class the views use); maxData=S (the cap on the user's own images,
// default 256M); for the kernels notune=1 (run the rule's schedules) and
// tuneBudget=S (seconds a tuning may take, default 10; demo/tuning.ts); worker=0 (train on the page's
// thread) and lkMax=N (the one-digit bound's largest k, default 1000), e.g.
// ?latent=2&hidden=64&batch=64&lr=0.002&beta=1&steps=200&autostart=1. An autostarted run that reaches
// `steps` evaluates the test set, shows the last test −ELBO in #elbo and sets document.body.dataset.state = "done".
//
// window.__demo is the only global: a read-only getter returning a fresh snapshot of the page's status
// (for tests and the curious; it controls nothing):
//   { state, busy, host, hostNote, step, epoch, adapter, software, model, batch, stepsPerSecond, examplesPerSecond,
//     train: LossPoint[], test: LossPoint[], lastTestElbo, lk, loaded, saves, message, warnings, tune,
//     posterior, reconstruction, hover, lkCurve, traversal, condition, data }
// where LossPoint = { step, objective, elbo, rec, kl } in nats per example (the objective's bound
// under its key and its parts by name, demo/session.ts), `test` are full test-set evaluations,
// `loaded` = { name, step } of the last checkpoint loaded, `lk` = { k, value, step, elbo }, `tune` the
// kernel tuning's TuneStatus (demo/tuning.ts), `host` 'worker' or 'main' (hostNote: why not a worker),
// `posterior` = { step, strokes, source, mu, sigma, rec, kl } of the drawn digit with `reconstruction`
// its decode(μ) (784 values), `hover` = { z, step, image } of the last hovered point, `lkCurve` =
// { digit, step, ks, negLk, rec, kl } of the one-digit bound and `traversal` = { units, activity,
// values, z, frames, step } (latent > 2); `condition` = { classes, picked } for a conditional model (null
// otherwise), and posterior, hover and lkCurve carry the `label` they were asked with (null: unconditional); `data` = { kind: 'mnist' | 'own', describe, count, shape,
// train, test, classes, preset, problems, notes } says what the model trains on (demo/own-data.ts).
import { unpackMnistU8, type MnistSplit } from '../src/data/mnist';
import { $, page, say, setState, showBanner, snapshot, updateStatus } from './page';
import { settingsFromUrl } from './settings';
import { initialTuneStatus } from './tuning';
import { listen, newModel, startTraining, warn } from './actions';
import { charts, makeViews, reportError } from './explain';
import { openLocalHost, openWorkerHost, type ModelHost } from './host';
import { fillLikelihoods, fillObjectives, writeControls } from './form';
import { wireOwnData } from './own-data';
import { wire } from './controls';

Object.defineProperty(window, '__demo', { get: snapshot, enumerable: false, configurable: false });

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

/** The training worker, else (it gets no WebGPU, or ?worker=0) the page's own thread. */
async function openHost(): Promise<ModelHost> {
  const tuneWarning = (m: string) => warn(`Kernel tuning: ${m}`);
  if (!page.options.worker) {
    page.hostNote = 'training on the page’s thread: ?worker=0';
    return openLocalHost(page.tuneSettings, tuneWarning);
  }
  say('Starting the training worker…');
  const worker = await openWorkerHost(page.tuneSettings);
  if ('unavailable' in worker) {
    page.hostNote = `the training worker got no WebGPU: ${worker.unavailable}`;
    warn(`This browser gives WebGPU to the page but not to its Web Worker (${worker.unavailable}): the model trains on the page’s own thread, so the page may stutter while it trains.`);
    return openLocalHost(page.tuneSettings, tuneWarning);
  }
  page.hostNote = 'the model trains in a Web Worker: the page never waits for it';
  for (const m of worker.startWarnings) tuneWarning(m);
  return worker;
}

async function main() {
  const parsed = settingsFromUrl(location.search);
  page.controls = { ...parsed.settings, hidden: [...parsed.settings.hidden] };
  page.autostartRun = parsed.autostart;
  page.warnings = parsed.warnings;
  page.tuneSettings = parsed.tune;
  page.options = parsed.options;
  page.tune = initialTuneStatus(parsed.tune);
  fillObjectives();
  fillLikelihoods();
  writeControls(page.controls);
  if (page.warnings.length) showBanner(page.warnings, 'warn');
  makeViews(page.options.lkMax);
  charts.draw();
  wire();
  wireOwnData();

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
  const host = await openHost();
  page.host = host;
  listen();
  page.tune = { ...host.tune };
  page.software = host.adapter.isSoftware;
  page.adapterText = host.adapterText;
  $('adapter').textContent = page.adapterText.replace(' [software]', '');
  $('software').hidden = !page.software;
  updateStatus();
  page.data = page.mnist = await dataPromise;
  await host.call('setData', page.data);
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

