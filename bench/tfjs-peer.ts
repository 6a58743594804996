// TensorFlow.js 4.22 as the peer: the same matmuls (tf.fused.matMul with bias and ReLU where ours
// fuses them, tf.matMul with transposes for the backward shapes) and the same VAE training step
// (784-400-20, ReLU, one 400→2Z head split into μ | logvar, Bernoulli BCE-with-logits summed over
// pixels + analytic KL, mean over the batch, Adam lr 1e-3, β 0.9/0.999, ε 1e-8), on the webgpu or
// the wasm backend. The `tf` namespace is passed in: the page bundles it, Node imports it at run time.
//
// Honest timing: every repetition's tensors are disposed; a sample ends with the backend's work
// finished — webgpu: its pending command encoder submitted, then the device queue drained (the same
// wait our side uses); wasm: kernels run synchronously, and the last output is read with dataSync.
import type * as TF from '@tensorflow/tfjs';
import type { MatmulCase, Peer, PeerMatmul, PeerTrainer } from './peer';
import type { RawSample } from './timing';
import { tfjsConv } from './tfjs-conv';

type Tf = typeof TF;
type Backend = 'webgpu' | 'wasm';

/** The parts of tfjs-backend-webgpu 4.22's WebGPUBackend used here (public members of its class). */
interface WebGpuBackendLike {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  adapterInfo?: { vendor?: string; architecture?: string };
}

const DIMS = { D: 784, H: 400, Z: 20 } as const;

export async function tfjsPeer(tf: Tf, backend: Backend, detail: string): Promise<Peer> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend '${backend}' did not initialise`);
  await tf.ready();
  const use = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
  };

  /**
   * Waits until everything queued on the backend has executed; `last` is the last output. webgpu:
   * tfjs batches dispatches into an open compute pass and submits every 15; end the pass, submit
   * what is pending (what its own data() does), then wait for the queue.
   */
  const finish = async (last: TF.Tensor): Promise<void> => {
    if (backend === 'webgpu') {
      const be = tf.backend() as unknown as WebGpuBackendLike;
      if (be.commandEncoder) {
        be.endComputePassEncoder();
        be.submitQueue();
      }
      await be.device.queue.onSubmittedWorkDone();
    } else {
      last.dataSync();
    }
  };

  /** webgpu: a validation error would mean work that never ran was timed; make it fail instead. */
  const checked = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (backend !== 'webgpu') return fn();
    const device = (tf.backend() as unknown as WebGpuBackendLike).device;
    device.pushErrorScope('validation');
    let out: T;
    try {
      out = await fn();
    } finally {
      const err = await device.popErrorScope();
      if (err) throw new Error(`tfjs-webgpu: WebGPU validation error: ${err.message}`);
    }
    return out;
  };

  let info = `${backend} backend`;
  if (backend === 'webgpu') {
    const be = tf.backend() as unknown as WebGpuBackendLike;
    const ai = be.adapterInfo;
    info = `webgpu backend on ${[ai?.vendor, ai?.architecture].filter(Boolean).join(' ') || 'unknown adapter'}; ` +
      `timestamp-query ${be.device.features.has('timestamp-query') ? 'on' : 'off'}`;
  } else {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info = `wasm backend, SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}`;
  }

  return {
    impl: backend === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-wasm',
    info: { impl: backend === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-wasm', version: tf.version.tfjs, detail: `${info}${detail ? `; ${detail}` : ''}` },
    conv: tfjsConv(tf, { use, finish, checked }),

    async matmul(c: MatmulCase, aData: Float32Array, bData: Float32Array, biasData: Float32Array | undefined): Promise<PeerMatmul> {
      await use();
      const a = tf.tensor2d(aData, c.transA ? [c.K, c.M] : [c.M, c.K]);
      const b = tf.tensor2d(bData, c.transB ? [c.N, c.K] : [c.K, c.N]);
      const bias = biasData ? tf.tensor1d(biasData) : undefined;
      const once = (): TF.Tensor =>
        bias || c.activation === 'relu'
          ? tf.fused.matMul({ a, b, transposeA: !!c.transA, transposeB: !!c.transB, bias, activation: c.activation === 'relu' ? 'relu' : 'linear' })
          : tf.matMul(a, b, !!c.transA, !!c.transB);
      const firstUseMs = await checked(async () => {
        const t0 = performance.now();
        const first = once();
        await finish(first);
        const elapsed = performance.now() - t0;
        first.dispose();
        return elapsed;
      });
      return {
        firstUseMs,
        async run(inner: number): Promise<RawSample> {
          await use();
          return checked(async () => {
            const start = performance.now();
            let out: TF.Tensor | undefined;
            for (let i = 0; i < inner; i++) {
              out?.dispose();
              out = once();
            }
            await finish(out!);
            const wallMs = performance.now() - start;
            out!.dispose();
            return { wallMs };
          });
        },
        async output(): Promise<Float32Array> {
          await use();
          const out = once();
          const data = (await out.data()) as Float32Array;
          out.dispose();
          return data;
        },
        dispose() {
          a.dispose();
          b.dispose();
          bias?.dispose();
        },
      };
    },

    async trainer(batch: number, next: () => Float32Array): Promise<PeerTrainer> {
      await use();
      const before = tf.memory().numTensors;
      const { D, H, Z } = DIMS;
      let seed = 1;
      // nn.Linear's default init, as ours: U(−1/√fan_in, 1/√fan_in) for weights and biases.
      const init = (shape: number[], bound: number) => {
        const t = tf.randomUniform(shape, -bound, bound, 'float32', seed++);
        const v = tf.variable(t);
        t.dispose();
        return v;
      };
      const linear = (inDim: number, outDim: number) => {
        const bound = 1 / Math.sqrt(inDim);
        return { w: init([inDim, outDim], bound), b: init([outDim], bound) };
      };
      const enc = linear(D, H), head = linear(H, 2 * Z), dec = linear(Z, H), out = linear(H, D);
      const vars = [enc.w, enc.b, head.w, head.b, dec.w, dec.b, out.w, out.b];
      const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);

      const step = (): TF.Scalar => {
        const x = tf.tensor2d(next(), [batch, D]);
        const eps = tf.randomNormal([batch, Z], 0, 1, 'float32');
        const cost = optimizer.minimize(() => {
          const h = tf.fused.matMul({ a: x, b: enc.w, bias: enc.b, activation: 'relu' });
          const stats = tf.fused.matMul({ a: h, b: head.w, bias: head.b });
          const [mu, logvar] = tf.split(stats, 2, 1);
          const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
          const h2 = tf.fused.matMul({ a: z, b: dec.w, bias: dec.b, activation: 'relu' });
          const logits = tf.fused.matMul({ a: h2, b: out.w, bias: out.b });
          // Bernoulli −log p(x|z) from logits, the stable form: max(l, 0) − l·x + log(1 + e^−|l|).
          const rec = tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
          const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar))), -0.5);
          return tf.div(tf.add(rec, kl), batch) as TF.Scalar;
        }, true, vars) as TF.Scalar;
        x.dispose();
        eps.dispose();
        return cost;
      };

      const { firstCost, firstStepMs } = await checked(async () => {
        const t0 = performance.now();
        const cost = step();
        await finish(cost);
        return { firstCost: cost, firstStepMs: performance.now() - t0 };
      });
      const lossFirst = (await firstCost.data())[0];
      firstCost.dispose();
      let last: TF.Scalar | undefined;

      return {
        firstStepMs,
        lossFirst,
        async run(inner: number): Promise<RawSample> {
          await use();
          return checked(async () => {
            const start = performance.now();
            for (let i = 0; i < inner; i++) {
              last?.dispose();
              last = step();
            }
            await finish(last!);
            return { wallMs: performance.now() - start };
          });
        },
        async lastLoss(): Promise<number> {
          return last ? (await last.data())[0] : NaN;
        },
        dispose(): number {
          last?.dispose();
          optimizer.dispose();
          vars.forEach((v) => v.dispose());
          return tf.memory().numTensors - before;
        },
      };
    },
  };
}
