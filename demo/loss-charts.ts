// The loss charts: one per series the objective reports (its bound under its key, e.g. −ELBO, then
// each of its parts), train and test curves by step, redrawn at most every 250 ms. A chart whose
// canvas (#chart-<name>) is not in the page is added to the .charts row, captioned with the
// objective's label, so an objective with other parts needs no change here.
import type { ModelView } from './host';
import { drawChart } from './chart';
import { COLORS } from './pictures';

export class LossCharts {
  private frame = 0;
  private lastDraw = 0;

  constructor(private readonly model: () => ModelView | null, private readonly after: () => void) {}

  /** Redraws soon (coalesced). */
  schedule(): void {
    if (this.frame) return;
    const wait = Math.max(0, 250 - (performance.now() - this.lastDraw));
    this.frame = window.setTimeout(() => requestAnimationFrame(() => {
      this.frame = 0;
      this.lastDraw = performance.now();
      this.draw();
      this.after();
    }), wait);
  }

  draw(): void {
    const s = this.model();
    const labels = s?.info?.labels ?? { key: 'elbo', loss: '−ELBO', parts: {} };
    const names = s?.info ? [labels.key, ...s.info.parts] : ['elbo', 'rec', 'kl'];
    const empty = s ? 'press Start to train' : 'waiting for the model';
    for (const name of names) {
      const series = [
        { name: 'train', color: COLORS.train, points: (s?.train ?? []).map((p) => ({ x: p.step, y: p[name]! })), lineWidth: 1.25 },
        { name: 'test', color: COLORS.test, points: (s?.test ?? []).map((p) => ({ x: p.step, y: p[name]! })), markers: true, lineWidth: 2 },
      ];
      drawChart(canvasFor(name, name === labels.key ? labels.loss : labels.parts[name] ?? name), { series, xLabel: 'step', yLabel: 'nats', empty });
    }
  }
}

function canvasFor(name: string, caption: string): HTMLCanvasElement {
  const existing = document.getElementById(`chart-${name}`);
  if (existing) return existing as HTMLCanvasElement;
  const figure = document.createElement('figure');
  figure.className = 'panel chart';
  const cap = document.createElement('figcaption');
  cap.textContent = `${caption} `;
  const canvas = document.createElement('canvas');
  canvas.id = `chart-${name}`;
  canvas.setAttribute('aria-label', `train and test ${caption} by step`);
  figure.append(cap, canvas);
  document.querySelector('.charts')!.append(figure);
  return canvas;
}
