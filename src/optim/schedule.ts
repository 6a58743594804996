// Learning-rate schedules and the KL warm-up, applied per step on the host (Adam's uniform is written each step anyway):
// a linear warm-up over the first `lrWarmup` steps, then constant, step (× 0.1 at 50 % and 75 % of
// the horizon) or cosine (to 0 at the horizon). A pure function of the step, so a resumed run
// takes exactly the rates of an uninterrupted one; the schedule rides in the config (checkpoints).

export type LrSchedule = 'constant' | 'step' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'step', 'cosine'];

export interface ScheduleConfig {
  lr?: LrSchedule;
  /** Steps of linear warm-up from lr/lrWarmup to lr (0: none). */
  lrWarmup?: number;
  /** Steps the step and cosine schedules span (the run's planned steps). */
  horizon?: number;
  /** KL warm-up: β rises linearly from β/klWarmup to its value over these steps (0: none). */
  klWarmup?: number;
  /** Clip the global gradient norm to this (PyTorch's clip_grad_norm_; absent: no clipping). */
  clipGrad?: number;
  /** Early stopping: epochs without a better validation loss before training stops (src/train/early-stop.ts). */
  earlyStop?: number;
}

export function checkSchedule(s: ScheduleConfig, where = 'config.schedule'): ScheduleConfig {
  if (typeof s !== 'object' || s === null) throw new Error(`${where} must be an object such as { "lr": "cosine", "horizon": 700 }, got ${JSON.stringify(s)}`);
  const lr = s.lr ?? 'constant';
  if (!LR_SCHEDULES.includes(lr)) throw new Error(`${where}.lr must be one of ${LR_SCHEDULES.join(', ')}, got ${JSON.stringify(s.lr)}`);
  for (const key of ['lrWarmup', 'horizon', 'klWarmup', 'earlyStop'] as const) {
    const v = s[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new Error(`${where}.${key} must be a non-negative integer of steps, got ${JSON.stringify(v)}`);
  }
  if (s.clipGrad !== undefined && (typeof s.clipGrad !== 'number' || !Number.isFinite(s.clipGrad) || s.clipGrad <= 0)) {
    throw new Error(`${where}.clipGrad must be a finite number > 0, got ${JSON.stringify(s.clipGrad)}`);
  }
  if (lr !== 'constant' && !s.horizon) throw new Error(`${where}: the ${lr} schedule needs a horizon (steps > 0)`);
  return { ...s };
}

/** The learning rate of the step that takes the model from `step` to step + 1. */
export function lrAt(s: ScheduleConfig | undefined, base: number, step: number): number {
  if (!s) return base;
  const warm = s.lrWarmup ?? 0;
  let lr = base;
  const h = s.horizon ?? 0;
  if (s.lr === 'step') lr = base * (step >= 0.75 * h ? 0.01 : step >= 0.5 * h ? 0.1 : 1);
  else if (s.lr === 'cosine') lr = 0.5 * base * (1 + Math.cos(Math.PI * Math.min(1, step / h)));
  if (step < warm) lr *= (step + 1) / warm;
  return lr;
}

/** β of the step that takes the model from `step` to step + 1 (a linear KL warm-up from β/W). */
export function betaAt(s: ScheduleConfig | undefined, beta: number, step: number): number {
  const w = s?.klWarmup ?? 0;
  return step < w ? (beta * (step + 1)) / w : beta;
}

