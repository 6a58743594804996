// The tuner's budget on a fake clock, with fake kernels, timer and runtime (no GPU, no timing
// assertions): each decided class is stored at once; a class cut short keeps its rule and its rounds,
// and the next tuner resumes them (same decision as one uninterrupted run, no candidate prepared
// again once it has its samples); compiles are bounded by the deadline; what another run stored
// meanwhile survives a write; changed candidate lists are tuned again; and the run's share of tuning.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/gpu/runtime';
import type { ScheduleRequest, TuneReport } from '../../src/gpu/schedule';
import type { TuneStore } from '../../src/tune/cache';
import type { SampleTimer } from '../../src/tune/timing';
import type { Tunable } from '../../src/tune/tunables';
import { Tuner, type TunerOptions } from '../../src/tune/tuner';
import { RUN_SHARE, runTuneBudgetMs, tuneForRun } from '../../src/tune/run-budget';
import { CountingChooser, gainTable, stepGain } from '../../src/tune/gain';

/** A machine where candidate c's dispatch takes speed[c] ms and preparing one (compile + warm-up) takes compileMs. */
function fakeMachine(speed: Record<string, number>, compileMs: number) {
  const clock = { t: 0 };
  const log = { compiled: [] as string[], sampled: [] as string[] };
  let compiling = false;
  const rt = {
    device: { pushErrorScope() {}, popErrorScope: async () => null },
    async compileAhead(plan: () => void) {
      compiling = true;
      plan();
      compiling = false;
      clock.t += compileMs;
      return 1;
    },
  } as unknown as Runtime;
  const timer = (): SampleTimer => ({
    method: 'timestamp',
    async sample(dispatches, reps) {
      const c = dispatches[0].label;
      log.sampled.push(c);
      clock.t += speed[c] * reps;
      return speed[c];
    },
    destroy() {},
  });
  const tunable: Tunable = (_rt, shape) => ({
    prepare(c) {
      if (compiling) log.compiled.push(`${String(shape.id)}:${c}`);
      return { dispatches: [{ label: c, pipeline: {} as GPUComputePipeline, bindGroup: {} as GPUBindGroup, workgroups: [1, 1, 1] }], destroy() {} };
    },
    destroy() {},
  });
  return { clock, log, rt, timer, tunables: { fake: tunable } };
}

function memoryStore(): TuneStore & { text: string | null; writes: number } {
  const s = {
    describe: 'memory', text: null as string | null, writes: 0,
    read: async () => s.text,
    write: async (t: string) => { s.text = t; s.writes++; },
  };
  return s;
}

const CANDIDATES = ['rule', 'a', 'b', 'c'];
const SPEED = { rule: 1, a: 0.5, b: 2, c: 0.9 };
const req = (id: number, candidates = CANDIDATES): ScheduleRequest => ({ kernel: 'fake', shapeClass: `class${id}`, rule: 'rule', candidates, shape: { id } });

async function open(m: ReturnType<typeof fakeMachine>, store: TuneStore | null, o: Partial<TunerOptions> = {}) {
  return Tuner.open({ adapterKey: 'fake adapter', store, rounds: 4, sampleMs: 1, clock: () => m.clock.t, timer: m.timer, tunables: m.tunables, warn: (w) => { throw new Error(w); }, ...o });
}

const doc = (s: { text: string | null }) => JSON.parse(s.text!);

describe('the tuner on a budget', () => {
  it('stores each class as soon as it is decided', async () => {
    const m = fakeMachine(SPEED, 5);
    const store = memoryStore();
    const tuner = await open(m, store);
    const seen: number[] = [];
    const write = store.write;
    store.write = async (t) => { await write(t); seen.push(Object.keys(JSON.parse(t).adapters['fake adapter']).length); };
    const r = await tuner.tune(m.rt, [req(1), req(2), req(3)]);
    expect(r.results.map((x) => x.source)).toEqual(['tuned', 'tuned', 'tuned']);
    expect(r.results.map((x) => x.choice)).toEqual(['a', 'a', 'a']);
    expect(seen).toEqual([1, 2, 3]);
    expect(doc(store).adapters['fake adapter']['fake|class1'].candidates).toEqual(CANDIDATES);
    expect(doc(store).partial).toBeUndefined();
  });

  it('keeps the rounds of a class cut short and resumes them: the same choice, nothing prepared twice once it has its samples', async () => {
    // One uninterrupted run, for the reference decision and times.
    const ref = fakeMachine(SPEED, 5);
    const whole = await (await open(ref, null)).tune(ref.rt, [req(1)]);

    const m = fakeMachine(SPEED, 5);
    const store = memoryStore();
    // Four candidates prepared (4 × 5 ms), warmed up and calibrated (~9 ms), then rounds of ~6 ms: 40 ms cuts it after two.
    const first = await (await open(m, store, { budgetMs: 40 })).tune(m.rt, [req(1)]);
    expect(first.results[0].source).toBe('budget');
    expect(first.results[0].choice).toBe('rule');
    const kept = first.results[0].kept!;
    expect(kept).toBe(2);
    const stored = doc(store).partial['fake adapter']['fake|class1'];
    expect(stored.rounds.length).toBe(kept);
    expect(stored.rounds.every((r: Record<string, number>) => r.rule === 1)).toBe(true);
    expect(doc(store).adapters['fake adapter']).toEqual({});

    // The next run (a fresh tuner on the same store) resumes: it samples only what is missing.
    m.log.compiled.length = 0;
    m.log.sampled.length = 0;
    const second = await (await open(m, store, { budgetMs: 10_000 })).tune(m.rt, [req(1)]);
    expect(second.results[0].source).toBe('tuned');
    expect(second.results[0].choice).toBe(whole.results[0].choice);
    // Each candidate has its 4 samples (the rule, in every round, at least as many).
    for (const t of second.results[0].times) expect(t.samples).toBe(t.candidate === 'rule' ? Math.max(4, t.samples) : 4);
    expect(second.results[0].times.map((t) => t.ms)).toEqual(whole.results[0].times.map((t) => t.ms));
    for (const c of CANDIDATES) {
      const before = stored.rounds.filter((r: Record<string, number>) => r[c] !== undefined).length;
      const after = second.results[0].times.find((t) => t.candidate === c)!.samples;
      const sampled = m.log.sampled.filter((x) => x === c).length;
      if (c !== 'rule' && before >= 4) {
        // Done in the first run: neither prepared nor timed again.
        expect(m.log.compiled).not.toContain(`1:${c}`);
        expect(sampled).toBe(0);
      } else {
        // A warm-up, a calibration only if the first run had none, then its new rounds.
        expect(m.log.compiled).toContain(`1:${c}`);
        expect(sampled).toBe(1 + (c in stored.reps ? 0 : 1) + after - before);
      }
    }
    expect(doc(store).partial).toBeUndefined();
    expect(doc(store).adapters['fake adapter']['fake|class1'].choice).toBe(whole.results[0].choice);
  });

  it('bounds a class\'s compiles by the budget: no compile is begun that would end past it', async () => {
    // Preparing a candidate costs 3 s; a 10 s budget fits three, not the fourth.
    const m = fakeMachine(SPEED, 3000);
    const store = memoryStore();
    const r = await (await open(m, store, { budgetMs: 10_000 })).tune(m.rt, [req(1), req(2)]);
    expect(r.elapsedMs).toBeLessThanOrEqual(10_000);
    expect(m.log.compiled.filter((c) => c.startsWith('1:')).length).toBe(3);
    expect(m.log.compiled.filter((c) => c.startsWith('2:')).length).toBe(0);
    expect(r.results.map((x) => x.source)).toEqual(['budget', 'budget']);
    // Its three candidates' rounds are kept for the next run; the second class was not begun.
    expect(r.results[0].kept).toBeGreaterThan(0);
    expect(r.results[1].kept).toBe(0);
    const stored = doc(store).partial['fake adapter'];
    expect(Object.keys(stored)).toEqual(['fake|class1']);
    expect(Object.keys(stored['fake|class1'].reps).sort()).toEqual(['a', 'b', 'rule']);
    // Next run: c and the rule are prepared (2 × 3 s), and the class is decided within a budget that fits them.
    m.log.compiled.length = 0;
    const next = await (await open(m, store, { budgetMs: 7000 })).tune(m.rt, [req(1)]);
    expect(next.results[0].source).toBe('tuned');
    expect(m.log.compiled.filter((c) => c.startsWith('1:')).sort()).toEqual(['1:c', '1:rule']);
  });

  it('with no budget prepares nothing and writes nothing', async () => {
    const m = fakeMachine(SPEED, 5);
    const store = memoryStore();
    const r = await (await open(m, store, { budgetMs: 0 })).tune(m.rt, [req(1)]);
    expect(r.results[0]).toMatchObject({ source: 'budget', choice: 'rule', kept: 0 });
    expect(m.log.compiled).toEqual([]);
    expect(store.writes).toBe(0);
  });

  it('keeps what another run stored meanwhile, and tunes again a class whose candidates changed', async () => {
    const m = fakeMachine(SPEED, 5);
    const store = memoryStore();
    const t1 = await open(m, store);
    await t1.tune(m.rt, [req(1)]);
    // Another process stores class 9 (and another adapter's entry) after t2 read the store.
    const t2 = await open(m, store);
    const other = await open(m, store, { adapterKey: 'other adapter' });
    await other.tune(m.rt, [req(9)]);
    await (await open(m, store)).tune(m.rt, [req(9)]);
    await t2.tune(m.rt, [req(2)]);
    const d = doc(store);
    expect(Object.keys(d.adapters['fake adapter']).sort()).toEqual(['fake|class1', 'fake|class2', 'fake|class9']);
    expect(Object.keys(d.adapters['other adapter'])).toEqual(['fake|class9']);
    // Class 1 with a candidate list the kernels changed: not the cache's, tuned again.
    const t3 = await open(m, store);
    expect(t3.choose(req(1, [...CANDIDATES, 'd']))).toBeUndefined();
    const r = await t3.tune(m.rt, [req(1, ['rule', 'b', 'c']), req(2)]);
    expect(r.results.map((x) => x.source)).toEqual(['tuned', 'cache']);
    expect(r.results[0].choice).toBe('c');
  });

  it('resumes nothing that was measured among other candidates or another rule', async () => {
    const m = fakeMachine(SPEED, 5);
    const store = memoryStore();
    await (await open(m, store, { budgetMs: 30 })).tune(m.rt, [req(1)]);
    expect(doc(store).partial['fake adapter']['fake|class1']).toBeDefined();
    const r = await (await open(m, store)).tune(m.rt, [req(1, ['rule', 'a'])]);
    expect(r.results[0].source).toBe('tuned');
    expect(r.results[0].times.every((t) => t.samples === 4)).toBe(true);
  });
});

describe('the run\'s share of tuning', () => {
  it('is 5% of the expected run, at least 2 s, at most 60 s', () => {
    expect(RUN_SHARE).toEqual({ share: 0.05, floorMs: 2000, capMs: 60_000 });
    expect(runTuneBudgetMs(700, 80)).toBeCloseTo(2800);
    expect(runTuneBudgetMs(70, 80)).toBe(2000);
    expect(runTuneBudgetMs(1e6, 80)).toBe(60_000);
    expect(runTuneBudgetMs(100, NaN)).toBe(60_000);
  });

  /** A model whose steps take stepMs on the fake clock, and a tuner whose classes are all remembered or not. */
  function runSetup(remembered: boolean) {
    const clock = { t: 0 };
    const made: { disposed: boolean; steps: number }[] = [];
    const tuner = { budgetMs: -1 } as unknown as Tuner;
    const budgets: number[] = [];
    const report = (): TuneReport => ({ adapterKey: 'k', elapsedMs: 0, results: [{ kernel: 'fake', shapeClass: 'c', shape: {}, rule: 'rule', choice: 'rule', source: remembered || budgets.at(-1)! > 0 ? (remembered ? 'cache' : 'tuned') : 'budget', times: [] }] });
    const build = () => {
      const m = { disposed: false, steps: 0 };
      made.push(m);
      return {
        m,
        precompile: async () => { budgets.push(tuner.budgetMs); clock.t += tuner.budgetMs; },
        trainStep: (_x: Float32Array, read?: boolean) => { m.steps++; clock.t += 100; return read ? Promise.resolve() : null; },
        dispose: () => { m.disposed = true; },
      };
    };
    return { clock, made, tuner, budgets, report, build };
  }

  it('measures a step on a first model, tunes for 5% of the run less the probe, and builds the model to train after', async () => {
    const s = runSetup(false);
    const t = await tuneForRun({ tuner: s.tuner, build: s.build, lastTune: s.report, batch: new Float32Array(4), plannedSteps: 10_000, clock: () => s.clock.t });
    expect(t.stepMs).toBe(100);
    expect(t.budgetMs).toBe(50_000 - 300); // 5% of 10,000 × 100 ms, less the three timed probe steps
    expect(s.budgets).toEqual([0, t.budgetMs]);
    expect(s.made.map((m) => m.disposed)).toEqual([true, false]);
    expect(t.model.m).toBe(s.made[1]);
    expect(t.why).toMatch(/tuning budget 49\.7 s: 5% of 10000 steps × 100\.0 ms/);
  });

  it('trains the first model when every class is remembered, and takes a given budget as it is', async () => {
    const s = runSetup(true);
    const t = await tuneForRun({ tuner: s.tuner, build: s.build, lastTune: s.report, batch: new Float32Array(4), plannedSteps: 10_000, clock: () => s.clock.t });
    expect(s.made.length).toBe(1);
    expect(t.model.m).toBe(s.made[0]);
    expect(s.made[0].steps).toBe(0);
    const g = runSetup(false);
    const given = await tuneForRun({ tuner: g.tuner, build: g.build, lastTune: g.report, batch: new Float32Array(4), plannedSteps: 10, budgetMs: 1234 });
    expect(g.budgets).toEqual([1234]);
    expect(given.budgetMs).toBe(1234);
  });
});

describe('the gain per step', () => {
  it('counts a step\'s dispatches per class and weighs the rule\'s and the choice\'s times by them', async () => {
    const m = fakeMachine(SPEED, 5);
    const tuner = await open(m, null);
    const report = await tuner.tune(m.rt, [req(1), req(2, ['rule', 'b'])]);
    const counter = new CountingChooser(tuner);
    const counts = await counter.count(() => {
      for (const r of [req(1), req(1), req(1), req(2, ['rule', 'b'])]) counter.choose(r);
    });
    expect(counter.choose(req(1))).toBe('a'); // answers as the tuner, counting only inside count()
    expect([...counts]).toEqual([['fake|class1', 3], ['fake|class2', 1]]);
    const g = stepGain(report, counts);
    expect(g.classes.map((c) => [c.shapeClass, c.rule, c.choice, c.dispatches, c.gainMs])).toEqual([['class1', 'rule', 'a', 3, 1.5], ['class2', 'rule', 'rule', 1, 0]]);
    expect([g.ruleMs, g.choiceMs, g.gainMs]).toEqual([4, 2.5, 1.5]);
    const text = gainTable(g, 8.5);
    expect(text).toMatch(/\| fake \| class1 \| rule → a \| 3 \| 1\.000 \| 0\.500 \| 1\.500 \|/);
    expect(text).toMatch(/\| fake \| class2 \| rule \(kept\) \| 1 \|/);
    expect(text).toMatch(/per training step: these kernels take 4\.000 ms on the rule and 2\.500 ms on the choices: 1\.500 ms gained, 15\.0% of the step on the rule \(10\.000 ms estimated; 8\.500 ms measured on the choices\)/);
  });
});
