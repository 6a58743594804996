// Node only: what the machine is and how busy it is. The benchmark machine may be shared (two cores,
// other people's tests), so a run waits for a quiet machine, then records the load average and the
// processes outside its own process tree that used the CPU, before and during the run.
import { cpus, loadavg, totalmem, release, type as osType } from 'node:os';
import { readdir, readFile } from 'node:fs/promises';
import type { LoadSample } from './results';

export function machineInfo(): { cpus: number; model: string; memGiB: number; os: string; node: string; gpu: string } {
  const c = cpus();
  return {
    cpus: c.length,
    model: c[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    gpu: 'none (WebGPU runs on a software Vulkan driver unless a GPU driver is installed)',
  };
}

interface ProcTimes {
  ppid: number;
  ticks: number;
  command: string;
}

async function readProcs(): Promise<Map<number, ProcTimes>> {
  const out = new Map<number, ProcTimes>();
  let entries: string[] = [];
  try {
    entries = await readdir('/proc');
  } catch {
    return out; // not Linux
  }
  await Promise.all(entries.filter((e) => /^\d+$/.test(e)).map(async (e) => {
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid ... utime(14) stime(15): comm may hold spaces, so split after the last ')'.
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      let command = comm;
      try {
        command = (await readFile(`/proc/${e}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim().slice(0, 120) || comm;
      } catch { /* gone */ }
      out.set(Number(e), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), command });
    } catch { /* the process ended */ }
  }));
  return out;
}

/** Our process and its descendants (Chromium's processes, Dawn's threads live in ours). */
function ownTree(procs: Map<number, ProcTimes>): Set<number> {
  const mine = new Set<number>([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of procs) {
      if (!mine.has(pid) && mine.has(p.ppid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  return mine;
}

/** CPU use of other processes over `ms` (percent of one core), and the load average. */
export async function sampleLoad(ms: number, t0: number): Promise<LoadSample> {
  const a = await readProcs();
  await new Promise((r) => setTimeout(r, ms));
  return loadSince(a, performance.now() - ms, t0);
}

/** A snapshot of every process's CPU time, to measure others' use over an interval. */
export async function snapshot(): Promise<{ procs: Map<number, ProcTimes>; at: number }> {
  return { procs: await readProcs(), at: performance.now() };
}

/** Other processes' CPU use since a snapshot (percent of one core, averaged over the interval). */
export async function loadSinceSnapshot(s: { procs: Map<number, ProcTimes>; at: number }, t0: number): Promise<LoadSample> {
  return loadSince(s.procs, s.at, t0);
}

async function loadSince(a: Map<number, ProcTimes>, since: number, t0: number): Promise<LoadSample> {
  const ms = Math.max(1, performance.now() - since);
  const b = await readProcs();
  const mine = ownTree(b);
  const hz = 100; // USER_HZ on Linux
  const others: LoadSample['others'] = [];
  for (const [pid, p] of b) {
    if (mine.has(pid)) continue;
    const before = a.get(pid)?.ticks ?? p.ticks;
    const cpu = (100 * (p.ticks - before)) / hz / (ms / 1000);
    if (cpu > 5) others.push({ pid, cpu: Math.round(cpu), command: p.command });
  }
  others.sort((x, y) => y.cpu - x.cpu);
  const l = loadavg();
  return { t: Math.round((performance.now() - t0) / 1000), loadavg: [l[0], l[1], l[2]], others };
}

export function othersCpu(s: LoadSample): number {
  return s.others.reduce((sum, p) => sum + p.cpu, 0);
}

/**
 * Waits (up to maxS seconds) until other processes use under 15% of a core over 5 s and the 1-minute
 * load average is under `maxLoad`. Returns the last sample, the seconds waited and whether it was quiet.
 */
export async function waitForQuiet(maxS: number, maxLoad: number, t0: number, log: (s: string) => void): Promise<{ sample: LoadSample; waitedS: number; quiet: boolean }> {
  const start = performance.now();
  for (;;) {
    const s = await sampleLoad(5000, t0);
    const quiet = othersCpu(s) < 15 && s.loadavg[0] < maxLoad;
    const waitedS = Math.round((performance.now() - start) / 1000);
    if (quiet) return { sample: s, waitedS, quiet };
    if (waitedS >= maxS) {
      log(`machine still busy after ${waitedS} s (load ${s.loadavg.map((x) => x.toFixed(2)).join(' ')}); measuring anyway, recorded in the results`);
      return { sample: s, waitedS, quiet };
    }
    log(`waiting for a quiet machine: load ${s.loadavg.map((x) => x.toFixed(2)).join(' ')}, others ${s.others.slice(0, 3).map((p) => `${p.command.split(' ')[0]} ${p.cpu}%`).join(', ') || 'none'}`);
    await new Promise((r) => setTimeout(r, 15000));
  }
}

/** Samples the load every `everyS` seconds in the background until stopped. */
export function monitorLoad(everyS: number, t0: number): { stop(): Promise<LoadSample[]> } {
  const samples: LoadSample[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = (async () => {
    while (!stopped) {
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, everyS * 1000);
      });
      if (stopped) break;
      samples.push(await sampleLoad(2000, t0));
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
      return samples;
    },
  };
}

export interface Pause {
  /**
   * 'wait': held back before a measurement; 'retry': others ran during one, so it was taken again;
   * 'unguarded': others were busy, but the gate's budget was spent, so it was measured regardless.
   */
  kind: 'wait' | 'retry' | 'unguarded';
  /** Seconds since the run started. */
  t: number;
  before: string;
  waitedS: number;
  /** Whether it became quiet (else the wait timed out and the measurement went ahead). */
  quiet: boolean;
  others: string;
}

export interface GateOptions {
  /** Others' CPU use (% of one core) above which the machine counts as busy. */
  busyPct?: number;
  /** The longest wait before one measurement. */
  maxS?: number;
  /**
   * The most the gate may hold measurements back in the whole run, waits and retries together (a
   * retry costs the measurement's own duration). Once spent, it measures at once and records each
   * measurement others disturbed as 'unguarded': under constant load a run ends, and says so.
   */
  budgetS?: number;
}

/**
 * The guard around each measurement. `before`: samples other processes' CPU for one second and,
 * when they use more than `busyPct` of a core, waits (5 s samples) until they stop or `maxS` passes.
 * `after`: whether others stayed under `busyPct` (averaged) while the measurement ran; if not, the
 * suite measures again (bench/suite-context.ts, up to three times).
 */
export function quietGate(t0: number, log: (s: string) => void, o: GateOptions = {}): {
  before(what: string): Promise<void>;
  after(what: string): Promise<boolean>;
  pauses: Pause[];
} {
  const busyPct = o.busyPct ?? 20, maxS = o.maxS ?? 300;
  let budgetMs = 1000 * (o.budgetS ?? Infinity);
  const pauses: Pause[] = [];
  const describe = (s: LoadSample) => s.others.slice(0, 3).map((p) => `${p.command.split(' ').slice(0, 2).join(' ')} ${p.cpu}%`).join(', ');
  let since: Awaited<ReturnType<typeof snapshot>> | undefined;
  let startedAt = 0;
  return {
    pauses,
    async before(what: string) {
      let s = await sampleLoad(1000, t0);
      if (othersCpu(s) > busyPct && budgetMs > 0) {
        const start = performance.now();
        const first = describe(s);
        log(`  (paused before ${what}: other processes busy: ${first})`);
        let quiet = false;
        while ((performance.now() - start) / 1000 < maxS && performance.now() - start < budgetMs) {
          s = await sampleLoad(5000, t0);
          if (othersCpu(s) <= busyPct) {
            quiet = true;
            break;
          }
        }
        budgetMs -= performance.now() - start;
        const waitedS = Math.round((performance.now() - start) / 1000);
        pauses.push({ kind: 'wait', t: s.t, before: what, waitedS, quiet, others: first });
        log(`  (resumed after ${waitedS} s${quiet ? '' : ', still busy: measuring anyway'}${budgetMs <= 0 ? '; the gate\'s budget is spent' : ''})`);
      }
      since = await snapshot();
      startedAt = performance.now();
    },
    async after(what: string) {
      if (!since) return true;
      const s = await loadSinceSnapshot(since, t0);
      since = undefined;
      if (othersCpu(s) <= busyPct) return true;
      if (budgetMs <= 0) {
        pauses.push({ kind: 'unguarded', t: s.t, before: what, waitedS: 0, quiet: false, others: describe(s) });
        log(`  (${what}: other processes used ${othersCpu(s)}% of a core during the measurement (${describe(s)}); the gate's budget is spent: kept)`);
        return true;
      }
      budgetMs -= performance.now() - startedAt;
      pauses.push({ kind: 'retry', t: s.t, before: what, waitedS: 0, quiet: false, others: describe(s) });
      log(`  (${what}: other processes used ${othersCpu(s)}% of a core during the measurement (${describe(s)}): measuring again)`);
      return false;
    },
  };
}
