// The demo page's state (one object, `page`: nothing else at module level holds any) and what shows
// it: the status line, the buttons, the message and banner, and the snapshot that window.__demo
// returns (see demo/main.ts).
import type { MnistSplit } from '../src/data/mnist';
import { DEFAULT_CONFIG, describeConfig, type VaeConfig } from '../src/model/config';
import type { ModelHost, ModelView } from './host';
import type { BoundResult, Posterior } from './service';
import { DEFAULT_PAGE_OPTIONS, DEFAULT_SETTINGS, DEFAULT_TUNE, MNIST_CLASSES, sameRun, type PageOptions, type Settings, type TuneSettings } from './settings';
import { initialTuneStatus, tuneText, type TuneStatus } from './tuning';

export interface DataInfo {
  kind: 'mnist' | 'own';
  /** "30 PNG images" (own data). */
  describe?: string;
  count?: number;
  /** "12×10×3". */
  shape?: string;
  train?: number;
  test?: number;
  /** The labels' classes (absent: unlabelled images). */
  classes?: number;
  preset?: string;
  /** Files left out, by name (the banner's lines). */
  problems?: string[];
  notes?: string[];
}

export type PageState = 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'diverged' | 'error' | 'no-webgpu';

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const fmt = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export const page = {
  state: 'loading' as PageState,
  /** Where the model lives (the training worker, or this thread) and why not in a worker. */
  host: null as ModelHost | null,
  hostNote: '',
  data: undefined as MnistSplit | undefined,
  /** The embedded digits, kept for "use MNIST" while the user's own images are in use. */
  mnist: undefined as MnistSplit | undefined,
  /** What the model trains on (demo/own-data.ts): the embedded MNIST split, or the user's images. */
  dataInfo: { kind: 'mnist' } as DataInfo,
  /** Bumped whenever the session is replaced: results computed for an older one are dropped. */
  generation: 0,
  busy: false,
  /** The settings the controls hold (valid values only) and those the current model was made with. */
  controls: { ...DEFAULT_SETTINGS } as Settings,
  modelSettings: { ...DEFAULT_SETTINGS } as Settings,
  /** Config fields the controls do not set: defaults, or the last loaded checkpoint's. */
  baseConfig: DEFAULT_CONFIG as VaeConfig,
  loaded: null as { name: string; step: number } | null,
  lk: null as { k: number; value: number; step: number; elbo: number } | null,
  saves: 0,
  autostartRun: false,
  warnings: [] as string[],
  message: '',
  adapterText: '',
  software: false,
  runStart: null as { step: number; time: number } | null,
  /** Kernel tuning: as the URL asked (?notune=1, ?tuneBudget=S) and where it stands. */
  tuneSettings: { ...DEFAULT_TUNE } as TuneSettings,
  tune: initialTuneStatus(DEFAULT_TUNE) as TuneStatus,
  /** ?worker=0, ?lkMax=N. */
  options: { ...DEFAULT_PAGE_OPTIONS } as PageOptions,
  /** The class picked for a conditional model's views (latent-views.ts' picker); unused otherwise. */
  condition: 0,
  /** The explanations' last results (demo/drawing.ts, latent-views.ts, bound-view.ts), for the snapshot; `label`: the class they were asked with (null: unconditional). */
  posterior: null as (Posterior & { strokes: number; source: string; label: number | null }) | null,
  hover: null as { z: number[]; image: Float32Array; step: number; label: number | null } | null,
  bound: null as (BoundResult & { digit: string; label: number | null }) | null,
  traversal: null as { units: number[]; activity: number[]; values: number[]; z: number[]; frames: number; step: number } | null,
};

/** The page's mirror of its model (demo/host.ts), when it has one. */
export const view = (): ModelView | null => (page.host?.view.info ? page.host.view : null);

/** The classes of the page's data: MNIST's 10, own images' (0 without labels). */
export const dataClasses = (): number => (page.dataInfo.kind === 'mnist' ? MNIST_CLASSES : page.dataInfo.classes ?? 0);

/** The class a conditional model's views ask with (the picker's), null for an unconditional model. */
export const pickedClass = (): number | null => (page.host?.view.info?.config.conditional ? page.condition : null);
const list = (a: ArrayLike<number> | undefined) => (a ? Array.from(a) : null);

export function snapshot() {
  const s = view();
  const sps = s?.stepsPerSecond ?? 0;
  const p = page.posterior, h = page.hover, b = page.bound, t = page.traversal;
  return Object.freeze({
    state: page.state,
    busy: page.busy,
    host: page.host?.where ?? null,
    hostNote: page.hostNote,
    step: s?.step ?? 0,
    epoch: s ? s.epoch : 0,
    adapter: page.adapterText,
    software: page.software,
    model: s ? describeConfig(s.info!.config) : '',
    batch: s?.info!.batch ?? page.controls.batch,
    stepsPerSecond: sps,
    examplesPerSecond: sps * (s?.info!.batch ?? 0),
    train: (s?.train ?? []).map((p) => ({ ...p })),
    test: (s?.test ?? []).map((p) => ({ ...p })),
    lastTestElbo: s?.test.at(-1)?.elbo ?? null,
    lk: page.lk && { ...page.lk },
    loaded: page.loaded && { ...page.loaded },
    saves: page.saves,
    message: page.message,
    warnings: [...page.warnings],
    tune: { ...page.tune },
    posterior: p && { step: p.step, strokes: p.strokes, source: p.source, label: p.label, mu: list(p.mu)!, sigma: Array.from(p.logvar, (v) => Math.exp(0.5 * v)), rec: p.rec, kl: p.kl },
    reconstruction: list(p?.recon),
    hover: h && { z: [...h.z], step: h.step, label: h.label, image: list(h.image)! },
    lkCurve: b && { digit: b.digit, step: b.step, label: b.label, ks: [...b.ks], negLk: b.lk.map((v) => -v), rec: b.rec, kl: b.kl },
    condition: s?.info!.config.conditional ? { classes: s.info!.config.conditional.classes, picked: page.condition } : null,
    traversal: t && { ...t, units: [...t.units], activity: [...t.activity], values: [...t.values], z: [...t.z] },
    data: { ...page.dataInfo, problems: page.dataInfo.problems && [...page.dataInfo.problems], notes: page.dataInfo.notes && [...page.dataInfo.notes] },
  });
}

export function setState(next: PageState) {
  page.state = next;
  document.body.dataset.state = next;
  $('state-pill').textContent = next === 'no-webgpu' ? 'no WebGPU' : next;
  updateButtons();
  updateStatus();
}

export function say(text: string, kind: 'info' | 'error' = 'info') {
  page.message = text;
  const el = $('message');
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
}

export function showBanner(lines: string[], kind: 'warn' | 'error') {
  const el = $('banner');
  el.hidden = lines.length === 0;
  el.textContent = lines.join('\n');
  el.classList.toggle('error', kind === 'error');
}

export function updateButtons() {
  const hasModel = !!view() && !page.busy;
  const running = !!view()?.running;
  const start = $<HTMLButtonElement>('start');
  start.disabled = !hasModel || page.state === 'diverged' || page.state === 'error';
  start.textContent = running ? 'Pause' : (view()?.step ?? 0) > 0 ? 'Resume' : 'Start';
  $<HTMLButtonElement>('reset').disabled = !page.host || !page.data || page.busy;
  const dataOk = !!page.host && !!page.mnist && !page.busy;
  for (const id of ['pick-files-label', 'pick-folder-label']) $(id).setAttribute('aria-disabled', String(!dataOk));
  $<HTMLInputElement>('pick-files').disabled = $<HTMLInputElement>('pick-folder').disabled = !dataOk;
  $<HTMLButtonElement>('use-mnist').disabled = !dataOk || page.dataInfo.kind === 'mnist';
  $<HTMLButtonElement>('save').disabled = !hasModel || page.state === 'diverged';
  $<HTMLButtonElement>('lk').disabled = !hasModel || page.state === 'diverged';
  const loadOk = !!page.host && !!page.data && !page.busy;
  $('load-label').setAttribute('aria-disabled', String(!loadOk));
  $<HTMLInputElement>('load').disabled = !loadOk;
  const pending = !!view() && !sameRun(page.controls, page.modelSettings);
  $('pending').hidden = !pending;
  $('reset').classList.toggle('attention', pending);
}

export function updateStatus() {
  const s = view();
  const info = s?.info;
  $('tune').textContent = tuneText(page.tune);
  $('host').textContent = !page.host ? '–' : page.host.where === 'worker' ? 'training in a Web Worker' : 'training on the page’s thread';
  $('host').title = page.hostNote || $('host').title;
  $('step').textContent = String(s?.step ?? 0);
  $('epoch').textContent = s ? s.epoch.toFixed(2) : '0.00';
  // The last measured rate stays up while paused.
  const sps = s?.stepsPerSecond ?? 0;
  $('sps').textContent = sps > 0 ? (sps >= 100 ? sps.toFixed(0) : sps.toFixed(1)) : '–';
  $('eps').textContent = sps > 0 ? Math.round(sps * info!.batch).toLocaleString('en-US') : '–';
  if (info) {
    $('model').textContent = `${describeConfig(info.config)} · ${info.params.toLocaleString('en-US')} parameters · batch ${info.batch} · lr ${info.config.adam.lr}`;
  }
  const t = s?.test.at(-1);
  $('elbo').textContent = fmt(t?.elbo);
  const beta = info?.config.beta ?? 1;
  // The training objective when it is not the test −ELBO itself: rec + β·KL for β ≠ 1, or −L_k.
  const labels = info?.labels;
  const iw = labels !== undefined && labels.key !== 'elbo';
  $('objective-note').hidden = (beta === 1 && !iw) || !t;
  $('objective-note').textContent = !t ? '' : iw ? `training objective ${labels!.loss} = ${fmt(t.objective)}` : `training objective rec + ${beta}·KL = ${fmt(t.objective)}`;
  // The objective's parts, each in the element named after it (#rec, #kl for the ELBO).
  for (const part of info?.parts ?? ['rec', 'kl']) {
    const el = document.getElementById(part);
    if (el) el.textContent = fmt(t?.[part]);
  }
  $('train-elbo').textContent = fmt(s?.train.at(-1)?.elbo);
  $('lk-label').innerHTML = page.lk ? `−L<sub>${page.lk.k}</sub> at step ${page.lk.step}` : '−L<sub>k</sub>';
  $('lk-value').textContent = fmt(page.lk?.value === undefined ? undefined : -page.lk.value);
}
