// The controls' binding: a changed field is parsed (an invalid one is marked and explained), an
// untouched model follows the controls at once, and the buttons, file input and canvases call the
// actions of demo/actions.ts.
import { cellAt } from './digits';
import { $, dataClasses, page, say, updateButtons, view } from './page';
import { configFor, FIELD_PARSERS, sameRun, settingsProblem } from './settings';
import { computeLk, loadCheckpoint, newModel, saveCheckpoint, startTraining } from './actions';
import { charts, pictures, reportError, views } from './explain';
import { fieldText, FIELDS } from './form';

let applyTimer: number | undefined;
function onControlChange(field: (typeof FIELDS)[number]) {
  const input = $<HTMLInputElement>(field);
  try {
    const value = FIELD_PARSERS[field](fieldText(field));
    const next = { ...page.controls, [field]: value, ...(field === 'hidden' ? { decoder: null } : {}) };
    // The model as a whole must fit the page (a huge one would stall it while it is made).
    const problem = field === 'steps' ? null : settingsProblem(configFor(next, page.baseConfig, dataClasses()), Math.min(next.batch, page.data?.train.count ?? next.batch));
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
    if (view()) page.host!.call('setBudget', page.controls.steps).catch(reportError);
    return;
  }
  updateButtons();
  // An untouched model follows the controls at once; a trained one waits for Reset.
  const s = view();
  if (s && s.step === 0 && !s.running && !page.loaded && !sameRun(page.controls, page.modelSettings)) {
    clearTimeout(applyTimer);
    applyTimer = window.setTimeout(() => { if (!page.busy && view()?.step === 0 && !view()!.running) void newModel({ ...page.controls }).catch(reportError); }, 350);
  }
}

export function wire() {
  for (const f of FIELDS) $(f).addEventListener('change', () => onControlChange(f));
  $('start').addEventListener('click', () => {
    const s = view();
    if (!s) return;
    if (s.running) {
      say('Pausing…');
      page.host!.call('pause').catch(reportError);
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
    void pictures.refresh().then(() => views().bound.refresh()).catch(reportError);
  });
  $('scatter').addEventListener('change', () => void pictures.refresh().catch(reportError));
  $('resample').addEventListener('click', () => {
    pictures.sampleSeed++;
    void pictures.refresh().catch(reportError);
  });
  const recon = $<HTMLCanvasElement>('recon');
  recon.addEventListener('click', (e) => {
    const layout = pictures.recLayout();
    const cell = cellAt(recon, layout, e);
    if (cell === undefined || !pictures.choose(layout.cells[cell]!.image)) return;
    pictures.draw();
    void pictures.refreshInterpolation().catch(reportError);
    views().bound.refresh();
  });
  $('pad-use-a').addEventListener('click', () => {
    const a = pictures.digitA();
    if (a) views().posterior.use(a);
  });
  new ResizeObserver(() => {
    charts.draw();
    pictures.draw();
    views().posterior.draw();
    views().bound.draw();
  }).observe($('app'));
}
