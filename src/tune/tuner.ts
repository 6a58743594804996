// The tuner: for each shape class a runtime asks a schedule for, it times every candidate (the
// rule's among them) in interleaved rounds on scratch operands, keeps the fastest unless the rule's
// is within a margin of it, and remembers the choice per adapter key and class in its store.
// Pipelines compile asynchronously and every sample is awaited (no long main-thread stall); a time
// budget bounds each tune() call, and a class whose rounds the budget cut short keeps its rule.
import type { Runtime } from '../gpu/runtime';
import type { CandidateTime, ScheduleChooser, ScheduleRequest, TuneReport, TuneResult } from '../gpu/schedule';
import { emptyDocument, parseDocument, type CachedChoice, type TuneDocument, type TuneStore } from './cache';
import { median, sampleTimer, type TimingMethod } from './timing';
import { TUNABLES, type Tunable } from './tunables';

export interface TunerOptions {
  /** Who the choices are measured on (cache.ts's adapterKey). */
  adapterKey: string;
  /** Where choices are remembered; null or absent: in this tuner only. */
  store?: TuneStore | null;
  /** Milliseconds one tune() call may spend timing (default 60,000). */
  budgetMs?: number;
  /** Interleaved rounds per class (default 5); fewer than `minRounds` (default 2) keeps the rule. */
  rounds?: number;
  minRounds?: number;
  /** Target length of one sample in milliseconds (default 10): repetitions are calibrated to it. */
  sampleMs?: number;
  /** Another candidate replaces the rule's only when faster by this fraction (default 0.05). */
  margin?: number;
  /** Force the timing method (default: timestamps when the device has them). */
  timing?: TimingMethod;
  /** Time again the classes the store holds for this adapter (their old choices are replaced). */
  fresh?: boolean;
  warn?: (message: string) => void;
  tunables?: Readonly<Record<string, Tunable>>;
}

const now = () => globalThis.performance.now();

/**
 * The rule's candidate unless another beats it in the same rounds: each round's time over the rule's
 * time in that round (so a machine that slows down for a while slows both), and the candidate with
 * the lowest median ratio wins only if that median is below 1 − margin and it was faster than the
 * rule in at least three rounds of four, and its median time is below the rule's by the margin too.
 * So the choice is never slower than the rule's as measured, and noise alone rarely displaces it.
 */
export function pick(rule: string, samples: ReadonlyMap<string, readonly number[]>, rounds: number, margin: number): string {
  const ruleT = samples.get(rule)!;
  let best = rule;
  let bestRatio = 1;
  for (const [c, t] of samples) {
    if (c === rule) continue;
    const ratios = t.slice(0, rounds).map((x, r) => x / ruleT[r]);
    const m = median(ratios);
    const wins = ratios.filter((q) => q < 1).length;
    const faster = median(t.slice(0, rounds)) < median(ruleT.slice(0, rounds)) * (1 - margin);
    if (faster && m < 1 - margin && wins >= Math.ceil(0.75 * ratios.length) && m < bestRatio) {
      best = c;
      bestRatio = m;
    }
  }
  return best;
}
const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

export class Tuner implements ScheduleChooser {
  readonly adapterKey: string;
  private readonly doc: TuneDocument;
  private readonly options: TunerOptions;

  private constructor(options: TunerOptions, doc: TuneDocument) {
    this.options = options;
    this.adapterKey = options.adapterKey;
    this.doc = doc;
    if (options.fresh) this.doc.adapters[this.adapterKey] = {};
    this.doc.adapters[this.adapterKey] ??= {};
  }

  /** A tuner with the choices its store remembers for this adapter (a corrupt store: a warning, none). */
  static async open(options: TunerOptions): Promise<Tuner> {
    const warn = options.warn ?? ((m: string) => console.warn(`webgpu-vae: ${m}`));
    let doc = emptyDocument();
    if (options.store) {
      let text: string | null = null;
      try {
        text = await options.store.read();
      } catch (e) {
        warn(`tune cache ${options.store.describe} could not be read (${(e as Error).message}); tuning afresh`);
      }
      if (text !== null) doc = parseDocument(text, options.store.describe, warn);
    }
    return new Tuner({ ...options, warn }, doc);
  }

  private get table(): Record<string, CachedChoice> {
    return this.doc.adapters[this.adapterKey];
  }

  /** The remembered choices for this adapter, by `kernel|shapeClass`. */
  choices(): Readonly<Record<string, CachedChoice>> {
    return this.table;
  }

  choose(request: ScheduleRequest): string | undefined {
    return this.table[`${request.kernel}|${request.shapeClass}`]?.choice;
  }

  async tune(rt: Runtime, requests: readonly ScheduleRequest[], options: { signal?: AbortSignal } = {}): Promise<TuneReport> {
    const o = this.options;
    const signal = options.signal;
    signal?.throwIfAborted();
    const warn = o.warn!;
    const budget = o.budgetMs ?? 60_000;
    const rounds = o.rounds ?? 5;
    const minRounds = Math.min(o.minRounds ?? 2, rounds);
    const tunables = o.tunables ?? TUNABLES;
    const start = now();
    const deadline = start + budget;
    const results: TuneResult[] = [];
    const timer = sampleTimer(rt.device, o.timing);
    let changed = false;
    let stopped: unknown;
    try {
      for (const req of requests) {
        const key = `${req.kernel}|${req.shapeClass}`;
        const base = { kernel: req.kernel, shapeClass: req.shapeClass, shape: req.shape, rule: req.rule };
        const cached = this.table[key];
        if (cached && req.candidates.includes(cached.choice)) {
          results.push({ ...base, choice: cached.choice, source: 'cache', times: cached.times });
          continue;
        }
        const tunable = tunables[req.kernel];
        if (!tunable) {
          warn(`no tunable kernel '${req.kernel}'; ${req.shapeClass} keeps its rule (${req.rule})`);
          continue;
        }
        if (now() >= deadline) {
          results.push({ ...base, choice: req.rule, source: 'budget', times: [] });
          continue;
        }
        const r = await this.tuneOne(rt, req, tunable, timer, { rounds, minRounds, deadline, signal });
        results.push({ ...base, ...r, method: timer.method });
        if (r.source === 'tuned') {
          this.table[key] = { choice: r.choice, rule: req.rule, times: r.times, at: new Date().toISOString() };
          changed = true;
        }
        await yieldToEventLoop();
      }
    } catch (e) {
      // An abort: the classes tuned so far are kept (and saved below) before it rejects.
      if (!signal?.aborted) throw e;
      stopped = e;
    } finally {
      timer.destroy();
    }
    if (changed && o.store) {
      try {
        await o.store.write(`${JSON.stringify(this.doc, null, 1)}\n`);
      } catch (e) {
        warn(`tune cache ${o.store.describe} could not be written (${(e as Error).message}); the choices hold for this run only`);
      }
    }
    if (stopped !== undefined) throw stopped;
    return { adapterKey: this.adapterKey, results, elapsedMs: now() - start };
  }

  private async tuneOne(
    rt: Runtime,
    req: ScheduleRequest,
    tunable: Tunable,
    timer: ReturnType<typeof sampleTimer>,
    lim: { rounds: number; minRounds: number; deadline: number; signal: AbortSignal | undefined },
  ): Promise<Pick<TuneResult, 'choice' | 'source' | 'times'>> {
    const setup = tunable(rt, req.shape);
    const ops = new Map<string, ReturnType<typeof setup.prepare>>();
    try {
      // Pipelines first, asynchronously: the candidates' dispatches below then find them compiled.
      await rt.compileAhead(() => { for (const c of req.candidates) setup.prepare(c).destroy(); });
      const reps = new Map<string, number>();
      for (const c of req.candidates) {
        rt.device.pushErrorScope('validation');
        const op = setup.prepare(c);
        ops.set(c, op);
        await timer.sample(op.dispatches, 1); // warm-up (lavapipe compiles at the first dispatch)
        const t = await timer.sample(op.dispatches, 1);
        const err = await rt.device.popErrorScope();
        if (err) throw new Error(`tuning ${req.kernel} ${req.shapeClass}: candidate '${c}' failed validation: ${err.message}`);
        reps.set(c, Math.max(1, Math.min(256, Math.ceil((this.options.sampleMs ?? 10) / Math.max(t, 1e-3)))));
      }
      const samples = new Map<string, number[]>(req.candidates.map((c) => [c, []]));
      let done = 0;
      outer: for (let r = 0; r < lim.rounds; r++) {
        // Rotate the order each round so no candidate always runs first (or just after another).
        for (let i = 0; i < req.candidates.length; i++) {
          if (now() >= lim.deadline) break outer;
          lim.signal?.throwIfAborted();
          const c = req.candidates[(i + r) % req.candidates.length];
          samples.get(c)!.push(await timer.sample(ops.get(c)!.dispatches, reps.get(c)!));
        }
        done++;
      }
      const times: CandidateTime[] = req.candidates.map((c) => ({ candidate: c, ms: median(samples.get(c)!), samples: samples.get(c)!.length }));
      if (done < lim.minRounds) return { choice: req.rule, source: 'budget', times };
      return { choice: pick(req.rule, samples, done, this.options.margin ?? 0.05), source: 'tuned', times };
    } finally {
      for (const op of ops.values()) op.destroy();
      setup.destroy();
    }
  }
}
