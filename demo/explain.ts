// The page's pictures and explanations, made once the page is laid out: the loss charts, the
// pictures (demo/pictures.ts), the drawing pad with its posterior (posterior-view.ts), the latent
// plane's hover and the traversal (latent-views.ts) and the one-digit bound (bound-view.ts); what a
// new model resets and what a refresh recomputes (every ~1.5 s while training, and when it stops).
import { LossCharts } from './loss-charts';
import { Pictures } from './pictures';
import { PosteriorView } from './posterior-view';
import { LatentViews } from './latent-views';
import { BoundView } from './bound-view';
import { $, page, pickedClass, say, updateStatus, view } from './page';
import { padFits } from './digits';

/** The one-digit bound is recomputed at most this often while training (it draws kMax samples). */
const BOUND_EVERY_MS = 6000;

export const charts = new LossCharts(view, () => updateStatus());
export const pictures = new Pictures({ host: () => page.host, data: () => page.data, generation: () => page.generation, label: pickedClass });

export function reportError(e: unknown) {
  const text = e instanceof Error ? e.message : String(e);
  console.error(e);
  say(text, 'error');
}

interface Views {
  posterior: PosteriorView;
  latent: LatentViews;
  bound: BoundView;
}
let made: Views | null = null;

/** The explanation views (made by makeViews at start-up). */
export function views(): Views {
  if (!made) throw new Error('the page is not laid out yet');
  return made;
}

/** Makes the views on the page's elements; `lkMax` is the one-digit bound's largest k. */
export function makeViews(lkMax: number): Views {
  const common = { host: () => page.host, generation: () => page.generation, fail: reportError };
  // A new class: every view that decodes or encodes with it asks again (each coalesced, latest wins).
  const classChanged = () => {
    void pictures.refresh().catch(reportError);
    made?.latent.reask();
    made?.posterior.refresh();
    made?.bound.classChanged();
  };
  const latent = new LatentViews({ ...common, plane: () => pictures.plane, hovered: () => pictures.drawLatent(), classChanged });
  const drawn = () => (padFits(page.host?.view.info?.config) ? made?.posterior.pad.image() ?? null : null);
  const bound = new BoundView({ ...common, drawn, digitA: () => pictures.digitA(), labelA: () => pictures.labelA() }, lkMax);
  const posterior = new PosteriorView({
    ...common,
    order: () => latent.order,
    changed: () => {
      pictures.drawLatent();
      latent.follow();
    },
    strokeEnded: () => {
      latent.adoptNext();
      if (!made?.posterior.pad.empty) bound.preferDrawn();
      else bound.refresh();
    },
  });
  pictures.overlay = (ctx, map) => {
    posterior.overlay(ctx, map);
    latent.overlay(ctx, map);
  };
  made = { posterior, latent, bound };
  resetViews();
  return made;
}

/** A new model (or none): forget every picture and answer computed for the old one. */
export function resetViews(): void {
  pictures.reset();
  // The pad draws MNIST-like 28×28 grey digits: other images get a note in its place.
  const fits = padFits(page.host?.view.info?.config);
  $('pad-card').hidden = $('posterior-card').hidden = !fits;
  $('pad-note').hidden = fits;
  if (!made) return;
  made.latent.reset(page.host?.view.info?.config ?? null);
  made.posterior.reset();
  made.bound.reset();
}

let refreshing: Promise<void> | null = null;

/**
 * Recomputes the pictures and explanations for the model as it is now (one refresh at a time); the
 * one-digit bound at most every BOUND_EVERY_MS while training, unless `settled` (training stopped).
 */
export async function refreshAll(settled = false): Promise<void> {
  // One at a time: a refresh asked for meanwhile is the one under way, unless training just stopped.
  if (refreshing) {
    await refreshing.catch(() => {});
    if (!settled || refreshing) return refreshing ?? undefined;
  }
  refreshing = (async () => {
    try {
      await pictures.refresh();
      if (!made) return;
      made.posterior.refresh();
      await made.latent.refresh();
      if (settled || performance.now() - made.bound.lastAt > BOUND_EVERY_MS || !page.bound) made.bound.refresh();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Whether the pictures are due for a refresh while training. */
export const refreshDue = () => !refreshing && performance.now() - pictures.lastAt > pictures.every;
