// Which WebGPU acquireDevice takes, decided on stand-in globals: navigator.gpu wherever it is (also
// when a bundler polyfills `process`, in Electron's renderer and in workers), Node's Dawn only in a
// real Node without it, and one clear error naming what is missing otherwise. One test drives the
// navigator path with Dawn's real GPU object standing in for a browser's.
import { afterAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { acquireDeviceIn, findWebGpu, type GpuContext, type WebGpuScope } from '../../src/gpu/device';

/** A GPU object that is only a shape: enough for the decision, never asked for an adapter. */
const fakeGpu = { requestAdapter: async () => null } as unknown as GPU;
const nodeProcess = { versions: { node: '22.0.0' }, env: {} };
/** What webpack/Next.js/vite polyfills give a page: a `process` with env and no versions.node. */
const polyfilledProcess = { env: { NODE_ENV: 'production' }, browser: true } as WebGpuScope['process'];
const page = (extra: WebGpuScope): WebGpuScope => ({ window: {}, isSecureContext: true, ...extra });
const worker = (extra: WebGpuScope): WebGpuScope => ({ importScripts: () => {}, ...extra });

describe('findWebGpu', () => {
  it('takes navigator.gpu in a page, even where a bundler polyfilled process', () => {
    expect(findWebGpu(page({ navigator: { gpu: fakeGpu } }))).toEqual({ kind: 'navigator', gpu: fakeGpu, where: 'page' });
    expect(findWebGpu(page({ navigator: { gpu: fakeGpu }, process: polyfilledProcess }))).toMatchObject({ kind: 'navigator', where: 'page' });
  });

  it('takes navigator.gpu in Electron’s renderer and in Deno, which also have process.versions.node', () => {
    expect(findWebGpu(page({ navigator: { gpu: fakeGpu }, process: { versions: { node: '22.0.0', electron: '33.0.0' } } }))).toMatchObject({ kind: 'navigator' });
    expect(findWebGpu({ navigator: { gpu: fakeGpu }, process: nodeProcess })).toMatchObject({ kind: 'navigator', where: 'page' });
  });

  it('takes self.navigator.gpu in a worker', () => {
    expect(findWebGpu(worker({ navigator: { gpu: fakeGpu } }))).toMatchObject({ kind: 'navigator', where: 'worker' });
    expect(findWebGpu(worker({ navigator: { gpu: fakeGpu }, process: polyfilledProcess }))).toMatchObject({ kind: 'navigator', where: 'worker' });
  });

  it('takes Dawn in Node (with or without Node’s own navigator) and in Electron’s main process', () => {
    expect(findWebGpu({ process: nodeProcess })).toEqual({ kind: 'dawn' });
    expect(findWebGpu({ process: nodeProcess, navigator: { userAgent: 'Node.js/22' } })).toEqual({ kind: 'dawn' });
    expect(findWebGpu({ process: { versions: { node: '22.0.0', electron: '33.0.0' } } })).toEqual({ kind: 'dawn' });
    // This very process.
    expect(findWebGpu()).toEqual({ kind: 'dawn' });
  });

  it('says which browsers have WebGPU when a page lacks it, polyfilled process or not', () => {
    for (const scope of [page({ navigator: { userAgent: 'x' } }), page({ navigator: {}, process: polyfilledProcess })]) {
      const found = findWebGpu(scope);
      expect(found.kind).toBe('missing');
      expect(found.kind === 'missing' && found.message).toMatch(/not available in this browser \(navigator\.gpu is undefined\).*Chrome or Edge 113\+.*Safari 26\+.*Firefox 141\+/);
    }
  });

  it('names an insecure context as the reason navigator.gpu is hidden', () => {
    const found = findWebGpu(page({ navigator: {}, isSecureContext: false }));
    expect(found.kind === 'missing' && found.message).toMatch(/This page is not a secure context.*https:\/\/ or from localhost/);
    const inWorker = findWebGpu(worker({ navigator: {}, isSecureContext: false }));
    expect(inWorker.kind === 'missing' && inWorker.message).toMatch(/in this worker .*This worker is not a secure context/);
  });

  it('says so in a worker without WebGPU, and in Electron’s renderer without it (no Dawn there)', () => {
    const w = findWebGpu(worker({ navigator: {}, process: polyfilledProcess }));
    expect(w.kind === 'missing' && w.message).toMatch(/not available in this worker \(self\.navigator\.gpu is undefined\)/);
    const e = findWebGpu(page({ navigator: {}, process: { versions: { node: '22.0.0', electron: '33.0.0' } } }));
    expect(e.kind === 'missing' && e.message).toMatch(/not available in this browser/);
  });

  it('names both ways in when there is neither navigator.gpu nor Node', () => {
    const found = findWebGpu({});
    expect(found.kind === 'missing' && found.message).toMatch(/no navigator\.gpu, and this is not Node.*createRuntime\(\{ device \}\)/);
  });
});

describe('acquireDeviceIn', () => {
  let ctx: GpuContext | undefined;
  // Dawn kills the process if its GPU object is collected while a device lives: kept here.
  const dawn = create([]);
  afterAll(() => ctx?.destroy());

  it('opens a device from navigator.gpu in a page whose process a bundler polyfilled (Dawn as the browser’s GPU)', async () => {
    ctx = await acquireDeviceIn(page({ navigator: { gpu: dawn }, process: polyfilledProcess }));
    expect(ctx.adapterInfo.via).toBe('browser');
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(134217728);
  });

  it('rejects with the message where WebGPU is missing', async () => {
    await expect(acquireDeviceIn(worker({ navigator: {}, process: polyfilledProcess }))).rejects.toThrow(/not available in this worker/);
  });

  it('says what to check when navigator.gpu gives no adapter', async () => {
    await expect(acquireDeviceIn(worker({ navigator: { gpu: fakeGpu } }))).rejects.toThrow(/requestAdapter\(\) returned null in this worker.*chrome:\/\/gpu/);
  });
});
