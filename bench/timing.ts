// Timing helpers shared by the benchmarks: median of repeated runs of GPU work, measured around
// onSubmittedWorkDone (works on every adapter; GPU timestamps are used where the caller asks).

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

/** Runs `once` (which submits GPU work) `warmup` times, then `runs` times, waiting for the queue each time. */
export async function timeGpu(device: GPUDevice, once: () => void, runs: number, warmup = 3, inner = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) once();
  await device.queue.onSubmittedWorkDone();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) once();
    await device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / inner);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], runs };
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}
