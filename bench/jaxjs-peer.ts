// jax-js (npm @jax-js/jax, pinned) as a peer: the VAE matmuls and the default training step written
// as a jax-js user would write them — numpy-style layers, the loss as a plain function,
// `valueAndGrad`, Adam as optax's scale_by_adam + scale(−lr) (the @jax-js/optax package is not on the
// registry this project reaches, so the same update is written out), and the whole step (noise,
// forward, loss, backward, Adam) under one `jit`. The `jax` namespace is passed in: the page bundles
// it; the smoke test imports it in Node (wasm device only: jax-js has no WebGPU in Node).
//
// Honest timing. jax-js is lazy: an op only records pending work, which runs when a result is
// realized (blockUntilReady, data), and work behind an array disposed unrealized never runs. So a
// sample keeps every repetition's result alive and waits for all of them (matmuls), or chains the
// steps through their parameters and waits for the last (training: each step consumes the previous
// step's parameters, so the last depends on all); webgpu also drains jax-js's device queue after.
import type * as JaxNs from '@jax-js/jax';
import type { MatmulCase, Peer, PeerMatmul, PeerProfile, PeerTrainer, VaeWeights } from './peer';
import type { Impl } from './results';
import type { RawSample } from './timing';
import { jaxjsConv } from './jaxjs-conv';

type Jax = typeof JaxNs;
type Arr = JaxNs.Array;
export type JaxDevice = 'webgpu' | 'wasm';

/** The version pinned in package.json (a test checks they agree with the installed package). */
export const JAXJS_VERSION = '0.1.25';

const DIMS = { D: 784, H: 400, Z: 20 } as const;
const ADAM = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 } as const;

type Linear = { w: Arr; b: Arr };
type Params = { enc: Linear; head: Linear; dec: Linear; out: Linear };
type AdamState = { count: Arr; m: Params; v: Params };

/** Our graph's parameter names (weights stored in×out, as jax-js's x @ W wants them). */
const NAMES: Record<keyof Params, string> = { enc: 'encoder.0', head: 'encoder.head', dec: 'decoder.0', out: 'decoder.out' };

export function jaxImpl(device: JaxDevice): Impl {
  return device === 'webgpu' ? 'jax-js-webgpu' : 'jax-js-wasm';
}

/**
 * The model's −ELBO per example (nats) for noise `eps` (B × Z): Bernoulli −log p(x|z) from logits in
 * the stable form max(l, 0) − l·x + log(1 + e^−|l|) summed over pixels, plus the analytic KL, mean
 * over the batch. jax-js ownership: every argument is consumed, `.ref` for each further use.
 */
export function negElbo(jax: Jax, p: Params, x: Arr, eps: Arr): Arr {
  const { numpy: np, nn } = jax;
  const B = x.shape[0], Z = DIMS.Z;
  const h = nn.relu(np.matmul(x.ref, p.enc.w).add(p.enc.b));
  const stats = np.matmul(h, p.head.w).add(p.head.b);
  const [mu, logvar] = np.split(stats, [Z], 1);
  const z = mu.ref.add(np.exp(logvar.ref.mul(0.5)).mul(eps));
  const h2 = nn.relu(np.matmul(z, p.dec.w).add(p.dec.b));
  const logits = np.matmul(h2, p.out.w).add(p.out.b);
  const rec = nn.relu(logits.ref).sub(logits.ref.mul(x)).add(np.log1p(np.exp(np.abs(logits).mul(-1)))).sum();
  const kl = logvar.ref.add(1).sub(np.square(mu)).sub(np.exp(logvar)).sum().mul(-0.5);
  return rec.add(kl).mul(1 / B);
}

/** optax.adam(lr): bias-corrected moments, update −lr·m̂/(√v̂ + ε) (PyTorch's and ours alike). */
export function adamUpdate<P extends JaxNs.JsTree<Arr>>(jax: Jax, params: P, grads: P, s: { count: Arr; m: P; v: P }): [P, { count: Arr; m: P; v: P }] {
  const { numpy: np, tree } = jax;
  const count = s.count.add(1);
  const bc1 = np.power(ADAM.b1, count.ref).mul(-1).add(1);
  const bc2 = np.power(ADAM.b2, count.ref).mul(-1).add(1);
  const m = tree.map((m: Arr, g: Arr) => m.mul(ADAM.b1).add(g.mul(1 - ADAM.b1)), s.m, tree.ref(grads)) as unknown as P;
  const v = tree.map((v: Arr, g: Arr) => v.mul(ADAM.b2).add(np.square(g).mul(1 - ADAM.b2)), s.v, grads) as unknown as P;
  const next = tree.map((p: Arr, m: Arr, v: Arr) =>
    p.sub(m.div(bc1.ref).mul(ADAM.lr).div(np.sqrt(v.div(bc2.ref)).add(ADAM.eps))), params, tree.ref(m), tree.ref(v)) as unknown as P;
  bc1.dispose();
  bc2.dispose();
  return [next, { count, m, v }];
}

function paramsFrom(jax: Jax, w: VaeWeights): Params {
  const { numpy: np } = jax;
  const layer = (name: string): Linear => {
    const weight = w[`${name}.weight`], bias = w[`${name}.bias`];
    if (!weight || !bias) throw new Error(`jax-js peer: weights for '${name}' missing`);
    return { w: np.array(weight.data, { shape: weight.shape }), b: np.array(bias.data, { shape: bias.shape }) };
  };
  return { enc: layer(NAMES.enc), head: layer(NAMES.head), dec: layer(NAMES.dec), out: layer(NAMES.out) };
}

export async function jaxjsPeer(jax: Jax, device: JaxDevice, detail: string, version: string): Promise<Peer> {
  const { numpy: np, random, tree, jit, valueAndGrad, blockUntilReady } = jax;
  const available = await jax.init(device);
  if (!available.includes(device)) throw new Error(`jax-js: device '${device}' did not initialise (available: ${available.join(', ') || 'none'})`);
  const impl = jaxImpl(device);
  const on = { device };
  /** Waits for every leaf, then (webgpu) for jax-js's queue, so nothing it submitted is still running. */
  const finish = async (xs: Arr[]): Promise<void> => {
    await blockUntilReady(xs);
    if (device === 'webgpu') await jax.getWebGPUDevice().queue.onSubmittedWorkDone();
  };
  /** webgpu: a validation error would mean work that never ran was timed; make it fail instead. */
  const checked = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (device !== 'webgpu') return fn();
    const gpu = jax.getWebGPUDevice();
    gpu.pushErrorScope('validation');
    let out: T;
    try {
      out = await fn();
    } finally {
      const err = await gpu.popErrorScope();
      if (err) throw new Error(`jax-js-webgpu: WebGPU validation error: ${err.message}`);
    }
    return out;
  };
  let info = `${device} device`;
  if (device === 'webgpu') {
    const gpu = jax.getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo };
    const ai = gpu.adapterInfo;
    info = `webgpu device on ${[ai?.vendor, ai?.architecture, ai?.description].filter(Boolean).join(' ') || 'unknown adapter'}`;
  } else {
    // jax-js runs wasm kernels on a pool of hardwareConcurrency workers when it can share memory with them.
    const threads = typeof SharedArrayBuffer !== 'undefined' && typeof Worker !== 'undefined';
    info = `wasm device, ${threads ? `worker pool (${typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : '?'} hardware threads)` : 'single-threaded (no SharedArrayBuffer or Worker)'}`;
  }

  return {
    impl,
    info: { impl, version, detail: `${info}${detail ? `; ${detail}` : ''}; whole step under one jit` },
    conv: jaxjsConv(jax, device, { finish, checked, adam: adamUpdate }),

    async matmul(c: MatmulCase, aData: Float32Array, bData: Float32Array, biasData: Float32Array | undefined): Promise<PeerMatmul> {
      jax.defaultDevice(device);
      const a = np.array(aData, { shape: c.transA ? [c.K, c.M] : [c.M, c.K], ...on });
      const b = np.array(bData, { shape: c.transB ? [c.N, c.K] : [c.K, c.N], ...on });
      const bias = biasData ? np.array(biasData, { shape: [c.N], ...on }) : undefined;
      // One jit per shape: the transposes are views and the bias and ReLU an epilogue jax-js may fuse.
      const product = (a: Arr, b: Arr) => np.matmul(c.transA ? a.transpose() : a, c.transB ? b.transpose() : b);
      const act = (y: Arr) => (c.activation === 'relu' ? jax.nn.relu(y) : y);
      const withBias = jit((a: Arr, b: Arr, bias: Arr) => act(product(a, b).add(bias)));
      const plain = jit((a: Arr, b: Arr) => act(product(a, b)));
      const once = (): Arr => (bias ? withBias(a.ref, b.ref, bias.ref) : plain(a.ref, b.ref));
      const firstUseMs = await checked(async () => {
        const t0 = performance.now();
        const first = once();
        await finish([first]);
        const elapsed = performance.now() - t0;
        first.dispose();
        return elapsed;
      });
      return {
        firstUseMs,
        async run(inner: number): Promise<RawSample> {
          return checked(async () => {
            const start = performance.now();
            const outs: Arr[] = [];
            for (let i = 0; i < inner; i++) outs.push(once());
            await finish(outs);
            const wallMs = performance.now() - start;
            outs.forEach((o) => o.dispose());
            return { wallMs };
          });
        },
        async output(): Promise<Float32Array> {
          return (await once().data()) as Float32Array;
        },
        dispose() {
          a.dispose();
          b.dispose();
          bias?.dispose();
          withBias.dispose();
          plain.dispose();
        },
      };
    },

    async trainer(batch: number, next: () => Float32Array, init: VaeWeights): Promise<PeerTrainer> {
      jax.defaultDevice(device);
      const { D, Z } = DIMS;
      // Our model's initial weights: both sides start from the same point.
      let params = paramsFrom(jax, init);
      const zeros = () => tree.map((p: Arr) => np.zerosLike(p), tree.ref(params)) as Params;
      let opt: AdamState = { count: np.array(0, on), m: zeros(), v: zeros() };
      let key = random.key(0);
      // The whole step: fresh noise from the key, value and gradient of the loss, Adam.
      const step = jit((params: Params, opt: AdamState, x: Arr, key: Arr): [Params, AdamState, Arr, Arr] => {
        const [k, nextKey] = [...random.split(key)];
        const eps = random.normal(k, [x.shape[0], Z]);
        const [loss, grads] = valueAndGrad((p: Params, x: Arr, eps: Arr) => negElbo(jax, p, x, eps))(tree.ref(params), x, eps);
        const [nextParams, nextOpt] = adamUpdate(jax, params, grads, opt);
        return [nextParams, nextOpt, nextKey, loss];
      });
      let last: Arr | undefined;
      const one = () => {
        const x = np.array(next(), { shape: [batch, D], ...on });
        last?.dispose();
        [params, opt, key, last] = step(params, opt, x, key);
      };
      const { firstStepMs, lossFirst } = await checked(async () => {
        const t0 = performance.now();
        one();
        await finish([...tree.leaves(params), last!]);
        const firstStepMs = performance.now() - t0;
        return { firstStepMs, lossFirst: (await last!.ref.data())[0] };
      });
      return {
        firstStepMs,
        lossFirst,
        async run(inner: number): Promise<RawSample> {
          return checked(async () => {
            const start = performance.now();
            for (let i = 0; i < inner; i++) one();
            await finish([...tree.leaves(params), last!]);
            return { wallMs: performance.now() - start };
          });
        },
        async lastLoss(): Promise<number> {
          return last ? (await last.ref.data())[0] : NaN;
        },
        profile: device === 'webgpu' ? (n) => profileSteps(jax, n, async () => {
          for (let i = 0; i < n; i++) one();
          await finish([...tree.leaves(params), last!]);
        }) : undefined,
        dispose(): undefined {
          last?.dispose();
          tree.dispose(params);
          tree.dispose(opt);
          key.dispose();
          step.dispose();
          return undefined;
        },
      };
    },

    async lossAt(weights: VaeWeights, x: Float32Array, eps: Float32Array): Promise<number> {
      jax.defaultDevice(device);
      const batch = x.length / DIMS.D;
      const loss = jit((p: Params, x: Arr, eps: Arr) => negElbo(jax, p, x, eps));
      try {
        const out = loss(paramsFrom(jax, weights), np.array(x, { shape: [batch, DIMS.D], ...on }), np.array(eps, { shape: [batch, DIMS.Z], ...on }));
        return (await out.data())[0];
      } finally {
        loss.dispose();
      }
    },
  };
}

/** A performance.measure entry from jax-js's profiler (its devtools detail carries the kernel's description). */
type TraceEntry = PerformanceEntry & { detail?: { devtools?: { trackGroup?: string; properties?: [string, string][] } } };

/**
 * `steps` training steps with jax.profiler on (after as many without, to count queue submits): jax-js then puts timestamp queries around every
 * kernel's passes and reports each as a performance.measure in the "JAX Profiler" track group, with
 * its size, reduction and pass count. Grouped per step by label and reduction.
 */
async function profileSteps(jax: Jax, steps: number, run: () => Promise<void>): Promise<PeerProfile> {
  // Submits per step, counted on jax-js's queue over untraced steps (tracing adds submits of its own).
  const queue = jax.getWebGPUDevice().queue as GPUQueue & { submit: GPUQueue['submit'] };
  const submit = queue.submit;
  let submits = 0;
  queue.submit = function (buffers) {
    submits++;
    return submit.call(this, buffers);
  };
  try {
    await run();
  } finally {
    delete (queue as Partial<GPUQueue>).submit;
  }
  const seen: TraceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...(list.getEntries() as TraceEntry[])));
  observer.observe({ type: 'measure' });
  const t0 = performance.now();
  jax.profiler.startTrace();
  try {
    await run();
  } finally {
    jax.profiler.stopTrace();
  }
  const wallMs = (performance.now() - t0) / steps;
  // The traces arrive once jax-js has read its timestamps back (a map after the work): wait for them to settle.
  for (let quiet = 0, count = -1; quiet < 3; ) {
    await jax.getWebGPUDevice().queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 50));
    seen.push(...(observer.takeRecords() as TraceEntry[]));
    quiet = seen.length === count ? quiet + 1 : 0;
    count = seen.length;
  }
  observer.disconnect();
  const kernels = seen.filter((e) => e.detail?.devtools?.trackGroup === 'JAX Profiler');
  const groups = new Map<string, { count: number; ms: number }>();
  let passes = 0;
  for (const e of kernels) {
    const props = Object.fromEntries(e.detail?.devtools?.properties ?? []);
    passes += Number(props.passes ?? 1);
    const what = `${e.name}${props.reduction ? ` reduce ${props.reduction}` : ' elementwise'}${props.nargs ? `, ${props.nargs} inputs` : ''}`;
    const g = groups.get(what) ?? { count: 0, ms: 0 };
    g.count++;
    g.ms += e.duration;
    groups.set(what, g);
  }
  const rows = [...groups].map(([what, g]) => ({ what, count: g.count / steps, ms: g.ms / steps })).sort((a, b) => b.ms - a.ms);
  return { steps, kernels: kernels.length / steps, passes: passes / steps, submits: submits / steps, gpuMs: rows.reduce((a, r) => a + r.ms, 0), wallMs, rows };
}
