// The step program: what one training step on the GPU runs after the data is uploaded, in order:
// the pass's forward and backward, the global gradient-norm clip (schedule.clipGrad; the norm stays
// on the GPU and Adam reads its scale) and one Adam update over the parameter arena; and the setters
// a step writes first (the noise step word, β under a KL warm-up, the step's learning rate).
import type { Dispatch, Runtime } from '../gpu/runtime';
import { prepareAdam, type AdamHyper, type PreparedAdam } from '../kernels/adam';
import { gradNormPartials, prepareGradNorm } from '../kernels/grad-norm';
import { fastRange, type Graph } from '../graph/graph';
import type { MemoryPlan } from '../graph/memory-plan';
import type { PassPlan } from '../graph/scheduler';
import { betaAt, lrAt, type ScheduleConfig } from './schedule';

/** The gradient and Adam arenas of a training plan (an inference plan has none to step with). */
export function trainingArenas(plan: MemoryPlan): NonNullable<MemoryPlan['train']> {
  if (!plan.train) throw new Error('step program: this memory plan is for inference only (no gradients, no Adam moments)');
  return plan.train;
}

/** Adam over the whole parameter arena (its gradient scaled by `clip` when given). */
export function planAdam(rt: Runtime, graph: Graph, plan: MemoryPlan, adam: AdamHyper, clip?: GPUBuffer): PreparedAdam {
  const { grads, adamM, adamV } = trainingArenas(plan);
  const fast = fastRange(graph);
  return prepareAdam(rt, graph.arenaSize, adam, { params: plan.params, grads, m: adamM, v: adamV, ...(clip ? { clip } : {}), ...(fast ? { fast } : {}) });
}

export interface StepHyper {
  adam: AdamHyper;
  /** β of the objective (the KL warm-up's target). */
  beta: number;
  schedule?: ScheduleConfig;
}

export class StepProgram {
  private readonly adam: PreparedAdam;
  /** The global-norm clip: grad_norm's dispatches and its buffers. */
  private readonly clip: { op: { dispatches: Dispatch[]; destroy(): void }; buffers: GPUBuffer[] } | undefined;

  constructor(rt: Runtime, graph: Graph, plan: MemoryPlan, private readonly hyper: StepHyper) {
    const clipGrad = hyper.schedule?.clipGrad;
    let scale: GPUBuffer | undefined;
    if (clipGrad !== undefined) {
      const partials = rt.device.createBuffer({ label: 'grad norm partials', size: 4 * Math.max(4, gradNormPartials(graph.arenaSize)), usage: GPUBufferUsage.STORAGE });
      scale = rt.device.createBuffer({ label: 'grad norm clip', size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      const op = prepareGradNorm(rt, { count: graph.arenaSize, maxNorm: clipGrad }, { grads: trainingArenas(plan).grads, partials, clip: scale });
      this.clip = { op, buffers: [partials, scale] };
    }
    this.adam = planAdam(rt, graph, plan, hyper.adam, scale);
  }

  /**
   * The dispatches of training step `step` (0-based: the noise's step word) on `pass`, its uniforms
   * written: the noise word, β when a KL warm-up is configured (every step: each batch size has its
   * own pass and uniform), Adam's step count and the schedule's learning rate.
   */
  dispatches(pass: PassPlan, step: number): Dispatch[] {
    const s = this.hyper.schedule;
    pass.setNoise(step >>> 0);
    if (s?.klWarmup) pass.setBeta(betaAt(s, this.hyper.beta, step));
    this.adam.setStep(step + 1, lrAt(s, this.hyper.adam.lr, step));
    return [...pass.forward, ...pass.backward, ...(this.clip?.op.dispatches ?? []), this.adam.dispatch];
  }

  destroy(): void {
    this.adam.destroy();
    this.clip?.op.destroy();
    this.clip?.buffers.forEach((b) => b.destroy());
  }
}
