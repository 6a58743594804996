// Timing one prepared candidate: a sample is one compute pass with its dispatches repeated `reps`
// times, timed by GPU timestamps at the pass's start and end when the device has 'timestamp-query',
// else by wall time around submit and onSubmittedWorkDone. Every sample is awaited, so a page's
// main thread is free between samples (each is calibrated to a few milliseconds).
import { encodeDispatches, type Dispatch } from '../gpu/runtime';

export type TimingMethod = 'timestamp' | 'wall';

export interface SampleTimer {
  method: TimingMethod;
  /** Milliseconds per repetition of `dispatches`, over one pass of `reps` repetitions. */
  sample(dispatches: readonly Dispatch[], reps: number): Promise<number>;
  destroy(): void;
}

const now = () => globalThis.performance.now();

export function sampleTimer(device: GPUDevice, method?: TimingMethod): SampleTimer {
  const useTimestamps = (method ?? (device.features.has('timestamp-query') ? 'timestamp' : 'wall')) === 'timestamp';
  if (!useTimestamps) {
    return {
      method: 'wall',
      async sample(dispatches, reps) {
        const encoder = device.createCommandEncoder({ label: 'tune sample' });
        const pass = encoder.beginComputePass();
        for (let r = 0; r < reps; r++) encodeDispatches(pass, dispatches);
        pass.end();
        const t0 = now();
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
        return (now() - t0) / reps;
      },
      destroy() {},
    };
  }
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return {
    method: 'timestamp',
    async sample(dispatches, reps) {
      const encoder = device.createCommandEncoder({ label: 'tune sample' });
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      for (let r = 0; r < reps; r++) encodeDispatches(pass, dispatches);
      pass.end();
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const [t0, t1] = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      return Number(t1 - t0) / 1e6 / reps;
    },
    destroy() {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    },
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
