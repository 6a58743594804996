// The benchmark page (bench/index.html): runs bench/suite.ts on navigator.gpu with TensorFlow.js 4.22
// (webgpu and wasm backends) and jax-js (webgpu and wasm devices) as the peers in the same page, on
// the same adapter. bench/run.ts builds it with Vite, serves it (cross-origin isolated, so the wasm
// peers may use threads) and drives it in headless Chromium. Query: ?quick=1,
// ?peers=tfjs-webgpu,tfjs-wasm,jax-js-webgpu,jax-js-wasm (or none), ?only=kernels,steps,
// ?batches=32,128,512.
// Progress goes to the console (prefixed "[bench] "); window.__bench holds the outcome.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as jax from '@jax-js/jax';
import { acquireDevice } from '../src/gpu/device';
import { runSuite } from './suite';
import { tfjsPeer } from './tfjs-peer';
import { JAXJS_VERSION, jaxjsPeer } from './jaxjs-peer';
import type { Peer } from './peer';
import type { SuiteResults } from './results';

declare global {
  interface Window {
    __bench?: { state: 'done' | 'failed'; results?: SuiteResults; error?: string };
    /** Exposed by bench/main.ts: resolves when the machine is quiet enough to measure. */
    __benchGateBefore?: (what: string) => Promise<void>;
    /** Exposed by bench/main.ts: whether it stayed quiet during the measurement. */
    __benchGateAfter?: (what: string) => Promise<boolean>;
  }
}

const params = new URLSearchParams(location.search);
const quick = params.get('quick') === '1';
const wanted = (params.get('peers') ?? 'tfjs-webgpu,tfjs-wasm,jax-js-webgpu,jax-js-wasm').split(',').filter((p) => p && p !== 'none');
const only = params.get('only')?.split(',').filter(Boolean);
const batches = params.get('batches')?.split(',').map(Number);
const logElement = document.getElementById('log');
const log = (line: string) => {
  console.log(`[bench] ${line}`);
  if (logElement) logElement.textContent += `${line}\n`;
};

async function main(): Promise<SuiteResults> {
  const ctx = await acquireDevice();
  const errors: string[] = [];
  const peers: Peer[] = [];
  // tfjs in its fastest configuration: production mode (no debug checks); otherwise its defaults.
  tf.enableProdMode();
  // The wasm binaries are served next to the page (copied from node_modules by bench/run.ts).
  setWasmPaths(new URL('/tfjs-wasm/', location.href).href);
  // A backend whose initialisation hangs (e.g. wasm workers that fail to start) must not stall the run.
  const within = <T>(p: Promise<T>, what: string) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in 60 s`)), 60_000))]);
  const isolation = `crossOriginIsolated ${self.crossOriginIsolated}, ${navigator.hardwareConcurrency} hardware threads`;
  for (const name of wanted) {
    try {
      if (name === 'tfjs-webgpu') peers.push(await within(tfjsPeer(tf, 'webgpu', 'same browser, own GPUDevice on the same adapter'), name));
      else if (name === 'tfjs-wasm') peers.push(await within(tfjsPeer(tf, 'wasm', isolation), name));
      else if (name === 'jax-js-webgpu') peers.push(await within(jaxjsPeer(jax, 'webgpu', 'same browser, own GPUDevice on the same adapter', JAXJS_VERSION), name));
      else if (name === 'jax-js-wasm') peers.push(await within(jaxjsPeer(jax, 'wasm', isolation, JAXJS_VERSION), name));
      else errors.push(`unknown peer '${name}'`);
    } catch (e) {
      errors.push(`${name} did not start: ${(e as Error).message}`);
      log(`${name} did not start: ${(e as Error).message}`);
    }
  }
  const gate = window.__benchGateBefore && window.__benchGateAfter
    ? { before: window.__benchGateBefore, after: window.__benchGateAfter }
    : undefined;
  const results = await runSuite(ctx, { quick, peers, log, errors, only, gate, batches });
  ctx.destroy();
  return results;
}

main().then(
  (results) => {
    window.__bench = { state: 'done', results };
    document.body.dataset.state = 'done';
  },
  (e: unknown) => {
    const error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    log(`FAILED: ${error}`);
    window.__bench = { state: 'failed', error };
    document.body.dataset.state = 'failed';
  },
);
