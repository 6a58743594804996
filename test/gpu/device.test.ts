// Device acquisition in Node: the adapter is named, the device gets the adapter's own limits (not
// WebGPU's defaults) and the optional features it has; bindings past the device's limit are refused.
import { describe, expect, it } from 'vitest';
import { describeAdapter } from '../../src/gpu/device';
import { prepareMatmul } from '../../src/kernels/matmul';
import { useGpu } from './harness';

const gpu = useGpu();

describe('acquireDevice', () => {
  it('names the adapter and raises the limits to the adapter’s', () => {
    const { ctx, device } = gpu();
    const info = ctx.adapterInfo;
    expect(describeAdapter(info)).toMatch(/via node\//);
    expect(info.vendor.length + info.device.length + info.description.length).toBeGreaterThan(0);
    // WebGPU's default limits are 128 MiB per storage binding and 256 invocations; adapters here allow at least that.
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(134217728);
    expect(device.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    for (const f of ctx.features) expect(typeof f).toBe('string');
    // Software adapters are flagged so their timings are never taken for a GPU's.
    if (/llvmpipe|swiftshader/i.test(describeAdapter(info))) expect(info.isSoftware).toBe(true);
  });

  it('refuses a binding larger than the device allows, naming the limit', () => {
    const { device, rt } = gpu();
    const limit = device.limits.maxStorageBufferBindingSize;
    const floats = limit / 4 + 1024;
    if (floats * 4 > device.limits.maxBufferSize) {
      // SwiftShader: maxBufferSize equals the binding limit, so no such binding can exist there.
      console.info(`maxBufferSize ${device.limits.maxBufferSize} ≤ binding limit ${limit}: nothing to refuse on this adapter`);
      return;
    }
    const big = device.createBuffer({ size: floats * 4, usage: GPUBufferUsage.STORAGE });
    const small = device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE });
    expect(() => prepareMatmul(rt, { M: 1, N: floats, K: 1, variant: 'tiled' }, { a: small, b: big, c: big })).toThrow(
      new RegExp(`binds ${floats * 4} bytes, more than this device's maxStorageBufferBindingSize of ${limit}`),
    );
    big.destroy();
    small.destroy();
  });
});
