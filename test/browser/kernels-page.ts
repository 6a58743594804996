// Browser side of test/browser/kernels.test.ts: a smoke subset of the kernels run in the page on
// navigator.gpu (`?suite=conv`: the conv kernels' subset, else the others), with the same checks and tolerances as the Node tests (test/kernels/cases.ts):
// outputs poisoned with NaN, every GPU action inside error scopes that must pop empty. Results go to
// window.__results; body[data-state] becomes 'done' when they are complete.
import { acquireDevice, describeAdapter } from '../../src/gpu/device';
import { Runtime } from '../../src/gpu/runtime';
import { adamCase, biasGradCase, elboCase, matmulCase, reparameterizeCase, type Comparison } from '../kernels/cases';
import { convForwardCase, convGradKernelsCase, convLayerBackwardCase } from '../kernels/conv-cases';
import { AWKWARD_SHAPES, PRESET_SHAPES, withActivation } from '../kernels/conv-shapes';
import { iwaeObjectiveCase, samplesCase } from '../kernels/iwae-cases';
import { likelihoodElboCase, likelihoodIwaeCase } from '../kernels/likelihood-cases';
import { closeness } from '../util/closeness';

export interface BrowserCheck {
  name: string;
  worstAbs: number;
  ok: boolean;
  /** The check's name, where the worst element was, its value and the wanted one, with the tolerance. */
  detail?: string;
}

export interface BrowserResults {
  adapter: string;
  checks: BrowserCheck[];
  errors: string[];
}

declare global {
  interface Window {
    __results?: BrowserResults;
  }
}

const results: BrowserResults = { adapter: '', checks: [], errors: [] };
const logElement = document.getElementById('log');
const log = (line: string) => {
  if (logElement) logElement.textContent += `${line}\n`;
};

function record(comparisons: readonly Comparison[]): void {
  for (const c of comparisons) {
    const r = closeness(c.name, c.got, c.want, c.atol, c.rtol);
    results.checks.push({ name: c.name, worstAbs: r.worstAbs, ok: r.failures === 0, detail: r.line });
    log(`${r.failures === 0 ? 'ok  ' : 'FAIL'} ${r.line}`);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack}` : ''}` : String(e);
}

async function main(): Promise<void> {
  const ctx = await acquireDevice();
  results.adapter = describeAdapter(ctx.adapterInfo);
  log(`adapter: ${results.adapter}`);
  ctx.device.addEventListener('uncapturederror', (e) => {
    results.errors.push(`uncaptured WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  void ctx.device.lost.then((info) => {
    if (info.reason !== 'destroyed') results.errors.push(`device lost: ${info.reason} ${info.message}`);
  });
  const rt = Runtime.forContext(ctx);
  const device = ctx.device;
  // The same checks and tolerances as the Node tests (test/kernels/cases.ts), a smoke subset.
  const core: [string, () => Promise<Comparison[]>][] = [
    ['matmul tiled NN relu+bias', () => matmulCase(device, rt, { M: 37, N: 129, K: 65, activation: 'relu', bias: true, variant: 'tiled' }, 100)],
    ['matmul tiled TN identity', () => matmulCase(device, rt, { M: 65, N: 63, K: 1, transA: true, bias: false, variant: 'tiled' }, 716)],
    // The tiled tuning candidates (workgroup shape, register block, K step), one awkward layout each.
    ['matmul tiled-w8x8 NT sigmoid', () => matmulCase(device, rt, { M: 37, N: 67, K: 19, transB: true, activation: 'sigmoid', bias: true, schedule: 'tiled-w8x8' }, 720)],
    ['matmul tiled-w16x4 TT relu', () => matmulCase(device, rt, { M: 37, N: 67, K: 19, transA: true, transB: true, activation: 'relu', bias: false, schedule: 'tiled-w16x4' }, 721)],
    ['matmul tiled-b4x8 NN tanh+bias', () => matmulCase(device, rt, { M: 70, N: 136, K: 33, activation: 'tanh', bias: true, schedule: 'tiled-b4x8' }, 722)],
    ['matmul tiled-k8 TN identity', () => matmulCase(device, rt, { M: 69, N: 130, K: 25, transA: true, bias: true, schedule: 'tiled-k8' }, 723)],
    ['matmul vec4 NN tanh+bias', () => matmulCase(device, rt, { M: 37, N: 132, K: 68, activation: 'tanh', bias: true, variant: 'vec4' }, 300)],
    ['matmul vec4 NT identity', () => matmulCase(device, rt, { M: 37, N: 132, K: 68, transB: true, bias: false, variant: 'vec4' }, 301)],
    ['bias_grad tree', () => biasGradCase(device, rt, 37, 129, 'relu', 'tree')],
    ['bias_grad serial', () => biasGradCase(device, rt, 37, 129, 'relu', 'serial')],
    ['reparameterize', () => reparameterizeCase(device, rt, 37, 13, { seed: 2 ** 33 + 5, step: 12345, stream: 3 })],
    ['elbo tree', () => elboCase(device, rt, { B: 37, D: 129, Z: 13, likelihood: 'bernoulli', beta: 1, schedule: 'tree' })],
    ['elbo serial', () => elboCase(device, rt, { B: 37, D: 129, Z: 13, likelihood: 'bernoulli', beta: 1, schedule: 'serial' })],
    ['adam', () => adamCase(device, rt, { lr: 3e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 }, 2)],
    ['iwae_objective tree', async () => (await iwaeObjectiveCase(device, rt, { B: 3, K: 5, D: 37, Z: 4, likelihood: 'bernoulli', beta: 1, schedule: 'tree' })).comparisons],
    ['iwae_objective serial', async () => (await iwaeObjectiveCase(device, rt, { B: 3, K: 5, D: 37, Z: 4, likelihood: 'bernoulli', beta: 1, schedule: 'serial' })).comparisons],
    ['reparameterize k samples, weighted backward (dreg)', () => samplesCase(device, rt, { B: 3, K: 5, Z: 13, estimator: 'dreg', beta: 1 })],
    // Learned scales through a uniform range of a larger buffer (IWAE's stage has all 10 storage buffers SwiftShader allows).
    ['elbo + scale grad, logistic, serial', () => likelihoodElboCase(device, rt, { B: 7, K: 1, D: 90, C: 3, Z: 4, likelihood: 'logistic' }, 'serial')],
    ['iwae_objective + weighted scale grad, gaussian learned σ, tree', () => likelihoodIwaeCase(device, rt, { B: 2, K: 5, D: 52, C: 4, Z: 3, likelihood: 'gaussian' }, 'tree')],
  ];
  // The conv kernels (test/kernels/conv-cases.ts), each kernel in both schedules with few pipelines
  // (each costs SwiftShader seconds to compile): the adapter's own ('auto') on the preset's layers,
  // 'tiled' on awkward shapes. A page of their own (?suite=conv), so each page keeps its time budget.
  const conv: [string, () => Promise<Comparison[]>][] = [
    ['conv2d forward auto', () => convForwardCase(device, rt, { ...PRESET_SHAPES[1], bias: true, schedule: 'auto' }, 10)],
    ['conv_transpose2d forward tiled', () => convForwardCase(device, rt, { ...withActivation(AWKWARD_SHAPES[6], 'relu'), bias: true, schedule: 'tiled' }, 13)],
    ['conv2d dx, dW tiled, 3 splits', () => convGradKernelsCase(device, rt, { ...AWKWARD_SHAPES[1], bias: false, schedule: 'tiled', splits: 3 }, 15)],
    ['conv_transpose2d layer backward auto', () => convLayerBackwardCase(device, rt, { ...PRESET_SHAPES[3], bias: true, schedule: 'auto' }, 16)],
  ];
  try {
    const cases = new URLSearchParams(location.search).get('suite') === 'conv' ? conv : core;
    for (const [name, run] of cases) {
      try {
        record(await run());
      } catch (e) {
        results.errors.push(`${name}: ${message(e)}`);
        log(`ERROR ${name}: ${message(e)}`);
      }
    }
  } finally {
    rt.destroy();
    ctx.destroy();
  }
}

main()
  .catch((e) => {
    results.errors.push(message(e));
    log(`ERROR ${message(e)}`);
  })
  .finally(() => {
    window.__results = results;
    document.body.dataset.state = 'done';
  });
