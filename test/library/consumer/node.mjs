// The consumer's Node program: a device from Dawn (the `webgpu` package beside webgpu-vae), the checks,
// their results as one JSON line.
import { createRuntime, describeAdapter } from 'webgpu-vae';
import { runChecks } from './checks.js';

const gpu = await createRuntime();
console.error(`adapter: ${describeAdapter(gpu.adapterInfo)}`);
const results = await runChecks(gpu.runtime);
console.log(JSON.stringify({ adapter: describeAdapter(gpu.adapterInfo), ...results }));
gpu.destroy();
