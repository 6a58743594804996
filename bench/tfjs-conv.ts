// TensorFlow.js's conv VAE for the benchmark: the `conv` preset written with tf.fused.conv2d (bias and
// ReLU fused, as ours) and tf.conv2dTranspose, NHWC activations and HWIO filters (our layouts: tfjs's
// conv2dTranspose filter is KH×KW×out×in, as our transposed conv weight is, and its flatten is our
// (h, w, c) order), so it runs our weights unchanged. Loss as the MLP peer's (stable BCE-with-logits
// + analytic KL, batch mean), tf.train.adam(1e-3, 0.9, 0.999, 1e-8) through optimizer.minimize, which
// takes the gradients of conv2d (Conv2DBackpropInput, Conv2DBackpropFilter) and of conv2dTranspose.
import type * as TF from '@tensorflow/tfjs';
import { CONV_DIMS } from './conv-model';
import type { ConvPeer, PeerTrainer, VaeWeights } from './peer';
import type { RawSample } from './timing';

type Tf = typeof TF;

/** The backend plumbing tfjs-peer.ts owns: switch to the backend, wait for its work, error scopes. */
export interface TfjsHelpers {
  use(): Promise<void>;
  finish(last: TF.Tensor): Promise<void>;
  checked<T>(fn: () => Promise<T>): Promise<T>;
}

const LAYERS = ['encoder.1', 'encoder.2', 'encoder.head', 'decoder.0', 'decoder.2', 'decoder.out'] as const;
type Params = Record<(typeof LAYERS)[number], { w: TF.Tensor; b: TF.Tensor }>;

/** −ELBO per example (nats) of the conv preset on x (B×784) with noise eps (B×Z). */
function negElbo(tf: Tf, p: Params, x: TF.Tensor2D, eps: TF.Tensor): TF.Scalar {
  const { side, c1, c2, q, Z, stride, pad } = CONV_DIMS;
  const B = x.shape[0];
  const img = tf.reshape(x, [B, side, side, 1]) as TF.Tensor4D;
  const h1 = tf.fused.conv2d({ x: img, filter: p['encoder.1'].w as TF.Tensor4D, strides: stride, pad, bias: p['encoder.1'].b, activation: 'relu' });
  const h2 = tf.fused.conv2d({ x: h1, filter: p['encoder.2'].w as TF.Tensor4D, strides: stride, pad, bias: p['encoder.2'].b, activation: 'relu' });
  const stats = tf.fused.matMul({ a: tf.reshape(h2, [B, q * q * c2]) as TF.Tensor2D, b: p['encoder.head'].w as TF.Tensor2D, bias: p['encoder.head'].b });
  const [mu, logvar] = tf.split(stats, [Z, Z], 1);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as TF.Tensor2D;
  const d0 = tf.fused.matMul({ a: z, b: p['decoder.0'].w as TF.Tensor2D, bias: p['decoder.0'].b, activation: 'relu' });
  const d0img = tf.reshape(d0, [B, q, q, c2]) as TF.Tensor4D;
  const d2 = tf.relu(tf.add(tf.conv2dTranspose(d0img, p['decoder.2'].w as TF.Tensor4D, [B, 2 * q, 2 * q, c1], stride, pad), p['decoder.2'].b)) as TF.Tensor4D;
  const out = tf.add(tf.conv2dTranspose(d2, p['decoder.out'].w as TF.Tensor4D, [B, side, side, 1], stride, pad), p['decoder.out'].b);
  const logits = tf.reshape(out, [B, side * side]);
  // Bernoulli −log p(x|z) from logits, the stable form: max(l, 0) − l·x + log(1 + e^−|l|).
  const rec = tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
  const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar))), -0.5);
  return tf.div(tf.add(rec, kl), B) as TF.Scalar;
}

function tensorsFrom(tf: Tf, w: VaeWeights, make: (t: TF.Tensor) => TF.Tensor): Params {
  const out = {} as Params;
  for (const name of LAYERS) {
    const weight = w[`${name}.weight`], bias = w[`${name}.bias`];
    if (!weight || !bias) throw new Error(`tfjs conv peer: weights for '${name}' missing (expected the conv preset's checkpoint)`);
    out[name] = { w: make(tf.tensor(weight.data, weight.shape)), b: make(tf.tensor(bias.data, bias.shape)) };
  }
  return out;
}

export function tfjsConv(tf: Tf, h: TfjsHelpers): ConvPeer {
  return {
    async trainer(batch: number, next: () => Float32Array, init: VaeWeights): Promise<PeerTrainer> {
      await h.use();
      const before = tf.memory().numTensors;
      // Our initial weights as variables: both sides start from the same point.
      const params = tensorsFrom(tf, init, (t) => {
        const v = tf.variable(t);
        t.dispose();
        return v;
      });
      const vars = LAYERS.flatMap((n) => [params[n].w, params[n].b]) as TF.Variable[];
      const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
      const step = (): TF.Scalar => {
        const x = tf.tensor2d(next(), [batch, CONV_DIMS.side * CONV_DIMS.side]);
        const eps = tf.randomNormal([batch, CONV_DIMS.Z], 0, 1, 'float32');
        const cost = optimizer.minimize(() => negElbo(tf, params, x, eps), true, vars) as TF.Scalar;
        x.dispose();
        eps.dispose();
        return cost;
      };
      const dispose = () => {
        optimizer.dispose();
        vars.forEach((v) => v.dispose());
      };
      let firstCost: TF.Scalar, firstStepMs: number;
      try {
        ({ firstCost, firstStepMs } = await h.checked(async () => {
          const t0 = performance.now();
          const cost = step();
          await h.finish(cost);
          return { firstCost: cost, firstStepMs: performance.now() - t0 };
        }));
      } catch (e) {
        dispose();
        throw e;
      }
      const lossFirst = (await firstCost.data())[0];
      firstCost.dispose();
      let last: TF.Scalar | undefined;
      return {
        firstStepMs,
        lossFirst,
        async run(inner: number): Promise<RawSample> {
          await h.use();
          return h.checked(async () => {
            const start = performance.now();
            for (let i = 0; i < inner; i++) {
              last?.dispose();
              last = step();
            }
            await h.finish(last!);
            return { wallMs: performance.now() - start };
          });
        },
        async lastLoss(): Promise<number> {
          return last ? (await last.data())[0] : NaN;
        },
        dispose(): number {
          last?.dispose();
          dispose();
          return tf.memory().numTensors - before;
        },
      };
    },

    async lossAt(weights: VaeWeights, x: Float32Array, eps: Float32Array): Promise<number> {
      await h.use();
      const B = x.length / (CONV_DIMS.side * CONV_DIMS.side);
      const p = tensorsFrom(tf, weights, (t) => t);
      const xt = tf.tensor2d(x, [B, CONV_DIMS.side * CONV_DIMS.side]), et = tf.tensor2d(eps, [B, CONV_DIMS.Z]);
      try {
        const loss = tf.tidy(() => negElbo(tf, p, xt, et));
        const value = (await loss.data())[0];
        loss.dispose();
        return value;
      } finally {
        xt.dispose();
        et.dispose();
        for (const n of LAYERS) {
          p[n].w.dispose();
          p[n].b.dispose();
        }
      }
    },
  };
}
