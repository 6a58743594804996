// The tuner: for each shape class a runtime asks a schedule for, it times every candidate (the
// rule's among them) in interleaved rounds on scratch operands, keeps the fastest unless the rule's
// is within a margin of it, and remembers the choice per adapter key and class in its store.
// No run's work is lost to its budget: each class is stored as soon as it is decided, and a class
// the budget cut short keeps its rule for now with its measured rounds stored, resumed next time.
// The budget bounds compiles too: candidates are prepared one by one, none begun past the deadline.
import type { Runtime } from '../gpu/runtime';
import type { CandidateTime, ScheduleChooser, ScheduleRequest, TuneReport, TuneResult } from '../gpu/schedule';
import { emptyDocument, parseDocument, type CachedChoice, type PartialClass, type TuneDocument, type TuneStore } from './cache';
import { median, sampleTimer, type SampleTimer, type TimingMethod } from './timing';
import { TUNABLES, type Tunable } from './tunables';
import { validateCandidates, type Twin } from './validate';

export interface TunerOptions {
  /** Who the choices are measured on (cache.ts's adapterKey). */
  adapterKey: string;
  /** Where choices are remembered; null or absent: in this tuner only. */
  store?: TuneStore | null;
  /** Milliseconds one tune() call may spend timing, compiles included (default 60,000; `tuner.budgetMs` changes it later). */
  budgetMs?: number;
  /** Samples each candidate needs, each in a round beside the rule's, before its class is decided (default 5). */
  rounds?: number;
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
  /**
   * The kernels' CPU twins (src/cpu/tune-twins.ts's TUNE_TWINS), by tunable name: each candidate's
   * output is checked against its kernel's twin before it is timed, and one that disagrees is never
   * picked. Without a kernel's twin its candidates run unchecked, except those its tunable calls
   * inexact (f16 tiles, subgroup sums), which are then never picked.
   */
  twins?: Readonly<Record<string, Twin>>;
  /** The clock budgets are kept on, in milliseconds (default performance.now; tests pass a fake one). */
  clock?: () => number;
  /** Makes the sample timer (default: timing.ts's sampleTimer; tests pass a fake one). */
  timer?: (device: GPUDevice, method?: TimingMethod) => SampleTimer;
}

type Round = Readonly<Record<string, number>>;

/**
 * The rule's candidate unless another beats it in the same rounds: each round's time over the rule's
 * time in that round (so a machine that slows down for a while slows both), and the candidate with
 * the lowest median ratio wins only if that median is below 1 − margin and it was faster than the
 * rule in at least three rounds of four, and its median time is below the rule's (in the same rounds)
 * by the margin too. So the choice is never slower than the rule's as measured, and noise alone
 * rarely displaces it. Rounds may come from several runs: each pairs times taken moments apart.
 */
export function pick(rule: string, rounds: readonly Round[], margin: number): string {
  let best = rule;
  let bestRatio = 1;
  const others = new Set(rounds.flatMap((r) => Object.keys(r)).filter((c) => c !== rule));
  for (const c of others) {
    const paired = rounds.filter((r) => r[c] !== undefined && r[rule] !== undefined);
    if (!paired.length) continue;
    const ratios = paired.map((r) => r[c] / r[rule]);
    const m = median(ratios);
    const wins = ratios.filter((q) => q < 1).length;
    const faster = median(paired.map((r) => r[c])) < median(paired.map((r) => r[rule])) * (1 - margin);
    if (faster && m < 1 - margin && wins >= Math.ceil(0.75 * ratios.length) && m < bestRatio) {
      best = c;
      bestRatio = m;
    }
  }
  return best;
}

/** Each candidate's median over the rounds it was timed in. */
function candidateTimes(candidates: readonly string[], rounds: readonly Round[]): CandidateTime[] {
  return candidates.map((c) => {
    const t = rounds.map((r) => r[c]).filter((x): x is number => x !== undefined);
    return { candidate: c, ms: median(t), samples: t.length };
  });
}

/** A round without the candidates in `drop`. */
const withoutKeys = (r: Round, drop: ReadonlySet<string>): Round => (drop.size ? Object.fromEntries(Object.entries(r).filter(([c]) => !drop.has(c))) : r);

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/** A candidate the check against the twin turned down, and why. */
type Rejection = { candidate: string; reason: string };

/** What tuneOne hands back: a decision, or the rounds so far (the budget ran out first); and the candidates rejected. */
type Outcome = ({ decided: true; choice: string; rounds: Round[] } | { decided: false; partial: PartialClass }) & { rejected: Rejection[] };

export class Tuner implements ScheduleChooser {
  readonly adapterKey: string;
  /** Milliseconds each tune() call may spend (compiles included). */
  budgetMs: number;
  private readonly doc: TuneDocument;
  private readonly options: TunerOptions;
  private readonly clock: () => number;
  /** Classes decided or advanced by this tuner: what a write carries into the stored document. */
  private readonly dirty = new Set<string>();
  private writeFailed = false;

  private constructor(options: TunerOptions, doc: TuneDocument) {
    this.options = options;
    this.adapterKey = options.adapterKey;
    this.budgetMs = options.budgetMs ?? 60_000;
    this.clock = options.clock ?? (() => globalThis.performance.now());
    this.doc = doc;
    doc.partial ??= {};
    if (options.fresh) {
      doc.adapters[this.adapterKey] = {};
      doc.partial[this.adapterKey] = {};
    }
    doc.adapters[this.adapterKey] ??= {};
    doc.partial[this.adapterKey] ??= {};
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

  private get partials(): Record<string, PartialClass> {
    return this.doc.partial![this.adapterKey];
  }

  /** The remembered choices for this adapter, by `kernel|shapeClass`. */
  choices(): Readonly<Record<string, CachedChoice>> {
    return this.table;
  }

  /** The classes begun but not decided (their rounds so far), by `kernel|shapeClass`. */
  unfinished(): Readonly<Record<string, PartialClass>> {
    return this.partials;
  }

  /** The remembered choice when it was made among this request's candidates (or by an older tuner that did not record them). */
  private cachedFor(key: string, req: ScheduleRequest): CachedChoice | undefined {
    const c = this.table[key];
    if (!c || !req.candidates.includes(c.choice)) return undefined;
    return !c.candidates || sameList(c.candidates, req.candidates) ? c : undefined;
  }

  choose(request: ScheduleRequest): string | undefined {
    return this.cachedFor(`${request.kernel}|${request.shapeClass}`, request)?.choice;
  }

  /**
   * Tunes the requests' classes within the budget. With `signal`, an abort rejects with its reason
   * between two samples; the classes decided before it are already stored.
   */
  async tune(rt: Runtime, requests: readonly ScheduleRequest[], options: { signal?: AbortSignal } = {}): Promise<TuneReport> {
    const o = this.options;
    const signal = options.signal;
    signal?.throwIfAborted();
    const warn = o.warn!;
    const start = this.clock();
    const deadline = start + this.budgetMs;
    const results: TuneResult[] = [];
    const timer = (o.timer ?? sampleTimer)(rt.device, o.timing);
    // What preparing one candidate (compile, warm-up) has cost so far in this call: a compile
    // expected to end past the deadline is not begun.
    const cost = { ms: 0, n: 0 };
    try {
      for (const req of requests) {
        const key = `${req.kernel}|${req.shapeClass}`;
        const base = { kernel: req.kernel, shapeClass: req.shapeClass, shape: req.shape, rule: req.rule };
        const cached = this.cachedFor(key, req);
        if (cached) {
          results.push({ ...base, choice: cached.choice, source: 'cache', times: cached.times });
          continue;
        }
        const tunable = (o.tunables ?? TUNABLES)[req.kernel];
        if (!tunable) {
          warn(`no tunable kernel '${req.kernel}'; ${req.shapeClass} keeps its rule (${req.rule})`);
          continue;
        }
        const stored = this.partials[key];
        const resumed = stored && stored.rule === req.rule && sameList(stored.candidates, req.candidates) ? stored : undefined;
        const before = resumed?.rounds ?? [];
        const r = this.clock() >= deadline ? undefined : await this.tuneOne(rt, req, tunable, timer, resumed, deadline, cost, signal);
        const rejected = r?.rejected.length ? { rejected: r.rejected } : {};
        for (const x of r?.rejected ?? []) {
          if (x.candidate === req.rule) warn(`${req.kernel} ${req.shapeClass}: the rule's schedule '${x.candidate}' disagrees with the CPU twin (${x.reason}); it still runs without a tuner`);
        }
        if (r?.decided) {
          const times = candidateTimes(req.candidates, r.rounds);
          this.table[key] = { choice: r.choice, rule: req.rule, times, at: new Date().toISOString(), candidates: [...req.candidates] };
          delete this.partials[key];
          this.dirty.add(key);
          results.push({ ...base, choice: r.choice, source: 'tuned', times, method: timer.method, ...rejected });
        } else {
          const rounds = r?.partial.rounds ?? before;
          const count = (p?: PartialClass) => (p?.checked?.length ?? 0) + Object.keys(p?.rejected ?? {}).length;
          // Kept when it timed more rounds or checked more candidates against the twin than were stored.
          if (r && (rounds.length > before.length || count(r.partial) > count(resumed))) {
            this.partials[key] = r.partial;
            this.dirty.add(key);
          }
          results.push({ ...base, choice: req.rule, source: 'budget', times: candidateTimes(req.candidates, rounds), kept: rounds.length, ...(r ? { method: timer.method } : {}), ...rejected });
        }
        // Stored at once: a run stopped (or out of budget) later loses nothing decided here.
        if (r) await this.persist();
        await yieldToEventLoop();
      }
    } finally {
      timer.destroy();
    }
    return { adapterKey: this.adapterKey, results, elapsedMs: this.clock() - start };
  }

  /**
   * One class: prepares the rule and each candidate still short of samples (one compile at a time,
   * within the deadline), then times rounds of the rule beside them until each has its samples or
   * time runs out. Rounds resumed from `resumed` count as if timed now.
   */
  private async tuneOne(
    rt: Runtime, req: ScheduleRequest, tunable: Tunable, timer: SampleTimer, resumed: PartialClass | undefined,
    deadline: number, cost: { ms: number; n: number }, signal: AbortSignal | undefined,
  ): Promise<Outcome> {
    const want = this.options.rounds ?? 5;
    const rounds: Round[] = [...(resumed?.rounds ?? [])];
    const reps: Record<string, number> = { ...(resumed?.reps ?? {}) };
    const rejected: Rejection[] = [];
    const dropped = new Set<string>();
    // Checks against the twin resumed with the rounds: each candidate is checked once per class.
    const checked = new Set(resumed?.checked ?? []);
    const turnedDown: Record<string, string> = { ...(resumed?.rejected ?? {}) };
    const need = (c: string) => (dropped.has(c) ? 0 : want - rounds.filter((r) => r[c] !== undefined).length);
    const partial = (): Outcome => ({
      decided: false, rejected,
      partial: { rule: req.rule, candidates: [...req.candidates], reps, rounds, at: new Date().toISOString(),
        ...(checked.size ? { checked: [...checked] } : {}), ...(Object.keys(turnedDown).length ? { rejected: turnedDown } : {}) },
    });
    // Rejected candidates have no rounds past their rejection, so pick never meets them.
    const decide = (): Outcome => ({ decided: true, choice: pick(req.rule, rounds.map((r) => withoutKeys(r, dropped)), this.options.margin ?? 0.05), rounds, rejected });
    let short = req.candidates.filter((c) => c !== req.rule && need(c) > 0);
    if (!short.length) return decide();
    // Each candidate still to be timed is first checked against the kernel's CPU twin (validate.ts).
    const unchecked = [req.rule, ...short].filter((c) => !checked.has(c) && turnedDown[c] === undefined);
    const verdicts = unchecked.length ? await validateCandidates(rt, tunable, this.options.twins?.[req.kernel], req.shape, unchecked) : new Map();
    // Only verdicts of a real check are kept with the rounds: one for want of a twin is not a check.
    const unkept: Record<string, string> = {};
    for (const [c, v] of verdicts) {
      if (v.ok && v.checked) checked.add(c);
      if (!v.ok) (v.checked ? turnedDown : unkept)[c] = v.reason ?? 'disagrees with the CPU twin';
    }
    for (const [c, reason] of Object.entries({ ...turnedDown, ...unkept })) {
      rejected.push({ candidate: c, reason });
      if (c !== req.rule) dropped.add(c);
    }
    short = short.filter((c) => !dropped.has(c));
    if (!short.length) return decide();
    if (this.clock() >= deadline) return partial();
    const setup = tunable(rt, req.shape);
    const ops = new Map<string, ReturnType<typeof setup.prepare>>();
    try {
      for (const c of [req.rule, ...short]) {
        signal?.throwIfAborted();
        const t = this.clock();
        if (t >= deadline || (cost.n && t + cost.ms / cost.n > deadline)) break;
        // The pipeline first, asynchronously: the dispatches below then find it compiled.
        await rt.compileAhead(() => setup.prepare(c).destroy());
        rt.device.pushErrorScope('validation');
        const op = setup.prepare(c);
        ops.set(c, op);
        await timer.sample(op.dispatches, 1); // warm-up (lavapipe compiles at the first dispatch)
        if (!reps[c]) {
          const once = await timer.sample(op.dispatches, 1);
          reps[c] = Math.max(1, Math.min(256, Math.ceil((this.options.sampleMs ?? 10) / Math.max(once, 1e-3))));
        }
        const err = await rt.device.popErrorScope();
        if (err) throw new Error(`tuning ${req.kernel} ${req.shapeClass}: candidate '${c}' failed validation: ${err.message}`);
        cost.ms += this.clock() - t;
        cost.n++;
      }
      if (!ops.has(req.rule)) return partial();
      for (;;) {
        const active = [...ops.keys()].filter((c) => c === req.rule || need(c) > 0);
        if (active.length < 2) break;
        // Rotate the order each round so no candidate always runs first (or just after another).
        const round: Record<string, number> = {};
        let out = false;
        for (let i = 0; i < active.length; i++) {
          if (this.clock() >= deadline) { out = true; break; }
          signal?.throwIfAborted();
          const c = active[(i + rounds.length) % active.length];
          round[c] = await timer.sample(ops.get(c)!.dispatches, reps[c]);
        }
        if (round[req.rule] !== undefined && Object.keys(round).length > 1) rounds.push(round);
        if (out) break;
      }
      return req.candidates.some((c) => c !== req.rule && need(c) > 0) ? partial() : decide();
    } finally {
      for (const op of ops.values()) op.destroy();
      setup.destroy();
    }
  }

  /**
   * Writes this tuner's decided and advanced classes into the stored document as it is now (read
   * again first, so that another run's entries written meanwhile are kept).
   */
  private async persist(): Promise<void> {
    const store = this.options.store;
    if (!store || !this.dirty.size) return;
    let doc = emptyDocument();
    try {
      const text = await store.read();
      if (text !== null) doc = parseDocument(text, store.describe, () => {});
    } catch {
      // unreadable now: what this tuner holds is written alone
    }
    const choices = (doc.adapters[this.adapterKey] ??= {});
    const partial = ((doc.partial ??= {})[this.adapterKey] ??= {});
    for (const key of this.dirty) {
      if (this.table[key]) choices[key] = this.table[key];
      if (this.partials[key]) partial[key] = this.partials[key];
      else delete partial[key];
    }
    if (!Object.keys(partial).length) delete doc.partial[this.adapterKey];
    if (!Object.keys(doc.partial).length) delete doc.partial;
    try {
      await store.write(`${JSON.stringify(doc, null, 1)}\n`);
    } catch (e) {
      if (!this.writeFailed) this.options.warn!(`tune cache ${store.describe} could not be written (${(e as Error).message}); the choices hold for this run only`);
      this.writeFailed = true;
    }
  }
}
