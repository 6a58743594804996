// The Node side of `npm run bench -- --node`: the suite on Dawn (lavapipe here, the GPU where there
// is one) with TensorFlow.js (webgpu on a Dawn instance of the same Vulkan driver, and wasm) and
// optionally jax-js's wasm device as peers, then PyTorch's steps and the epochs (bench/pytorch.ts).
import { acquireDevice } from '../src/gpu/device';
import { runSuite } from './suite';
import { nodeImplementation } from '../src/tune/node-cache';
import { tfjsPeer } from './tfjs-peer';
import { JAXJS_VERSION, jaxjsPeer } from './jaxjs-peer';
import { EPOCH, ourEpoch, pytorchEpoch, pytorchSteps } from './pytorch';
import { log, runtimeImport, type Gate } from './project';
import type { Options } from './options';
import type { Peer } from './peer';
import type { SuiteResults } from './results';


/** Dawn GPU objects made here live as long as the process (dropping one while in use crashes Dawn). */
const keepAlive: unknown[] = [];

async function nodePeers(o: Options, errors: string[]): Promise<Peer[]> {
  if (!o.peers.length) return [];
  type Tf = typeof import('@tensorflow/tfjs');
  const mod = await runtimeImport<Tf & { default?: Tf }>('@tensorflow/tfjs');
  const tf = (mod.default ?? mod) as Tf;
  tf.enableProdMode();
  const peers: Peer[] = [];
  for (const name of o.peers) {
    try {
      if (name === 'tfjs-webgpu') {
        // tfjs-backend-webgpu registers itself when navigator.gpu exists: give it a Dawn instance
        // (the Vulkan driver acquireDevice chose is still in the environment: the same adapter).
        const webgpu = await runtimeImport<{ create(flags: string[]): GPU }>('webgpu');
        const gpu = webgpu.create([]);
        keepAlive.push(gpu);
        const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
        if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
        else g.navigator = { gpu };
        await runtimeImport('@tensorflow/tfjs-backend-webgpu');
        peers.push(await tfjsPeer(tf, 'webgpu', 'Node, Dawn (npm webgpu), own GPUDevice on the same adapter'));
      } else if (name === 'tfjs-wasm') {
        await runtimeImport('@tensorflow/tfjs-backend-wasm');
        peers.push(await tfjsPeer(tf, 'wasm', 'Node'));
      } else if (name === 'jax-js-wasm') {
        peers.push(await jaxjsPeer(await runtimeImport<typeof import('@jax-js/jax')>('@jax-js/jax'), 'wasm', 'Node', JAXJS_VERSION));
      } else if (name === 'jax-js-webgpu') {
        errors.push('jax-js-webgpu runs in the browser only (jax-js has no WebGPU device in Node)');
      } else {
        errors.push(`unknown peer '${name}'`);
      }
    } catch (e) {
      errors.push(`${name} did not start: ${(e as Error).message}`);
      log(`${name} did not start: ${(e as Error).message}`);
    }
  }
  return peers;
}

export async function runNode(o: Options, gate: Gate): Promise<SuiteResults> {
  const ctx = await acquireDevice({ softwareDriver: o.driver });
  const errors: string[] = [];
  const peers = await nodePeers(o, errors);
  // The conv section (bench/conv-bench.ts) was built and measured for the browser; in Node it runs when asked (--only conv).
  const only = o.only ?? ['ceilings', 'kernels', 'steps', 'tuning'];
  const suite = await runSuite(ctx, { quick: o.quick, peers, log, errors, only, gate, batches: o.batches, noTune: o.noTune, implementation: nodeImplementation() });
  const gpu = !ctx.adapterInfo.isSoftware;
  if (o.pytorch && (!o.only || o.only.includes('steps'))) {
    const batches = [...new Set(suite.steps.map((s) => s.batch))];
    suite.steps.push(...(await pytorchSteps(o, batches, suite.errors, gpu)));
  }
  if (!o.quick && (!o.only || o.only.includes('epoch'))) {
    log(`\nepoch (${EPOCH.examples} synthetic examples, batch ${EPOCH.batch}, one warm-up epoch then ${EPOCH.timed} timed)`);
    suite.epochs = [];
    try {
      await gate.before('epoch webgpu-vae');
      suite.epochs.push(await ourEpoch(ctx));
    } catch (e) {
      suite.errors.push(`our epoch failed: ${(e as Error).message}`);
    }
    if (o.pytorch) {
      await gate.before('epoch pytorch');
      const pt = await pytorchEpoch(suite.errors, gpu);
      if (pt) suite.epochs.push(pt);
    }
  }
  ctx.destroy();
  return suite;
}
