// jax-js's conv VAE for the benchmark: the `conv` preset as a jax-js user writes it — NCHW (the
// layout lax.conv takes), `lax.conv` for the convs, `lax.convTranspose` (PyTorch's kernel layout,
// transposeKernel) for the transposed convs, numpy-style dense layers, the loss as the MLP peer's,
// `valueAndGrad`, Adam as optax's, and the whole step under one `jit`. It runs our weights as the
// same function: conv kernels HWIO → OIHW, transposed ones KH×KW×out×in → in×out×KH×KW, and the
// dense rows and columns that meet the flatten permuted from our (h, w, c) order to NCHW's (c, h, w),
// once, when the weights are loaded (so the step itself needs no transposes).
import type * as JaxNs from '@jax-js/jax';
import { CONV_DIMS, permute } from './conv-model';
import type { ConvPeer, PeerTrainer, VaeWeights } from './peer';
import type { RawSample } from './timing';
/** jax-js's devices the benchmark uses (as jaxjs-peer.ts names them). */
type JaxDevice = 'webgpu' | 'wasm';

type Jax = typeof JaxNs;
type Arr = JaxNs.Array;
type Layer = { w: Arr; b: Arr };
type Params = { e1: Layer; e2: Layer; head: Layer; d0: Layer; d2: Layer; out: Layer };
type AdamState = { count: Arr; m: Params; v: Params };

/** What jaxjs-peer.ts owns: the wait for a device's work, the error scope, optax's Adam. */
export interface JaxHelpers {
  finish(xs: Arr[]): Promise<void>;
  checked<T>(fn: () => Promise<T>): Promise<T>;
  adam(jax: Jax, params: Params, grads: Params, s: AdamState): [Params, AdamState];
}

/** −ELBO per example (nats) on x (B×784) with noise eps (B×Z); every argument consumed (jax-js ownership). */
export function convNegElbo(jax: Jax, p: Params, x: Arr, eps: Arr): Arr {
  const { numpy: np, nn, lax } = jax;
  const { side, c2, q, Z, stride, pad } = CONV_DIMS;
  const B = x.shape[0];
  const s = [stride, stride], padding: [number, number][] = [[pad, pad], [pad, pad]];
  const img = x.ref.reshape([B, 1, side, side]);
  const h1 = nn.relu(lax.conv(img, p.e1.w, s, padding).add(p.e1.b));
  const h2 = nn.relu(lax.conv(h1, p.e2.w, s, padding).add(p.e2.b));
  const stats = np.matmul(h2.reshape([B, c2 * q * q]), p.head.w).add(p.head.b);
  const [mu, logvar] = np.split(stats, [Z], 1);
  const z = mu.ref.add(np.exp(logvar.ref.mul(0.5)).mul(eps));
  const d0 = nn.relu(np.matmul(z, p.d0.w).add(p.d0.b)).reshape([B, c2, q, q]);
  const d2 = nn.relu(lax.convTranspose(d0, p.d2.w, s, padding, { transposeKernel: true }).add(p.d2.b));
  const logits = lax.convTranspose(d2, p.out.w, s, padding, { transposeKernel: true }).add(p.out.b).reshape([B, side * side]);
  const rec = nn.relu(logits.ref).sub(logits.ref.mul(x)).add(np.log1p(np.exp(np.abs(logits).mul(-1)))).sum();
  const kl = logvar.ref.add(1).sub(np.square(mu)).sub(np.exp(logvar)).sum().mul(-0.5);
  return rec.add(kl).mul(1 / B);
}

/** Our checkpoint's tensors (NHWC model) in the NCHW model's layout, as host arrays with shapes. */
export function nchwWeights(w: VaeWeights): Record<keyof Params, { w: [Float32Array, number[]]; b: [Float32Array, number[]] }> {
  const { c2, q } = CONV_DIMS;
  const get = (name: string) => {
    const weight = w[`${name}.weight`], bias = w[`${name}.bias`];
    if (!weight || !bias) throw new Error(`jax-js conv peer: weights for '${name}' missing (expected the conv preset's checkpoint)`);
    return { weight, bias };
  };
  // A bias per channel broadcasts over (C, H, W) as C×1×1.
  const conv = (name: string, perm: number[]) => {
    const { weight, bias } = get(name);
    return { w: [permute(weight.data, weight.shape, perm), perm.map((i) => weight.shape[i])] as [Float32Array, number[]], b: [bias.data, [bias.shape[0], 1, 1]] as [Float32Array, number[]] };
  };
  const head = get('encoder.head'), d0 = get('decoder.0');
  const zOut = head.weight.shape[1], zIn = d0.weight.shape[0];
  return {
    e1: conv('encoder.1', [3, 2, 0, 1]), // KH×KW×I×O → O×I×KH×KW
    e2: conv('encoder.2', [3, 2, 0, 1]),
    // Rows (h, w, c) → (c, h, w).
    head: { w: [permute(head.weight.data, [q, q, c2, zOut], [2, 0, 1, 3]), head.weight.shape], b: [head.bias.data, head.bias.shape] },
    // Columns and bias (h, w, c) → (c, h, w).
    d0: { w: [permute(d0.weight.data, [zIn, q, q, c2], [0, 3, 1, 2]), d0.weight.shape], b: [permute(d0.bias.data, [q, q, c2], [2, 0, 1]), d0.bias.shape] },
    d2: conv('decoder.2', [3, 2, 0, 1]), // KH×KW×out×in → in×out×KH×KW (PyTorch's ConvTranspose2d layout)
    out: conv('decoder.out', [3, 2, 0, 1]),
  };
}

export function jaxjsConv(jax: Jax, device: JaxDevice, h: JaxHelpers): ConvPeer {
  const { numpy: np, random, tree, jit, valueAndGrad } = jax;
  const on = { device };
  const D = CONV_DIMS.side * CONV_DIMS.side;
  const paramsFrom = (w: VaeWeights): Params => {
    const host = nchwWeights(w);
    const arr = ([data, shape]: [Float32Array, number[]]) => np.array(data, { shape, ...on });
    const layer = (l: { w: [Float32Array, number[]]; b: [Float32Array, number[]] }): Layer => ({ w: arr(l.w), b: arr(l.b) });
    return { e1: layer(host.e1), e2: layer(host.e2), head: layer(host.head), d0: layer(host.d0), d2: layer(host.d2), out: layer(host.out) };
  };
  return {
    async trainer(batch: number, next: () => Float32Array, init: VaeWeights): Promise<PeerTrainer> {
      jax.defaultDevice(device);
      let params = paramsFrom(init);
      const zeros = () => tree.map((p: Arr) => np.zerosLike(p), tree.ref(params)) as Params;
      let opt: AdamState = { count: np.array(0, on), m: zeros(), v: zeros() };
      let key = random.key(0);
      const step = jit((params: Params, opt: AdamState, x: Arr, key: Arr): [Params, AdamState, Arr, Arr] => {
        const [k, nextKey] = [...random.split(key)];
        const eps = random.normal(k, [x.shape[0], CONV_DIMS.Z]);
        const [loss, grads] = valueAndGrad((p: Params, x: Arr, eps: Arr) => convNegElbo(jax, p, x, eps))(tree.ref(params), x, eps);
        const [nextParams, nextOpt] = h.adam(jax, params, grads, opt);
        return [nextParams, nextOpt, nextKey, loss];
      });
      let last: Arr | undefined;
      const one = () => {
        const x = np.array(next(), { shape: [batch, D], ...on });
        last?.dispose();
        [params, opt, key, last] = step(params, opt, x, key);
      };
      const dispose = () => {
        last?.dispose();
        tree.dispose(params);
        tree.dispose(opt);
        key.dispose();
        step.dispose();
      };
      let first: { firstStepMs: number; lossFirst: number };
      try {
        first = await h.checked(async () => {
          const t0 = performance.now();
          one();
          await h.finish([...tree.leaves(params), last!]);
          const firstStepMs = performance.now() - t0;
          return { firstStepMs, lossFirst: (await last!.ref.data())[0] };
        });
      } catch (e) {
        dispose();
        throw e;
      }
      return {
        ...first,
        async run(inner: number): Promise<RawSample> {
          return h.checked(async () => {
            const start = performance.now();
            for (let i = 0; i < inner; i++) one();
            await h.finish([...tree.leaves(params), last!]);
            return { wallMs: performance.now() - start };
          });
        },
        async lastLoss(): Promise<number> {
          return last ? (await last.ref.data())[0] : NaN;
        },
        dispose(): undefined {
          dispose();
          return undefined;
        },
      };
    },

    async lossAt(weights: VaeWeights, x: Float32Array, eps: Float32Array): Promise<number> {
      jax.defaultDevice(device);
      const batch = x.length / D;
      const loss = jit((p: Params, x: Arr, eps: Arr) => convNegElbo(jax, p, x, eps));
      try {
        const out = loss(paramsFrom(weights), np.array(x, { shape: [batch, D], ...on }), np.array(eps, { shape: [batch, CONV_DIMS.Z], ...on }));
        return (await out.data())[0];
      } finally {
        loss.dispose();
      }
    },
  };
}
