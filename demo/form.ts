// The form's fields: which controls there are, the objective's choices (the registry's names) and
// writing settings into the controls. Reading them back is demo/controls.ts's.
import { BUILTIN_OPS } from '../src/ops/registry';
import { $ } from './page';
import { LIKELIHOODS } from '../src/base/words';
import { hiddenText, OBJECTIVES, type Settings } from './settings';

export const FIELDS = ['arch', 'likelihood', 'latent', 'hidden', 'beta', 'objective', 'k', 'klWarmup', 'conditional', 'lr', 'batch', 'steps'] as const;

/** A field's text as its parser reads it (a checkbox: 1 or 0). */
export function fieldText(field: (typeof FIELDS)[number]): string {
  const input = $<HTMLInputElement>(field);
  return input.type === 'checkbox' ? (input.checked ? '1' : '0') : input.value;
}

/** The conditional checkbox for data of `classes` classes: disabled, with the reason, for unlabelled data. */
export function offerConditional(classes: number) {
  const box = $<HTMLInputElement>('conditional');
  box.disabled = classes < 2;
  if (box.disabled) box.checked = false;
  const note = $('conditional-note');
  note.hidden = !box.disabled;
  note.textContent = box.disabled
    ? `Conditional needs labelled images: ${classes === 0 ? 'these have no labels (put each class in a sub-folder of its own, or give an .npz with labels)' : 'these are all of one class'}.`
    : '';
}

export function writeControls(s: Settings) {
  $<HTMLSelectElement>('arch').value = s.arch;
  $<HTMLSelectElement>('likelihood').value = s.likelihood;
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
  $<HTMLInputElement>('conditional').checked = s.conditional;
}

/** Fills the objective choice with the registry's objectives. */
export function fillObjectives(select = $<HTMLSelectElement>('objective')) {
  select.replaceChildren(...OBJECTIVES.map((name) => {
    const o = document.createElement('option');
    o.value = name;
    o.textContent = BUILTIN_OPS.objective(name).title ?? name;
    return o;
  }));
}

/** Fills the likelihood choice with the library's likelihoods. */
export function fillLikelihoods(select = $<HTMLSelectElement>('likelihood')) {
  select.replaceChildren(...LIKELIHOODS.map((name) => new Option(name, name)));
}
